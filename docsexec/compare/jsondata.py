"""JSON outputs (`docker inspect`, `docker network inspect`, `--format '{{json .}}'`) compared
as data, not text.

Why: the text of a JSON document changes for reasons that are not behaviour (key order,
keys that newer engines add, maps keyed by random IDs), so a line diff would cry wolf on
every engine upgrade, and authors trim long inspect output to the keys a page talks about.
Rules:

* objects: every recorded key must exist in the real object (missing key = divergence);
  extra real keys are allowed (the recording may be a subset) unless `data-json="strict"`;
  key order never matters. A key that is a volatile value (a container ID in
  `"Containers"`) matches a real key through the page bindings.
* lists: in order, same length, except a list whose elements all have a `"Name"` (matched
  by name, any order) or a list containing a `...` line (an elision over elements).
* strings: like a line (volatile values bound page-wide, `[..]` allowed); other scalars: equal.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Sequence

from . import elision as el
from .bindings import Bindings
from .jsonparse import ELIDED, MISSING, named_list, parse_real, parse_recorded
from .jsonwrite import JsonWriter
from .lines import LineMatcher, describe_difference, same_shape_pairs
from .result import Comparison
from .volatile import BY_NAME

# Keys whose whole value is volatile although it has no volatile shape of its own.
_KEY_CLASSES = {"Pid": "pid", "HostPort": "port"}
_IDENT = re.compile(r"[A-Za-z_][\w-]*")
_LONG_HEX_ID = re.compile(r"[0-9a-f]{32,}")


def _child(path: str, key: Any) -> str:
    """A JSON path one step down. Only a long hexadecimal ID used as a key (a container's, in
    `Containers`) is shortened, to Docker's 12 characters: any other key is the one that
    says what the value is (`com.docker.network.bridge.name`), so it is never cut."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    shown = key[:12] + "…" if _LONG_HEX_ID.fullmatch(key) else key
    return f"{path}.{shown}" if _IDENT.fullmatch(key) else f"{path}[{shown!r}]"


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def _same_scalar(e: Any, a: Any) -> bool:
    if isinstance(e, bool) or isinstance(a, bool) or e is None or a is None:
        return e is a or (type(e) is type(a) and e == a)
    return isinstance(a, (int, float)) and e == a


Notes = list[str] | None  # None: trial mode, stop at the first difference, say nothing


