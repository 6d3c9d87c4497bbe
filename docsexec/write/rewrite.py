"""Write new outputs back into a page, touching nothing but the bodies of divergent blocks.

Like cog, the rewrite is idempotent: a block whose output still matches is left byte for
byte, so running `update` twice changes nothing the second time. The fence grows when a
new output contains a fence of its own, so the page still parses.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from ..model import Block
from ..page import Page

_FENCE_RUN = re.compile(r"^\s*(`{3,}|~{3,})")


def apply_bodies(page: Page, updates: Sequence[tuple[Block, list[str]]]) -> Page:
    """A new Page with each block's body replaced; later blocks first so indexes stay valid.
    The blocks are the page's as scanned (their `body` is what the page holds now)."""
    lines = list(page.lines)
    for block, body in sorted(updates, key=lambda item: item[0].body_start, reverse=True):
        current = list(block.body)
        if list(body) == current:
            continue  # unchanged: not even the fence is touched
        fence = _fence_for(block.fence, body)
        new_body = _reindent(page.lines[block.body_start : block.body_end], current, body, block.indent)
        lines[block.body_start : block.body_end] = new_body
        if fence != block.fence:
            start = block.body_start - 1
            closing = block.body_start + len(new_body)
            lines[start] = lines[start].replace(block.fence, fence, 1)
            lines[closing] = lines[closing].replace(block.fence, fence, 1)
    return page.with_lines(lines)


def _reindent(original: list[str], current: list[str], body: Sequence[str], indent: str) -> list[str]:
    """The new body as page lines. Lines equal to the current body's keep their exact original
    bytes (a blank line holding a tab, say, is not normalised), so writing a block's own body
    back is the identity, and an update changes only the lines whose text changed."""
    lines: list[str] = []
    matcher = difflib.SequenceMatcher(a=current, b=list(body), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines.extend(original[i1:i2])
        else:
            lines.extend(_indent(line, indent) for line in body[j1:j2])
    return lines


def _fence_for(fence: str, body: Sequence[str]) -> str:
    """A fence longer than any run of the same character that starts a body line."""
    longest = 0
    for line in body:
        match = _FENCE_RUN.match(line)
        if match and match.group(1)[0] == fence[0]:
            longest = max(longest, len(match.group(1)))
    return fence if longest < len(fence) else fence[0] * (longest + 1)


def _indent(line: str, indent: str) -> str:
    return indent + line if line else ""
