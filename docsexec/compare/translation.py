"""Stage 3 for a translation: its tagged blocks against its source page's, which a real run
verified (scan/translations.py says which page that is). A translation is never run; this
compares, block by block, keyed by id and occurrence (a page may repeat an id once per engine
variant), and gives a verdict per block in the shape a page's run gets (model.BlockVerdict),
so write/ and report/ treat both alike:

- same options and body: OK;
- same options, another body: DIVERGED, with the source's body as `normalised` (what
  `update` copies, write/translation.py);
- other options, or a block missing or extra: DIVERGED and not fixable, named at its line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..model import Block, BlockVerdict, PageReport, Status
from ..page import Page
from ..scan import variants


@dataclass(frozen=True)
class _Key:
    """A block's place among its page's blocks: its id, and which occurrence of that id."""

    id: str
    occurrence: int


def _keyed(blocks: list[Block]) -> dict[_Key, Block]:
    seen: dict[str, int] = {}
    keyed: dict[_Key, Block] = {}
    for block in blocks:
        seen[block.id] = seen.get(block.id, -1) + 1
        keyed[_Key(block.id, seen[block.id])] = block
    return keyed


def compare_translation(page: Page, blocks: list[Block], source_page: Page, source_blocks: list[Block]) -> PageReport:
    """The translation's report: one verdict per block of either page, in the translation's
    line order (a block missing from it first)."""
    path = page.path
    report = PageReport(path=path, engine_version=f"blocks of {source_page.path}", seconds=0.0)
    report.source_page = source_page.path
    ours, theirs = _keyed(blocks), _keyed(source_blocks)
    for key, source_block in theirs.items():
        block = ours.get(key)
        report.verdicts.append(
            _missing(path, ours, theirs, key) if block is None else _compare_block(block, source_block)
        )
    report.verdicts.extend(_extra(block) for key, block in ours.items() if key not in theirs)
    report.verdicts.sort(key=lambda v: v.block.fence_line if v.block.path == path else 0)
    return report


def engines_problem(page: Page, source_page: Page) -> str | None:
    """One line when the translation's `docsexec-engines` line is not its source page's."""
    if variants.page_engines(page) == variants.page_engines(source_page):
        return None
    return (
        f"{page.path}:1: {variants.NEEDS_KEY} differs from {source_page.path}'s: the translation runs on the "
        f"engines its source page names; run `docsexec update {source_page.path}`"
    )


def _compare_block(block: Block, source_block: Block) -> BlockVerdict:
    """The verdict for one translated block; its `normalised` body is the source's when only
    the bodies differ (report/ diffs it, write/ copies it)."""
    verdict = BlockVerdict(block=block, status=Status.OK)
    if block.options != source_block.options:
        verdict.status, verdict.fixable = Status.DIVERGED, False
        verdict.problems.append(
            f"{block.where}: options differ from its source {source_block.where}: copy the fence line from the source"
        )
        return verdict
    if list(block.body) == list(source_block.body):
        return verdict
    verdict.status = Status.DIVERGED
    verdict.normalised = list(source_block.body)
    verdict.problems.append(
        f"{block.where}: differs from its source {source_block.where} (run `docsexec update` to copy it)"
    )
    return verdict


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
