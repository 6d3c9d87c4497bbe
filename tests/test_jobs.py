"""The -j scheduler (pages/jobs.py) with stand-in work: no engine, only forked children."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from docsexec.errors import UsageError
from docsexec.page import Page
from docsexec.pages.jobs import Job, Outcome, _die_with_parent, run_ordered
from docsexec.run.runner import RunSettings

SCANNED = (Page(Path("docs/p.md"), [], "\n", False, True), [])  # the stand-in work never reads it


def _jobs(count: int) -> list[Job]:
    return [Job(index=i, path=Path(f"docs/p{i}.md"), scanned=SCANNED, settings=RunSettings()) for i in range(count)]


def test_outcomes_come_in_job_order_whatever_order_the_children_finish_in():
    def work(job, progress):
        time.sleep(0.05 * (3 - job.index))  # the last job finishes first
        return Outcome(job=job)

    assert [o.job.index for o in run_ordered(_jobs(4), work, 4)] == [0, 1, 2, 3]


def test_known_outcomes_are_delivered_in_their_turn_without_a_run():
    def work(job, progress):
        assert job.index != 1
        return Outcome(job=job)

    jobs = _jobs(3)
    known = {1: Outcome(job=jobs[1], printed=True)}
    outcomes = list(run_ordered(jobs, work, 2, known=known))
    assert [o.job.index for o in outcomes] == [0, 1, 2] and outcomes[1].printed


def test_an_error_in_a_child_comes_back_as_the_jobs_error_and_ends_the_run():
    def work(job, progress):
        if job.index == 0:
            raise UsageError("no such thing")
        return Outcome(job=job)

    outcomes = list(run_ordered(_jobs(3), work, 2))
    assert len(outcomes) == 1 and outcomes[0].error == (UsageError.exit_code, "no such thing")


def test_a_child_that_dies_is_an_error_not_a_lost_outcome():
    def work(job, progress):
        if job.index == 1:
            os._exit(9)
        return Outcome(job=job)

    outcomes = list(run_ordered(_jobs(2), work, 2))
    assert outcomes[0].error is None and outcomes[1].error is not None and "died (exit 9)" in outcomes[1].error[1]


def test_stopping_does_not_hang_on_a_child_still_sending_a_large_outcome():
    """A child past its teardown (deaf to SIGTERM) writing more than a pipe holds: the pool
    must not wait for it while no one reads the pipe."""

    def work(job, progress):
        if job.index == 0:
            time.sleep(0.3)
            raise UsageError("first page failed")
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(0.6)
        return Outcome(job=job, events=[os.urandom(1 << 20)])  # type: ignore[list-item]

    def hung(signum, frame):
        raise TimeoutError("the pool hung")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(10)
    try:
        outcomes = list(run_ordered(_jobs(2), work, 2))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert [o.job.index for o in outcomes] == [0]


def test_a_child_whose_parent_is_already_gone_terminates_even_under_a_subreaper():
    """Reparented to a subreaper (a container's init, systemd --user), not to pid 1."""
    pid = os.fork()
    if pid == 0:
        try:
            _die_with_parent(parent=os.getppid() + 1_000_000)  # a parent it no longer has
            time.sleep(5)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM
