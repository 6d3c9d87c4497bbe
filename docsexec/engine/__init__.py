"""The engines a page runs on: which are installed, how they get there, and one per page.

installed.py: the lookup half, which engine is there (EngineInstall, find_engine; the run plan
calls it once per run). install/: `docsexec engine install`, getting a dockerd onto the machine
(provision: cached Debian engines, Engine 29 built from source, the busybox image), never
touching host packages beyond the few tools it needs. sandbox/: one private dockerd per page
in its own namespaces (network: nic.py; mount, PID, UTS: contain.py) and control groups
(cgroups.py, limits.py); peer: the LAN peer, a second host (and engine, on request) on its
simulated LAN; reaper: clean up sandboxes of runs that died. The rest are small helpers, one
job each.

Import the module you need (docsexec.engine.installed, .install.provision, .sandbox.sandbox):
this package imports nothing itself, so a command that only looks an engine up (a cached
re-check, `list`) does not load the installer or the sandbox.
"""
