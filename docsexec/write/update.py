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
not change on disk while it ran. The verdicts are not touched: `UpdateOutcome` says which blocks
are now on the page as this run printed them and which could not be written, and verify.py
settles the verdicts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ..errors import BadInput
from ..model import Block, BlockVerdict, Status
from ..page import Page
from ..scan.fences import scan_page
from ..scan.regions import regions
from ..scan.variants import base_id, select, tab_label
from . import provenance
from .groups import joined, moved, ordered
from .rewrite import apply_bodies
from .stamp import required_engines
from .tabs import Variant, rewrite_group


@dataclass(frozen=True)
class Target:
    """The engine a run was on, as the update step needs it."""

    source: str  # the engine source this run was on ("debian-trixie")
    primary: str  # the site's primary engine source
    version: str  # this run's engine version
    engines: tuple[str, ...] = ()  # the project's engines, in order ([tool.docsexec] engines)
    installed: tuple[tuple[str, str], ...] = ()  # (source, version) of each installed project engine (the plan's)


@dataclass
class UpdateOutcome:
    """What the update step did to a page."""

    updated: set[str] = field(default_factory=set)  # block ids whose body is now this run's output, changed
    refused: dict[str, str] = field(default_factory=dict)  # block id -> why this engine cannot write it
    page_changed: bool = False  # the file changed (bodies, tabs or provenance)


def update_page(page: Page, verdicts: list[BlockVerdict], target: Target) -> UpdateOutcome:
    """Write this run's outputs into `page` (as scanned, before its run) when it must, and
    return what was written."""
    outcome = UpdateOutcome()
    if not _must_write(page, verdicts, target):
        return outcome
    plan = _plan(page, verdicts, target)
    outcome.refused = plan.refused
    new_page = apply_bodies(page, plan.updates) if plan.updates else page
    for base, variants in plan.groups.items():
        new_page = _regroup(new_page, base, ordered(variants, plan.order), target)
    outcome.updated = {block.id for block, _ in plan.updates} | plan.moved
    if all(v.status.passing or v.block.id in outcome.updated for v in verdicts) and not outcome.refused:
        new_page = _stamped(new_page, target)
    if new_page.lines != page.lines:
        if Page.read(page.path).lines != page.lines:  # the page must not have changed while it ran
            raise BadInput(page.path, 1, "the page changed on disk while it ran; nothing was written, run again")
        new_page.write_atomically()
        outcome.page_changed = True
    return outcome


def _must_write(page: Page, verdicts: list[BlockVerdict], target: Target) -> bool:
    """An output diverged, or this engine's provenance entry does not vouch for the page."""
    if any(v.status is Status.DIVERGED for v in verdicts):
        return True
    entry = (provenance.read(page) or provenance.Provenance("", ())).record(target.source)
    digest = provenance.blocks_digest(select(scan_page(page), target.source, target.primary))
    return entry != provenance.EngineRecord(target.source, target.version, digest)


@dataclass
class _Plan:
    """What one engine's run changes on a page."""

    order: tuple[str, ...]  # the engines in the project's order, the primary first
    groups_now: dict[str, list[Block]]  # base id -> the block's variants as the page has them
    updates: list[tuple[Block, list[str]]] = field(default_factory=list)  # bodies this engine owns
    groups: dict[str, list[Variant]] = field(default_factory=dict)  # base id -> its new variants
    moved: set[str] = field(default_factory=set)  # blocks whose output moved to another variant
    refused: dict[str, str] = field(default_factory=dict)  # block id -> why this engine cannot write it


def _plan(page: Page, verdicts: list[BlockVerdict], target: Target) -> _Plan:
    """Each verdict's block: its body rewritten (this engine owns it), this engine moved to
    another variant (its output differs from the one shown), or refused; a body equal to the
    page's is left alone."""
    record = provenance.read(page)
    order = tuple(dict.fromkeys((target.primary, *required_engines(target.engines, record), target.source)))
    groups: dict[str, list[Block]] = {}
    for block in scan_page(page):
        if block.options.engines:
            groups.setdefault(base_id(block), []).append(block)
    plan = _Plan(order, groups)
    for verdict in verdicts:
        _plan_block(plan, verdict, target)
    return plan


