"""Matching one recorded line against one real line.

A recorded line is compiled once into a regular expression: literal text stays literal,
`[..]` becomes "any text", and each volatile value becomes a slot that the real line must
fill with a value of the same class. The slots' real values are returned for binding; the
caller (which knows the page's bindings) decides whether they are consistent.

Tables (`docker ps`, `docker network ls`) pad columns to the widest cell, so a value that
changes length moves every column. When the whole line does not match, a line with cells
separated by two or more spaces is compared cell by cell instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterable

from .bindings import Bindings
from .volatile import Token, VolatileClass, find_tokens

INLINE_ELISION = "[..]"
_CELL_SEP = re.compile(r" {2,}")


@dataclass(frozen=True)
class Slot:
    """A volatile value as recorded in the page, at one place in a line."""

    cls: VolatileClass
    recorded: str


Pairs = list[tuple[Slot, str]]  # recorded slot -> real value found in its place


@dataclass(frozen=True)
class LinePattern:
    """A compiled recorded line (or table cell)."""

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


@lru_cache(maxsize=4096)
def compile_line(text: str, classes: frozenset[str], inline_elisions: bool = True) -> LinePattern:
    """Compile a recorded line; cached because JSON strings and table cells repeat a lot."""
    pieces = text.split(INLINE_ELISION) if inline_elisions else [text]
    regex: list[str] = []
    slots: list[Slot] = []
    for k, piece in enumerate(pieces):
        if k:
            regex.append(".*?")
        last = 0
        for tok in find_tokens(piece, classes):
            regex.append(re.escape(piece[last:tok.start]))
            regex.append(f"(?P<s{len(slots)}>{tok.cls.value_re})")
            slots.append(Slot(tok.cls, tok.value))
            last = tok.end
        regex.append(re.escape(piece[last:]))
    return LinePattern(text, re.compile("".join(regex), re.DOTALL), tuple(slots), len(pieces) > 1)


def split_cells(line: str) -> tuple[str, list[str]]:
    """Leading indentation and the cells of a table row (separated by 2+ spaces)."""
    body = line.lstrip(" ")
    return line[: len(line) - len(body)], _CELL_SEP.split(body.rstrip(" "))


@dataclass
class LineMatch:
    """Outcome of matching one recorded line with one real line."""

    pairs: Pairs
    by_cells: bool = False  # matched only cell by cell (column padding differs)


@dataclass
class LineMatcher:
    """Matches recorded lines against real lines under one block's options."""

    classes: frozenset[str]
    table_cells: bool = True
    inline_elisions: bool = True
    json_mode: str = "auto"  # JSON Lines: "auto" subset, "strict" same keys, "off" text
    _cache: dict[tuple[str, str], LineMatch | None] = field(default_factory=dict)

    def pattern(self, text: str) -> LinePattern:
        return compile_line(text, self.classes, self.inline_elisions)

    def tokens(self, line: str) -> list[Token]:
        """Volatile values found in a real line (for pairing changed lines)."""
        return find_tokens(line, self.classes)

    def match(self, recorded: str, real: str) -> LineMatch | None:
        """Shape match of two lines (bindings not consulted); cached per pair."""
        key = (recorded, real)
        if key not in self._cache:
            self._cache[key] = self._match(recorded.rstrip(), real)
        return self._cache[key]

    def _match(self, recorded: str, real: str) -> LineMatch | None:
        pairs = self.pattern(recorded).match(real)
        if pairs is not None:
            return LineMatch(pairs)
        if self.json_mode != "off" and recorded[:1] in ("[", "{") and real[:1] in ("[", "{"):
            got = self._match_json_line(recorded, real)
            if got is not None:
                return got
        if not self.table_cells:
            return None
        return self._match_cells(recorded, real)

    def _match_json_line(self, recorded: str, real: str) -> LineMatch | None:
        """One JSON document per line (`--format '{{json .}}'` prints JSON Lines): compare
        as data, like a whole JSON output, minus ID-keyed maps and elisions."""
        try:
            e, a = json.loads(recorded), json.loads(real)
        except ValueError:
            return None
        pairs: Pairs = []
        return LineMatch(pairs) if self._json_pairs(e, a, pairs) else None

    def _json_pairs(self, e: Any, a: Any, pairs: Pairs) -> bool:
        if isinstance(e, dict):
            if not isinstance(a, dict) or (self.json_mode == "strict" and set(e) != set(a)):
                return False
            return all(
                k in a and not self.pattern(k).slots and self._json_pairs(v, a[k], pairs)
                for k, v in e.items()
            )
        if isinstance(e, list):
            return (
                isinstance(a, list)
                and len(e) == len(a)
                and all(self._json_pairs(x, y, pairs) for x, y in zip(e, a))
            )
        if isinstance(e, str):
            got = self.pattern(e).match(a) if isinstance(a, str) else None
            if got is None:
                return False
            pairs.extend(got)
            return True
        return type(e) is type(a) and e == a

    def _match_cells(self, recorded: str, real: str) -> LineMatch | None:
        indent, cells = split_cells(recorded)
        real_indent, real_cells = split_cells(real)
        if len(cells) < 2 or len(cells) != len(real_cells) or indent != real_indent:
            return None
        pairs: Pairs = []
        for cell, real_cell in zip(cells, real_cells):
            got = self.pattern(cell).match(real_cell)
            if got is None:
                return None
            pairs.extend(got)
        return LineMatch(pairs, by_cells=True)


