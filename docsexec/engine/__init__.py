"""The engines a page runs on: which are installed, how they get there, and one per page.

installed.py: the lookup half, which engine is there (EngineInstall, find_engine; the run plan
calls it once per run). install/: `docsexec engine install`, getting a dockerd onto the machine
(provision: cached Debian engines, Engine 29 built from source, the busybox image), never
touching host packages beyond the few tools it needs. sandbox/: one private dockerd per page
in its own namespaces (network: nic.py; mount, PID, UTS: contain.py) and control groups
(cgroups.py, limits.py); peer: the LAN peer, a second host (and engine, on request) on its
simulated LAN; reaper: clean up sandboxes of runs that died. The rest are small helpers, one
job each.
"""

from .install.provision import busybox_rootfs_tar, import_images, install_engine
from .installed import EngineInstall, find_engine
from .sandbox.reaper import engine_status, reap_stale
from .sandbox.sandbox import Sandbox

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
