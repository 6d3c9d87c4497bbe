"""The network identity shown by an `ip addr` listing: interfaces, MACs and addresses.

Why: host mode's lesson is "the container sees exactly the host's interfaces", but the host
prints `ip addr` with iproute2 and the container with busybox, whose formats differ (busybox
omits `state ... group default`). Comparing the facts both print (each interface's name,
link address and IP addresses) checks the lesson without pretending the texts are equal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_HEADER = re.compile(r"^\d+:\s+(?P<name>[^:@\s]+)(?:@\S+)?:\s")
_LINK = re.compile(r"^\s+link/\S+\s+(?P<mac>\S+)")
_ADDR = re.compile(r"^\s+(?P<family>inet6?)\s+(?P<addr>\S+)")


def interface_facts(lines: Sequence[str], only: str | None = None) -> list[str]:
    """One line per interface: `name link=MAC inet=... inet6=...`, in listing order.

    With `only`, just that interface (the stanza selector of a relation).
    """
    facts: list[str] = []
    current: list[str] | None = None
    for line in lines:
        header = _HEADER.match(line)
        if header:
            current = [header.group("name")]
            facts.append("")
            _store(facts, current)
            continue
        if current is None:
            continue
        link = _LINK.match(line)
        address = _ADDR.match(line)
        if link:
            current.append(f"link={link.group('mac')}")
        elif address:
            current.append(f"{address.group('family')}={address.group('addr')}")
        _store(facts, current)
    if only is not None:
        facts = [fact for fact in facts if fact.split(" ", 1)[0] == only]
    return facts


def _store(facts: list[str], current: list[str]) -> None:
    facts[-1] = " ".join(current)
