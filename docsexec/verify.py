"""One code path for `check` and `update` (trycmd's verify/overwrite switch).

scan -> select the blocks of one engine -> run -> evaluate -> (update only) rewrite. `check`
never writes; `update` writes only blocks whose output really diverged, atomically, and only
after the whole page has run. One call is one (page, engine source) job: a page configured
for two engines is two jobs. Checks of different jobs are independent; updates of one page's
jobs run in the configured order (the primary's first), because a second engine's update
compares against what the primary just wrote and records a variant only where it differs.
"""

from __future__ import annotations

import time
from pathlib import Path

from .write import provenance
from .scan import variants
from .model import Block
from .errors import BadInput
from .compare.evaluate import DIVERGED, UPDATED, BlockVerdict, evaluate_page
from .page import Page
from .report.report import PageReport
from .write.rewrite import apply_bodies, body_lines
from .run.runner import PageRun, Progress, RunSettings, run_journey, run_page
from .scan.fences import scan_file, scan_page
from .write.tabs import split_blocks


def verify_page(
    path: Path,
    settings: RunSettings,
    *,
    write: bool,
    progress: Progress | None = None,
    scanned: tuple[Page, list[Block]] | None = None,
    run: PageRun | None = None,
) -> tuple[PageReport, dict[str, list[str]]]:
    """Run one page on settings' engine source. Returns its report and, per block id, the
    block's current body (what the diff compares against). `scanned` spares a second read of
    a page the caller has already scanned; `run`, a second run of a page already run (the
    pytest plugin shares one run per page and engine between a page's items and the
    mutation test)."""
    page, all_blocks = scanned or scan_file(path)
    source = settings.source_name
    blocks = variants.select(all_blocks, source, settings.primary_name)
    report = PageReport(path=path, engine_version="", seconds=0.0, engine_source=source)
    if not blocks:
        return report, {}
    run = run or run_page(path, blocks, settings, progress)
    report.engine_version = run.engine_version
    report.seconds = run.seconds
    report.verdicts = evaluate_page(run)
    current = {b.id: body_lines(page, b) for b in blocks}
    if write:
        _write_back(page, report, current, settings)
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
    source = settings.source_name
    pages = [(path, variants.select(blocks, source, settings.primary_name)) for path, (_, blocks) in scanned if blocks]
    runs = run_journey(pages, settings, progress, page_started)
    by_path = {path: page for path, (page, _) in scanned}
    return [_journey_report(run, by_path[run.path], blocks, source) for run, (_, blocks) in zip(runs, pages)]


def _journey_report(run: PageRun, page: Page, blocks: list[Block], source: str) -> tuple[PageReport, dict[str, list[str]]]:
    report = PageReport(path=run.path, engine_version=run.engine_version, seconds=run.seconds, engine_source=source)
    report.verdicts = evaluate_page(run)
    return report, {b.id: body_lines(page, b) for b in blocks}


def _write_back(page: Page, report: PageReport, current: dict[str, list[str]], settings: RunSettings) -> None:
    """Write divergent bodies (or, on a non-primary engine, per-engine tabs) and, for a page
    that now passes, this engine's provenance entry."""
    changed = [v for v in report.verdicts if v.written is not None and v.written != current[v.block.id]]
    updates, splits = _partition(changed, settings)
    new_page = apply_bodies(page, updates) if updates else page
    if splits:
        new_page = _split(new_page, splits, settings, report.engine_version)
    for verdict in report.verdicts:
        if verdict.written is not None and verdict.fixable and verdict.status == DIVERGED:
            verdict.status = UPDATED
    if report.ok:
        new_page = _stamped(new_page, settings, report.engine_version)
    if new_page.lines == page.lines:
        return
    fresh, _ = scan_file(page.path)  # the page must not have changed while it ran
    if fresh.lines != page.lines:
        raise BadInput(page.path, 1, "the page changed on disk while it ran; nothing was written, run again")
    new_page.write_atomically()
    report.written = True


def _partition(changed: list[BlockVerdict], settings: RunSettings) -> tuple[list, list]:
    """(bodies to overwrite, blocks to split into per-engine tabs). On the primary engine, or a
    block's own variant, the body is overwritten; a block shared by all engines that differs on
    another engine is split, unless it says data-engine-diff="error"."""
    updates, splits = [], []
    for verdict in changed:
        block, source = verdict.block, settings.source_name
        if source == settings.primary_name or block.options.engine == source:
            updates.append((block, verdict.written))
        elif block.options.engine is not None:
            verdict.fixable = False
            verdict.problems.append(f"{block.where}: differs on {source}, which has no variant of this block: add one, or use the primary's engine")
        elif block.options.engine_diff == "error":
            verdict.fixable = False
            verdict.problems.append(f"{block.where}: output differs on {source} and data-engine-diff=\"error\" forbids per-engine variants")
        else:
            splits.append((block, verdict.written))
    return updates, splits


def _split(page: Page, splits: list, settings: RunSettings, version: str) -> Page:
    """Re-find the split blocks in the page as it is now (bodies above may have moved them)."""
    by_id = {b.id: b for b in scan_page(page)}
    moved = [(by_id[block.id], body) for block, body in splits]
    primary = settings.primary_name
    return split_blocks(page, moved, (primary, variants.tab_label(_engine_version(primary))),
                        (settings.source_name, variants.tab_label(version)))


def _engine_version(source: str) -> str:
    from .engine.provision import find_engine

    found = find_engine(source)
    return found.version if found is not None else source


def _stamped(page: Page, settings: RunSettings, engine_version: str) -> Page:
    """Set this engine's provenance entry when its blocks or version changed; else keep it."""
    source = settings.source_name
    digest = provenance.blocks_digest(page, variants.select(scan_page(page), source, settings.primary_name))
    record = provenance.EngineRecord(source, engine_version, digest)
    old = provenance.read(page) or provenance.Provenance("", ())
    if old.record(source) == record:
        return page
    today = time.strftime("%Y-%m-%d", time.gmtime())
    return provenance.with_provenance(page, old.with_record(record, today))
