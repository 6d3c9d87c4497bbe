"""Translated pages share their source page's verified blocks: one set of runs, two languages.

A translation lives beside its source with a language suffix (`bridge.zh.md` beside
`bridge.md`, the layout of mkdocs-static-i18n). Its prose is its own; its tagged blocks are
not: the same ids in the same order, the same commands, the same recorded outputs, the same
options. So a translation is never run against an engine. `check` compares each of its
blocks with its twin in the source page and names file:line where they differ, where one is
missing or where one is extra; `update` copies the source's bodies (the real outputs) and its
provenance line into the translation, so the two cannot drift apart. The prose cannot lag
either: pages/prose.py fails a translation whose English sections changed since it was
marked as translating them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import BadInput
from ..model import Block, BlockVerdict, Mode, PageReport, Status
from ..page import Page
from ..scan import variants
from ..scan.fences import scan_file
from ..scan.regions import region_text, regions
from ..write import provenance
from ..write.rewrite import apply_bodies

# Languages whose pages are translations of the default (English) page beside them.
TRANSLATION_LANGUAGES = ("zh",)
_SUFFIX = re.compile(r"^(?P<stem>.+)\.(?P<lang>[a-z]{2})$")


def source_of(path: Path) -> Path | None:
    """The source page of a translation (`x.zh.md` -> `x.md`), or None for a source page."""
    match = _SUFFIX.match(path.stem)
    if match is None or match.group("lang") not in TRANSLATION_LANGUAGES:
        return None
    return path.with_name(match.group("stem") + path.suffix)


def with_translations(paths: list[Path]) -> list[Path]:
    """`paths` plus the translations beside each source page in it that are not named already:
    a page is checked and updated with its translations, so `update bridge.md` cannot leave
    `bridge.zh.md` behind with the old outputs."""
    named = set(paths)
    added = [
        twin
        for path in paths
        if source_of(path) is None
        for twin in (path.with_name(f"{path.stem}.{lang}{path.suffix}") for lang in TRANSLATION_LANGUAGES)
        if twin not in named and twin.is_file()
    ]
    return [*paths, *added]


def split_translations(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """(source pages, translations), each in the given order. A translation without its
    source page is bad input: its blocks would have nothing to be verified against."""
    sources: list[Path] = []
    translations: list[Path] = []
    for path in paths:
        source = source_of(path)
        if source is None:
            sources.append(path)
            continue
        if not source.is_file():
            raise BadInput(path, 1, f"translation without its source page {source}: its blocks cannot be verified")
        translations.append(path)
    return sources, translations


@dataclass(frozen=True)
class _Key:
    """A block's place among its page's blocks: its id, and which occurrence of that id
    (a page may repeat an id once per engine variant)."""

    id: str
    occurrence: int


def _keyed(blocks: list[Block]) -> dict[_Key, Block]:
    seen: dict[str, int] = {}
    keyed: dict[_Key, Block] = {}
    for block in blocks:
        seen[block.id] = seen.get(block.id, -1) + 1
        keyed[_Key(block.id, seen[block.id])] = block
    return keyed


def compare_translation(path: Path, *, mode: Mode) -> PageReport:
    """Compare (and on update, sync) one translation with its source page on disk."""
    source_path = source_of(path)
    assert source_path is not None, f"{path} is not a translation"
    update = mode is Mode.UPDATE
    rewritten = _sync_structure(path, source_path) if update else set()
    source_page, source_blocks = scan_file(source_path)
    page, blocks = scan_file(path)
    report = PageReport(path=path, engine_version=f"blocks of {source_path}", seconds=0.0)
    ours, theirs = _keyed(blocks), _keyed(source_blocks)
    syncs: list[tuple[Block, list[str]]] = []
    for key, source_block in theirs.items():
        block = ours.get(key)
        if block is None:
            report.verdicts.append(_missing(path, ours, theirs, key))
            continue
        verdict, sync = _compare_block(block, source_block)
        report.verdicts.append(verdict)
        if sync is not None:
            syncs.append((block, sync))
    report.verdicts.extend(_extra(block) for key, block in ours.items() if key not in theirs)
    report.verdicts.sort(key=lambda v: v.block.fence_line if v.block.path == path else 0)
    if not update and variants.page_engines(page) != variants.page_engines(source_page):
        report.error = (
            f"{path}:1: {variants.NEEDS_KEY} differs from {source_path}'s: the translation runs on the engines "
            f"its source page names; run `docsexec update {source_path}`"
        )
    if update:
        _sync(page, source_page, syncs, report)
        _mark_rewritten(report, rewritten)
    return report


def _mark_rewritten(report: PageReport, keys: set[str]) -> None:
    """The blocks whose lines the structure sync copied from the source are UPDATED too, so
    `update` says which of the translation's blocks it changed, as it does for a source page."""
    if not keys:
        return
    report.page_changed = True
    report.verdicts = [
        replace(v, status=Status.UPDATED) if v.status is Status.OK and variants.base_id(v.block) in keys else v
        for v in report.verdicts
    ]


