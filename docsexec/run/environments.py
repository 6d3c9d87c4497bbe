"""Where a page's shell runs: a private sandboxed engine (the default) or the caller's engine.

Both give the runner what PageEnvironment names: the argv that starts the page's shell, the
environment it gets, its folder, the engine version for the report, and the LAN peer's shell
and engine (the sandbox's only; the shared engine refuses them). The sandbox also puts the
shell in the engine's network namespace, so `ip addr` on "the host" shows that engine's docker0.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, Self

from ..caller_engine import SCRATCH_PREFIX, Docker, SharedGuard, precheck
from ..engine.installed import EngineInstall
from ..errors import EnvironmentProblem
from ..model import Block, EngineMode

BASE_ENV = {
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TZ": "UTC",
    "DOCKER_CLI_HINTS": "false",
}
SHELL = ["bash", "--noprofile", "--norc"]


class PageEnvironment(Protocol):
    """What a page needs from an engine. Used as a context manager around one page."""

    server_version: str
    workdir: Path

    def shell_argv(self) -> list[str]: ...

    def shell_env(self) -> dict[str, str]: ...

    def peer_shell(self) -> tuple[list[str], dict[str, str], Path]: ...

    def start_peer_engine(self) -> None: ...

    def restart_engine(self) -> str: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None: ...


def _base_env(workdir: Path) -> dict[str, str]:
    env = dict(BASE_ENV)
    env["PATH"] = os.environ.get("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    env["HOME"] = str(workdir)
    return env


def require_docker_client() -> None:
    if shutil.which("docker") is None:
        raise EnvironmentProblem(
            "the docker client is not on PATH: install it (e.g. apt-get install docker.io, or docker-ce-cli)"
        )


class SandboxEnvironment:
    """A throwaway dockerd in its own namespaces, for one page (docsexec/engine/sandbox/contain.py)."""

    def __init__(self, label: str, blocks: Sequence[Block] = (), install: EngineInstall | None = None) -> None:
        from ..engine.sandbox.sandbox import Sandbox

        self._page = str(blocks[0].path) if blocks else label  # for a limit's failure line
        self._sandbox = Sandbox(label, _installed(install))
        self.server_version = ""
        # The page's folder lives inside the sandbox's root (made by __enter__), so whatever
        # removes the sandbox removes it too: stop(), or the reaper after a SIGKILL.
        self.workdir = Path()

    def __enter__(self) -> SandboxEnvironment:
        try:
            self._sandbox.start()
            self.workdir = self._sandbox.root / "work"
            self.workdir.mkdir(mode=0o700)
        except BaseException:
            self._sandbox.stop()
            raise
        self.server_version = self._sandbox.server_version
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        """Tear down; then, if the page reached one of its sandbox's limits (memory, tasks,
        wall-clock), fail the page with one line that names it and the limit (exit 1), in
        place of whatever its half-run blocks would have reported. A Ctrl-C goes on as it is."""
        from ..engine.sandbox.limits import LimitExceeded

        self._sandbox.stop()
        hits = self._sandbox.limit_hits
        if hits and (exc_type is None or issubclass(exc_type, Exception)):
            raise LimitExceeded(self._page, hits, self._sandbox.limits)

    def shell_argv(self) -> list[str]:
        return self._sandbox.wrap_shell(SHELL, cwd=self.workdir)

    def shell_env(self) -> dict[str, str]:
        env = _base_env(self.workdir)
        env.update(self._sandbox.env())
        return env

    def peer_shell(self) -> tuple[list[str], dict[str, str], Path]:
        """argv, environment and folder of a shell on the LAN peer, which this starts the
        first time (docsexec/engine/sandbox/peer.py)."""
        peer = self._sandbox.peer()
        env = _base_env(peer.workdir)
        env.update(peer.env())
        return peer.wrap_shell(SHELL), env, peer.workdir

    def start_peer_engine(self) -> None:
        """The LAN peer's own engine, for a block with data-peer-engine="start"."""
        self._sandbox.start_peer_engine()

    def restart_engine(self) -> str:
        """The page's engine restarted with its /etc/docker/daemon.json, for a block with
        data-daemon="restart"; returns the daemon.json it started with."""
        return self._sandbox.restart_engine()


SANDBOX_TOOLS = ("ip", "nsenter", "unshare", "setpriv")


def _installed(install: EngineInstall | None, source: str | None = None) -> EngineInstall:
    """The engine the plan resolved, or the one line saying none is installed."""
    if install is None:
        which = f" ({source})" if source else ""
        raise EnvironmentProblem(
            f"no Docker engine installed for docsexec{which}: run `docsexec engine install` (the README's set-up does)"
        )
    return install


def check_sandbox(engines: Sequence[tuple[str | None, EngineInstall | None]]) -> None:
    """Root, an installed engine for each (source, what the plan resolved it to), and the
    tools the sandbox runs, or one line saying which is missing."""
    if os.geteuid() != 0:
        raise EnvironmentProblem(
            "the per-page engine sandbox needs root (network namespaces, dockerd): run as root, or use --engine shared"
        )
    for source, install in engines:
        if _installed(install, source).client_dir is None:
            require_docker_client()
    for tool in SANDBOX_TOOLS:
        if shutil.which(tool) is None:
            raise EnvironmentProblem(f"`{tool}` is not on PATH (run `docsexec engine install`)")


