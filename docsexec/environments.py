"""Where a page's shell runs: a private sandboxed engine (the default) or the caller's engine.

Both give the same three things to the runner: the argv that starts the page's shell, the
environment it gets, and the engine version for the report. The sandbox also puts the shell
in the engine's network namespace, so `ip addr` on "the host" shows that engine's docker0.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Protocol

from .errors import EnvironmentProblem

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

    def __enter__(self) -> "PageEnvironment": ...

    def __exit__(self, *exc: object) -> None: ...


def _base_env(workdir: Path) -> dict[str, str]:
    env = dict(BASE_ENV)
    env["PATH"] = os.environ.get("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    env["HOME"] = str(workdir)
    return env


def require_docker_client() -> None:
    if shutil.which("docker") is None:
        raise EnvironmentProblem("the docker client is not on PATH: install it (e.g. apt-get install docker.io, or docker-ce-cli)")


class SandboxEnvironment:
    """A throwaway dockerd in its own network namespace, for one page."""

    def __init__(self, label: str) -> None:
        from .engine.provision import find_engine
        from .engine.sandbox import Sandbox

        require_docker_client()
        if os.geteuid() != 0:
            raise EnvironmentProblem("the per-page engine sandbox needs root (network namespaces, dockerd): run as root, or use --engine shared")
        engine = find_engine()
        if engine is None:
            raise EnvironmentProblem("no Docker engine installed for docsexec: run `docsexec engine install` (the README's set-up does)")
        self._sandbox = Sandbox(label, engine)
        self.server_version = ""
        self.workdir = Path(tempfile.mkdtemp(prefix="docsexec-page-"))

    def __enter__(self) -> "SandboxEnvironment":
        try:
            self._sandbox.start()
        except BaseException:
            self._sandbox.stop()
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise
        self.server_version = self._sandbox.server_version
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._sandbox.stop()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def shell_argv(self) -> list[str]:
        return self._sandbox.wrap(SHELL)

    def shell_env(self) -> dict[str, str]:
        env = _base_env(self.workdir)
        env.update(self._sandbox.env())
        return env


class SharedEnvironment:
    """The caller's own engine (DOCKER_HOST or the default socket), only when asked for.

    Pages then run in the caller's network namespace against an engine that may hold the
    user's own containers; the safety guard (shared_guard) refuses name clashes and removes
    only what the page created.
    """

    def __init__(self, label: str) -> None:
        require_docker_client()
        self.workdir = Path(tempfile.mkdtemp(prefix="docsexec-page-"))
        self.server_version = ""
        self._label = label

    def __enter__(self) -> "SharedEnvironment":
        self.server_version = _server_version(self.shell_env())
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)

    def shell_argv(self) -> list[str]:
        return list(SHELL)

    def shell_env(self) -> dict[str, str]:
        env = _base_env(self.workdir)
        for key in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"):
            if key in os.environ:
                env[key] = os.environ[key]
        return env


def _server_version(env: dict[str, str]) -> str:
    try:
        done = subprocess.run(
            ["docker", "version", "--format", "{{.Server.Version}}"],
            env=env, capture_output=True, text=True, timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EnvironmentProblem(f"cannot reach the shared Docker engine: {exc}") from exc
    if done.returncode != 0 or not done.stdout.strip():
        message = (done.stderr.strip().splitlines() or ["no answer"])[-1]
        raise EnvironmentProblem(f"cannot reach the shared Docker engine: {message}")
    return done.stdout.strip()


def open_environment(mode: str, label: str) -> PageEnvironment:
    if mode == "sandbox":
        return SandboxEnvironment(label)
    if mode == "shared":
        return SharedEnvironment(label)
    raise EnvironmentProblem(f"unknown engine mode {mode!r}")
