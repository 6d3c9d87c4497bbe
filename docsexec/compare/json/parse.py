"""Reading JSON outputs: whole documents, and one document per line (JSON Lines).

The recorded document may contain `...` elision lines, which are turned into markers so the
rest still parses; repeated keys are refused (Docker never prints them, and `json` would
silently keep the last one), so such a document is compared as text, where the repeat shows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..elision import is_elision

JsonValue = Any  # what json.loads returns: dict, list, str, int, float, bool or None

ELIDED = "\u2026docsexec-elision\u2026"


@dataclass(frozen=True)
class Document:
    """A parsed JSON output (an object or a list at the top)."""

    value: JsonValue
    elided: bool = False  # the recording had `...` lines, now ELIDED markers in `value`


def looks_like_json(lines: Sequence[str]) -> bool:
    text = "\n".join(lines).lstrip()
    return text[:1] in ("{", "[")


def _open_bracket(text: str) -> str | None:
    """The innermost unclosed `{` or `[` at the end of `text` (strings skipped)."""
    stack: list[str] = []
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append(ch)
        elif ch in "}]" and stack:
            stack.pop()
    return stack[-1] if stack else None


def _elision_entry(before: str, after: str) -> str | None:
    """JSON text standing for a `...` line between `before` and `after`."""
    context = _open_bracket(before)
    if context is None:
        return None
    entry = json.dumps(ELIDED) + (": null" if context == "{" else "")
    prev = before.rstrip()[-1:]
    nxt = after.lstrip()[:1]
    lead = "" if prev in ("[", "{", ",") else ","
    trail = "" if nxt in ("]", "}", ",", "") else ","
    return lead + entry + trail


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, JsonValue]]) -> dict[str, JsonValue]:
    """JSON allows repeated keys (the last wins); Docker never prints them, so a document
    with one is compared as text, where the repeat shows."""
    keys = [k for k, _ in pairs if k != ELIDED]
    if len(set(keys)) != len(keys):
        raise _DuplicateKey("repeated key")
    return dict(pairs)


def _loads(text: str) -> Document | None:
    try:
        return Document(json.loads(text, object_pairs_hook=_no_duplicates))
    except ValueError:
        return None


def parse_recorded(lines: Sequence[str], elisions: bool = True) -> Document | None:
    """The recorded JSON with `...` lines turned into ELIDED markers; None if not JSON."""
    if not looks_like_json(lines):
        return None
    out: list[str] = []
    had = False
    for k, line in enumerate(lines):
        if elisions and is_elision(line):
            entry = _elision_entry("\n".join(out), "\n".join(lines[k + 1 :]))
            if entry is None:
                return None
            out.append(entry)
            had = True
        else:
            out.append(line)
    document = _loads("\n".join(out))
    return Document(document.value, had) if document is not None else None


def parse_real(lines: Sequence[str]) -> Document | None:
    """The real output as one JSON document, or None when it is not one."""
    return _loads("\n".join(lines)) if looks_like_json(lines) else None


def parse_line(line: str) -> Document | None:
    """One line of JSON Lines (`--format '{{json .}}'`): an object or a list on one line."""
    return _loads(line) if line[:1] in ("[", "{") else None


def named_list(items: list[JsonValue]) -> bool:
    """A list whose elements are all objects with a distinct `"Name"`: order is not meaning."""
    if not items or not all(isinstance(x, dict) and "Name" in x for x in items):
        return False
    names = [json.dumps(x["Name"]) for x in items]
    return len(set(names)) == len(names)
