"""A private dockerd in its own namespaces, started for one page and removed after it.

Why a namespace per page: bridges, iptables rules and docker0's 172.17.0.1 are per network
namespace, so every page sees a fresh engine with the tutorial's default addresses, pages can
run side by side, and nothing in it can reach beyond the machine: the namespace has no default
route, and its one network card, `eth0` (nic.py), is wired to a second namespace of ours, not
to the machine's network. The page's shell and the engine also share their own mount, PID
and UTS namespaces (contain.py: a read-only machine, only their own processes, the hostname
`docker-host`) and control groups that bound their memory and tasks (cgroups.py); a
wall-clock limit ends a page that runs too long (limits.py). The second namespace can become
a host of its own, the LAN peer (peer.py), started only for a page with a block that runs there.
"""

from __future__ import annotations

import atexit
import logging
import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ...common import Log, slug
from ...errors import EnvironmentProblem
from ..install.provision import import_images
from ..installed import EngineInstall
from . import api, cgroups, contain, daemons, layout, nic, procs
from .limits import Limit, Limits
from .owner import current_owner, write_owner
from .peer import LanPeer
from .reaper import STAGING_PREFIX, reap_lock, reap_stale
from .teardown import teardown

_logger = logging.getLogger("docsexec.engine")
# Environment a dockerd must not inherit: client settings, and systemd's readiness protocol
# (dockerd would tell a unit that runs docsexec that *it* is ready).
_DROP_ENV = ("NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES")
# Sandboxes started and not yet stopped by this process: stopped at interpreter exit, so an
# uncaught exception or sys.exit() does not leave daemons for the next run's reaper.
_LIVE: set[Sandbox] = set()


@atexit.register
def _stop_live_sandboxes() -> None:
    for box in list(_LIVE):
        if box.owner_pid == os.getpid():  # not in a forked child that exits
            box.stop()


def _reason(exc: Exception) -> str:
    """The one line that says why a start failed, in the EnvironmentProblem raised for it."""
    return exc.one_line() if isinstance(exc, EnvironmentProblem) else f"{type(exc).__name__}: {exc}"


