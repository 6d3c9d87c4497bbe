"""Complete removal of one sandbox, from whatever state it is in, given only its id.

Used by Sandbox.stop() (normal end of a page) and by the reaper (after a run was killed), so
both clean the same things the same way. Every step tolerates the thing being already gone,
and a failing step is logged, never raised: teardown runs in `finally` paths and must not
hide the error that got us there.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Callable

from . import api, layout, procs
from .mounts import mounts_under, umount, umount_all_under

Log = Callable[[str], None]


def teardown(sid: str, log: Log, children: dict[str, subprocess.Popen] | None = None,
             grace: float = 10.0) -> list[str]:
    """Remove every trace of sandbox `sid`; returns the problems left (empty when clean).

    children: the daemons' Popen objects when the caller started them ("dockerd",
    "containerd"), so they are reaped; otherwise their pidfiles are used.
    """
    children = children or {}
    root = layout.root_dir(sid)
    netns = [ident for name in layout.netns_names(sid) if (ident := procs.ns_ident(layout.NETNS_DIR / name))]
    _step(log, "empty the engine", lambda: _empty_engine(sid, log))
    for daemon in ("dockerd", "containerd"):  # dockerd first: it still talks to containerd
        _step(log, f"stop {daemon}", lambda d=daemon: _stop_daemon(sid, d, children.get(d), grace, log))
    _step(log, "kill leftovers", lambda: _kill_leftovers(sid, netns, log))
    _step(log, "unmount", lambda: umount_all_under(root, log))
    _step(log, "delete netns", lambda: _delete_netns(sid, log))
    _step(log, "remove cgroups", lambda: _remove_cgroups(sid, log))
    _step(log, "remove root", lambda: _remove_root(root, log))
    return _problems(sid)


def _step(log: Log, what: str, action: Callable[[], None]) -> None:
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - teardown must go on whatever broke
        log(f"warning: {what}: {type(exc).__name__}: {exc}")


def _empty_engine(sid: str, log: Log) -> None:
    """rm -f every container through the API, if the daemon still answers."""
    sock = layout.socket_path(sid)
    if sock.exists() and api.ping(sock):
        api.remove_everything(sock, log)


def _daemon_pid(sid: str, daemon: str) -> int | None:
    """The pid in the pidfile, only if that process really is this sandbox's daemon."""
    try:
        pid = int(layout.pid_file(sid, daemon).read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if str(layout.root_dir(sid)) + "/" in procs.cmdline(pid) else None


def _stop_daemon(sid: str, daemon: str, child: subprocess.Popen | None, grace: float, log: Log) -> None:
    """SIGTERM, wait up to `grace`, then SIGKILL."""
    if child is not None and child.poll() is not None:
        return
    pid = child.pid if child is not None else _daemon_pid(sid, daemon)
    if pid is None or (child is None and not procs.alive(pid)):
        return
    os.kill(pid, signal.SIGTERM)
    if _wait(pid, child, grace):
        return
    log(f"warning: {daemon} {pid} ignored SIGTERM for {grace:g} s; killing it")
    os.kill(pid, signal.SIGKILL)
    _wait(pid, child, 5.0)


def _wait(pid: int, child: subprocess.Popen | None, timeout: float) -> bool:
    """True once the process has exited (reaped, if it is our child)."""
    if child is None:
        return not procs.wait_gone({pid}, timeout)
    try:
        child.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


def _kill_leftovers(sid: str, netns: list[tuple[int, int]], log: Log) -> None:
    """containerd, shims, docker-proxy, container processes: anything still tied to the sandbox
    (nothing of ours runs in the -lan namespace, but a process there would keep it alive)."""
    tags = (layout.netns_name(sid),)
    pids = procs.sandbox_pids(layout.root_dir(sid), netns, layout.cgroup_dirs(sid), tags)
    if not pids:
        return
    log(f"killing {len(pids)} leftover process(es): " + ", ".join(_describe(p) for p in sorted(pids)))
    survivors = procs.kill_hard(pids)
    if survivors:
        log(f"warning: still alive after SIGKILL: {sorted(survivors)}")


def _describe(pid: int) -> str:
    words = procs.cmdline(pid).split()
    return f"{pid} {os.path.basename(words[0]) if words else '?'}"


def _delete_netns(sid: str, log: Log) -> None:
    """Both namespaces: the page's, then the one with the far end of its network card
    (deleting either destroys the veth pair)."""
    for name in layout.netns_names(sid):
        path = layout.NETNS_DIR / name
        if not path.exists():
            continue
        done = subprocess.run(["ip", "netns", "del", name], capture_output=True, text=True)
        if done.returncode != 0 and path.exists():
            log(f"warning: ip netns del {name}: {done.stderr.strip()}; unmounting by hand")
            umount(str(path))
            path.unlink(missing_ok=True)


def _remove_cgroups(sid: str, log: Log) -> None:
    """rmdir, children first: cgroupfs only allows rmdir of empty groups."""
    for top in layout.cgroup_dirs(sid):
        for dirpath, _dirs, _files in os.walk(top, topdown=False):
            try:
                os.rmdir(dirpath)
            except OSError as exc:
                log(f"warning: rmdir {dirpath}: {exc.strerror}")


def _remove_root(root: Path, log: Log) -> None:
    """rm -rf, but never while something is mounted below (it would delete into that mount)."""
    if not root.exists():
        return
    mounts_left = mounts_under(root)
    if mounts_left:
        log(f"warning: keeping {root}: still mounted: {', '.join(mounts_left)}")
        return
    shutil.rmtree(root, onerror=lambda _f, path, exc: log(f"warning: rm {path}: {exc[1]}"))


def _problems(sid: str) -> list[str]:
    """What is still there after teardown, for the caller's log and for tests."""
    problems = []
    if layout.root_dir(sid).exists():
        problems.append(f"root {layout.root_dir(sid)} remains")
    problems += [f"netns {name} remains" for name in layout.netns_names(sid) if (layout.NETNS_DIR / name).exists()]
    if layout.cgroup_dirs(sid):
        problems.append(f"cgroup {layout.netns_name(sid)} remains")
    problems += [f"mount {point} remains" for point in mounts_under(layout.root_dir(sid))]
    return problems
