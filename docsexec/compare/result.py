"""The result type every comparison returns."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Comparison:
    """Outcome of comparing one recorded output region with the real one.

    `written` is what `docsexec update` writes for the region. On a match it is exactly the
    recorded lines, byte for byte, so updating an unchanged page changes nothing. On a
    divergence it is the real output normalised toward the page: lines that still match
    keep their recorded text (elisions and recorded volatile values included), the rest is
    the real text with bound values replaced by the values the page already uses.
    """

    matched: bool
    written: list[str]
    notes: list[str] = field(default_factory=list)
