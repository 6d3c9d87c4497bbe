"""Turn one block into per-engine content tabs: the rewrite `update` makes when a block's
real output differs on a second engine.

    ```console {#net-rm .docsexec}            === "Engine 28.5"
    $ docker network rm n1                =>
    <primary engine's output>                 ```console {#net-rm .docsexec data-engine="debian-forky"}
    ```                                           <primary engine's output, unchanged>
                                              === "Engine 26.1"
                                                  ```console {#net-rm-trixie .docsexec data-engine="debian-trixie"}
                                                  <this engine's output>

Everything is indented as the block was (inside a list item or admonition the tabs are too),
the primary's variant keeps the id and the exact bytes of its body, and Material links tabs
with the same title across the page (content.tabs.link): picking "Engine 26.1" once shows
every block's 26.1 variant.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..model import Block
from ..page import Page
from ..scan.variants import ENGINE_OPTION, variant_id

TAB_INDENT = "    "


def split_blocks(
    page: Page, splits: Sequence[tuple[Block, list[str]]], primary: tuple[str, str], other: tuple[str, str]
) -> Page:
    """The page with each (block, body-on-other-engine) turned into two tabs.

    `primary` and `other` are (engine source, tab title). Later blocks first, so the line
    indexes of earlier ones stay valid."""
    lines = list(page.lines)
    for block, body in sorted(splits, key=lambda item: item[0].fence_line, reverse=True):
        start, end = block.fence_line - 1, block.body_end
        tabs = _tabs(lines[start : end + 1], block, body, primary, other)
        before = [""] if start > 0 and lines[start - 1].strip() else []
        after = [""] if end + 1 < len(lines) and lines[end + 1].strip() else []
        lines[start : end + 1] = before + tabs + after
    return page.with_lines(lines)


def _tabs(
    original: list[str], block: Block, body: list[str], primary: tuple[str, str], other: tuple[str, str]
) -> list[str]:
    indent = block.indent
    opening, closing = original[0], original[-1]
    first = [_tagged(opening, block.id, block.id, primary[0]), *original[1:-1], closing]
    second = [
        _tagged(opening, block.id, variant_id(block.id, other[0]), other[0]),
        *[indent + line if line else "" for line in body],
        closing,
    ]
    return [
        f'{indent}=== "{primary[1]}"',
        "",
        *_nest(first, indent),
        "",
        f'{indent}=== "{other[1]}"',
        "",
        *_nest(second, indent),
    ]


def _nest(lines: list[str], indent: str) -> list[str]:
    """One tab level deeper: the tab's content is indented four spaces past `===`."""
    return [indent + TAB_INDENT + line[len(indent) :] if line.strip() else "" for line in lines]


def _tagged(opening: str, old_id: str, new_id: str, source: str) -> str:
    """The opening fence with the variant's id and `data-engine` added before the closing `}`."""
    renamed = re.sub(rf"(?<=[{{\s])#{re.escape(old_id)}(?=[\s}}])", f"#{new_id}", opening, count=1)
    head, brace, tail = renamed.rpartition("}")
    return f'{head} {ENGINE_OPTION}="{source}"{brace}{tail}'
