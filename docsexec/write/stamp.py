"""Is a page's provenance line (its stamp) current? The one rule both the MkDocs/Zensical
gate (faces/markdown_ext) and `docsexec check` apply: each engine the project configures
needs an entry whose digest matches the blocks that engine runs. Static: no engine runs."""

from __future__ import annotations

from pathlib import Path

from ..model import Block, PageReport
from ..page import Page
from ..scan import variants
from ..scan.fences import scan_page
from . import provenance


def required_engines(configured: tuple[str, ...], record: provenance.Provenance | None) -> tuple[str, ...]:
    """The engines the page must be verified on: the project's (`configured`, its
    [tool.docsexec] engines: pages/config.py); without a configuration, the ones the page names."""
    return configured or tuple(r.source for r in (record.records if record else ()))


def gate_problem(
    path: Path, page: Page, blocks: list[Block], record: provenance.Provenance | None, engines: tuple[str, ...]
) -> str | None:
    """Why the build must stop for this page (file:line first), or None. Each configured
    engine needs an entry whose digest matches the blocks that engine runs."""
    update = f"run `docsexec update {path}`"
    if record is None:
        return f"{path}:1: page has tagged blocks but was never verified: {update}"
    missing = [e for e in engines if record.record(e) is None]
    if missing:
        done = len(engines) - len(missing)
        return f"{path}:1: verified on {done} of the {len(engines)} configured engines (not on {', '.join(missing)}): {update}"
    primary = engines[0] if engines else ""
    for engine in engines:
        entry = record.record(engine)
        assert entry is not None
        digest = provenance.blocks_digest(variants.select(blocks, engine, primary))
        if digest != entry.digest:
            changed = changed_block(page, blocks)
            if changed is not None:
                return (
                    f"{changed.where}: the block is not what its last verified run on {engine} recorded "
                    f"(edited by hand, or outputs of another run): {update}"
                )
            return (
                f"{path}:1: tagged blocks changed since their last verified run on {engine} "
                f"(digest {digest} != {entry.digest}): {update}"
            )
    return None


def changed_block(page: Page, blocks: list[Block]) -> Block | None:
    """The first block whose digest differs from the one the page was stamped with (the
    provenance line's `blocks`), or None when the line has none or none differs."""
    record = provenance.read(page)
    stamped = record.blocks if record is not None else ()
    if not stamped:
        return None
    now = provenance.block_digests(blocks)
    return next((block for block, a, b in zip(blocks, now, stamped, strict=False) if a != b), None) or (
        blocks[len(stamped)] if len(blocks) > len(stamped) else None
    )


def stale_reports(ran: list[PageReport], configured: tuple[str, ...]) -> list[PageReport]:
    """`check`'s stamp verdicts, one PageReport (with the gate's line as its error) per stale
    page. Only a page whose runs here passed on every engine the project configures for it:
    a run restricted to fewer (--engine-source, DOCSEXEC_ENGINE, a shared engine) cannot
    tell a stamp it did not re-verify is wrong, and a failing page has a better problem to
    show. A cached pass counts: the stamp is read from the page, no engine needed."""
    by_page: dict[Path, list[PageReport]] = {}
    for report in ran:
        by_page.setdefault(report.path, []).append(report)
    stale = []
    for path, reports in by_page.items():
        page = Page.read(path)
        record = provenance.read(page)
        engines = required_engines(configured, record)
        covered = {r.engine_source for r in reports}
        if not engines or not all(r.ok for r in reports) or not covered >= set(engines):
            continue
        problem = gate_problem(path, page, scan_page(page), record, engines)
        if problem is not None:
            stale.append(PageReport(path=path, engine_version="", seconds=0.0, error=problem))
    return stale