def _compare_block(block: Block, source_block: Block) -> tuple[BlockVerdict, list[str] | None]:
    """The verdict for one translated block, and the body to copy when only outputs differ."""
    verdict = BlockVerdict(block=block, status=Status.OK)
    if block.options != source_block.options:
        verdict.status, verdict.fixable = Status.DIVERGED, False
        verdict.problems.append(
            f"{block.where}: options differ from its source {source_block.where}: copy the fence line from the source"
        )
        return verdict, None
    ours, theirs = list(block.body), list(source_block.body)
    if ours == theirs:
        return verdict, None
    verdict.status = Status.DIVERGED
    verdict.normalised = theirs
    verdict.problems.append(
        f"{block.where}: differs from its source {source_block.where} (run `docsexec update` to copy it)"
    )
    verdict.problems.extend(f"{block.where}: {line}" for line in _short_diff(ours, theirs))
    return verdict, theirs


def _short_diff(ours: list[str], theirs: list[str]) -> list[str]:
    lines = [
        line
        for line in difflib.unified_diff(ours, theirs, "translation", "source", n=0, lineterm="")
        if line[:1] in "+-" and line[:3] not in ("---", "+++")
    ]
    return lines[:6]


def _missing(path: Path, ours: dict[_Key, Block], theirs: dict[_Key, Block], key: _Key) -> BlockVerdict:
    """A source block with no twin, named at the translation's line it should follow: the
    closing fence of the nearest earlier source block that the translation has."""
    keys = list(theirs)
    earlier = [ours[k] for k in keys[: keys.index(key)] if k in ours]
    line, after = (earlier[-1].body_end + 1, f" (it belongs after block {earlier[-1].id!r})") if earlier else (1, "")
    source_block = theirs[key]
    verdict = BlockVerdict(block=source_block, status=Status.DIVERGED, fixable=False)
    verdict.problems.append(
        f"{path}:{line}: block {source_block.id!r} of {source_block.where} is missing from the translation{after}"
    )
    return verdict


def _extra(block: Block) -> BlockVerdict:
    verdict = BlockVerdict(block=block, status=Status.DIVERGED, fixable=False)
    verdict.problems.append(
        f"{block.where}: no block with this id in the source page: a translation shows only the source's blocks"
    )
    return verdict


def _sync(page: Page, source_page: Page, syncs: list[tuple[Block, list[str]]], report: PageReport) -> None:
    """Copy the source's bodies and provenance line into the translation, atomically; the
    blocks copied are reported UPDATED."""
    copied = {id(block) for block, _ in syncs}
    report.verdicts = [replace(v, status=Status.UPDATED) if id(v.block) in copied else v for v in report.verdicts]
    new_page = apply_bodies(page, syncs) if syncs else page
    source_line = provenance.line_of(source_page)
    if report.ok and source_line is not None and source_line != provenance.line_of(new_page):
        new_page = provenance.with_line(new_page, source_line)
    if report.ok:
        new_page = _with_needs(new_page, source_page)
    if new_page.lines != page.lines:
        new_page.write_atomically()
        report.page_changed = True


def _with_needs(page: Page, source_page: Page) -> Page:
    """The translation with its source's `docsexec-engines` line (or none, as the source)."""
    if variants.page_engines(page) == variants.page_engines(source_page):
        return page
    wanted = _needs_line(source_page)
    lines = [line for line in page.lines if not line.startswith(f"{variants.NEEDS_KEY}:")]
    bounds = page.with_lines(lines).front_matter_range()
    if wanted is not None and bounds is not None:
        lines.insert(bounds[1], wanted)
    elif wanted is not None:
        lines[0:0] = ["---", wanted, "---", ""]
    return page.with_lines(lines)


def _needs_line(page: Page) -> str | None:
    bounds = page.front_matter_range()
    inside = page.lines[bounds[0] + 1 : bounds[1]] if bounds else []
    return next((line for line in inside if line.startswith(f"{variants.NEEDS_KEY}:")), None)


# --- structure: per-engine tabs ---------------------------------------------------------------


def _sync_structure(path: Path, source_path: Path) -> set[str]:
    """Give the translation the source's block structure where it differs (a block the source
    now shows as per-engine tabs, or options changed, or only its outputs): the source's lines
    for that block, re-indented to the translation's; returns the keys of the blocks
    rewritten. Prose around blocks is never touched."""
    source_page, source_blocks = scan_file(source_path)
    page, blocks = scan_file(path)
    theirs = {r.key: r for r in regions(source_page, source_blocks)}
    lines = list(page.lines)
    rewritten: set[str] = set()
    for region in sorted(regions(page, blocks), key=lambda r: r.start, reverse=True):
        source = theirs.get(region.key)
        if source is None:
            continue
        wanted = region_text(source_page, source)
        if wanted == region_text(page, region):
            continue
        lines[region.start : region.end + 1] = [region.indent + line if line.strip() else "" for line in wanted]
        rewritten.add(region.key)
    if lines != page.lines:
        page.with_lines(lines).write_atomically()
    return rewritten
