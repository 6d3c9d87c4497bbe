"""The private backend of PageEnvironment (engine/environment.py): a throwaway dockerd in its
own namespaces for one page (contain.py), the shell inside its network namespace, so `ip addr`
on "the host" shows that engine's docker0."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from ...errors import EnvironmentProblem
from ...model import Block
from ..environment import SHELL, base_env, require_docker_client
from ..installed import EngineInstall


class SandboxEnvironment:
    """A throwaway dockerd in its own namespaces, for one page (contain.py)."""

    def __init__(self, label: str, blocks: Sequence[Block] = (), install: EngineInstall | None = None) -> None:
        from .sandbox import Sandbox

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
        from .limits import LimitExceeded

        self._sandbox.stop()
        hits = self._sandbox.limit_hits
        if hits and (exc_type is None or issubclass(exc_type, Exception)):
            raise LimitExceeded(self._page, hits, self._sandbox.limits)

    def shell_argv(self) -> list[str]:
        return self._sandbox.wrap_shell(SHELL, cwd=self.workdir)

    def shell_env(self) -> dict[str, str]:
        env = base_env(self.workdir)
        env.update(self._sandbox.env())
        return env

    def peer_shell(self) -> tuple[list[str], dict[str, str], Path]:
        """argv, environment and folder of a shell on the LAN peer, which this starts the
        first time (docsexec/engine/sandbox/peer.py)."""
        peer = self._sandbox.peer()
        env = base_env(peer.workdir)
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
