"""Helpers for the safety tests (tests/test_safety_*.py): run the real CLI as a child process,
learn which sandboxes that very process made, signal it, and list what it left behind.

Other runs (other people's tests, CI jobs) may have sandboxes of their own on this machine at
the same time, so nothing here compares "everything before" with "everything after": a run's
sandboxes are identified by the pid in their owner.json, watched while the run is alive.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import docsexec_cwd
from docsexec.engine.sandbox import layout
from docsexec.engine.sandbox.reaper import STAGING_PREFIX
from engine_fixtures import traces

REPO = Path(__file__).resolve().parent.parent
_STARTED: list[Run] = []  # every Run not yet known to be over


@pytest.fixture(autouse=True)
def no_run_outlives_its_test():
    """Import into a test module: whatever a test asserts, its docsexec children end with it."""
    yield
    while _STARTED:
        _STARTED.pop().kill()


class Run:
    """`python -m docsexec ARGS` in its own process group (as a shell runs a foreground job), with
    a watcher that records the ids of the sandboxes it owns, even ones that live a few ms."""

    def __init__(self, *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> None:
        self.args = args
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "docsexec", *args],
            cwd=cwd or docsexec_cwd(args),
            env=dict(env) if env is not None else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.started = time.monotonic()
        _STARTED.append(self)
        self.stdout = self.stderr = ""
        self._sandboxes = SandboxWatcher(self.proc.pid)  # -j: its workers' sandboxes too

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def sids(self) -> set[str]:
        return self._sandboxes.sids

    def wait_for(self, condition: Callable[[], bool], timeout: float = 60, what: str = "condition") -> float:
        """Poll every 2 ms until condition() holds; returns seconds since start. Fails if the
        run ended first (with its output), or on timeout."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self.proc.poll() is not None:
                self.finish()
                raise AssertionError(
                    f"the run ended before {what}: rc={self.proc.returncode}\n{self.stdout}\n{self.stderr}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.002)
        return time.monotonic() - self.started

    def signal(self, sig: int, group: bool = False) -> float:
        """Send sig to the docsexec process (or its whole process group, as a terminal's Ctrl-C
        does); returns the monotonic time it was sent."""
        sent = time.monotonic()
        if group:
            os.killpg(self.pid, sig)
        else:
            os.kill(self.pid, sig)
        return sent

    def finish(self, timeout: float = 120) -> int:
        try:
            self.stdout, self.stderr = self.proc.communicate(timeout=timeout)
        finally:
            self._sandboxes.stop()
        return self.proc.returncode

    def kill(self) -> None:
        """For test teardown: make sure the child is gone whatever happened."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.finish(timeout=30)


class SandboxWatcher:
    """Records, every 3 ms from its creation until stop(), the sandboxes owned by `ancestor` or
    by a process descending from it (a run's -j workers; a test's docsexec children). Those
    that exist already when it starts (a module's engine fixture) are not recorded.

    This is how a test asks "did what I started leave anything?" while other tests, on other
    xdist workers, start sandboxes, and a run they SIGKILLed leaves a stale one until a reaper
    comes: neither is this test's."""

    def __init__(self, ancestor: int) -> None:
        self.ancestor = ancestor
        self.sids: set[str] = set()
        self._there_before = set(_sandbox_entries())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.scan()
            time.sleep(0.003)

    def scan(self) -> None:
        for sid, entry in _sandbox_entries().items():
            if sid in self.sids or sid in self._there_before:
                continue
            try:
                owner = json.loads((entry / "owner.json").read_text())
            except (OSError, ValueError):
                continue
            if _descends_from(owner.get("pid"), self.ancestor):
                self.sids.add(sid)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.scan()

    def left(self) -> list[str]:
        """What the recorded sandboxes left on the machine; fails if none was ever seen (the
        question would then be empty)."""
        self.stop()
        assert self.sids, "no sandbox of this test was ever seen"
        return left_by(self.sids)


@contextmanager
def own_sandboxes() -> Iterator[SandboxWatcher]:
    """The sandboxes this test process (or any child of it) makes within the block."""
    watcher = SandboxWatcher(os.getpid())
    try:
        yield watcher
    finally:
        watcher.stop()


def _sandbox_entries() -> dict[str, Path]:
    """Sandbox roots and staging folders now in the run folder, by sandbox id."""
    try:
        entries = list(layout.RUN_DIR.iterdir())
    except OSError:
        return {}
    found = {entry.name.removeprefix(STAGING_PREFIX): entry for entry in entries}
    return {sid: entry for sid, entry in found.items() if layout.ID_RE.match(sid)}


def _descends_from(pid: object, ancestor: int) -> bool:
    """pid is `ancestor` or one of its live descendants (parents followed up to pid 1)."""
    current = pid if isinstance(pid, int) else None
    for _ in range(64):
        if current is None or current <= 1:
            return False
        if current == ancestor:
            return True
        current = _parent_of(current)
    return False


def _parent_of(pid: int) -> int | None:
    """The parent pid of a live process (a `-j` worker's parent is the docsexec run)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def own_sandbox_dirs(run: Run) -> list[Path]:
    """Roots (or staging folders) of the run's sandboxes, as soon as they exist."""
    return [
        p for sid in run.sids for p in (layout.root_dir(sid), layout.RUN_DIR / f"{STAGING_PREFIX}{sid}") if p.exists()
    ]


def left_by(sids: set[str]) -> list[str]:
    """Everything of these sandboxes still on the machine: daemons and other processes,
    namespaces, mounts, cgroups, root and staging folders (the page's folder is in the root)."""
    found: list[str] = []
    for sid in sorted(sids):
        found += [f"{sid}: {item}" for item in traces(sid)]
        staging = layout.RUN_DIR / f"{STAGING_PREFIX}{sid}"
        if staging.exists():
            found.append(f"{sid}: staging folder {staging}")
    return found


def processes_matching(text: str) -> list[int]:
    """Pids whose command line is exactly `text` (e.g. a page's `sleep 987`)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            line = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        if line == text:
            pids.append(int(entry))
    return pids


def write_page(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def one_line(stderr: str) -> str:
    """The single line a failing run prints; fails with the whole stderr if there are more."""
    lines = stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{stderr}"
    return lines[0]


def stop_signal_name(sig: int) -> str:
    return signal.Signals(sig).name
