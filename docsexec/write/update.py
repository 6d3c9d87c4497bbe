"""The update step: write a page's outputs back literally, and say what was written.

Given the verdicts of one page's run on one engine. When an output diverged, or the page's
provenance entry for this engine is not current (a version change, an output edited since
its last verified run), every output this engine owns is rewritten exactly as this one run
printed it (`BlockVerdict.literal`: no value carried over from an earlier run or another
engine, only the author's elisions kept). The primary engine owns the shared blocks and its
own tabs; another engine owns its own tabs, and a shared block that differs on it becomes
per-engine tabs (unless it says data-engine-diff="error"). A page whose outputs all match
and whose entry is current is not written at all (no churn). A page that now passes gets
this engine's provenance entry. The page is written once, atomically, and only if it did
not change on disk while it ran. The verdicts are not touched: `Written` says which blocks
are now on the page as this run printed them and which could not be written, and verify.py
settles the verdicts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

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

    updated: set[str] = field(default_factory=set)  # block ids whose body is now this run's output, changed
    refused: dict[str, str] = field(default_factory=dict)  # block id -> why this engine cannot write it
    page_written: bool = False  # the file changed (bodies, tabs or provenance)


def update_page(page: Page, verdicts: list[BlockVerdict], target: Target) -> Written:
    """Write this run's outputs into `page` (as scanned, before its run) when it must, and
    return what was written."""
    written = Written()
    if not _must_write(page, verdicts, target):
        return written
    updates, splits, written.refused = _partition(verdicts, target)
    new_page = apply_bodies(page, updates) if updates else page
    if splits:
        new_page = _split(new_page, splits, target)
    written.updated = {block.id for block, _ in [*updates, *splits]}
    if all(v.status.passing or v.block.id in written.updated for v in verdicts) and not written.refused:
        new_page = _stamped(new_page, target)
    if new_page.lines != page.lines:
        if Page.read(page.path).lines != page.lines:  # the page must not have changed while it ran
            raise BadInput(page.path, 1, "the page changed on disk while it ran; nothing was written, run again")
        new_page.write_atomically()
        written.page_written = True
    return written


def _must_write(page: Page, verdicts: list[BlockVerdict], target: Target) -> bool:
    """An output diverged, or this engine's provenance entry does not vouch for the page."""
    if any(v.status is Status.DIVERGED for v in verdicts):
        return True
    entry = (provenance.read(page) or provenance.Provenance("", ())).record(target.source)
    digest = provenance.blocks_digest(select(scan_page(page), target.source, target.primary))
    return entry != provenance.EngineRecord(target.source, target.version, digest)


def _partition(
    verdicts: list[BlockVerdict], target: Target
) -> tuple[list[tuple[Block, list[str]]], list[tuple[Block, list[str]]], dict[str, str]]:
    """(bodies to overwrite, blocks to split into per-engine tabs, blocks refused and why);
    a body equal to the page's is left alone."""
    updates: list[tuple[Block, list[str]]] = []
    splits: list[tuple[Block, list[str]]] = []
    refused: dict[str, str] = {}
    for verdict in verdicts:
        block, body = verdict.block, verdict.literal
        owned = target.source == target.primary or block.options.engine == target.source
        if verdict.refusal is not None and (owned or verdict.status is Status.DIVERGED):
            refused[block.id] = verdict.refusal
        elif body is None or not verdict.fixable or body == list(block.body):
            continue
        elif owned:
            updates.append((block, body))
        elif verdict.status is not Status.DIVERGED:
            continue  # the primary's output, which this run matched: not this engine's to write
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
    """Set this engine's provenance entry when its blocks or version changed (else keep it),
    and the per-block digests of the page as it now is."""
    digest = provenance.blocks_digest(select(scan_page(page), target.source, target.primary))
    record = provenance.EngineRecord(target.source, target.version, digest)
    old = provenance.read(page) or provenance.Provenance("", ())
    if old.record(target.source) != record:
        today = time.strftime("%Y-%m-%d", time.gmtime())
        page = provenance.with_provenance(page, old.with_record(record, today))
    stamped = provenance.read(page)
    digests = provenance.block_digests(scan_page(page))
    if stamped is not None and stamped.blocks != digests:
        page = provenance.with_provenance(page, replace(stamped, blocks=digests))
    return page
