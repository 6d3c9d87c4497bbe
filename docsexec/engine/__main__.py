"""`python -m docsexec.engine install|status|reap`: the engine's own small command line.

One line per action, so it reads well in CI logs; exit code 3 (environment) on failure, as
everywhere else in docsexec.
"""

from __future__ import annotations

import sys
import time

from ..errors import EnvironmentProblem
from . import engine_status, install_engine, reap_stale

USAGE = "usage: python -m docsexec.engine install|status|reap"


def _install() -> None:
    begun = time.monotonic()
    install_engine(log=print)
    print(f"done in {time.monotonic() - begun:.2f} s")


def _status() -> None:
    status = engine_status()
    if status["installed"]:
        print(f"engine: {status['source']} {status['version']} ({status['dockerd']})")
    else:
        print("engine: none installed (run: python -m docsexec.engine install)")
    print(f"cache: {status['cache']}")
    for box in status["sandboxes"]:
        state = "live" if box["owner_alive"] else "stale"
        print(f"sandbox {box['id']}: {state}, label {box['label'] or '-'}, owner pid {box['owner_pid']}, {box['docker_host']}")
    if not status["sandboxes"]:
        print("sandboxes: none")


def _reap() -> None:
    reaped = reap_stale(log=print)
    print(f"reaped {len(reaped)} stale sandbox(es)")


def main(argv: list[str]) -> int:
    actions = {"install": _install, "status": _status, "reap": _reap}
    if len(argv) != 1 or argv[0] not in actions:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        actions[argv[0]]()
    except EnvironmentProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
