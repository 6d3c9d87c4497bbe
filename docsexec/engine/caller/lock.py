"""One run at a time per engine: an exclusive, non-waiting flock on
/tmp/docsexec-shared-<engine ID>.lock, whose content is the holder's journal.

Two docsexec runs on one engine would each see the other's objects as "created during the
run"; the lock keeps them apart, and the journal lets the next run clean up after one that
was killed.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...errors import EnvironmentProblem
from .inventory import Docker, _last_line

LOCK_DIR = Path("/tmp")
LOCK_PREFIX = "docsexec-shared-"


def lock_path(engine_id: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", engine_id).strip("-") or "unknown"
    return LOCK_DIR / f"{LOCK_PREFIX}{safe}.lock"


class EngineLock:
    """flock on /tmp/docsexec-shared-<engine id>.lock; its content is the holder's journal.

    Refuses (EnvironmentProblem) instead of waiting when another run holds it. The file is
    unlinked by its holder on release; an acquirer checks it locked the file that is still at
    the path, so a release racing with an acquire can never give two holders."""

    def __init__(self, engine_id: str) -> None:
        self.engine_id = engine_id
        self.path = lock_path(engine_id)
        self._fd: int | None = None
        self.writable = False
        self.previous: dict[str, Any] | None = None  # the journal found on acquiring (a killed run's)

    def acquire(self) -> None:
        import fcntl

        for _ in range(20):
            fd, writable = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_journal(fd)
                os.close(fd)
                who = f"pid {holder.get('pid')}, page {holder.get('page')}" if holder else "another process"
                raise EnvironmentProblem(
                    f"another docsexec run ({who}) is using the shared engine {self.engine_id} "
                    f"(lock {self.path}); runs on one engine never overlap: run again when it has finished"
                ) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path, follow_symlinks=False).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._fd, self.writable = fd, writable
                self.previous = _read_journal(fd)
                return
            os.close(fd)  # the holder released and unlinked it meanwhile: lock the new file
        raise EnvironmentProblem(f"could not lock {self.path}: it keeps being replaced")

    def _open(self) -> tuple[int, bool]:
        flags = os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags | os.O_RDWR, 0o644)
            return fd, True
        except PermissionError:
            pass  # another user's lock file: flock works on a read-only descriptor too
        try:
            return os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC), False
        except OSError as exc:
            raise EnvironmentProblem(f"cannot open the shared-engine lock {self.path}: {exc.strerror}") from exc

    def write(self, journal: Mapping[str, Any]) -> None:
        if self._fd is None or not self.writable:
            return
        data = json.dumps(journal).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)
        os.fsync(self._fd)

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            if self.writable:
                try:
                    os.unlink(self.path)  # while still locked: see the class doc
                except OSError:
                    os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing drops the flock


def _read_journal(fd: int) -> dict[str, Any] | None:
    try:
        data = os.pread(fd, 4 << 20, 0)
        journal = json.loads(data) if data.strip() else None
    except (OSError, ValueError):
        return None
    return journal if isinstance(journal, dict) else None


def engine_id(docker: Docker) -> str:
    done = docker.run("info", "--format", "{{.ID}}")
    ident = done.stdout.strip()
    if done.returncode != 0 or not ident:
        raise EnvironmentProblem(f"cannot reach the shared Docker engine: {_last_line(done.stderr)}")
    return ident