def environment_gate(
    mode: EngineMode,
    pages: Sequence[Sequence[Block]] = (),
    engines: Sequence[tuple[str | None, EngineInstall | None]] = (),
) -> None:
    """THE check that this machine can run pages in `mode`, once per plan, before any page
    starts: fail with one line (no docker client, not root, no engine, a tool missing; in
    shared mode, an engine that does not answer, or a page that would touch an object already
    on it) rather than after pages have begun. Sandbox: `engines` are the plan's (source,
    resolved engine) pairs; nothing is looked up or remembered here."""
    if mode is EngineMode.SANDBOX:
        check_sandbox(engines)
        return
    for blocks in pages:  # shared mode; first: it needs nothing of the machine, and names the line
        refuse_sandbox_blocks(blocks)
    require_docker_client()
    _server_version(dict(os.environ))
    precheck(pages, dict(os.environ))


def refuse_sandbox_blocks(blocks: Sequence[Block]) -> None:
    """`--engine shared` is the caller's one engine in the caller's namespaces: there is no
    simulated LAN, so no other machine for a data-host="lan-peer" block to run on, and the
    engine's configuration is the caller's own, which a page never restarts with its settings."""
    for block in blocks:
        if block.options.on_peer:
            raise EnvironmentProblem(
                f'{block.where}: data-host="lan-peer" needs the sandbox\'s LAN peer, '
                "which --engine shared does not have: run this page without --engine shared"
            )
        if block.options.daemon_restart:
            raise EnvironmentProblem(
                f"{block.where}: data-daemon=\"restart\" restarts the page's engine with the page's daemon.json, "
                "and --engine shared never touches your engine's configuration: run this page without --engine shared"
            )


class SharedEnvironment:
    """The caller's own engine (DOCKER_HOST or the default socket), only when asked for.

    Pages then run in the caller's network namespace against an engine that may hold the
    user's own containers; the safety guard (docsexec.caller_engine) locks the engine against other
    docsexec runs, refuses name clashes, relays the page's docker client to see what it
    creates, and afterwards removes only that.
    """

    def __init__(self, label: str, blocks: Sequence[Block] = ()) -> None:
        self.workdir = Path()  # made by __enter__, once the engine has been checked
        self.server_version = ""
        self._label = label
        self._blocks = list(blocks)
        self._scratch: Path | None = None  # this run's folder: the page's workdir and the relay's socket
        self._guard: SharedGuard | None = None

    def __enter__(self) -> SharedEnvironment:
        try:
            self.server_version = _server_version(self._client_env())
            self._scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
            self.workdir = self._scratch / "work"
            self.workdir.mkdir()
            self._guard = SharedGuard(self._blocks, self._client_env())
            self._guard.begin(self._scratch)
        except BaseException:
            try:
                if self._guard is not None:
                    self._guard.end()  # a signal just after begin(): still clean up and unlock
            finally:
                self._remove_scratch()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._guard is not None:
                self._guard.end()
        finally:
            self._remove_scratch()

    def _remove_scratch(self) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)

    def shell_argv(self) -> list[str]:
        return list(SHELL)

    def peer_shell(self) -> tuple[list[str], dict[str, str], Path]:
        """Never: preflight refuses such a page first (refuse_sandbox_blocks); this is the
        same refusal for a caller that ran no preflight."""
        refuse_sandbox_blocks(self._blocks)
        raise EnvironmentProblem("--engine shared has no LAN peer")

    def start_peer_engine(self) -> None:
        self.peer_shell()  # the same refusal

    def restart_engine(self) -> str:
        refuse_sandbox_blocks(self._blocks)
        raise EnvironmentProblem("--engine shared never restarts your engine")

    def shell_env(self) -> dict[str, str]:
        env = self._client_env()
        return self._guard.page_env(env) if self._guard is not None else env

    def _client_env(self) -> dict[str, str]:
        """The caller's docker client settings, and nothing else of their environment."""
        env = _base_env(self.workdir)
        for key in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"):
            if key in os.environ:
                env[key] = os.environ[key]
        return env


def _server_version(env: dict[str, str]) -> str:
    done = Docker(env).run("version", "--format", "{{.Server.Version}}", timeout=20)
    if done.returncode != 0 or not done.stdout.strip():
        message = (done.stderr.strip().splitlines() or ["no answer"])[-1]
        raise EnvironmentProblem(f"cannot reach the shared Docker engine: {message}")
    return done.stdout.strip()


def open_environment(
    mode: EngineMode, label: str, blocks: Sequence[Block] = (), install: EngineInstall | None = None
) -> PageEnvironment:
    """The page's environment: a sandbox of `install` (the engine the plan resolved), or the caller's engine."""
    if mode is EngineMode.SANDBOX:
        return SandboxEnvironment(label, blocks, install)
    return SharedEnvironment(label, blocks)
