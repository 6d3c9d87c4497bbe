"""The engines a page runs on: which are installed, how they get there, and the one interface a
page's shell runs behind, with its two backends. Bottom first (ENGINE_PARTS in
tests/test_code_quality.py keeps the order):

- installed.py: the lookup, which engine is there (EngineInstall, find_engine; the run plan
  calls it once per run);
- install/: `docsexec engine install`, getting a dockerd onto the machine (provision: cached
  Debian engines, Engine 29 built from source, the busybox image), never touching host
  packages beyond the few tools it needs;
- environment.py: PageEnvironment, what a page's shell needs of an engine, whichever it is;
- sandbox/: the private backend, one dockerd per page in its own namespaces (network: nic.py;
  mount, PID, UTS: contain.py) and control groups (cgroups.py, limits.py); peer: the LAN
  peer, a second host (and engine, on request) on its simulated LAN; reaper: clean up
  sandboxes of runs that died; environment.py: the backend itself;
- caller/: the caller's own engine (`--engine shared`), guarded so that a page never harms
  what is on it; environment.py: the backend itself. The two backends never import each other;
- backends.py: the backend for an EngineMode (open_environment), and the machine's check for
  it, once per plan (environment_gate).

Import the module you need (docsexec.engine.installed, .install.provision, .backends):
this package imports nothing itself, so a command that only looks an engine up (a cached
re-check, `list`) does not load the installer or the sandbox.
"""
