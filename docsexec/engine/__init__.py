"""Engine provisioning and the per-page sandbox.

provision: get a dockerd onto the machine (cached, never touching host packages beyond the
few tools it needs). sandbox: one private dockerd per page in its own namespaces (network:
nic.py; mount, PID, UTS: contain.py) and control groups (cgroups.py, limits.py); peer: the LAN
peer, a second host (and engine, on request) on its simulated LAN. reaper: clean up sandboxes
of runs that died. The rest are small helpers, one job each.
"""

from .provision import EngineInstall, busybox_rootfs_tar, find_engine, import_images, install_engine
from .reaper import engine_status, reap_stale
from .sandbox import Sandbox

__all__ = [
    "EngineInstall",
    "Sandbox",
    "busybox_rootfs_tar",
    "engine_status",
    "find_engine",
    "import_images",
    "install_engine",
    "reap_stale",
]
