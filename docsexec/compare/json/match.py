"""Matching a recorded JSON value against a real one, as data, under the page's bindings.

One walk serves whole documents and JSON Lines: it binds through a SlotBinder, which is the
page's Bindings for a document (conflicts found as it goes, undone where it backtracks) and
a SlotLog for a line (it only records the slots, which the line aligner binds like those of
any line). The rules it applies are in the package docstring.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..bindings import SlotBinder, bind_slots
from ..elision import exact_alignment
from ..pattern import LineSyntax, describe_difference, same_shape_pairs
from ..volatile import BY_NAME, Slot
from .parse import ELIDED, JsonValue, named_list

# Keys whose whole value is volatile although it has no volatile shape of its own.
_KEY_CLASSES = {"Pid": "pid", "HostPort": "port"}
_IDENT = re.compile(r"[A-Za-z_][\w-]*")
_LONG_HEX_ID = re.compile(r"[0-9a-f]{32,}")

Notes = list[str] | None  # None: trial mode, stop at the first difference, say nothing
Object = dict[str, JsonValue]


def child(path: str, key: str | int) -> str:
    """A JSON path one step down. Only a long hexadecimal ID used as a key (a container's, in
    `Containers`) is shortened, to Docker's 12 characters: any other key is the one that
    says what the value is (`com.docker.network.bridge.name`), so it is never cut."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    shown = key[:12] + "…" if _LONG_HEX_ID.fullmatch(key) else key
    return f"{path}.{shown}" if _IDENT.fullmatch(key) else f"{path}[{shown!r}]"


def _kind(value: JsonValue) -> str:
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


def _same_scalar(e: JsonValue, a: JsonValue) -> bool:
    if isinstance(e, bool) or isinstance(a, bool) or e is None or a is None:
        return e is a or (type(e) is type(a) and e == a)
    return isinstance(a, int | float) and bool(e == a)


def _fail(notes: Notes, path: str, message: str) -> bool:
    if notes is not None:
        notes.append(f"{path}: {message}")
    return False


