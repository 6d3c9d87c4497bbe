"""One code path for `check` and `update` (trycmd's verify/overwrite switch).

scan -> select the blocks of one engine -> run -> compare (evaluate) -> (update only) write
-> report. A translation takes the same path with its source page in place of the run
(verify_translation): its blocks are the source's, verified by the source's own runs.
`check` never writes; `update` writes only blocks whose output really diverged, atomically,
and only after the whole page has run. One call is one (page, engine source) job:
a page configured for two engines is two jobs. Checks of different jobs are independent;
updates of one page's jobs run in the configured order (the primary's first), because a
second engine's update compares against what the primary just wrote and records a variant
only where it differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from .compare.prose import prose_report
from .compare.translation import compare_translation, engines_problem
from .model import Block, BlockVerdict, Mode, PageReport, PageRun, Progress, Status
from .page import Page
from .run.runner import RunSettings
from .scan.fences import scan_file
from .scan.translations import source_of
from .scan.variants import select
from .write.translation import mark_rewritten, sync_structure, sync_translation
from .write.update import Target, UpdateOutcome, update_page

Scanned = tuple[Page, list[Block]]  # a page and its tagged blocks, as scanned


@dataclass(frozen=True)
class Job:
    """One page on one engine: the unit of a run (pages/plan.py makes them, pages/jobs.py
    runs them several at a time)."""

    index: int  # its place in the plan: outcomes are delivered in this order
    path: Path
    scanned: Scanned  # the page as scanned when the plan was made
    settings: RunSettings  # the engine it runs on, resolved
    mode: Mode = Mode.CHECK


def verify_page(
    path: Path,
    settings: RunSettings,
    *,
    mode: Mode,
    progress: Progress | None = None,
    scanned: Scanned | None = None,
    run: PageRun | None = None,
) -> PageReport:
    """Run one page on settings' engine source and report it; each verdict's block holds the
    body the page records (what a diff compares against). `scanned` spares a second read of
    a page the caller has already scanned; `run`, a second run of a page already run (the
    pytest plugin shares one run per page and engine between a page's items and the
    mutation test)."""
    from .compare.evaluate import evaluate_page  # here: a re-check from the cache loads no comparator
    from .run.runner import run_page

    page, all_blocks = scanned or scan_file(path)
    source = settings.source_name
    blocks = select(all_blocks, source, settings.primary_name)
    report = PageReport(path=path, engine_version="", seconds=0.0, engine_source=source)
    if not blocks:
        return report
    run = run or run_page(path, blocks, settings, progress)
    report.engine_version, report.seconds = run.engine_version, run.seconds
    report.daemon_settings = run.daemon_settings
    report.verdicts = evaluate_page(run, settings.primary_name)
    if mode is Mode.UPDATE:
        target = Target(source, settings.primary_name, run.engine_version, settings.engines, settings.versions)
        outcome = update_page(page, report.verdicts, target)
        report.verdicts = [settle(verdict, outcome) for verdict in report.verdicts]
        report.page_changed = outcome.page_changed
    return report


def settle(verdict: BlockVerdict, outcome: UpdateOutcome) -> BlockVerdict:
    """A verdict after the update step: UPDATED when its real output is now on the page; with
    the reason when this engine could not write it."""
    ident = verdict.block.id
    if ident in outcome.refused:
        return replace(verdict, fixable=False, problems=[*verdict.problems, outcome.refused[ident]])
    if ident in outcome.updated:
        return replace(verdict, status=Status.UPDATED)
    return verdict


def verify_journey(
    scanned: list[tuple[Path, Scanned]],
    settings: RunSettings,
    *,
    progress: Progress | None = None,
    page_started: Callable[[Path, int], None] | None = None,
) -> list[PageReport]:
    """Check pages in reading order in one shell on one engine (pages/journey.py says why);
    never writes: a page's outputs are recorded by its own run, the journey only confirms them."""
    from .run.runner import run_journey

    source = settings.source_name
    pages = [(path, select(blocks, source, settings.primary_name)) for path, (_, blocks) in scanned if blocks]
    runs = run_journey(pages, settings, progress, page_started)
    return [
        _journey_report(path, run, source, settings.primary_name) for run, (path, _) in zip(runs, pages, strict=True)
    ]


def _journey_report(path: Path, run: PageRun, source: str, primary: str) -> PageReport:
    from .compare.evaluate import evaluate_page

    report = PageReport(path=path, engine_version=run.engine_version, seconds=run.seconds, engine_source=source)
    report.daemon_settings = run.daemon_settings
    report.verdicts = evaluate_page(run, primary)
    return report


def verify_translation(path: Path, *, mode: Mode) -> list[PageReport]:
    """A translation through the stages, its source page (already run) in place of a run:
    (update: the source's block structure first) -> scan both -> compare its blocks with the
    source's -> (update only) write the source's bodies into it -> its reports: the blocks',
    then its prose's when the prose lags behind the English page (compare/prose.py)."""
    source_path = source_of(path)
    assert source_path is not None, f"{path} is not a translation"
    rewritten = sync_structure(path, source_path) if mode is Mode.UPDATE else set()
    source_page, source_blocks = scan_file(source_path)
    page, blocks = scan_file(path)
    report = compare_translation(page, blocks, source_page, source_blocks)
    if mode is Mode.UPDATE:
        sync_translation(page, source_page, report)
        mark_rewritten(report, rewritten)
    else:
        report.error = engines_problem(page, source_page)
    prose = prose_report(path)
    return [report] if prose is None else [report, prose]
