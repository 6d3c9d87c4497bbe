"""Run time: one private dockerd per page in its own namespaces and control groups (sandbox.py),
its simulated LAN and peer (nic.py, peer.py), limits (limits.py, cgroups.py), teardown, and the
reaper of sandboxes whose run died. It starts the engine the run plan resolved (an
EngineInstall from ../installed.py) and never looks one up itself.
"""