@dataclass
class JsonMatcher:
    """Structural matching, binding through `binder` (undoable, like line matching)."""

    syntax: LineSyntax
    binder: SlotBinder
    strict: bool = False

    def match(self, e: JsonValue, a: JsonValue, path: str, notes: Notes, key: str | None = None) -> bool:
        """Whether real `a` fits recorded `e` (at `path`, under object key `key`)."""
        if isinstance(e, dict):
            if not isinstance(a, dict):
                return _fail(notes, path, f"recorded an object, the output has {_kind(a)}")
            return self._match_dict(e, a, path, notes)
        if isinstance(e, list):
            if not isinstance(a, list):
                return _fail(notes, path, f"recorded a list, the output has {_kind(a)}")
            return self._match_list(e, a, path, notes)
        if key in _KEY_CLASSES and self._keyed_value(_KEY_CLASSES[key], e, a):
            return True
        if isinstance(e, str):
            if not isinstance(a, str):
                return _fail(notes, path, f"recorded a string, the output has {_kind(a)} {json.dumps(a)}")
            return self._match_string(e, a, path, notes)
        if _same_scalar(e, a):
            return True
        return _fail(notes, path, f"{json.dumps(e)} became {json.dumps(a)}")

    def trial(self, e: JsonValue, a: JsonValue, key: str | None = None) -> bool:
        """match() without notes, its bindings undone when it fails."""
        mark = self.binder.mark()
        if self.match(e, a, "$", None, key):
            return True
        self.binder.rollback(mark)
        return False

    def _keyed_value(self, class_name: str, e: JsonValue, a: JsonValue) -> bool:
        """`"Pid": 4242`, `"HostPort": "32768"`: the value is volatile because of its key."""
        cls = BY_NAME[class_name]
        if class_name not in self.syntax.classes or type(e) is not type(a) or isinstance(e, bool):
            return False
        recorded, real = str(e), str(a)
        if not (re.fullmatch(cls.value_re, recorded) and cls.valid(recorded) and cls.accepts_actual(real)):
            return False
        return self.binder.bind_slot(Slot(cls, recorded), real) is None

    # -- strings ---------------------------------------------------------------------------

    def _match_string(self, e: str, a: str, path: str, notes: Notes) -> bool:
        pattern = self.syntax.pattern(e)
        pairs = pattern.match(a)
        if pairs is None:
            if notes is not None:  # reporting: keep what a changed value still tells
                bind_slots(self.binder, same_shape_pairs(pattern, self.syntax.tokens(a)) or [], keep_going=True)
            return _fail(notes, path, describe_difference(e, a))
        problem = bind_slots(self.binder, pairs)
        return True if problem is None else _fail(notes, path, problem)

    def key_fits(self, e_key: str, a_key: str) -> bool:
        """Whether real key `a_key` can be recorded key `e_key` (bound if so)."""
        mark = self.binder.mark()
        if self._match_string(e_key, a_key, "", None):
            return True
        self.binder.rollback(mark)
        return False

    def is_pattern_key(self, key: str) -> bool:
        """A recorded key that is a volatile value (or has `[..]`): found by shape, not name."""
        pattern = self.syntax.pattern(key)
        return bool(pattern.slots) or pattern.has_wildcard

    def name_fits(self, x: Object, y: Object) -> bool:
        """Whether two elements of named lists are namesakes (bound if so)."""
        return isinstance(x["Name"], str) and isinstance(y["Name"], str) and self.key_fits(x["Name"], y["Name"])

    def candidates(self, e_key: str, a: Object, used: set[str]) -> list[str]:
        """Real keys not yet taken that have the shape of pattern key `e_key`."""
        pattern = self.syntax.pattern(e_key)
        return [k for k in a if k not in used and pattern.match(k) is not None]

    # -- objects ---------------------------------------------------------------------------

    def _match_dict(self, e: Object, a: Object, path: str, notes: Notes) -> bool:
        used: set[str] = set()
        keyed: list[tuple[str, JsonValue]] = []
        ok = True
        for k, v in e.items():
            if k == ELIDED:
                continue
            if self.is_pattern_key(k):
                keyed.append((k, v))
                continue
            used.add(k)
            if k not in a:
                ok = _fail(notes, path, f"key {k!r} is missing from the output")
            elif not self.match(v, a[k], child(path, k), notes, k):
                ok = False
            if not ok and notes is None:
                return False
        ok = self._match_keyed(keyed, a, used, path, notes) and ok
        if ELIDED not in e:
            extra = sorted(set(a) - used)
            if extra:
                ok = _fail(
                    notes, path, f"keys not recorded (and no `...` marks an omission): {', '.join(map(repr, extra))}"
                )
        return ok

    def _match_keyed(
        self, keyed: list[tuple[str, JsonValue]], a: Object, used: set[str], path: str, notes: Notes
    ) -> bool:
        """Entries whose recorded key is a volatile value: find each its real key."""
        if self._assign(keyed, 0, a, used, path):
            return True
        if notes is None:
            return False
        for k, v in keyed:  # report: pair each with its best guess and say what differs
            bound = [c for c in self.candidates(k, a, used) if self.key_fits(k, c)]
            if not bound:
                _fail(notes, path, f"no key in the output matches recorded key {k!r}")
                continue
            used.add(bound[0])
            self.match(v, a[bound[0]], child(path, k), notes)
        return False

    def _assign(self, keyed: list[tuple[str, JsonValue]], idx: int, a: Object, used: set[str], path: str) -> bool:
        if idx == len(keyed):
            return True
        k, v = keyed[idx]
        for cand in self.candidates(k, a, used):
            mark = self.binder.mark()
            if self.key_fits(k, cand) and self.match(v, a[cand], path, None):
                used.add(cand)
                if self._assign(keyed, idx + 1, a, used, path):
                    return True
                used.discard(cand)
            self.binder.rollback(mark)
        return False

    # -- lists -----------------------------------------------------------------------------

    def _match_list(self, e: list[JsonValue], a: list[JsonValue], path: str, notes: Notes) -> bool:
        elided = [x == ELIDED for x in e]
        if any(elided):
            return self._match_elided_list(e, a, elided, path, notes)
        if named_list(e) and named_list(a):
            return self._match_by_name(e, a, path, notes)
        if len(e) != len(a):
            _fail(notes, path, f"recorded {len(e)} elements, the output has {len(a)}")
            if notes is not None:
                for k, (x, y) in enumerate(zip(e, a, strict=False)):
                    self.match(x, y, child(path, k), notes)
            return False
        ok = True
        for k, (x, y) in enumerate(zip(e, a, strict=True)):
            if not self.match(x, y, child(path, k), notes):
                ok = False
                if notes is None:
                    return False
        return ok

    def _match_elided_list(
        self, e: list[JsonValue], a: list[JsonValue], elided: list[bool], path: str, notes: Notes
    ) -> bool:
        def try_pair(i: int, j: int) -> bool:
            return self.match(e[i], a[j], path, None)

        if exact_alignment(elided, len(a), try_pair, self.binder) is not None:
            return True
        return _fail(notes, path, "no element of the output matches the recorded elements in order")

    def _match_by_name(self, e: list[Object], a: list[Object], path: str, notes: Notes) -> bool:
        used: set[int] = set()
        ok = True
        for x in e:
            found = next((k for k, y in enumerate(a) if k not in used and self.name_fits(x, y)), None)
            if found is None:
                ok = _fail(notes, path, f"no element named {x['Name']!r} in the output")
            else:
                used.add(found)
                ok = self.match(x, a[found], child(path, found), notes) and ok
            if not ok and notes is None:
                return False
        if len(a) != len(e):
            extra = [y["Name"] for k, y in enumerate(a) if k not in used]
            ok = _fail(notes, path, f"elements not recorded: {extra}") and ok
        return ok
