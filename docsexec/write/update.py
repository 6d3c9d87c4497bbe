"""The update step: write a page's divergent outputs back, and say what was written.

Given the verdicts of one page's run on one engine: on the primary engine (or for a block's
own variant) a divergent body is overwritten; a block shared by all engines that differs on
another engine becomes per-engine tabs (unless it says data-engine-diff="error"); a page that
now passes gets this engine's provenance entry. The page is written once, atomically, and only
if it did not change on disk while it ran. The verdicts are not touched: `Written` says which
blocks are now up to date and which could not be written, and verify.py settles the verdicts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..errors import BadInput
from ..model import Block, BlockVerdict, Status
from ..page import Page
from ..scan.fences import scan_page
from ..scan.variants import select, tab_label
from . import provenance
from .rewrite import apply_bodies
from .tabs import split_blocks


@dataclass(frozen=True)
class Target:
    """The engine a run was on, as the update step needs it."""

    source: str  # the engine source this run was on ("debian-trixie")
    primary: str  # the site's primary engine source
    version: str  # this run's engine version


@dataclass
class Written:
    """What the update step did to a page."""

    updated: set[str] = field(default_factory=set)  # block ids whose real output is now on the page
    refused: dict[str, str] = field(default_factory=dict)  # block id -> why this engine cannot write it
    page_written: bool = False  # the file changed (bodies, tabs or provenance)


def update_page(page: Page, verdicts: list[BlockVerdict], target: Target) -> Written:
    """Write the divergent bodies of `page` (as scanned, before its run) and return what was written."""
    changed = [v for v in verdicts if v.written is not None and v.written != list(v.block.body)]
    updates, splits, refused = _partition(changed, target)
    new_page = apply_bodies(page, updates) if updates else page
    if splits:
        new_page = _split(new_page, splits, target)
    updated = {
        v.block.id
        for v in verdicts
        if v.written is not None and v.fixable and v.status is Status.DIVERGED and v.block.id not in refused
    }
    if all(v.status.passing or v.block.id in updated for v in verdicts):
        new_page = _stamped(new_page, target)
    written = Written(updated=updated, refused=refused)
    if new_page.lines != page.lines:
        if Page.read(page.path).lines != page.lines:  # the page must not have changed while it ran
            raise BadInput(page.path, 1, "the page changed on disk while it ran; nothing was written, run again")
        new_page.write_atomically()
        written.page_written = True
    return written


def _partition(
    changed: list[BlockVerdict], target: Target
) -> tuple[list[tuple[Block, list[str]]], list[tuple[Block, list[str]]], dict[str, str]]:
    """(bodies to overwrite, blocks to split into per-engine tabs, blocks refused and why)."""
    updates: list[tuple[Block, list[str]]] = []
    splits: list[tuple[Block, list[str]]] = []
    refused: dict[str, str] = {}
    for verdict in changed:
        block, body = verdict.block, verdict.written or []
        if target.source == target.primary or block.options.engine == target.source:
            updates.append((block, body))
        elif block.options.engine is not None:
            refused[block.id] = (
                f"{block.where}: differs on {target.source}, which has no variant of this block: add one, or use the primary's engine"
            )
        elif block.options.engine_diff == "error":
            refused[block.id] = (
                f'{block.where}: output differs on {target.source} and data-engine-diff="error" forbids per-engine variants'
            )
        else:
            splits.append((block, body))
    return updates, splits, refused


def _split(page: Page, splits: list[tuple[Block, list[str]]], target: Target) -> Page:
    """Re-find the split blocks in the page as it is now (bodies above may have moved them)."""
    by_id = {b.id: b for b in scan_page(page)}
    moved = [(by_id[block.id], body) for block, body in splits]
    return split_blocks(
        page,
        moved,
        (target.primary, tab_label(_engine_version(target.primary))),
        (target.source, tab_label(target.version)),
    )


def _engine_version(source: str) -> str:
    from ..engine.provision import find_engine

    found = find_engine(source)
    return found.version if found is not None else source


def _stamped(page: Page, target: Target) -> Page:
    """Set this engine's provenance entry when its blocks or version changed; else keep it."""
    digest = provenance.blocks_digest(select(scan_page(page), target.source, target.primary))
    record = provenance.EngineRecord(target.source, target.version, digest)
    old = provenance.read(page) or provenance.Provenance("", ())
    if old.record(target.source) == record:
        return page
    today = time.strftime("%Y-%m-%d", time.gmtime())
    return provenance.with_provenance(page, old.with_record(record, today))
