"""Where a sandbox lives, derived from its short id alone.

Every name a sandbox leaves on the machine (its folder, network namespace, cgroup) is a pure
function of the id, so that a teardown needs nothing but the id: the reaper can clean up after
a run that was SIGKILLed without any state besides what is on disk.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

RUN_DIR = Path(os.environ.get("DOCSEXEC_RUN_DIR", "/run/docsexec"))
NETNS_DIR = Path("/var/run/netns")
CGROUP_DIR = Path("/sys/fs/cgroup")
PREFIX = "docsexec-"
ID_RE = re.compile(r"^[0-9a-f]{8}$")
LAN_SUFFIX = "-lan"


def root_dir(sid: str) -> Path:
    """The sandbox root: data, exec state, socket, log and owner.json all live below it."""
    return RUN_DIR / sid


def netns_name(sid: str) -> str:
    return PREFIX + sid


def netns_path(sid: str) -> Path:
    return NETNS_DIR / netns_name(sid)


def lan_netns_name(sid: str) -> str:
    """The second namespace, holding the far end of the simulated network card (see nic.py)."""
    return PREFIX + sid + LAN_SUFFIX


def lan_netns_path(sid: str) -> Path:
    return NETNS_DIR / lan_netns_name(sid)


def netns_names(sid: str) -> list[str]:
    """Every namespace of the sandbox, the page's first."""
    return [netns_name(sid), lan_netns_name(sid)]


def cgroup_parent(sid: str) -> str:
    """Docker's --cgroup-parent: absolute, so container cgroups sit at a known place whatever
    our own cgroup is, and in `box`, the one group the sandbox may write to (cgroups.py)."""
    return "/" + PREFIX + sid + "/box"


def cgroup_dirs(sid: str) -> list[Path]:
    """The sandbox's cgroup tree in every mounted hierarchy (v1: one per controller; v2: one);
    its `page` and `box` children (cgroups.py) are removed with it."""
    name = PREFIX + sid
    found = [p for p in CGROUP_DIR.glob(f"*/{name}") if p.is_dir()]
    direct = CGROUP_DIR / name
    if direct.is_dir():
        found.append(direct)
    return found


def socket_path(sid: str) -> Path:
    return root_dir(sid) / "docker.sock"


def docker_host(sid: str) -> str:
    return f"unix://{socket_path(sid)}"


def owner_file(sid: str) -> Path:
    return root_dir(sid) / "owner.json"


def pid_file(sid: str, daemon: str = "dockerd") -> Path:
    """dockerd writes its own (--pidfile); the sandbox writes containerd's."""
    return root_dir(sid) / f"{daemon}.pid"


def containerd_socket(sid: str) -> Path:
    return root_dir(sid) / "exec" / "containerd.sock"


def log_file(sid: str) -> Path:
    return root_dir(sid) / "dockerd.log"


# The LAN peer (peer.py): a second host on the simulated LAN, started only for a page that
# runs a block there. Its own folder inside the root, so whatever removes the root removes it.
PEER_DIR = "lan-peer"
PEER_HOSTNAME = "lan-peer"


def peer_root(sid: str) -> Path:
    """The LAN peer's own folder: its page folder, client settings and (if any) engine."""
    return root_dir(sid) / PEER_DIR


def peer_socket_path(sid: str) -> Path:
    return peer_root(sid) / "docker.sock"


def peer_docker_host(sid: str) -> str:
    return f"unix://{peer_socket_path(sid)}"


def peer_containerd_socket(sid: str) -> Path:
    return peer_root(sid) / "exec" / "containerd.sock"


def peer_cgroup_parent(sid: str) -> str:
    """The peer engine's containers: below `box`, the one group the sandbox may write to."""
    return cgroup_parent(sid) + "/" + PEER_DIR


def peer_log_file(sid: str) -> Path:
    return peer_root(sid) / "dockerd.log"


# Processes with a pidfile in the root, in the order teardown stops them: the peer's engine,
# the page's engine, then pid 1 of each set of namespaces (which ends everything left in it).
DAEMONS = ("peer-dockerd", "peer-containerd", "dockerd", "containerd")
INITS = ("peer-init", "init")


def known_ids() -> set[str]:
    """Every id that has any trace on the machine: a root folder, a netns (either of the
    two) or a cgroup."""
    ids: set[str] = set()
    if RUN_DIR.is_dir():
        ids.update(p.name for p in RUN_DIR.iterdir() if ID_RE.match(p.name))
    if NETNS_DIR.is_dir():
        ids.update(_strip(p.name) for p in NETNS_DIR.iterdir() if _strip(p.name))
    for pattern in (f"{PREFIX}*", f"*/{PREFIX}*"):
        ids.update(_strip(p.name) for p in CGROUP_DIR.glob(pattern) if _strip(p.name))
    return ids


def _strip(name: str) -> str:
    """The id inside a `docsexec-<id>` or `docsexec-<id>-lan` name, or '' for anything else."""
    if not name.startswith(PREFIX):
        return ""
    sid = name[len(PREFIX) :]
    if sid.endswith(LAN_SUFFIX):
        sid = sid[: -len(LAN_SUFFIX)]
    return sid if ID_RE.match(sid) else ""
