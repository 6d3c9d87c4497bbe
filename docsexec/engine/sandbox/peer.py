"""The LAN peer: "the other machine" on the sandbox's simulated LAN, for a block that runs there.

Why: a page about macvlan or overlay networks shows traffic between two hosts, and a reader's
second machine has its own hostname, processes and disk. The sandbox already has that LAN: the
far end of the page host's `eth0` is `lan0` (198.51.100.1/24) in a second network namespace,
`docsexec-<id>-lan` (nic.py). A block with `data-host="lan-peer"` runs in a second shell there.

How: the peer gets its own pid 1, made exactly like the page host's (contain.py: a read-only
machine, private /tmp, /run and /dev/shm, only its own processes), but started in the LAN
namespace, with the hostname `lan-peer` and with its own folder (`<root>/lan-peer`) as the only
writable place: it does not see docker-host's processes, engine or files. It joins the page's
cgroups (the same memory and task limits count both hosts), and its pidfile is in the
sandbox's root, so stop() and the reaper end it like the page host's (teardown.py).

It is started only when the first block that runs there does (runner.py), so a page that never
uses it starts exactly as before. A page may also ask for an engine on it, for a lesson with
two Docker hosts (overlay networks): `data-peer-engine="start"` on a peer block starts the
peer's own containerd and dockerd in its namespaces before that block runs, with their data,
exec state and socket under the peer's folder, the page host's engine version and settings
(`--dns 127.0.0.1` included; daemons.py), and the same busybox image. That dockerd also
listens on the default socket of the peer's private /run, so the peer's `docker` needs no
DOCKER_HOST, as on a machine with Docker installed, and fails there in the usual way while
no engine runs.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from ..install.provision import import_images
from ..installed import EngineInstall
from . import api, cgroups, contain, daemons, layout, nic

DEFAULT_SOCKET = "unix:///var/run/docker.sock"  # in the peer's own /run: no other engine's


def _named_init(pid: int) -> bool:
    """pid 1 has become the reaper and named itself: a block that runs `ps` at once sees
    `docsexec-init`, as on docker-host (whose engine takes longer to start than this)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == contain.INIT_NAME
    except OSError:
        return False


class PeerHost(Protocol):
    """What the peer needs of the sandbox it belongs to (sandbox.Sandbox): named here, so
    that the two modules do not import each other."""

    id: str
    engine: EngineInstall

    def _popen(self, daemon: str, argv: list[str], log_path: Path | None = None) -> subprocess.Popen[bytes]: ...

    def _child_of(self, proc: subprocess.Popen[bytes], what: str, deadline: float) -> int: ...

    def _wait_until(self, daemon: str, deadline: float, ready: Callable[[], bool]) -> None: ...

    def _tool(self, name: str) -> str: ...


class LanPeer:
    """The peer host of one sandbox: its namespaces, and optionally its own engine."""

    def __init__(self, box: PeerHost) -> None:
        self.box = box
        self.sid = box.id
        self.root = layout.peer_root(box.id)
        self.workdir = self.root / "work"
        self.init_pid: int | None = None
        self.server_version = ""  # the peer engine's, once started

    def start(self, timeout: float = 30) -> None:
        """Folder and namespaces; the sandbox's stop() removes whatever part of this was
        made, so a failure here leaves nothing behind either."""
        deadline = time.monotonic() + timeout
        self._make_root()
        # No DAD before any interface of the peer's engine exists, as on the page host (sandbox.py).
        nic.run(["nsenter", f"--net={layout.lan_netns_path(self.sid)}", *nic.NO_DAD])
        nic.run(["ip", "-n", layout.lan_netns_name(self.sid), "link", "set", "lo", "up"])  # a host's loopback works
        self._start_init(deadline)

    def start_engine(self, timeout: float = 30) -> None:
        """The peer's own engine (idempotent: a journey's later pages find it running)."""
        if not self.server_version:
            self._start_engine(time.monotonic() + timeout)

    def _make_root(self) -> None:
        for sub in ("", "etc", "work", "client", "data", "exec"):
            (self.root / sub).mkdir(mode=0o700, exist_ok=sub == "")
        toml = daemons.containerd_config(self.root, layout.peer_containerd_socket(self.sid))
        daemons.write_host_files(self.root, self.box.engine, toml, layout.PEER_HOSTNAME)

    def _start_init(self, deadline: float) -> None:
        """pid 1 of the peer's namespaces: in the LAN namespace and the page's cgroups."""
        init = contain.init_argv(self.root, cgroups.writable_dirs(self.sid), layout.PEER_HOSTNAME)
        argv = contain.joined(
            cgroups.procs_files(self.sid), ["nsenter", f"--net={layout.lan_netns_path(self.sid)}", *init]
        )
        proc = self.box._popen("peer-init", argv, layout.peer_log_file(self.sid))
        self.init_pid = init_pid = self.box._child_of(proc, "the LAN peer's namespace setup", deadline)
        layout.pid_file(self.sid, "peer-init").write_text(f"{init_pid}\n")
        ready = self.root / contain.READY
        self.box._wait_until("LAN peer setup", deadline, lambda: ready.exists() and _named_init(init_pid))

    def _start_engine(self, deadline: float) -> None:
        """containerd, dockerd and the busybox image, as the page host's engine gets them."""
        engine = self.box.engine
        self._launch("peer-containerd", daemons.containerd_argv(self.box._tool("containerd"), self.root))
        sock = layout.peer_containerd_socket(self.sid)
        self.box._wait_until("the LAN peer's containerd", deadline, lambda: sock.exists() and api.can_connect(sock))
        argv = daemons.dockerd_argv(
            engine,
            self.root,
            layout.peer_docker_host(self.sid),
            sock,
            layout.peer_cgroup_parent(self.sid),
            layout.lan_netns_name(self.sid),
        )
        self._launch("peer-dockerd", [*argv, "--host", DEFAULT_SOCKET])
        api_sock = layout.peer_socket_path(self.sid)
        self.box._wait_until("the LAN peer's dockerd", deadline, lambda: api_sock.exists() and api.ping(api_sock))
        self.server_version = api.server_version(api_sock)
        import_images(layout.peer_docker_host(self.sid), engine.client_dir)

    def _launch(self, daemon: str, argv: list[str]) -> None:
        """A daemon inside the peer's namespaces; its pidfile gets the daemon's own pid."""
        proc = self.box._popen(daemon, self.wrap(argv), layout.peer_log_file(self.sid))
        pid = self.box._child_of(proc, daemon, time.monotonic() + 5)
        layout.pid_file(self.sid, daemon).write_text(f"{pid}\n")

    def wrap(self, argv: list[str], cwd: Path | None = None) -> list[str]:
        """argv inside the peer's cgroups and namespaces (network, mount, PID, UTS)."""
        return contain.enter_argv(self._require_init(), cgroups.procs_files(self.sid), argv, cwd or self.root)

    def wrap_shell(self, argv: list[str]) -> list[str]:
        """The peer's shell: like the page's (sandbox.wrap_shell), in the peer's page folder."""
        return contain.shell_argv(self._require_init(), cgroups.procs_files(self.sid), argv, self.workdir)

    def env(self) -> dict[str, str]:
        """Client settings of the peer's shell. No DOCKER_HOST: its client uses the default
        socket, where the peer's engine listens once started (see the module doc)."""
        return {"DOCKER_CONFIG": str(self.root / "client"), "PATH": self.box.engine.page_path_env()}

    def _require_init(self) -> int:
        if self.init_pid is None:
            raise RuntimeError(f"the LAN peer of sandbox {self.sid} is not started")
        return self.init_pid
