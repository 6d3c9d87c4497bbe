"""One code path for `check` and `update` (trycmd's verify/overwrite switch).

scan -> run -> evaluate -> (update only) rewrite. `check` never writes; `update` writes only
blocks whose output really diverged, atomically, and only after the whole page has run.
"""

from __future__ import annotations

from pathlib import Path

from .evaluate import DIVERGED, UPDATED, evaluate_page
from .report import PageReport
from .rewrite import apply_bodies, body_lines
from .runner import Progress, RunSettings, run_page
from .scan import scan_file


def verify_page(path: Path, settings: RunSettings, *, write: bool, progress: Progress | None = None) -> tuple[PageReport, dict[str, list[str]]]:
    """Run one page. Returns its report and, per block id, the block's current body
    (what the diff compares against)."""
    page, blocks = scan_file(path)
    report = PageReport(path=path, engine_version="", seconds=0.0)
    if not blocks:
        return report, {}
    run = run_page(path, blocks, settings, progress)
    report.engine_version = run.engine_version
    report.seconds = run.seconds
    report.verdicts = evaluate_page(run)
    current = {b.id: body_lines(page, b) for b in blocks}
    if write:
        updates = [(v.block, v.written) for v in report.verdicts if v.written is not None and v.written != current[v.block.id]]
        if updates:
            # Re-read: the page must not have changed while it ran, or the edit would be lost.
            fresh, _ = scan_file(path)
            if fresh.lines != page.lines:
                raise_changed(path)
            apply_bodies(page, updates).write_atomically()
            report.written = True
        for verdict in report.verdicts:
            if verdict.written is not None and verdict.fixable and verdict.status == DIVERGED:
                verdict.status = UPDATED
    return report, current


def raise_changed(path: Path) -> None:
    from .errors import BadInput

    raise BadInput(path, 1, "the page changed on disk while it ran; nothing was written, run again")
