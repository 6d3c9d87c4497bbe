"""Stanza selection: one interface's block out of `ip addr` / `ip link` output.

`data-same-as="target:eth0"` compares only the eth0 stanza of two outputs, because a
container sharing another's network stack (`--network container:X`) shares its interfaces,
not the whole text around them.
"""

from __future__ import annotations

import re
from typing import Sequence


def _is_header(line: str) -> bool:
    return bool(line) and not line[0].isspace()


def _word(name: str) -> re.Pattern[str]:
    # Whole word: `eth0` must not match `veth0`, `eth0.50` or `eth01`.
    return re.compile(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])")


def _interface_header(name: str) -> re.Pattern[str]:
    # `17: eth0@if18: <...>` or `25: eth0    inet ...` (ip -o): the interface *is* `name`.
    return re.compile(rf"^\d+: {re.escape(name)}(?:@[\w.-]+)?(?::|\s)")


def _find_header(lines: Sequence[str], name: str) -> int | None:
    """Prefer the line that names the interface itself over one merely mentioning it
    (`master docker0` in a veth stanza must not be taken for docker0's own stanza)."""
    exact = _interface_header(name)
    word = _word(name)
    for i, line in enumerate(lines):
        if _is_header(line) and exact.match(line):
            return i
    for i, line in enumerate(lines):
        if _is_header(line) and word.search(line):
            return i
    return None


def select_stanza(lines: Sequence[str], name: str) -> list[str]:
    """The unindented line naming `name` plus the indented lines under it; [] if absent."""
    start = _find_header(lines, name)
    if start is None:
        return []
    end = start + 1
    while end < len(lines) and lines[end] and lines[end][0].isspace():
        end += 1
    return list(lines[start:end])
