"""The author's layout around an output: blank separator lines kept through `update`.

Many docs write a blank line between a command and its output, and another before the next
command. A program rarely prints those lines, so comparing them as output would make every
such block diverge, and `update` would strip them. Blank lines at either end of a recorded
output are layout when the real output does not start (or end) with a blank line there: they
are set aside before comparing and put back around what `update` writes. A command that
printed nothing and is followed by blank lines gets them on both sides of a new output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Separated:
    """A recorded output split into the author's blank separators and the part compared."""

    leading: tuple[str, ...]
    core: tuple[str, ...]
    trailing: tuple[str, ...]

    def around(self, lines: Sequence[str]) -> list[str]:
        """`lines` (the compared part, as a diff shows it or as update writes it) with the
        separators put back."""
        return [*self.leading, *lines, *self.trailing]


def separate(recorded: Sequence[str], real: Sequence[str]) -> Separated:
    """Split `recorded` where the real output allows: its blank ends are layout unless the
    real output has a blank line at the same end."""
    lines = list(recorded)
    if lines and not any(text.strip() for text in lines) and any(text.strip() for text in real):
        # `$ cmd`, a blank line, `$ next`: the page's style puts that blank on both sides of an output
        return Separated(tuple(lines), (), tuple(lines))
    lead = 0 if _blank(real[:1]) else _count_blank(lines)
    rest = lines[lead:]
    trail = 0 if _blank(real[-1:]) else _count_blank(list(reversed(rest)))
    core = rest[: len(rest) - trail]
    return Separated(tuple(lines[:lead]), tuple(core), tuple(rest[len(rest) - trail :]))


def _blank(lines: Sequence[str]) -> bool:
    return bool(lines) and not lines[0].strip()


def _count_blank(lines: list[str]) -> int:
    count = 0
    while count < len(lines) and not lines[count].strip():
        count += 1
    return count