def same_shape_pairs(pattern: LinePattern, real_tokens: list[Token]) -> Pairs | None:
    """Pair a changed line's recorded values with the real ones when they line up one to
    one by class (same classes, same order); None when they do not."""
    if [s.cls.name for s in pattern.slots] != [t.cls.name for t in real_tokens]:
        return None
    return [(slot, tok.value) for slot, tok in zip(pattern.slots, real_tokens)]


def relayout(recorded: str, real: str) -> str:
    """The recorded row's cells placed at the real row's column positions.

    Used when writing a diverged table: matching rows keep their recorded cells, but must
    line up with the rows that are written from the real output.
    """
    _, cells = split_cells(recorded)
    real_indent, _ = split_cells(real)
    starts = [m.end() for m in _CELL_SEP.finditer(real.rstrip(" "), len(real_indent))]
    out = real_indent + cells[0]
    for k, cell in enumerate(cells[1:]):
        target = starts[k] if k < len(starts) else len(out) + 3
        out += " " * max(target - len(out), 2) + cell
    return out


def normalize_real(line: str, classes: Iterable[str], recorded_for) -> str:
    """A real line with each value the page already names replaced by that name (no
    binding); used to show differences in the page's own terms."""
    return _rename_tokens(line, classes, lambda tok: recorded_for(tok.cls.namespace, tok.value))


def write_real(line: str, classes: Iterable[str], bindings: Bindings) -> str:
    """A real line as `update` writes it, keeping the page self-consistent.

    Each bound value the page already has a name for is written with that name (the value
    recorded for it earlier). A value the page has never seen is written as it really is and
    bound to itself, so later outputs name it the same way. If that text is already the
    page's name for a *different* real value, a nearby unused value of the same class is
    written instead (see `substitute`), because writing the same text for two real values
    would make the page contradict itself on the next check.
    """
    def name_for(tok: Token) -> str:
        name = bindings.recorded_for(tok.cls.namespace, tok.value)
        return name if name is not None else substitute(tok.cls, tok.value, bindings)

    return _rename_tokens(line, classes, name_for)


def _rename_tokens(line: str, classes: Iterable[str], name_for: Callable[[Token], str | None]) -> str:
    """`line` with each bound volatile value replaced by `name_for(token)` (None: kept)."""
    out: list[str] = []
    last = 0
    for tok in find_tokens(line, frozenset(classes)):
        name = name_for(tok) if tok.cls.bound else None
        if name is None or name == tok.value:
            continue
        out.append(line[last:tok.start])
        out.append(name)
        last = tok.end
    out.append(line[last:])
    return "".join(out)


def substitute(cls: VolatileClass, real: str, bindings: Bindings) -> str:
    """Bind `real` to itself if its text is free on this page, else to the first free
    variant (last characters stepped); returns the text bound."""
    for candidate in _variants(cls, real):
        if bindings.real_for(cls.namespace, candidate) is None and bindings.bind(cls.namespace, candidate, real) is None:
            return candidate
    return real  # every variant taken: write it as is (the next check will say so)


def _variants(cls: VolatileClass, value: str):
    yield value
    digits = "0123456789abcdef" if re.search(r"[a-f]", value) or cls.namespace in ("id", "mac", "ipv6", "veth") else "0123456789"
    for pos in range(len(value) - 1, -1, -1):
        if value[pos] not in digits:
            continue
        start = digits.index(value[pos])
        for step in range(1, len(digits)):
            candidate = value[:pos] + digits[(start + step) % len(digits)] + value[pos + 1 :]
            if cls.valid(candidate) and cls.accepts_actual(candidate):
                yield candidate


def describe_difference(recorded: str, real: str, width: int = 60) -> str:
    """A short `'x' became 'y'` hint: the differing middle, widened to whole words."""
    recorded = recorded.rstrip()
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
    old, new = recorded[p:s_old].strip(), real[p:s_new].strip()
    if not recorded.strip():
        return f"new line {_clip(new, width)!r}"  # the wording the line aligner uses for an added line
    if not old:
        return f"{_clip(new, width)!r} was added"
    if not new:
        return f"{_clip(old, width)!r} was removed"
    return f"{_clip(old, width)!r} became {_clip(new, width)!r}"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
