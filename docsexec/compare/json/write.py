"""Writing back a diverged JSON document.

The recorded document's own shape is kept (a subset stays a subset, key order and layout
stay) and only the differing values are replaced, so `update` on a trimmed `inspect` does
not undo the author's trimming. When the recorded layout is not one json.dumps reproduces,
the real text is written instead (with bound values given the page's names).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..bindings import Bindings
from ..writeback import write_real
from .match import JsonMatcher, Object
from .parse import ELIDED, Document, JsonValue, named_list

_STYLES: tuple[Callable[[JsonValue], str], ...] = (
    lambda v: json.dumps(v, indent=4, ensure_ascii=False),
    lambda v: json.dumps(v, indent=2, ensure_ascii=False),
    lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=False),
    lambda v: json.dumps(v, ensure_ascii=False),
)


@dataclass
class JsonWriter:
    """Builds `normalised` for a diverged document, asking the matcher (bound to the page's
    `bindings`) which recorded parts still fit."""

    matcher: JsonMatcher
    bindings: Bindings

    def write(self, recorded: Sequence[str], e: Document, a: Document, real: Sequence[str]) -> list[str]:
        """Recorded layout with changed values, or the real text when the layout is not one
        json.dumps can reproduce (then bound values are still written as recorded)."""
        if not e.elided:
            text = "\n".join(line.rstrip() for line in recorded)
            for style in _STYLES:
                if style(e.value) == text:
                    return style(self.merged(e.value, a.value)).split("\n")
        return [self.normal(line) for line in real]

    def normal(self, text: str) -> str:
        return write_real(text, self.matcher.syntax.classes, self.bindings)

    def normal_value(self, a: JsonValue) -> JsonValue:
        if isinstance(a, dict):
            return {self.normal(k): self.normal_value(v) for k, v in a.items()}
        if isinstance(a, list):
            return [self.normal_value(v) for v in a]
        if isinstance(a, str):
            return self.normal(a)
        return a

    def merged(self, e: JsonValue, a: JsonValue, key: str | None = None) -> JsonValue:
        """`e` where it still fits `a`, else `a` in the page's terms, recursively."""
        if self.matcher.trial(e, a, key):
            return e
        if isinstance(e, dict) and isinstance(a, dict):
            return self._merged_dict(e, a)
        if isinstance(e, list) and isinstance(a, list):
            if named_list(e) and named_list(a):
                return self._merged_named_list(e, a)
            if len(e) == len(a) and ELIDED not in e:
                return [self.merged(x, y) for x, y in zip(e, a, strict=True)]
        return self.normal_value(a)

    def _merged_named_list(self, e: list[Object], a: list[Object]) -> list[JsonValue]:
        """Recorded elements (merged with their namesakes) in recorded order, then new ones."""
        out: list[JsonValue] = []
        used: set[int] = set()
        for x in e:
            k = next((k for k, y in enumerate(a) if k not in used and self.matcher.name_fits(x, y)), None)
            if k is not None:
                used.add(k)
                out.append(self.merged(x, a[k]))
        out.extend(self.normal_value(y) for k, y in enumerate(a) if k not in used)
        return out

    def _merged_dict(self, e: Object, a: Object) -> Object:
        out: Object = {}
        used: set[str] = set()
        for k, v in e.items():
            real_key = self._real_key(k, a, used)
            if real_key is None:
                continue  # the key vanished: so does its entry
            used.add(real_key)
            written_key = k if self.matcher.key_fits(k, real_key) else self.normal(real_key)
            out[written_key] = self.merged(v, a[real_key], k)
        if self.matcher.strict:
            for k in a:
                if k not in used:
                    out[self.normal(k)] = self.normal_value(a[k])
        return out

    def _real_key(self, k: str, a: Object, used: set[str]) -> str | None:
        if k == ELIDED:
            return None
        if not self.matcher.is_pattern_key(k):
            return k if k in a else None
        options = self.matcher.candidates(k, a, used)
        fitting = [c for c in options if self.matcher.key_fits(k, c)]
        return next(iter(fitting or options), None)
