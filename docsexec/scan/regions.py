"""The lines a tagged block occupies on its page, with the `=== "Engine ..."` tab headers of
per-engine variants (scan/variants.py): what `update` copies from a source page into its
translation (write/translation.py), and so what a translation's prose digest leaves out
(scan/sections.py)."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Block
from ..page import Page
from . import variants


@dataclass(frozen=True)
class Region:
    """The lines one block occupies, or one block's per-engine tabs with their headers."""

    key: str  # the block's id, or the variants' base id
    start: int  # 0-based index of the first line (a fence or a tab header)
    end: int  # 0-based index of the last line (a closing fence)
    indent: str  # of the fence, or of the tab headers


def regions(page: Page, blocks: list[Block]) -> list[Region]:
    """The page's regions in page order: one per block, one per run of a block's variants."""
    found: list[Region] = []
    for block in blocks:
        key = variants.base_id(block)
        if (
            block.options.engine is not None
            and found
            and found[-1].key == key
            and found[-1].start < block.fence_line - 1
        ):
            last = found[-1]
            found[-1] = Region(key, last.start, block.body_end, last.indent)
            continue
        start, indent = block.fence_line - 1, block.indent
        if block.options.engine is not None:
            start, indent = _tab_header(page, start, block.indent)
        found.append(Region(key, start, block.body_end, indent))
    return found


def _tab_header(page: Page, fence: int, indent: str) -> tuple[int, str]:
    """The `=== "..."` line a variant's tab opens with (blank lines between), and its indent."""
    index = fence - 1
    while index >= 0 and not page.lines[index].strip():
        index -= 1
    header = page.lines[index] if index >= 0 else ""
    if header.strip().startswith('=== "'):
        return index, header[: len(header) - len(header.lstrip())]
    return fence, indent


def region_text(page: Page, region: Region) -> list[str]:
    """The region's lines with its indent removed."""
    return [
        line[len(region.indent) :] if line.startswith(region.indent) else line.lstrip()
        for line in page.lines[region.start : region.end + 1]
    ]
