"""A recorded line as a pattern: what the real line at its place must look like.

A recorded line is compiled once into a regular expression: literal text stays literal,
`[..]` becomes "any text", and each volatile value becomes a slot that the real line must
fill with a value of the same class. The slots' real values are returned for binding; the
caller (which knows the page's bindings) decides whether they are consistent. JSON strings
and table cells are compiled the same way, so a value means the same wherever it stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .bindings import Pairs
from .volatile import Slot, Token, find_tokens

INLINE_ELISION = "[..]"
CELL_SEP = re.compile(r" {2,}")


@dataclass(frozen=True)
class LinePattern:
    """A compiled recorded line (or table cell, or JSON string)."""

    text: str
    regex: re.Pattern[str]
    slots: tuple[Slot, ...]
    has_wildcard: bool

    def match(self, real: str) -> Pairs | None:
        """The slot values if `real` has this line's shape, else None (no binding check)."""
        m = self.regex.fullmatch(real)
        if m is None:
            return None
        pairs = [(slot, m.group(f"s{k}")) for k, slot in enumerate(self.slots)]
        if not all(slot.cls.accepts_actual(value) for slot, value in pairs):
            return None
        return pairs

    def literal(self, real: str) -> str:
        """`real` as the page shows it when this pattern matched it: every character the run
        printed, except the spans the author's `[..]` stand for, which stay `[..]`."""
        m = self.regex.fullmatch(real) if self.has_wildcard else None
        if m is None:
            return real
        out: list[str] = []
        last = 0
        for name in sorted((g for g in m.groupdict() if g.startswith("w")), key=lambda g: int(g[1:])):
            out.append(real[last : m.start(name)])
            out.append(INLINE_ELISION)
            last = m.end(name)
        out.append(real[last:])
        return "".join(out)


@lru_cache(maxsize=4096)
def compile_line(text: str, classes: frozenset[str], inline_elisions: bool = True) -> LinePattern:
    """Compile a recorded line; cached because JSON strings and table cells repeat a lot."""
    pieces = text.split(INLINE_ELISION) if inline_elisions else [text]
    regex: list[str] = []
    slots: list[Slot] = []
    for k, piece in enumerate(pieces):
        if k:
            regex.append(f"(?P<w{k}>.*?)")
        last = 0
        for tok in find_tokens(piece, classes):
            regex.append(re.escape(piece[last : tok.start]))
            regex.append(f"(?P<s{len(slots)}>{tok.cls.value_re})")
            slots.append(Slot(tok.cls, tok.value))
            last = tok.end
        regex.append(re.escape(piece[last:]))
    return LinePattern(text, re.compile("".join(regex), re.DOTALL), tuple(slots), len(pieces) > 1)


@dataclass(frozen=True)
class LineSyntax:
    """How one block's options read its recorded text: which volatile classes, and whether
    `[..]` is an inline elision (`data-elisions="off"` makes it literal)."""

    classes: frozenset[str]
    inline_elisions: bool = True

    def pattern(self, text: str) -> LinePattern:
        return compile_line(text, self.classes, self.inline_elisions)

    def tokens(self, line: str) -> list[Token]:
        """Volatile values found in a real line (for pairing changed lines)."""
        return find_tokens(line, self.classes)


def split_cells(line: str) -> tuple[str, list[str]]:
    """Leading indentation and the cells of a table row (separated by 2+ spaces)."""
    body = line.lstrip(" ")
    return line[: len(line) - len(body)], CELL_SEP.split(body.rstrip(" "))


def same_shape_pairs(pattern: LinePattern, real_tokens: list[Token]) -> Pairs | None:
    """Pair a changed line's recorded values with the real ones when they line up one to
    one by class (same classes, same order); None when they do not."""
    if [s.cls.name for s in pattern.slots] != [t.cls.name for t in real_tokens]:
        return None
    return [(slot, tok.value) for slot, tok in zip(pattern.slots, real_tokens, strict=True)]


def describe_difference(recorded: str, real: str, width: int = 60) -> str:
    """A short `'x' became 'y'` hint: the differing middle, widened to whole words."""
    recorded = recorded.rstrip()
    if not recorded.strip():
        return f"new line {_clip(real.strip(), width)!r}"  # the wording the line aligner uses for an added line
    start, old_end, new_end = _differing_middle(recorded, real)
    old, new = recorded[start:old_end].strip(), real[start:new_end].strip()
    if not old:
        return f"{_clip(new, width)!r} was added"
    if not new:
        return f"{_clip(old, width)!r} was removed"
    return f"{_clip(old, width)!r} became {_clip(new, width)!r}"


def _differing_middle(recorded: str, real: str) -> tuple[int, int, int]:
    """Start, and ends in `recorded` and `real`, of the part that differs, in whole words."""
    shortest = min(len(recorded), len(real))
    p = 0
    while p < shortest and recorded[p] == real[p]:
        p += 1
    s = 0
    while s < shortest - p and recorded[-1 - s] == real[-1 - s]:
        s += 1
    while p > 0 and not recorded[p - 1].isspace():
        p -= 1
    s_old, s_new = len(recorded) - s, len(real) - s
    while s_old < len(recorded) and not recorded[s_old].isspace():
        s_old += 1
        s_new += 1
    return p, s_old, s_new


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
