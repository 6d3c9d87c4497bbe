"""Complete removal of one sandbox, from whatever state it is in, given only its id.

Used by Sandbox.stop() (normal end of a page) and by the reaper (after a run was killed), so
both clean the same things the same way: the engine's containers, its daemons, pid 1 of its
namespaces (which ends every process left in them, and with the last one the mounts the
engine made inside), the network namespaces, the cgroup tree, the root folder. Every step tolerates the thing being already gone,
and a failing step is logged, never raised: teardown runs in `finally` paths and must not
hide the error that got us there.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Callable
from functools import partial
from pathlib import Path

from ...common import Log
from . import api, cgroups, layout, procs
from .mounts import mounts_under, umount, umount_all_under


def teardown(
    sid: str, log: Log, children: dict[str, subprocess.Popen[bytes]] | None = None, grace: float = 10.0
) -> list[str]:
    """Remove every trace of sandbox `sid`; returns the problems left (empty when clean).

    children: the daemons' Popen objects when the caller started them ("dockerd",
    "containerd"), so they are reaped; otherwise their pidfiles are used.
    """
    children = children or {}
    root = layout.root_dir(sid)
    netns = [ident for name in layout.netns_names(sid) if (ident := procs.ns_ident(layout.NETNS_DIR / name))]
    for sock in (layout.peer_socket_path(sid), layout.socket_path(sid)):
        _step(log, "empty the engine", partial(_empty_engine, sock, log))
    for daemon in layout.DAEMONS:  # each dockerd before its containerd: it still talks to it
        _step(log, f"stop {daemon}", partial(_stop_daemon, sid, daemon, children.get(daemon), grace, log))
    _step(log, "end the namespaces", lambda: _end_namespaces(sid, children, log))
    _step(log, "kill leftovers", lambda: _kill_leftovers(sid, netns, log))
    _step(log, "unmount", lambda: umount_all_under(root, log))
    _step(log, "delete netns", lambda: _delete_netns(sid, log))
    _step(log, "remove cgroups", lambda: cgroups.remove(sid, log))
    _step(log, "remove root", lambda: _remove_root(root, log))
    return _problems(sid)


def _step(log: Log, what: str, action: Callable[[], object]) -> None:
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - teardown must go on whatever broke
        log(f"warning: {what}: {type(exc).__name__}: {exc}")


def _empty_engine(sock: Path, log: Log) -> None:
    """rm -f every container through the API, if the daemon still answers."""
    if sock.exists() and api.ping(sock):
        api.remove_everything(sock, log)


def _daemon_pid(sid: str, daemon: str) -> int | None:
    """The pid in the pidfile, only if that process really is this sandbox's daemon."""
    try:
        pid = int(layout.pid_file(sid, daemon).read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if str(layout.root_dir(sid)) + "/" in procs.cmdline(pid) else None


def _stop_daemon(sid: str, daemon: str, child: subprocess.Popen[bytes] | None, grace: float, log: Log) -> None:
    """SIGTERM, wait up to `grace`, then SIGKILL. The signal goes to the daemon itself (its
    pidfile), not to the nsenter that forked it into the PID namespace (it forwards nothing);
    that nsenter, our child, ends with it and is reaped."""
    pid = _daemon_pid(sid, daemon)
    if pid is not None and procs.alive(pid):
        os.kill(pid, signal.SIGTERM)
        if procs.wait_gone({pid}, grace):
            log(f"warning: {daemon} {pid} ignored SIGTERM for {grace:g} s; killing it")
            os.kill(pid, signal.SIGKILL)
            procs.wait_gone({pid}, 5.0)
    _reap(child)


def _reap(child: subprocess.Popen[bytes] | None) -> None:
    """Wait for a child we started (it has nothing left to wait for), killing it if need be."""
    if child is None or child.poll() is not None:
        return
    try:
        child.wait(2.0)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(5.0)


def _end_namespaces(sid: str, children: dict[str, subprocess.Popen[bytes]], log: Log) -> None:
    """SIGKILL to pid 1 of each of the sandbox's PID namespaces (the LAN peer's, if it was
    started, and the page host's): the kernel then kills every process left in it (the
    page's, containers' too) and no new one can start there, so even a fork bomb ends here.
    Its mount namespace, with every mount its engine made, goes with them."""
    for init in layout.INITS:
        pid = _daemon_pid(sid, init)
        if pid is not None and procs.alive(pid):
            os.kill(pid, signal.SIGKILL)
            if procs.wait_gone({pid}, 5.0):
                log(f"warning: pid 1 of sandbox {sid} ({init}, {pid}) survived SIGKILL")
        _reap(children.get(init))


def _kill_leftovers(sid: str, netns: list[tuple[int, int]], log: Log) -> None:
    """containerd, shims, docker-proxy, container processes: anything still tied to the sandbox,
    in either namespace (the LAN peer's processes run in the -lan one)."""
    tags = tuple(layout.netns_names(sid))  # containerd namespaces of both engines (shims name theirs)
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
