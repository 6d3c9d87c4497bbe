"""The result type every comparison returns."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Comparison:
    """Outcome of comparing one recorded output region with the real one.

    `normalised` is the real output in the page's terms, for showing a divergence: on a match
    exactly the recorded lines; on a divergence the real output normalised toward the page
    (lines that still match keep their recorded text, bound values take the names the page
    already uses), so a diff shows what changed and not what merely varies between runs.

    `literal` is what `docsexec update` writes for the region: what this run printed, byte for
    byte, in the recorded region's shape. Only the author's elisions stay (a `...` line, an
    inline `[..]`, the `...` of an abridged JSON document); no value is carried over from the
    recording. `refusal` says why the region cannot be written literally (a line of an
    abridgment that the output no longer has, an abridged JSON object without its `...`);
    `update` then leaves the block to its author.
    """

    matched: bool
    normalised: list[str]
    notes: list[str] = field(default_factory=list)
    literal: list[str] = field(default_factory=list)
    refusal: str | None = None
