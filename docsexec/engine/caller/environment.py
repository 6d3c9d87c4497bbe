"""The caller's-engine backend of PageEnvironment (engine/environment.py): a page on the
caller's own engine (`--engine shared`), in the caller's namespaces, guarded (this package's
__init__ says how): no LAN peer, and the engine is never restarted."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ...errors import EnvironmentProblem
from ...model import Block
from ..environment import SHELL, base_env, require_docker_client
from . import SCRATCH_PREFIX, Docker, SharedGuard, precheck


def check_shared(pages: Sequence[Sequence[Block]]) -> None:
    """The shared backend's part of the environment gate (engine/backends.py)."""
    for blocks in pages:  # first: it needs nothing of the machine, and names the line
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
    user's own containers; the safety guard (docsexec.engine.caller) locks the engine against other
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
        env = base_env(self.workdir)
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
