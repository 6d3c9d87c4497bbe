"""The sandbox's control groups: where its limits are set, its processes live, Docker puts containers.

One tree per sandbox, `/docsexec-<id>`, in every mounted hierarchy (cgroup v1: one per
controller, as on the project's machines; v2: the one unified tree, as on GitHub's runners):

    /docsexec-<id>          the limits (memory, tasks; v1 also: no block devices)
    /docsexec-<id>/page     the namespace init, the page's shell and the engine's daemons
    /docsexec-<id>/box      Docker's --cgroup-parent: one child per container

Why this shape: inside the sandbox only `box` is writable (mounts.py of the namespace setup
binds it read-write over a read-only cgroupfs), so a page can create container cgroups but
can never raise its own limits, move itself out of them or touch the machine's groups; and
on v2, processes sit in a leaf (`page`), never beside child groups (the "no internal
processes" rule). Limits on `/docsexec-<id>` count everything below it, containers too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import layout
from .limits import Limit, Limits
from .mounts import mount_table

PAGE = "page"  # the processes' leaf
BOX = "box"  # Docker's parent for containers
_LIMITED_V1 = ("memory", "pids", "devices")
_V1_CONTROLLERS = frozenset(
    {
        "blkio",
        "cpu",
        "cpuacct",
        "cpuset",
        "devices",
        "freezer",
        "hugetlb",
        "memory",
        "misc",
        "net_cls",
        "net_prio",
        "perf_event",
        "pids",
        "rdma",
    }
)


@dataclass(frozen=True)
class Hierarchy:
    path: Path
    v2: bool
    controllers: frozenset[str]  # v1: the mount's (e.g. {"cpu", "cpuacct"}); v2: the root's cgroup.controllers


def hierarchies() -> list[Hierarchy]:
    """Every cgroup hierarchy mounted under /sys/fs/cgroup."""
    found = []
    for point, fstype, options in mount_table():
        if fstype not in ("cgroup", "cgroup2") or not point.startswith(str(layout.CGROUP_DIR)):
            continue
        if fstype == "cgroup":
            controllers = frozenset(o for o in options.split(",") if o in _V1_CONTROLLERS)
        else:  # a v2 tree beside v1 ones ("hybrid", /sys/fs/cgroup/unified) has none
            controllers = frozenset(_read(Path(point) / "cgroup.controllers").split())
        found.append(Hierarchy(Path(point), fstype == "cgroup2", controllers))
    return found


def _top(h: Hierarchy, sid: str) -> Path:
    return h.path / (layout.PREFIX + sid)


def _limited(h: Hierarchy) -> bool:
    """Hierarchies whose page group holds the processes: those with a controller we limit with
    (v2 only when it has the controllers, i.e. not a hybrid system's empty v2 tree)."""
    if h.v2:
        return {"memory", "pids"} <= h.controllers
    return bool(h.controllers & set(_LIMITED_V1))


def create(sid: str, limits: Limits) -> None:
    """Make the tree in every hierarchy and set the limits; raises OSError if one cannot be set."""
    for h in hierarchies():
        top = _top(h, sid)
        top.mkdir(exist_ok=True)
        if h.v2 and _limited(h):
            _set_up_v2(top, limits)
        elif not h.v2:
            if "cpuset" in h.controllers:
                _copy_cpuset(h.path, top)
            _set_up_v1(h, top, limits)
        for child in (PAGE, BOX) if _limited(h) else (BOX,):
            (top / child).mkdir(exist_ok=True)
            if "cpuset" in h.controllers:
                _copy_cpuset(top, top / child)


def _set_up_v1(h: Hierarchy, top: Path, limits: Limits) -> None:
    if "memory" in h.controllers:
        (top / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
    if "pids" in h.controllers:
        (top / "pids.max").write_text(str(limits.tasks))
    if "devices" in h.controllers:
        # Read-only mounts do not stop writes to a disk's device node: no block device at all.
        (top / "devices.deny").write_text("b *:* rw")  # mknod stays allowed: Docker grants it


def _set_up_v2(top: Path, limits: Limits) -> None:
    """Limits on the top group; every controller it has passed on to `page` and `box`."""
    _enable(top.parent, {"memory", "pids"})
    (top / "memory.max").write_text(str(limits.memory_bytes))
    if (top / "memory.swap.max").exists():
        (top / "memory.swap.max").write_text("0")
    (top / "pids.max").write_text(str(limits.tasks))
    _enable(top, set((top / "cgroup.controllers").read_text().split()))


def _enable(group: Path, controllers: set[str]) -> None:
    """Add controllers to a v2 group's subtree_control (the root's usually has them already)."""
    missing = controllers - set((group / "cgroup.subtree_control").read_text().split())
    if missing:
        (group / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in sorted(missing)))


def _copy_cpuset(parent: Path, child: Path) -> None:
    """A new v1 cpuset group starts with no CPUs and no memory nodes: give it its parent's."""
    for name in ("cpuset.cpus", "cpuset.mems"):
        if not (child / name).read_text().strip():
            (child / name).write_text((parent / name).read_text().strip())


def procs_files(sid: str) -> list[Path]:
    """The cgroup.procs files a process writes its pid to, to join the sandbox's groups."""
    return [_top(h, sid) / PAGE / "cgroup.procs" for h in hierarchies() if _limited(h)]


def writable_dirs(sid: str) -> list[Path]:
    """The groups the sandbox may write to from inside: `box` in every hierarchy."""
    return [_top(h, sid) / BOX for h in hierarchies()]


def hits(sid: str, limits: Limits) -> list[Limit]:
    """The limits the page reached, from the kernel's own counters (read before teardown).

    A container's own `--memory` or `--pids-limit` (a lesson may show one) counts in that
    container's group, not here: only the sandbox-wide limit counts."""
    found = []
    for h in hierarchies():
        top = _top(h, sid)
        if "memory" in h.controllers and _memory_hit(top, h.v2):
            found.append(Limit.MEMORY)
        if "pids" in h.controllers and _tasks_hit(top, h.v2, limits.tasks):
            found.append(Limit.TASKS)
    return sorted(set(found), key=lambda limit: list(Limit).index(limit))


def _memory_hit(top: Path, v2: bool) -> bool:
    """The top group's own limit was reached and the kernel killed a process for it."""
    if v2:
        local = top / "memory.events.local"
        if local.exists():
            return _field(local, "oom") > 0
        return _field(top / "memory.events", "max") > 0 and _field(top / "memory.events", "oom_kill") > 0
    if _int(top / "memory.failcnt", 0) == 0:  # cheap first: the watchdog asks 4 times a second
        return False
    return sum(_field(f, "oom_kill") for f in top.rglob("memory.oom_control")) > 0


def _tasks_hit(top: Path, v2: bool, tasks: int) -> bool:
    """The group's peak reached its limit (pids.peak, newer kernels); without that file, on v2,
    the group's own events (on v1 they count in the forking task's group, a container's too)."""
    if (top / "pids.peak").exists():
        return _int(top / "pids.peak", 0) >= tasks
    local = top / "pids.events.local"
    return v2 and _field(local if local.exists() else top / "pids.events", "max") > 0


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _int(path: Path, default: int) -> int:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return default


def _field(path: Path, key: str) -> int:
    """`key N` from a flat-keyed cgroup file (memory.events, pids.events, memory.oom_control)."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return 0
    for line in lines:
        name, _, value = line.partition(" ")
        if name == key and value.strip().isdigit():
            return int(value)
    return 0


def remove(sid: str, log: Callable[[str], None], wait: float = 3.0) -> None:
    """rmdir every group of the sandbox, children first; retries while the kernel still
    counts tasks that have just exited (a few ms after SIGKILL)."""
    deadline = time.monotonic() + wait
    while True:
        left = []
        for top in layout.cgroup_dirs(sid):
            for dirpath in [
                *sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True),
                top,
            ]:
                try:
                    dirpath.rmdir()
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    left.append(f"rmdir {dirpath}: {exc.strerror}")
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    for problem in left:
        log(f"warning: {problem}")
