"""The `ip addr` / `ip link` listing as a model: stanza headers, stanzas, interface facts.

Three parts of the comparator read these listings, and they must agree on what a header is:

* volatile classes: the interface index that starts a header (`17: eth0@if18: <...>`) is a
  run-dependent value (the `ifindex` class);
* stanza selection: `data-same-as="target:eth0"` compares only the eth0 stanza of two
  outputs, because a container sharing another's network stack (`--network container:X`)
  shares its interfaces, not the whole text around them;
* interface facts: `data-same-interfaces-as` compares what iproute2 (on the host) and busybox
  (in a container) both print, each interface's name, link address and IP addresses, since
  their formats differ (busybox omits `state ... group default`).

So the header is parsed here, once: `INDEX: NAME[@PEER]` followed by `:` (a stanza's first
line) or by white space (`ip -o`, one line per address: `25: eth0    inet ...`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_NAME = r"[\w.-]+"


def header_regex(index_group: str = "index") -> re.Pattern[str]:
    """The header grammar, with the interface index captured under `index_group`."""
    return re.compile(rf"^(?P<{index_group}>\d+): (?P<name>{_NAME})(?:@(?P<peer>{_NAME}))?(?P<colon>:|(?=\s))")


_HEADER = header_regex()
_LINK = re.compile(r"^\s+link/\S+\s+(?P<mac>\S+)")
_ADDR = re.compile(r"^\s+(?P<family>inet6?)\s+(?P<addr>\S+)")


@dataclass(frozen=True)
class Header:
    """The line that starts an interface's stanza (or an `ip -o` record)."""

    index: str
    name: str
    peer: str | None  # after `@`: `if18` for a veth's peer index, `NONE`, a parent device
    one_line: bool  # `ip -o`: the record goes on after the name, on the same line


def parse_header(line: str) -> Header | None:
    """The header `line` is, or None when it is not one."""
    found = _HEADER.match(line)
    if found is None:
        return None
    return Header(found["index"], found["name"], found["peer"], found["colon"] != ":")


def _is_unindented(line: str) -> bool:
    return bool(line) and not line[0].isspace()


def _mentions(name: str) -> re.Pattern[str]:
    # Whole word: `eth0` must not match `veth0`, `eth0.50` or `eth01`.
    return re.compile(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])")


def _find_stanza_start(lines: Sequence[str], name: str) -> int | None:
    """Prefer the line that names the interface itself over one merely mentioning it
    (`master docker0` in a veth stanza must not be taken for docker0's own stanza)."""
    for i, line in enumerate(lines):
        header = parse_header(line)
        if header is not None and header.name == name:
            return i
    word = _mentions(name)
    for i, line in enumerate(lines):
        if _is_unindented(line) and word.search(line):
            return i
    return None


def select_stanza(lines: Sequence[str], name: str) -> list[str]:
    """The unindented line naming `name` plus the indented lines under it; [] if absent."""
    start = _find_stanza_start(lines, name)
    if start is None:
        return []
    end = start + 1
    while end < len(lines) and lines[end] and lines[end][0].isspace():
        end += 1
    return list(lines[start:end])


def interface_facts(lines: Sequence[str], only: str | None = None) -> list[str]:
    """One line per interface: `name link=MAC inet=... inet6=...`, in listing order.

    Lines before the first stanza header are ignored; `ip -o` records are not stanzas.
    With `only`, just that interface (the stanza selector of a relation).
    """
    facts: list[list[str]] = []
    for line in lines:
        header = parse_header(line)
        if header is not None and not header.one_line:
            facts.append([header.name])
        elif facts:
            facts[-1].extend(_line_facts(line))
    return [" ".join(fact) for fact in facts if only is None or fact[0] == only]


def _line_facts(line: str) -> list[str]:
    """What one line under a header says: its link address or one IP address, if either."""
    link = _LINK.match(line)
    if link:
        return [f"link={link['mac']}"]
    address = _ADDR.match(line)
    if address:
        return [f"{address['family']}={address['addr']}"]
    return []
