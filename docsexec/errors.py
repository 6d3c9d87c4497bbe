"""Errors that end a run, each tied to the exit code that scripts and CI rely on.

Exit codes: 0 ok, 1 divergence (documented behaviour changed), 2 bad input or usage,
3 environment (no engine, not root, no docker client). Keeping the mapping in one place
means every entry point (CLI, pytest plugin, MkDocs gate) reports the same thing the same way.
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_DIVERGED = 1
EXIT_BAD_INPUT = 2
EXIT_ENVIRONMENT = 3


class DocsexecError(Exception):
    """Base class: carries its own exit code and a one-line message."""

    exit_code = EXIT_BAD_INPUT

    def one_line(self) -> str:
        return str(self).splitlines()[0] if str(self) else type(self).__name__


class BadInput(DocsexecError):
    """A page or an option is malformed. Always names the file and line."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, path: Path | str, line: int, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        super().__init__(f"{path}:{line}: {message}")


class UsageError(DocsexecError):
    """The command line itself is wrong (unknown path, conflicting flags)."""

    exit_code = EXIT_BAD_INPUT


class EnvironmentProblem(DocsexecError):
    """The machine cannot run pages: no engine, not root, no docker client, a name clash in
    shared mode. Never turned into a skip."""

    exit_code = EXIT_ENVIRONMENT
