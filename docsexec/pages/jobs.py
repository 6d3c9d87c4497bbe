"""Run verification jobs several at a time, and hand their outcomes back in job order.

A job is one page on one engine (verify.Job, made by the plan). With `workers` > 1 each job runs in a forked child
process, which starts its own private engine, records its progress events instead of
printing them, and sends its outcome back through a pipe. The parent delivers outcomes in
the order of the job list, so what is printed and reported is the same as a serial run.

Why processes rather than threads: a page's teardown runs on KeyboardInterrupt (the CLI turns
SIGINT/SIGTERM/SIGHUP into one), and only a process's main thread receives signals. Each child
is in its own process group (a terminal's Ctrl-C reaches the parent only, which forwards one
SIGTERM to every child, so each tears its engine down exactly once) and asks the kernel for a
SIGTERM should the parent die (a SIGKILLed parent does not leave engines running). The sandbox
records the child's own pid as its owner, so the reaper of another run spares it while it runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import selectors
import signal
import sys
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DocsexecError, UsageError
from ..model import Block, BlockResult, PageReport, PageRun, Progress, ProgressEvent
from ..verify import Job
from . import shards

PR_SET_PDEATHSIG = 1


Event = tuple[ProgressEvent, Block, BlockResult | None]


@dataclass
class Outcome:
    """What a job produced: its report, or the error that ended it."""

    job: Job
    report: PageReport | None = None
    events: list[Event] = field(default_factory=list)  # progress, in the order it happened
    error: tuple[int, str] | None = None  # (exit code, one-line message)
    interrupted: bool = False
    printed: bool = False  # its progress was printed live (a serial run): do not replay it
    run: PageRun | None = None  # the raw run, for callers that evaluate it themselves (pytest)

    def raise_error(self) -> None:
        if self.error is not None:
            raise JobFailed(*self.error)


class JobFailed(DocsexecError):
    """A job's error, carried over from the child process that ran it."""

    def __init__(self, exit_code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code


Work = Callable[[Job, Progress], Outcome]


def run_ordered(
    jobs: list[Job],
    work: Work,
    workers: int,
    *,
    known: dict[int, Outcome] | None = None,
    live: Callable[[Job], Progress] | None = None,
    waiting: Callable[[list[Path]], None] | None = None,
) -> Generator[Outcome, None, None]:
    """Outcomes of `jobs` in order; at most `workers` run at once (1: in this process, with
    progress printed live through `live(job)`). `known` holds outcomes that need no run
    (cache hits): they are delivered in their turn too. `waiting(paths)` is told which pages
    are running whenever that changes (a terminal's transient status line)."""
    known = dict(known or {})
    to_run = [job for job in jobs if job.index not in known]
    if workers <= 1 or len(to_run) <= 1:
        yield from _serial(jobs, work, known, live)
        return
    yield from _Pool(jobs, work, workers, known, waiting).outcomes()


def _serial(
    jobs: list[Job], work: Work, known: dict[int, Outcome], live: Callable[[Job], Progress] | None
) -> Iterator[Outcome]:
    for job in jobs:
        if job.index in known:
            yield known[job.index]
            continue
        events: list[Event] = []
        progress = live(job) if live else _recorder(events)
        try:
            outcome = work(job, progress)
        except DocsexecError as exc:  # as a child reports it: the caller decides what it ends
            outcome = Outcome(job=job, error=(exc.exit_code, exc.one_line()))
        outcome.events = events
        outcome.printed = live is not None
        yield outcome
        if outcome.error is not None:
            return


def _recorder(events: list[Event]) -> Progress:
    """A progress callback that records its events, to be replayed in job order."""

    def record(event: ProgressEvent, block: Block, result: BlockResult | None) -> None:
        events.append((event, block, result))

    return record


def heaviest_first(jobs: list[Job]) -> list[Job]:
    """The jobs in the order to start them: the longest pages first (by their recorded times,
    shards.py), so that no long page starts last and ends the run late; a page with no
    recorded time counts as the mean of those known. Outcomes keep the jobs' own order."""
    try:
        times = shards.recorded_times(None)
    except UsageError:
        return jobs  # a damaged times file changes the order only, never the verdicts
    keys = [shards.page_key(job.path) for job in jobs]
    known = [times[key] for key in keys if key in times]
    mean = sum(known) / len(known) if known else 0.0
    return [job for _, job in sorted(zip(keys, jobs, strict=True), key=lambda pair: -times.get(pair[0], mean))]


class _Pool:
    """Forked children, at most `workers` alive; outcomes buffered until their turn."""

    def __init__(
        self,
        jobs: list[Job],
        work: Work,
        workers: int,
        known: dict[int, Outcome],
        waiting: Callable[[list[Path]], None] | None = None,
    ) -> None:
        self._waiting = waiting
        self._order = [job.index for job in jobs]
        self._pending = heaviest_first([job for job in jobs if job.index not in known])
        self._work = work
        self._workers = workers
        self._live: dict[int, tuple[Job, int, bytearray]] = {}  # fd -> (job, pid, bytes so far)
        self._done: dict[int, Outcome] = dict(known)
        self._selector = selectors.DefaultSelector()

    def outcomes(self) -> Iterator[Outcome]:
        try:
            for index in self._order:
                while index not in self._done:
                    self._fill()
                    self._wait_one()
                outcome = self._done.pop(index)
                yield outcome
                if outcome.error is not None or outcome.interrupted:
                    return  # as a serial run would: nothing after a page that could not run
        finally:
            self._stop_all()

    def _fill(self) -> None:
        while self._pending and len(self._live) < self._workers:
            job = self._pending.pop(0)
            read_fd, write_fd = os.pipe()
            sys.stdout.flush()  # else the child would inherit, and print again, what is buffered
            sys.stderr.flush()
            parent = os.getpid()
            pid = os.fork()
            if pid == 0:
                os.close(read_fd)
                _child(job, self._work, write_fd, parent)  # never returns
            os.close(write_fd)
            self._live[read_fd] = (job, pid, bytearray())
            self._selector.register(read_fd, selectors.EVENT_READ)
            if self._waiting:
                self._waiting([live_job.path for live_job, _, _ in self._live.values()])

    def _wait_one(self) -> None:
        """Read from children until one finishes."""
        while True:
            for key, _ in self._selector.select():
                fd = key.fd
                chunk = os.read(fd, 1 << 16)
                job, pid, buffer = self._live[fd]
                if chunk:
                    buffer.extend(chunk)
                    continue
                self._finish(fd, job, pid, bytes(buffer))
                return

    def _finish(self, fd: int, job: Job, pid: int, data: bytes) -> None:
        self._selector.unregister(fd)
        os.close(fd)
        del self._live[fd]
        _, status = os.waitpid(pid, 0)
        try:
            outcome = pickle.loads(data)
        except Exception:  # noqa: BLE001 - a cut-off pickle fails in many ways; each means the child died
            code = os.waitstatus_to_exitcode(status)
            outcome = Outcome(job=job, error=(3, f"{job.path}: the process verifying this page died (exit {code})"))
        self._done[job.index] = outcome

    def _stop_all(self) -> None:
        """Interrupted or failed: one SIGTERM to each child (it tears its engine down), then wait.

        The pipes are closed first: an outcome no one will read must not keep a child blocked
        writing it (a pipe holds 64 KiB) while the parent waits for it to exit."""
        self._pending.clear()
        for fd, (_, pid, _) in self._live.items():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            self._selector.unregister(fd)
            os.close(fd)
        for _, pid, _ in self._live.values():
            _wait_through_signals(pid)
        self._live.clear()
        self._selector.close()


def _wait_through_signals(pid: int) -> None:
    """waitpid that a further Ctrl-C does not cut short: children are still cleaning up."""
    while True:
        try:
            os.waitpid(pid, 0)
            return
        except ChildProcessError:
            return
        except KeyboardInterrupt:
            continue


def _child(job: Job, work: Work, write_fd: int, parent: int) -> None:
    """In the forked child: run one job, send its outcome, exit without the parent's cleanups."""
    code = 0
    try:
        os.setpgid(0, 0)
        _die_with_parent(parent)
        events: list[Event] = []
        try:
            outcome = work(job, _recorder(events))
            outcome.events = events + outcome.events
        except KeyboardInterrupt:
            outcome, code = Outcome(job=job, interrupted=True), 130
        except DocsexecError as exc:
            outcome = Outcome(job=job, error=(exc.exit_code, exc.one_line()))
        _send(write_fd, outcome)
    except BaseException as exc:  # noqa: BLE001 - a forked child must never return into the parent's code
        with contextlib.suppress(BaseException):
            _send(write_fd, Outcome(job=job, error=(3, f"{job.path}: {type(exc).__name__}: {exc}")))
        code = 70
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _send(fd: int, outcome: Outcome) -> None:
    data = pickle.dumps(outcome)
    with os.fdopen(fd, "wb") as pipe:
        pipe.write(data)


def _die_with_parent(parent: int) -> None:
    """Linux: SIGTERM this child if the parent dies, so its engine is torn down."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it died before prctl took effect (the orphan's new parent need not be pid 1)
        os.kill(os.getpid(), signal.SIGTERM)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
