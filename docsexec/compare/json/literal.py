"""A JSON document as `update` writes it: what the run printed, in the shape the page records.

The recorded document may be abridged: keys and list elements it leaves out are marked with
`...` lines. The literal document is the real one with the same parts left out: the keys and
elements the recording keeps, in the order the run printed them, every value the run's own
(a recorded string's `[..]` kept), and one `...` line for each run of what is left out.
Rendered in the layout the run used (json.dumps reproduces Docker's and jq's), every line
but the `...` lines is one the run printed. An object that leaves keys out without a `...`
is an unmarked subset: it is refused, never written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..elision import ELISION, exact_alignment
from .match import JsonMatcher, Object, child
from .parse import ELIDED, JsonValue, named_list

_INDENTED = (4, 2)  # the layouts an abridged document can have: `...` needs a line of its own


@dataclass
class JsonLiteral:
    """Projects a real document onto a recorded one's shape, binding through `matcher`."""

    matcher: JsonMatcher
    unmarked: list[str] = field(default_factory=list)  # paths of objects that omit keys without `...`
    markers: int = 0

    def write(self, e: JsonValue, a: JsonValue, real: Sequence[str]) -> tuple[list[str], str | None]:
        """(the literal lines, why they cannot be written or None)."""
        projected = self.project(e, a, "$")
        if self.unmarked:
            where = ", ".join(self.unmarked[:3])
            return list(
                real
            ), f"the recorded JSON leaves keys out at {where} without a `...` line: mark the omission or record them"
        text = "\n".join(line.rstrip() for line in real)
        for indent in _INDENTED:
            if json.dumps(a, indent=indent, ensure_ascii=False) == text:
                return _render(projected, indent), None
        if projected == a:
            return list(real), None
        return list(
            real
        ), "the output's JSON layout is not one json.dumps reproduces, so it cannot be abridged literally"

    def project(self, e: JsonValue, a: JsonValue, path: str) -> JsonValue:
        if isinstance(e, dict) and isinstance(a, dict):
            return self._object(e, a, path)
        if isinstance(e, list) and isinstance(a, list):
            return self._list(e, a, path)
        if isinstance(e, str) and isinstance(a, str):
            return self.matcher.syntax.pattern(e).literal(a)
        return a

    def _object(self, e: Object, a: Object, path: str) -> Object:
        kept = self._kept_keys(e, a)
        out: Object = {}
        gap = False
        for key, value in a.items():
            if key not in kept:
                gap = True
                continue
            if gap:
                out[self._marker()] = None
                gap = False
            out[key] = self.project(e[kept[key]], value, child(path, key))
        if gap:
            out[self._marker()] = None
        if len(kept) < len(a) and ELIDED not in e:
            self.unmarked.append(path)
        return out

    def _marker(self) -> str:
        self.markers += 1
        return f"{ELIDED}#{self.markers}"

    def _kept_keys(self, e: Object, a: Object) -> dict[str, str]:
        """Real key -> the recorded key it stands for."""
        kept: dict[str, str] = {}
        for key in e:
            if key == ELIDED:
                continue
            if not self.matcher.is_pattern_key(key):
                if key in a:
                    kept[key] = key
                continue
            options = self.matcher.candidates(key, a, set(kept))
            fitting = [c for c in options if self.matcher.key_fits(key, c)]
            chosen = next(iter(fitting or options), None)
            if chosen is not None:
                kept[chosen] = key
        return kept

    def _list(self, e: list[JsonValue], a: list[JsonValue], path: str) -> list[JsonValue]:
        elided = [x == ELIDED for x in e]
        if any(elided):
            pairs = exact_alignment(
                elided, len(a), lambda i, j: self.matcher.match(e[i], a[j], path, None), self.matcher.binder
            )
            return a if pairs is None else self._abridged_list(e, a, dict((j, i) for i, j in pairs), path)
        if named_list(e) and named_list(a):
            partner = {}
            for i, x in enumerate(e):
                j = next((j for j, y in enumerate(a) if j not in partner and self.matcher.name_fits(x, y)), None)
                if j is not None:
                    partner[j] = i
            return [self.project(e[partner[j]], y, child(path, j)) if j in partner else y for j, y in enumerate(a)]
        if len(e) == len(a):
            return [self.project(x, y, child(path, k)) for k, (x, y) in enumerate(zip(e, a, strict=True))]
        return a

    def _abridged_list(
        self, e: list[JsonValue], a: list[JsonValue], partner: dict[int, int], path: str
    ) -> list[JsonValue]:
        out: list[JsonValue] = []
        for j, y in enumerate(a):
            if j in partner:
                out.append(self.project(e[partner[j]], y, child(path, j)))
            elif not out or out[-1] != ELIDED:
                out.append(ELIDED)
        return out


def _render(value: JsonValue, indent: int) -> list[str]:
    """`value` in the run's layout, each marker's line turned into a `...` line."""
    lines = json.dumps(value, indent=indent, ensure_ascii=False).split("\n")
    tag = json.dumps(ELIDED, ensure_ascii=False)[:-1]  # the marker's opening quote and text, before any `#n`
    return [
        line[: len(line) - len(line.lstrip())] + ELISION if line.lstrip().startswith(tag) else line for line in lines
    ]
