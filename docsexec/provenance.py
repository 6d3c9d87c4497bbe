"""The page's provenance line: which engine last verified it, when, and what exactly.

`update` keeps one front-matter line per page:

    docsexec: {engine: 26.1.5+dfsg1, date: 2026-11-27, blocks: 3f2a9c1b7d0e}

`blocks` is a digest of every tagged block's text (commands and outputs). The MkDocs gate
recomputes it at build time: a block edited by hand since the last verified run, or a page
never verified, fails the build without needing Docker. The line changes only when the
digest or the engine changes, so a second `update` of an unchanged page writes nothing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .blocks import Block
from .page import Page
from .scan import dedented_body

KEY = "docsexec"
_LINE = re.compile(rf"^{KEY}:\s*\{{engine:\s*(?P<engine>[^,}}]+),\s*date:\s*(?P<date>[0-9-]+),\s*blocks:\s*(?P<digest>[0-9a-f]+)\}}\s*$")


@dataclass(frozen=True)
class Provenance:
    engine: str
    date: str
    digest: str

    def line(self) -> str:
        return f"{KEY}: {{engine: {self.engine}, date: {self.date}, blocks: {self.digest}}}"


def blocks_digest(page: Page, blocks: list[Block]) -> str:
    """A short hash of the tagged blocks' bodies, indentation removed."""
    digest = hashlib.sha256()
    for block in blocks:
        digest.update(block.id.encode() + b"\0")
        for line in dedented_body(page, block.body_start, block.body_end, block.indent):
            digest.update(line.rstrip().encode() + b"\n")
    return digest.hexdigest()[:12]


def front_matter_range(page: Page) -> tuple[int, int] | None:
    """(first, closing) line indexes of a leading `---` YAML block, if the page has one."""
    if not page.lines or page.lines[0].rstrip() != "---":
        return None
    for index in range(1, len(page.lines)):
        if page.lines[index].rstrip() in ("---", "..."):
            return 0, index
    return None


def read(page: Page) -> Provenance | None:
    bounds = front_matter_range(page)
    if bounds is None:
        return None
    for line in page.lines[bounds[0] + 1:bounds[1]]:
        match = _LINE.match(line)
        if match:
            return Provenance(match.group("engine").strip(), match.group("date"), match.group("digest"))
    return None


def with_provenance(page: Page, record: Provenance) -> Page:
    """The page with its provenance line set (front matter created if absent)."""
    return with_line(page, record.line())


def line_of(page: Page) -> str | None:
    """The page's provenance line as written, or None."""
    bounds = front_matter_range(page)
    if bounds is None:
        return None
    return next((line for line in page.lines[bounds[0] + 1:bounds[1]] if line.startswith(f"{KEY}:")), None)


def with_line(page: Page, text: str) -> Page:
    """The page with `text` as its provenance line (front matter created if absent)."""
    lines = list(page.lines)
    bounds = front_matter_range(page)
    if bounds is None:
        lines[0:0] = ["---", text, "---", ""]
    else:
        inside = [i for i in range(bounds[0] + 1, bounds[1]) if lines[i].startswith(f"{KEY}:")]
        if inside:
            lines[inside[0]] = text
        else:
            lines.insert(bounds[1], text)
    return Page(path=page.path, lines=lines, newline=page.newline, bom=page.bom, ends_with_newline=page.ends_with_newline)
