"""Finding and ending the processes that belong to one sandbox, by evidence in /proc only.

A process belongs to a sandbox if it runs in one of the sandbox's network namespaces (dockerd,
containerd, shims, docker-proxy, --net=host containers), names the sandbox root on its
command line (containerd and shims after the namespace is gone, pid 1 of its namespaces), or
sits in the sandbox's cgroups (every process of the page and the engine, containers too). Nothing is matched by process name,
so another run's engine, or the user's own, is never touched.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path


def all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def ns_ident(path: str | Path) -> tuple[int, int] | None:
    """(device, inode) of a namespace file: equal pairs mean the same namespace."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def protected_pids() -> set[int]:
    """Ourselves and our ancestors: never killed, even if they entered the namespace."""
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        pid = _ppid(pid)
    return pids | {1}


def _stat_field(pid: int, index: int) -> int:
    """Field `index` after the command name of /proc/PID/stat (1: parent, 3: session); 0 if
    the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat[stat.rindex(")") + 2 :].split()[index])


def _ppid(pid: int) -> int:
    return _stat_field(pid, 1)


def session_pids(session: int) -> set[int]:
    """The processes whose session id is `session` (a shell on a pseudo-terminal leads one)."""
    return {pid for pid in all_pids() if _stat_field(pid, 3) == session}


def children(pid: int) -> list[int]:
    """The pids whose parent is pid (from /proc/<pid>/task/*/children when the kernel has it)."""
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(x) for x in (task / "children").read_text().split()]
        return found
    except OSError:
        return [p for p in all_pids() if _ppid(p) == pid]


def cgroup_pids(dirs: list[Path]) -> set[int]:
    """Every pid in the given cgroups and their children cgroups."""
    pids: set[int] = set()
    for top in dirs:
        for procs in top.rglob("cgroup.procs"):
            try:
                pids.update(int(x) for x in procs.read_text().split())
            except (OSError, ValueError):
                continue
    return pids


def sandbox_pids(root: Path, netns: list[tuple[int, int]], cgroups: list[Path], tags: tuple[str, ...]) -> set[int]:
    """The pids that belong to a sandbox (see module doc), minus protected ones. netns: the
    (device, inode) of each of the sandbox's namespaces that still exists."""
    marker = str(root) + "/"
    found = cgroup_pids(cgroups)
    for pid in all_pids():
        if netns and ns_ident(f"/proc/{pid}/ns/net") in netns:
            found.add(pid)
            continue
        line = cmdline(pid)
        if marker in line or any(tag in line.split() for tag in tags):
            found.add(pid)
    return found - protected_pids()


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].split()[0] not in ("Z", "X")


def signal_all(pids: set[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, sig)


def wait_gone(pids: set[int], timeout: float) -> set[int]:
    """Wait until none of the pids is alive; return the ones still alive at the deadline."""
    deadline = time.monotonic() + timeout
    left = {p for p in pids if alive(p)}
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = {p for p in left if alive(p)}
    return left


def kill_hard(pids: set[int], timeout: float = 5.0) -> set[int]:
    """SIGKILL and wait; returns what survived (should be nothing)."""
    signal_all(pids, signal.SIGKILL)
    return wait_gone(pids, timeout)