def _plan_block(plan: _Plan, verdict: BlockVerdict, target: Target) -> None:
    block, body = verdict.block, verdict.literal
    owner = block.options.engine or target.primary
    diverged = verdict.status is Status.DIVERGED
    if verdict.refusal is not None and (owner == target.source or diverged):
        plan.refused[block.id] = verdict.refusal
    elif body is not None and verdict.exits is not None:  # other statuses: another engine's own tab
        _split_on_exits(plan, verdict, target, body, owner)
    elif body is None or not verdict.fixable:
        return
    elif owner == target.source:
        if body != list(block.body):
            plan.updates.append((block, body))
    elif target.source == target.primary:  # the primary owns whatever it runs: this variant is its own now
        variants = _variants(plan, block)
        at = next(k for k, v in enumerate(variants) if v.engines == block.options.engines)
        variants[at] = replace(variants[at], engines=(target.source, *block.options.engines), body=tuple(body))
        plan.groups[base_id(block)] = variants
        plan.moved.add(block.id)
    elif not diverged:
        if block.options.engines and target.source not in block.options.engines:  # it ran the primary's: say so
            variants = _variants(plan, block)
            at = next(k for k, v in enumerate(variants) if v.engines == block.options.engines)
            variants[at] = joined(variants[at], target.source, plan.order)
            plan.groups[base_id(block)] = variants
    elif block.options.engine_diff == "error":
        plan.refused[block.id] = (
            f'{block.where}: output differs on {target.source} and data-engine-diff="error" forbids per-engine variants'
        )
    else:
        classes = block.options.matching.classes
        plan.groups[base_id(block)] = moved(_variants(plan, block), target.source, body, plan.order, classes)
        plan.moved.add(block.id)


def _variants(plan: _Plan, block: Block) -> list[Variant]:
    """The block's variants as the page has them; an untagged block is one, of every engine."""
    if not block.options.engines:
        return [Variant(plan.order, tuple(block.body), _exits(block))]
    return [Variant(b.options.engines, tuple(b.body), _exits(b)) for b in plan.groups_now[base_id(block)]]


def _exits(block: Block) -> tuple[int, ...]:
    """The block's exit codes, one per command, as its data-exit says (none: all 0)."""
    return block.options.exit_codes or tuple(0 for _ in block.commands)


def _split_on_exits(plan: _Plan, verdict: BlockVerdict, target: Target, body: list[str], owner: str) -> None:
    """An engine other than the primary whose commands exit otherwise than the block it ran
    says gets a tab of its own, with its own data-exit (an older engine refusing an option).
    The block's own engine, or data-engine-diff="error", is left failing: a changed status is
    never rewritten silently."""
    block = verdict.block
    if owner == target.source or target.source == target.primary or block.options.engine_diff == "error":
        return
    classes = block.options.matching.classes
    plan.groups[base_id(block)] = moved(_variants(plan, block), target.source, body, plan.order, classes, verdict.exits)
    plan.moved.add(block.id)


def _regroup(page: Page, base: str, variants: list[Variant], target: Target) -> Page:
    """Rewrite one block's variants, found again in the page as it is now (bodies written
    above may have moved it)."""
    blocks = scan_page(page)
    region = next(r for r in regions(page, blocks) if r.key == base)
    template = next(b for b in blocks if base_id(b) == base)
    versions = _versions(page, target)
    labels = {v.engines: tab_label(*(versions(e) for e in v.engines)) for v in variants}
    return rewrite_group(page, region, template, variants, labels)


def _versions(page: Page, target: Target) -> Callable[[str], str]:
    """An engine's version as the page's provenance records it (this run's for this engine),
    else as installed here, else its source's name."""
    record = provenance.read(page) or provenance.Provenance("", ())
    known = {r.source: r.version for r in record.records} | {target.source: target.version}
    installed = dict(target.installed)
    return lambda source: known.get(source) or installed.get(source) or source


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
