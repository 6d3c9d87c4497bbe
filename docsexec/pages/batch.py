"""`check`/`update` over many pages: one job per page, cache hits first, the rest scheduled.

This is the glue between the CLI and the pieces that each do one thing: jobs.py runs jobs
several at a time and hands outcomes back in order; runcache.py says whether an identical run
already passed; verify.py runs one page. What is printed, and in which order, is the same
whether pages ran one after another, at the same time, or not at all (cached).
"""

from __future__ import annotations

import sys
from contextlib import closing
from dataclasses import asdict, dataclass, replace

from ..model import BlockVerdict, EngineMode, Mode, PageReport, Progress, ProgressEvent, Status
from ..report.progress import ProgressPrinter
from ..report.report import print_problems
from ..scan.variants import select
from ..verify import Job
from .jobs import Outcome, run_ordered
from .runcache import RunCache, cache_enabled, engine_identity, new_entry, run_key


@dataclass(frozen=True)
class BatchOptions:
    workers: int = 1
    use_cache: bool = False  # look runs up in the cache (a check's jobs only); passing runs are stored either way


def verify_all(jobs: list[Job], options: BatchOptions, printer: ProgressPrinter, reports: list[PageReport]) -> None:
    """Verify every job (one page on one engine, in the plan's mode). Reports are appended
    in job order (to `reports`, so a caller's `finally` can still write what was done when a
    later page fails or Ctrl-C arrives)."""
    several_engines = len({job.settings.engine_source for job in jobs}) > 1
    keys, sources = _keys([j for j in jobs if j.settings.engine is EngineMode.SANDBOX]) if cache_enabled() else ({}, {})
    cache = RunCache()
    checks = [job for job in jobs if job.mode is Mode.CHECK]  # an update always runs: it rewrites the page
    known = _hits(checks, keys, cache) if options.use_cache else {}

    def live(job: Job) -> Progress:
        printer.page_started(str(job.path), len(job.scanned[1]), job.settings.engine, job.settings.engine_source)
        return printer

    outcomes = run_ordered(
        jobs,
        lambda job, progress: _run(job, progress),
        options.workers,
        known=known,
        live=live,
        waiting=printer.running,
    )
    with closing(outcomes):
        for outcome in outcomes:
            if not outcome.printed:
                _replay(printer, outcome)
            if outcome.error is not None:  # the page could not run: it is in the reports, then the run stops
                reports.append(_failed(outcome.job, outcome.error[1]))
            outcome.raise_error()
            if outcome.interrupted:
                raise KeyboardInterrupt
            assert outcome.report is not None
            reports.append(outcome.report)
            print_problems(outcome.report, several_engines)
            if outcome.job.index in keys and outcome.report.cached is None:
                _remember(cache, keys[outcome.job.index], sources[outcome.job.index], outcome.report)


def _failed(job: Job, message: str) -> PageReport:
    """The report of a page that could not run at all (its engine did not start, say)."""
    return PageReport(
        path=job.path, engine_version="", seconds=0.0, error=message, engine_source=job.settings.source_name
    )


def _run(job: Job, progress: Progress) -> Outcome:
    from ..verify import verify_page

    # An update reads the page afresh: a second engine's update compares against what the
    # primary's just wrote.
    update = job.mode is Mode.UPDATE
    report = verify_page(
        job.path, job.settings, mode=job.mode, progress=progress, scanned=None if update else job.scanned
    )
    return Outcome(job=job, report=report)


def _keys(jobs: list[Job]) -> tuple[dict[int, str], dict[int, str]]:
    """Each job's cache key and engine source. Sandbox jobs only: a shared engine's state is
    the caller's, so its runs are never cached. Every run setting enters the key (asdict), so
    a setting added later is covered without a change here; the engine the plan resolved for
    the job (the one its sandbox starts, page client too) enters as its files' identity."""
    keys: dict[int, str] = {}
    sources: dict[int, str] = {}
    for job in jobs:
        engine = job.settings.install
        if engine is None:
            continue
        page, blocks = job.scanned
        settings = asdict(replace(job.settings, install=None))
        keys[job.index] = run_key(page, blocks, settings, engine_identity(engine))
        sources[job.index] = engine.source
    return keys, sources


def _hits(jobs: list[Job], keys: dict[int, str], cache: RunCache) -> dict[int, Outcome]:
    known: dict[int, Outcome] = {}
    for job in jobs:
        if job.index not in keys:
            continue
        _, all_blocks = job.scanned
        blocks = select(all_blocks, job.settings.source_name, job.settings.primary_name)
        entry = cache.lookup(keys[job.index], blocks)
        if entry is None:
            continue
        seconds = dict(entry.block_seconds)
        report = PageReport(
            path=job.path,
            engine_version=entry.engine_version,
            seconds=entry.seconds,
            cached=entry,
            engine_source=job.settings.source_name,
        )
        report.verdicts = [BlockVerdict(block=b, status=Status.OK, seconds=seconds[b.id]) for b in blocks]
        known[job.index] = Outcome(job=job, report=report)
    return known


def _remember(cache: RunCache, key: str, source: str, report: PageReport) -> None:
    """Store a run that passed with nothing to write (an updated block is not verified yet)."""
    if report.error is not None or not report.verdicts or any(v.status is not Status.OK for v in report.verdicts):
        return
    entry = new_entry(
        key, report.engine_version, source, report.seconds, [(v.block.id, v.seconds) for v in report.verdicts]
    )
    try:
        cache.store(entry)
    except OSError as exc:  # a cache that cannot be written costs speed, never correctness
        print(f"docsexec: warning: cannot write the run cache {cache.root}: {exc.strerror}", file=sys.stderr)


def _replay(printer: ProgressPrinter, outcome: Outcome) -> None:
    """Print a job's progress now, as a serial run would have printed it while it ran."""
    report = outcome.report
    if report is not None and report.cached is not None:
        printer.page_cached(str(outcome.job.path), report.verdicts, report.cached.describe())
        return
    printer.page_started(
        str(outcome.job.path),
        len(outcome.job.scanned[1]),
        outcome.job.settings.engine,
        outcome.job.settings.engine_source,
    )
    for event, block, result in outcome.events:
        if event is not ProgressEvent.START:  # "running <block>" means nothing for a page that is done
            printer(event, block, result)
