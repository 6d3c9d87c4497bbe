"""Matching one recorded line against one real line, under one block's options.

A line matches when the real line has the recorded line's pattern (pattern.py). When it
does not, two other readings of the same line are tried: a JSON Lines document compared as
data (the JSON matcher, json/), and a table row compared cell by cell.

Tables (`docker ps`, `docker network ls`) pad columns to the widest cell, so a value that
changes length moves every column. When the whole line does not match, a line with cells
separated by two or more spaces is compared cell by cell instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .bindings import Pairs
from .json import match_line
from .pattern import LinePattern, LineSyntax, split_cells
from .volatile import Token


@dataclass(frozen=True)
class LineMatch:
    """Outcome of matching one recorded line with one real line."""

    pairs: Pairs
    by_cells: bool = False  # matched only cell by cell (column padding differs)


@dataclass
class LineMatcher:
    """Matches recorded lines against real lines under one block's options."""

    syntax: LineSyntax
    table_cells: bool = True
    json_mode: str = "auto"  # JSON Lines: "auto" subset, "strict" same keys, "off" text
    _cache: dict[tuple[str, str], LineMatch | None] = field(default_factory=dict)

    @property
    def classes(self) -> frozenset[str]:
        return self.syntax.classes

    def pattern(self, text: str) -> LinePattern:
        return self.syntax.pattern(text)

    def tokens(self, line: str) -> list[Token]:
        """Volatile values found in a real line (for pairing changed lines)."""
        return self.syntax.tokens(line)

    def match(self, recorded: str, real: str) -> LineMatch | None:
        """Shape match of two lines (bindings not consulted); cached per pair."""
        key = (recorded, real)
        if key not in self._cache:
            self._cache[key] = self._match(recorded.rstrip(), real)
        return self._cache[key]

    def _match(self, recorded: str, real: str) -> LineMatch | None:
        pairs = self.pattern(recorded).match(real)
        if pairs is None and self.json_mode != "off":
            pairs = match_line(recorded, real, self.syntax, self.json_mode == "strict")
        if pairs is not None:
            return LineMatch(pairs)
        return self._match_cells(recorded, real) if self.table_cells else None

    def _match_cells(self, recorded: str, real: str) -> LineMatch | None:
        indent, cells = split_cells(recorded)
        real_indent, real_cells = split_cells(real)
        if len(cells) < 2 or len(cells) != len(real_cells) or indent != real_indent:
            return None
        pairs: Pairs = []
        for cell, real_cell in zip(cells, real_cells, strict=True):
            got = self.pattern(cell).match(real_cell)
            if got is None:
                return None
            pairs.extend(got)
        return LineMatch(pairs, by_cells=True)
