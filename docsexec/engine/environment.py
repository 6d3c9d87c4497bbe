"""What a page's shell needs of an engine, whichever engine it is: one interface, two backends.

PageEnvironment is the interface: the argv that starts the page's shell, the environment it
gets, its folder, the engine version for the report, the LAN peer's shell and engine, and a
restart of the engine with the page's daemon.json. Two backends implement it:

- sandbox/environment.py: a private dockerd in its own namespaces, one per page (the default);
- caller/environment.py: the caller's own engine (`--engine shared`), guarded, which has no
  LAN peer and is never restarted.

backends.py picks one (open_environment) and checks the machine for it, once per plan
(environment_gate). This module holds what both share and imports neither.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Protocol, Self

from ..errors import EnvironmentProblem

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


def base_env(workdir: Path) -> dict[str, str]:
    """The environment every page's shell starts from: C.UTF-8, UTC, no CLI hints, the
    caller's PATH, and the page's folder as HOME."""
    env = dict(BASE_ENV)
    env["PATH"] = os.environ.get("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    env["HOME"] = str(workdir)
    return env


def require_docker_client() -> None:
    if shutil.which("docker") is None:
        raise EnvironmentProblem(
            "the docker client is not on PATH: install it (e.g. apt-get install docker.io, or docker-ce-cli)"
        )