class Sandbox:
    """A private dockerd in its own namespaces and control groups, for one page."""

    def __init__(self, label: str, engine: EngineInstall, log: Log | None = None) -> None:
        self.label = slug(label, 24)
        self.engine = engine
        self.id = secrets.token_hex(4)
        self.root = layout.root_dir(self.id)
        self.netns_name = layout.netns_name(self.id)
        self.netns_path = str(layout.netns_path(self.id))
        self.lan_netns_name = layout.lan_netns_name(self.id)
        self.docker_host = layout.docker_host(self.id)
        self.server_version = ""
        self.log_tail = ""  # last lines of dockerd's log, kept after stop() removed the root
        self._log = log or (lambda line: _logger.info("%s", line))
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self._state = "new"
        self.owner_pid = os.getpid()
        self.limits = Limits.from_env()
        self.limit_hits: list[Limit] = []  # the limits the page reached, known after stop()
        self.init_pid: int | None = None  # host pid of pid 1 of the sandbox's namespaces
        self._watchdog: threading.Thread | None = None
        self._stopping = threading.Event()
        self._ended_for: list[Limit] = []  # the limits the watchdog ended the sandbox for
        self._peer: LanPeer | None = None  # the LAN peer, once a block has run there (peer.py)

    # --- public API ---------------------------------------------------------------------------

    def start(self, timeout: float = 30) -> None:
        """netns + dockerd + wait for the API + import images; cleans up after itself on failure."""
        if self._state != "new":
            raise RuntimeError(f"sandbox {self.id} was already started")
        self._refuse_hidden_engine()
        self._state = "starting"
        self.owner_pid = os.getpid()
        _LIVE.add(self)
        begun = time.monotonic()
        try:
            reap_stale(log=self._log)
        except Exception as exc:  # noqa: BLE001 - old debris must not stop a new page
            self._log(f"warning: reaping stale sandboxes failed: {exc}")
        try:
            self._make_root()
            self._make_netns()
            cgroups.create(self.id, self.limits)
            self._start_namespaces(begun + timeout)
            self._start_watchdog()
            self._launch("containerd", self.containerd_argv())
            self._wait_for_containerd(begun + timeout)
            self._launch("dockerd", self.dockerd_argv())
            self._wait_for_api(begun + timeout)
            self.server_version = api.server_version(layout.socket_path(self.id))
            import_images(self.docker_host, self.engine.client_dir)
        except Exception as exc:  # noqa: BLE001 - every failure becomes one EnvironmentProblem
            self._fail(exc)
        except BaseException:
            self.stop()
            raise
        self._state = "running"
        self._log(
            f"sandbox {self.id} ({self.label}): engine {self.server_version} up in {time.monotonic() - begun:.2f} s"
        )

    def stop(self) -> None:
        """Remove everything the sandbox made; idempotent, and never raises on partial state."""
        if self._state in ("new", "stopped"):
            return
        begun = time.monotonic()
        self._stopping.set()
        if self._watchdog is not None and self._watchdog is not threading.current_thread():
            self._watchdog.join()
        self.log_tail = self._read_log_tail() or self.log_tail
        self.limit_hits = self._hits()
        try:
            with reap_lock():
                problems = teardown(self.id, self._log, self._children)
        except Exception as exc:  # noqa: BLE001 - stop() runs in finally blocks
            problems = [f"{type(exc).__name__}: {exc}"]
        for problem in problems:
            self._log(f"warning: sandbox {self.id}: {problem}")
        self._state = "stopped"
        _LIVE.discard(self)
        self._log(f"sandbox {self.id} ({self.label}): removed in {time.monotonic() - begun:.2f} s")

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wrap(self, argv: list[str]) -> list[str]:
        """argv run inside the sandbox's namespaces (network, mount, PID, UTS), from its root.
        nsenter, not `ip netns exec`: that remounts /sys, which breaks dockerd."""
        return contain.enter_argv(self._require_init(), cgroups.procs_files(self.id), argv, self.root)

    def wrap_shell(self, argv: list[str], cwd: Path | None = None) -> list[str]:
        """Like wrap(), for the page's shell: started in cwd (default: the page's folder
        `work` in the root, else the root), without the capabilities no lesson needs. Its
        /run is private, so `ip` finds an empty /run/netns: no other run's namespaces appear
        there, and none appearing or going away can make `ip link` print "Peer netns
        reference is invalid" (a race seen before /run was private)."""
        where = cwd or (self.root / "work" if (self.root / "work").is_dir() else self.root)
        return contain.shell_argv(self._require_init(), cgroups.procs_files(self.id), argv, where)

    def peer(self) -> LanPeer:
        """The LAN peer (peer.py), started on first use, so a page that never runs a block
        there starts as fast as before. Whatever a failed start made, stop() removes."""
        if self._state != "running":
            raise RuntimeError(f"sandbox {self.id} is not running")
        if self._peer is None:
            peer = LanPeer(self)
            self._peer_step("LAN peer", peer.start)
            self._peer = peer
        return self._peer

    def start_peer_engine(self) -> LanPeer:
        """The LAN peer with its own engine running (started now if need be)."""
        peer = self.peer()
        if not peer.server_version:
            self._peer_step("LAN peer's engine", peer.start_engine)
        return peer

    def restart_engine(self, timeout: float = 30) -> str:
        """Restart dockerd as `systemctl restart docker` does: SIGTERM (it stops its containers,
        as a restart on a reader's host does), wait for it to exit, start it again with the same
        flags, which reads /etc/docker/daemon.json again, and wait for its API. Returns the
        daemon.json it started with; a daemon that refuses to start raises EnvironmentProblem
        with the last line it logged, its reason."""
        if self._state != "running":
            raise RuntimeError(f"sandbox {self.id} is not running")
        begun = time.monotonic()
        old = self._children.pop("dockerd")
        pid = int(layout.pid_file(self.id, "dockerd").read_text())
        if procs.alive(pid):
            os.kill(pid, signal.SIGTERM)
        try:
            old.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            raise EnvironmentProblem(f"dockerd did not stop within {timeout:g} s of SIGTERM") from exc
        logged = layout.log_file(self.id).stat().st_size
        settings = daemons.daemon_json(self.root).read_text(errors="replace")
        try:
            self._launch("dockerd", self.dockerd_argv())
            self._wait_for_api(begun + timeout)
        except EnvironmentProblem as exc:
            with open(layout.log_file(self.id), "rb") as log:
                log.seek(logged)
                said = log.read().decode(errors="replace").strip().splitlines()
            reason = said[-1] if said else exc.one_line()  # dockerd's last word: "failed to start daemon: ..."
            raise EnvironmentProblem(f"dockerd did not start again with this daemon.json: {reason}") from exc
        self._log(f"sandbox {self.id} ({self.label}): dockerd restarted in {time.monotonic() - begun:.2f} s")
        return settings

    def _peer_step(self, what: str, step: Callable[[], None]) -> None:
        """One EnvironmentProblem line for any failure, as for start(); timed in the log."""
        begun = time.monotonic()
        try:
            step()
        except Exception as exc:
            reason = _reason(exc)
            raise EnvironmentProblem(
                f"the {what} of sandbox {self.id} ({self.label}) failed to start: {reason}"
            ) from exc
        self._log(f"sandbox {self.id} ({self.label}): {what} up in {time.monotonic() - begun:.2f} s")

    def _require_init(self) -> int:
        if self.init_pid is None:
            raise RuntimeError(f"sandbox {self.id} has no namespaces (not started)")
        return self.init_pid

    def env(self) -> dict[str, str]:
        """Client settings for commands run against this engine, never the user's own config."""
        return {
            "DOCKER_HOST": self.docker_host,
            "DOCKER_CONFIG": str(self.root / "client"),
            "PATH": self.engine.page_path_env(),  # the page client (forky's docker-cli) first
        }

    # --- steps of start() -----------------------------------------------------------------------

    def _make_root(self) -> None:
        """Create the root complete with owner.json, then rename it into place, so a reaper
        never sees a root without its owner record."""
        layout.RUN_DIR.mkdir(parents=True, exist_ok=True)
        staging = layout.RUN_DIR / f"{STAGING_PREFIX}{self.id}"
        staging.mkdir(mode=0o711)
        try:
            self._fill_root(staging)
            staging.rename(self.root)
        except BaseException:  # a Ctrl-C here must not leave the staging folder behind
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def _fill_root(self, staging: Path) -> None:
        for sub in ("data", "exec", "client", "etc"):
            (staging / sub).mkdir(mode=0o700)
        toml = daemons.containerd_config(self.root, layout.containerd_socket(self.id))  # the final root's paths
        daemons.write_host_files(staging, self.engine, toml, contain.HOSTNAME)
        write_owner(staging / "owner.json", current_owner(self.netns_name, self.label))

    def _make_netns(self) -> None:
        """The namespace, its loopback up, no IPv6 duplicate address detection, and a
        simulated network card `eth0` (nic.py) whose far end is in a second namespace of ours.

        No DAD: with it, a link-local address is marked `tentative` for a second or two after
        each interface appears, so `ip addr` on the host showed the flag or not depending on
        timing. A real host that has settled shows no flag, which is what the pages show. It
        is switched off before eth0 exists: a device takes its IPv6 settings from `default`
        when it is created."""
        for cmd in (
            ["ip", "netns", "add", self.netns_name],
            ["ip", "-n", self.netns_name, "link", "set", "lo", "up"],
            ["nsenter", f"--net={self.netns_path}", *nic.NO_DAD],
            ["ip", "netns", "add", self.lan_netns_name],
        ):
            nic.run(cmd)
        nic.add_card(self.netns_name, self.lan_netns_name)

    def containerd_argv(self) -> list[str]:
        """Our own containerd rather than dockerd's managed one: dockerd then connects at once
        (its managed start costs ~1 s of gRPC back-off, and its stop sleeps in 1 s steps), and
        it can never attach to a system containerd that happens to run on the machine."""
        return daemons.containerd_argv(self._tool("containerd"), self.root)

    def _tool(self, name: str) -> str:
        found = shutil.which(name, path=self.engine.path_env())
        if found is None:
            raise EnvironmentProblem(f"{name} not found on the engine's PATH ({self.engine.source} engine)")
        return found

    def dockerd_argv(self) -> list[str]:
        return daemons.dockerd_argv(
            self.engine,
            self.root,
            self.docker_host,
            layout.containerd_socket(self.id),
            layout.cgroup_parent(self.id),
            self.netns_name,
        )

    def _popen(self, daemon: str, argv: list[str], log_path: Path | None = None) -> subprocess.Popen[bytes]:
        """Start argv in its own session (a Ctrl-C meant for us must not kill it before stop()
        has removed the containers), logging to dockerd.log (or `log_path`: the LAN peer's)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_") and k not in _DROP_ENV}
        env["PATH"] = self.engine.path_env()
        with open(log_path or layout.log_file(self.id), "ab") as log:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.root,
                start_new_session=True,
            )
        self._children[daemon] = proc
        return proc

    def _launch(self, daemon: str, argv: list[str]) -> None:
        """Start a daemon inside the namespaces. nsenter forks it (a PID namespace is entered
        by children only), so its pidfile gets the daemon's own pid, found as nsenter's child."""
        proc = self._popen(daemon, self.wrap(argv))
        pid = self._child_of(proc, daemon, time.monotonic() + 5)
        layout.pid_file(self.id, daemon).write_text(f"{pid}\n")

    def _child_of(self, proc: subprocess.Popen[bytes], what: str, deadline: float) -> int:
        while True:
            found = procs.children(proc.pid)
            if found:
                return min(found)
            if proc.poll() is not None:
                raise EnvironmentProblem(f"{what} exited with code {proc.returncode} during start-up")
            if time.monotonic() > deadline:
                raise EnvironmentProblem(f"{what} did not start in time")
            time.sleep(0.002)

    def _start_namespaces(self, deadline: float) -> None:
        """pid 1 of the sandbox's namespaces, in the network namespace and the page's cgroups
        (joined before unshare runs, so every later process inherits them), set up and ready."""
        init = contain.init_argv(self.root, cgroups.writable_dirs(self.id))
        argv = contain.joined(cgroups.procs_files(self.id), ["nsenter", f"--net={self.netns_path}", *init])
        proc = self._popen("init", argv)
        self.init_pid = self._child_of(proc, "the sandbox's namespace setup", deadline)
        layout.pid_file(self.id, "init").write_text(f"{self.init_pid}\n")
        ready = self.root / contain.READY
        self._wait_until("namespace setup", deadline, ready.exists)

    def _start_watchdog(self) -> None:
        """A thread that ends the sandbox as soon as a limit is reached: the wall-clock one,
        or the memory or task limit (a fork bomb at its limit would otherwise spin on a CPU
        until the command's timeout, and a page after an OOM kill shows nothing of value)."""
        self._watchdog = threading.Thread(target=self._watch, name=f"docsexec-watchdog-{self.id}", daemon=True)
        self._watchdog.start()

    def _watch(self, every: float = 0.25) -> None:
        deadline = time.monotonic() + self.limits.seconds
        while not self._stopping.wait(every):
            hits = self._hits() + ([Limit.SECONDS] if time.monotonic() >= deadline else [])
            if hits:
                self._end(hits)
                return

    def _end(self, hits: list[Limit]) -> None:
        """SIGKILL to pid 1 of the namespaces ends the shell and every process of the engine."""
        self._ended_for = hits
        what = " and ".join(self.limits.describe(hit) for hit in hits)
        self._log(f"sandbox {self.id} ({self.label}): {what} reached; ending it")
        for pid in (self.init_pid, self._peer.init_pid if self._peer else None):
            if pid is not None and procs.alive(pid):
                os.kill(pid, signal.SIGKILL)

    def _hits(self) -> list[Limit]:
        """The limits reached so far (the wall-clock one only once the watchdog acted on it)."""
        try:
            found = cgroups.hits(self.id, self.limits)
        except OSError as exc:
            self._log(f"warning: sandbox {self.id}: reading its limits' counters: {exc}")
            found = []
        return sorted(set(found) | set(self._ended_for), key=list(Limit).index)

    def _refuse_hidden_engine(self) -> None:
        """An engine cached under /tmp, /run or /dev/shm is invisible inside the sandbox (each
        page gets private ones): say so in one line instead of a daemon that exits 127."""
        for path in (self.engine.dockerd, *self.engine.bin_dirs, self.engine.client_dir):
            mount = contain.hidden_in_sandbox(path) if path is not None else None
            if mount is not None:
                raise EnvironmentProblem(
                    f"the {self.engine.source} engine is at {path}, under {mount}, which each page's sandbox "
                    f"replaces with a private {mount}: set DOCSEXEC_CACHE to a folder outside "
                    f"{', '.join(contain.PRIVATE_MOUNTS)} (default /var/cache/docsexec)"
                )

    def _wait_for_containerd(self, deadline: float) -> None:
        sock = layout.containerd_socket(self.id)
        self._wait_until("containerd", deadline, lambda: sock.exists() and api.can_connect(sock))

    def _wait_for_api(self, deadline: float) -> None:
        sock = layout.socket_path(self.id)
        self._wait_until("dockerd", deadline, lambda: sock.exists() and api.ping(sock))

    def _wait_until(self, daemon: str, deadline: float, ready: Callable[[], bool]) -> None:
        """Poll every 10 ms; fail at once if any daemon of ours has died."""
        while not ready():
            for name, proc in self._children.items():
                if proc.poll() is not None:
                    raise EnvironmentProblem(f"{name} exited with code {proc.returncode} during start-up")
            if time.monotonic() > deadline:
                raise EnvironmentProblem(f"{daemon} did not answer on its socket in time")
            time.sleep(0.01)

    def _fail(self, exc: Exception) -> None:
        """Tear down, then raise one EnvironmentProblem whose first line says what failed and
        whose following lines are the end of dockerd's log."""
        self.log_tail = self._read_log_tail()
        self.stop()
        reason = _reason(exc)
        message = f"sandbox engine for {self.label} failed to start: {reason}"
        if self.log_tail:
            message += "\n--- last lines of dockerd.log ---\n" + self.log_tail
        raise EnvironmentProblem(message) from exc

    def _read_log_tail(self, lines: int = 15) -> str:
        try:
            text = layout.log_file(self.id).read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])
