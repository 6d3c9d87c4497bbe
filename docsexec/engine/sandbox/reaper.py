"""Cleaning up after runs that died without stopping their sandboxes (SIGKILL, OOM, CI timeout).

A sandbox is stale when the process recorded in its owner.json is gone, or its pid now belongs
to a process with another start time. A sandbox whose owner is alive belongs to another live
run and is never touched. Traces without any owner record (a netns or cgroup whose root folder
is gone, a root without owner.json) can only come from an interrupted teardown, so they are
stale too: a root is created complete with its owner.json (atomic rename) before its two
namespaces (the page's, and `-lan` with the far end of its network card: see nic.py).
"""

from __future__ import annotations

import fcntl
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ...common import Log
from ..installed import find_engine
from . import layout
from .owner import owner_alive, read_owner
from .teardown import teardown

STAGING_PREFIX = ".new-"
STAGING_MAX_AGE = 120.0  # seconds; a start takes a few ms to fill its staging folder


@contextmanager
def reap_lock() -> Iterator[None]:
    """Serializes reapers and stops, so two runs never tear down the same sandbox at once."""
    layout.RUN_DIR.mkdir(parents=True, exist_ok=True)
    with open(layout.RUN_DIR / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_stale(sid: str) -> bool:
    owner = read_owner(layout.owner_file(sid))
    return owner is None or not owner_alive(owner)


def reap_stale(log: Log = print) -> list[str]:
    """Tear down every sandbox whose owner is dead; returns their ids."""
    reaped = []
    with reap_lock():
        _remove_old_staging(log)
        for sid in sorted(layout.known_ids()):
            if not is_stale(sid):
                continue
            log(f"reaping stale sandbox {sid}{_describe_owner(sid)}")
            for problem in teardown(sid, log, grace=5.0):
                log(f"warning: {sid}: {problem}")
            reaped.append(sid)
    return reaped


def _describe_owner(sid: str) -> str:
    owner = read_owner(layout.owner_file(sid))
    if owner is None:
        return " (no owner record)"
    return f" (label {owner.label or '-'}, owner pid {owner.pid} gone)"


def _remove_old_staging(log: Log) -> None:
    """Staging folders of starts that died before the rename; young ones may be in use."""
    if not layout.RUN_DIR.is_dir():
        return
    for path in layout.RUN_DIR.glob(STAGING_PREFIX + "*"):
        if time.time() - path.stat().st_mtime > STAGING_MAX_AGE:
            shutil.rmtree(path, ignore_errors=True)
            log(f"removed abandoned {path}")


def live_sandboxes() -> list[dict[str, Any]]:
    """Every sandbox on the machine, with its owner and whether that owner still runs."""
    rows = []
    for sid in sorted(layout.known_ids()):
        owner = read_owner(layout.owner_file(sid))
        rows.append(
            {
                "id": sid,
                "label": owner.label if owner else "",
                "owner_pid": owner.pid if owner else None,
                "owner_alive": bool(owner and owner_alive(owner)),
                "created": owner.created if owner else None,
                "netns": layout.netns_name(sid) if layout.netns_path(sid).exists() else None,
                "lan_netns": layout.lan_netns_name(sid) if layout.lan_netns_path(sid).exists() else None,
                "root": str(layout.root_dir(sid)) if layout.root_dir(sid).exists() else None,
                "lan_peer": str(layout.peer_root(sid)) if layout.peer_root(sid).exists() else None,
                "docker_host": layout.docker_host(sid),
            }
        )
    return rows


def engine_status() -> dict[str, Any]:
    """For `docsexec engine status`: the install that would be used, and all sandboxes."""
    from ..installed import cache_dir

    found = find_engine()
    return {
        "installed": found is not None,
        "source": found.source if found else None,
        "version": found.version if found else None,
        "dockerd": str(found.dockerd) if found else None,
        "bin_dirs": [str(d) for d in found.bin_dirs] if found else [],
        "cache": str(cache_dir()),
        "engines": _engines(),
        "sandboxes": live_sandboxes(),
    }


def _engines() -> list[dict[str, Any]]:
    """Every engine source docsexec knows, installed or not: its server's exact version and
    the page client's (its own, or forky's) that pages on it are typed into."""
    from ..installed import CHOICES, client_version

    rows = []
    for source in CHOICES:
        found = find_engine(source)
        rows.append(
            {
                "source": source,
                "installed": found is not None,
                "version": found.version if found else None,
                "dockerd": str(found.dockerd) if found else None,
                "client": str(found.client_dir / "docker") if found and found.client_dir else None,
                "client_version": client_version(found) if found else None,
            }
        )
    return rows
