"""Who owns a sandbox: the record that lets the reaper tell a dead run from a live one.

A pid alone is not enough (pids are reused), so the record also keeps the process start time
(field 22 of /proc/<pid>/stat, in clock ticks since boot): a live process with the same pid but
another start time is someone else, and the sandbox is stale.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Owner:
    pid: int
    start_time: int
    netns: str
    created: float
    label: str = ""


def pid_start_time(pid: int) -> int | None:
    """Field 22 of /proc/<pid>/stat, or None when the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[22 - 3])


def pid_state(pid: int) -> str | None:
    """The one-letter state (field 3), or None when the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()[0]


def current_owner(netns: str, label: str) -> Owner:
    pid = os.getpid()
    start = pid_start_time(pid)
    assert start is not None
    return Owner(pid=pid, start_time=start, netns=netns, created=time.time(), label=label)


def write_owner(path: Path, owner: Owner) -> None:
    path.write_text(json.dumps(asdict(owner), indent=1) + "\n")


def read_owner(path: Path) -> Owner | None:
    """The record, or None when it is missing or unreadable (a broken root counts as stale)."""
    try:
        data = json.loads(path.read_text())
        return Owner(
            pid=int(data["pid"]),
            start_time=int(data["start_time"]),
            netns=str(data["netns"]),
            created=float(data["created"]),
            label=str(data.get("label", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def owner_alive(owner: Owner) -> bool:
    """True only if the very process that made the sandbox still runs (not a zombie)."""
    if pid_start_time(owner.pid) != owner.start_time:
        return False
    return pid_state(owner.pid) not in (None, "Z", "X")
