"""How much one page may use: memory, tasks and wall-clock time, and what hitting a limit means.

Why limits: a page is code that runs as root on a contributor's machine or a CI runner. A
memory hog or a fork bomb (a buggy loop is enough) must end that page, not the machine, and
a page that never ends must not hold a CI job until its own timeout kills everything.

Each limit can be changed with an environment variable (tests lower them, a heavy page
could raise them); the defaults leave room for the busiest page of the site several times
over (measured: a page's engine, shell and containers use ~150 MiB and ~150 tasks).
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass

from ...errors import EXIT_DIVERGED, DocsexecError, EnvironmentProblem

MEMORY_ENV = "DOCSEXEC_PAGE_MEMORY_MIB"
TASKS_ENV = "DOCSEXEC_PAGE_TASKS"
SECONDS_ENV = "DOCSEXEC_PAGE_SECONDS"


class Limit(enum.Enum):
    """A limit a page can hit; the value is how a report names it."""

    MEMORY = "memory"
    TASKS = "process"
    SECONDS = "wall-clock"


@dataclass(frozen=True)
class Limits:
    memory_mib: int = 2048
    tasks: int = 4096  # processes and threads together (dockerd alone runs ~40 threads)
    seconds: float = 900.0

    @classmethod
    def from_env(cls) -> Limits:
        """The defaults, overridden by DOCSEXEC_PAGE_MEMORY_MIB / _TASKS / _SECONDS."""
        base = cls()
        return cls(
            memory_mib=int(_number(MEMORY_ENV, base.memory_mib)),
            tasks=int(_number(TASKS_ENV, base.tasks)),
            seconds=_number(SECONDS_ENV, base.seconds),
        )

    @property
    def memory_bytes(self) -> int:
        return self.memory_mib * 1024 * 1024

    def describe(self, limit: Limit) -> str:
        """The limit with its value, as the failure line shows it."""
        if limit is Limit.MEMORY:
            return f"memory limit ({self.memory_mib} MiB)"
        if limit is Limit.TASKS:
            return f"process limit ({self.tasks} tasks)"
        return f"wall-clock limit ({self.seconds:g} s)"


def _number(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1
    if value <= 0:
        raise EnvironmentProblem(f"{name}={text!r}: expected a positive number")
    return value


class LimitExceeded(DocsexecError):
    """A page hit one of its sandbox's limits: that page failed (exit 1), the machine is fine."""

    exit_code = EXIT_DIVERGED

    def __init__(self, page: str, hits: list[Limit], limits: Limits) -> None:
        self.page = page
        self.hits = hits
        what = " and ".join(limits.describe(hit) for hit in hits)
        super().__init__(f"{page}: stopped by the sandbox's {what}; everything the page started was removed")
