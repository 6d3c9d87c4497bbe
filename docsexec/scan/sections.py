"""A page split at its headings, with a digest of each section's prose: what a translation
records of the English page it translates (compare/prose.py).

A section starts at an ATX heading (`#` to `######` at the start of a line, outside any
fence) and runs to the next one; text before the first heading, if there is any, is a
section of level 0. A section's prose is all of its lines (its heading included) except:

- the front matter;
- each tagged block, fence to closing fence, and the `=== "..."` tab headers of per-engine
  variants (scan/regions.py): `update` copies those into the translation itself, so a new
  output on the English page never makes its translation stale.

Untagged fences (a compose file, a listing, a diagram) do count: a translator carries them
over by hand. Whitespace does not: the digest is of the section's words joined by single
spaces, so rewrapping or re-indenting a paragraph leaves it unchanged.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ..model import Block
from ..page import Page
from .fences import find_fences
from .regions import regions

DIGEST_CHARS = 8
_HEADING = re.compile(r"^(?P<hashes>#{1,6})(?:[ \t]|$)")


@dataclass(frozen=True)
class Section:
    level: int  # 1 to 6; 0 for text before the page's first heading
    line: int  # 1-based line of its heading (of its first line for level 0)
    title: str  # the heading as written, for messages
    digest: str  # of its prose (module docstring)

    @property
    def label(self) -> str:
        """How a translation's marker records it: `h2 0a1b2c3d`."""
        return f"h{self.level} {self.digest}"


def sections(page: Page, blocks: list[Block]) -> list[Section]:
    """The page's sections in order; `blocks` are its tagged blocks (scan_page)."""
    skipped = _tool_lines(page, blocks)
    fenced = {i for fence in find_fences(page) for i in range(fence.start, fence.end + 1)}
    first = (bounds[1] + 1) if (bounds := page.front_matter_range()) else 0
    starts = [i for i in range(first, len(page.lines)) if i not in fenced and _HEADING.match(page.lines[i])]
    ends = [*starts, len(page.lines)]
    found = [_section(page, start, ends[n + 1], skipped) for n, start in enumerate(starts)]
    preamble = _section(page, first, ends[0], skipped, level=0)
    return [preamble, *found] if preamble.title else found


def _tool_lines(page: Page, blocks: list[Block]) -> set[int]:
    """0-based indexes that are not prose: the front matter, tagged blocks and their tabs."""
    bounds = page.front_matter_range()
    skipped = set(range(bounds[0], bounds[1] + 1)) if bounds else set()
    for region in regions(page, blocks):
        skipped.update(range(region.start, region.end + 1))
    return skipped


def _section(page: Page, start: int, end: int, skipped: set[int], level: int | None = None) -> Section:
    """The section of lines [start, end); a level-0 section without words has no title."""
    prose = [page.lines[i] for i in range(start, end) if i not in skipped]
    words = " ".join(" ".join(prose).split())
    digest = hashlib.sha256(words.encode()).hexdigest()[:DIGEST_CHARS]
    if level is not None:
        first = next((line.strip() for line in prose if line.strip()), "")
        line = next((i + 1 for i in range(start, end) if i not in skipped and page.lines[i].strip()), start + 1)
        return Section(level, line, first, digest)
    match = _HEADING.match(page.lines[start])
    assert match is not None
    return Section(len(match.group("hashes")), start + 1, page.lines[start].strip(), digest)
