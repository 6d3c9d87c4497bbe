"""One code path for `check` and `update` (trycmd's verify/overwrite switch).

scan -> run -> evaluate -> (update only) rewrite. `check` never writes; `update` writes only
blocks whose output really diverged, atomically, and only after the whole page has run.
"""

from __future__ import annotations

import time
from pathlib import Path

from . import provenance
from .blocks import Block
from .errors import BadInput
from .evaluate import DIVERGED, UPDATED, evaluate_page
from .page import Page
from .report import PageReport
from .rewrite import apply_bodies, body_lines
from .runner import PageRun, Progress, RunSettings, run_journey, run_page
from .scan import scan_file, scan_page


def verify_page(
    path: Path,
    settings: RunSettings,
    *,
    write: bool,
    progress: Progress | None = None,
    scanned: tuple[Page, list[Block]] | None = None,
    run: PageRun | None = None,
) -> tuple[PageReport, dict[str, list[str]]]:
    """Run one page. Returns its report and, per block id, the block's current body
    (what the diff compares against). `scanned` spares a second read of a page the caller
    has already scanned; `run`, a second run of a page already run (the pytest plugin shares
    one run per page between a page's items and the mutation test)."""
    page, blocks = scanned or scan_file(path)
    report = PageReport(path=path, engine_version="", seconds=0.0)
    if not blocks:
        return report, {}
    run = run or run_page(path, blocks, settings, progress)
    report.engine_version = run.engine_version
    report.seconds = run.seconds
    report.verdicts = evaluate_page(run)
    current = {b.id: body_lines(page, b) for b in blocks}
    if write:
        _write_back(page, report, current)
    return report, current


def verify_journey(
    scanned: list[tuple[Path, tuple[Page, list[Block]]]],
    settings: RunSettings,
    *,
    progress: Progress | None = None,
    page_started=None,
) -> list[tuple[PageReport, dict[str, list[str]]]]:
    """Check pages in reading order in one shell on one engine (journey.py says why); never
    writes: a page's outputs are recorded by its own run, the journey only confirms them."""
    pages = [(path, blocks) for path, (_, blocks) in scanned if blocks]
    runs = run_journey(pages, settings, progress, page_started)
    by_path = {path: page for path, (page, _) in scanned}
    return [_journey_report(run, by_path[run.path], blocks) for run, (_, blocks) in zip(runs, pages)]


def _journey_report(run: PageRun, page: Page, blocks: list[Block]) -> tuple[PageReport, dict[str, list[str]]]:
    report = PageReport(path=run.path, engine_version=run.engine_version, seconds=run.seconds)
    report.verdicts = evaluate_page(run)
    return report, {b.id: body_lines(page, b) for b in blocks}


def _write_back(page: Page, report: PageReport, current: dict[str, list[str]]) -> None:
    """Write divergent bodies and, for a page that now passes, its provenance line."""
    updates = [(v.block, v.written) for v in report.verdicts if v.written is not None and v.written != current[v.block.id]]
    new_page = apply_bodies(page, updates) if updates else page
    for verdict in report.verdicts:
        if verdict.written is not None and verdict.fixable and verdict.status == DIVERGED:
            verdict.status = UPDATED
    if report.ok:
        new_page = _stamped(new_page, report.engine_version)
    if new_page.lines == page.lines:
        return
    fresh, _ = scan_file(page.path)  # the page must not have changed while it ran
    if fresh.lines != page.lines:
        raise BadInput(page.path, 1, "the page changed on disk while it ran; nothing was written, run again")
    new_page.write_atomically()
    report.written = True


def _stamped(page: Page, engine_version: str) -> Page:
    """Set the provenance line when the verified blocks or the engine changed; else keep it."""
    digest = provenance.blocks_digest(page, scan_page(page))
    old = provenance.read(page)
    if old is not None and old.digest == digest and old.engine == engine_version:
        return page
    today = time.strftime("%Y-%m-%d", time.gmtime())
    return provenance.with_provenance(page, provenance.Provenance(engine_version, today, digest))