@dataclass
class JsonMatcher:
    """Structural matching under the page bindings (undoable, like line matching)."""

    lines: LineMatcher
    bindings: Bindings
    strict: bool = False

    # -- entry point -----------------------------------------------------------------------

    def match(self, e: Any, a: Any, path: str, notes: Notes, key: str | None = None) -> bool:
        if isinstance(e, dict):
            if not isinstance(a, dict):
                return self._fail(notes, path, f"recorded an object, the output has {_kind(a)}")
            return self._match_dict(e, a, path, notes)
        if isinstance(e, list):
            if not isinstance(a, list):
                return self._fail(notes, path, f"recorded a list, the output has {_kind(a)}")
            return self._match_list(e, a, path, notes)
        if key in _KEY_CLASSES and self._keyed_value(_KEY_CLASSES[key], e, a):
            return True
        if isinstance(e, str):
            if not isinstance(a, str):
                return self._fail(notes, path, f"recorded a string, the output has {_kind(a)} {json.dumps(a)}")
            return self._match_string(e, a, path, notes)
        if _same_scalar(e, a):
            return True
        return self._fail(notes, path, f"{json.dumps(e)} became {json.dumps(a)}")

    @staticmethod
    def _fail(notes: Notes, path: str, message: str) -> bool:
        if notes is not None:
            notes.append(f"{path}: {message}")
        return False

    def _keyed_value(self, class_name: str, e: Any, a: Any) -> bool:
        """`"Pid": 4242`, `"HostPort": "32768"`: the value is volatile because of its key."""
        cls = BY_NAME[class_name]
        if class_name not in self.lines.classes or type(e) is not type(a) or isinstance(e, bool):
            return False
        recorded, real = str(e), str(a)
        if not (re.fullmatch(cls.value_re, recorded) and cls.valid(recorded) and cls.accepts_actual(real)):
            return False
        return not cls.bound or self.bindings.bind(cls.namespace, recorded, real) is None

    # -- strings ---------------------------------------------------------------------------

    def _match_string(self, e: str, a: str, path: str, notes: Notes) -> bool:
        pattern = self.lines.pattern(e)
        pairs = pattern.match(a)
        if pairs is None:
            if notes is not None:  # reporting: keep what a changed value still tells
                for slot, value in same_shape_pairs(pattern, self.lines.tokens(a)) or []:
                    if slot.cls.bound:
                        self.bindings.bind(slot.cls.namespace, slot.recorded, value)
            return self._fail(notes, path, describe_difference(e, a))
        for slot, value in pairs:
            if slot.cls.bound:
                problem = self.bindings.bind(slot.cls.namespace, slot.recorded, value)
                if problem is not None:
                    return self._fail(notes, path, problem)
        return True

    def key_fits(self, e_key: str, a_key: str) -> bool:
        mark = self.bindings.mark()
        if self._match_string(e_key, a_key, "", None):
            return True
        self.bindings.rollback(mark)
        return False

    def is_pattern_key(self, key: str) -> bool:
        pattern = self.lines.pattern(key)
        return bool(pattern.slots) or pattern.has_wildcard

    # -- objects ---------------------------------------------------------------------------

    def _match_dict(self, e: dict, a: dict, path: str, notes: Notes) -> bool:
        ok = True
        used: set[str] = set()
        keyed = []
        for k, v in e.items():
            if k == ELIDED:
                continue
            if self.is_pattern_key(k):
                keyed.append((k, v))
                continue
            used.add(k)
            if k not in a:
                ok = self._fail(notes, path, f"key {k!r} is missing from the output")
            elif not self.match(v, a[k], _child(path, k), notes, k):
                ok = False
            if not ok and notes is None:
                return False
        ok = self._match_keyed(keyed, a, used, path, notes) and ok
        if self.strict and not any(k == ELIDED for k in e):
            extra = sorted(set(a) - used)
            if extra:
                ok = self._fail(notes, path, f"keys not recorded: {', '.join(map(repr, extra))}")
        return ok

    def candidates(self, e_key: str, a: dict, used: set[str]) -> list[str]:
        pattern = self.lines.pattern(e_key)
        return [k for k in a if k not in used and pattern.match(k) is not None]

    def _match_keyed(self, keyed: list, a: dict, used: set[str], path: str, notes: Notes) -> bool:
        """Entries whose recorded key is a volatile value: find each its real key."""
        if self._assign(keyed, 0, a, used, path):
            return True
        if notes is None:
            return False
        for k, v in keyed:  # report: pair each with its best guess and say what differs
            options = self.candidates(k, a, used)
            bound = [c for c in options if self.key_fits(k, c)]
            if not bound:
                self._fail(notes, path, f"no key in the output matches recorded key {k!r}")
                continue
            used.add(bound[0])
            self.match(v, a[bound[0]], _child(path, k), notes)
        return False

    def _assign(self, keyed: list, idx: int, a: dict, used: set[str], path: str) -> bool:
        if idx == len(keyed):
            return True
        k, v = keyed[idx]
        for cand in self.candidates(k, a, used):
            mark = self.bindings.mark()
            if self.key_fits(k, cand) and self.match(v, a[cand], path, None):
                used.add(cand)
                if self._assign(keyed, idx + 1, a, used, path):
                    return True
                used.discard(cand)
            self.bindings.rollback(mark)
        return False

    # -- lists -----------------------------------------------------------------------------

    def _match_list(self, e: list, a: list, path: str, notes: Notes) -> bool:
        elided = [x == ELIDED for x in e]
        if any(elided):
            return self._match_elided_list(e, a, elided, path, notes)
        if named_list(e) and named_list(a):
            return self._match_by_name(e, a, path, notes)
        if len(e) != len(a):
            self._fail(notes, path, f"recorded {len(e)} elements, the output has {len(a)}")
            if notes is None:
                return False
            for k, (x, y) in enumerate(zip(e, a)):
                self.match(x, y, _child(path, k), notes)
            return False
        ok = True
        for k, (x, y) in enumerate(zip(e, a)):
            if not self.match(x, y, _child(path, k), notes):
                ok = False
                if notes is None:
                    return False
        return ok

    def _match_elided_list(self, e: list, a: list, elided: list[bool], path: str, notes: Notes) -> bool:
        def try_pair(i: int, j: int) -> bool:
            return self.match(e[i], a[j], path, None)

        if el.exact_alignment(elided, len(a), try_pair, self.bindings) is not None:
            return True
        return self._fail(notes, path, "no element of the output matches the recorded elements in order")

    def _match_by_name(self, e: list, a: list, path: str, notes: Notes) -> bool:
        used: set[int] = set()
        ok = True
        for x in e:
            found = next(
                (k for k, y in enumerate(a) if k not in used and self.name_fits(x, y)), None
            )
            if found is None:
                ok = self._fail(notes, path, f"no element named {x['Name']!r} in the output")
            else:
                used.add(found)
                ok = self.match(x, a[found], _child(path, found), notes) and ok
            if not ok and notes is None:
                return False
        if len(a) != len(e):
            extra = [y["Name"] for k, y in enumerate(a) if k not in used]
            ok = self._fail(notes, path, f"elements not recorded: {extra}") and ok
        return ok

    def name_fits(self, x: dict, y: dict) -> bool:
        return isinstance(x["Name"], str) and isinstance(y["Name"], str) and self.key_fits(x["Name"], y["Name"])


def compare_json(
    recorded: Sequence[str],
    real: Sequence[str],
    lines: LineMatcher,
    bindings: Bindings,
    strict: bool,
) -> Comparison | None:
    """Compare as JSON when both sides are JSON documents; None means "compare as lines"."""
    parsed = parse_recorded(recorded, lines.inline_elisions)
    if parsed is None:
        return None
    e, had_elision = parsed
    a = parse_real(real)
    if a is MISSING:
        return None
    matcher = JsonMatcher(lines, bindings, strict)
    start = bindings.mark()
    if matcher.match(e, a, "$", None):
        return Comparison(True, list(recorded), [])
    bindings.rollback(start)
    notes: list[str] = []
    matcher.match(e, a, "$", notes)
    written = JsonWriter(matcher).write(recorded, e, a, had_elision, real)
    return Comparison(False, written, notes or ["the JSON document differs"])
