"""The page's provenance line: which engines last verified it, when, and what exactly.

`update` keeps one front-matter line per page, with one entry per engine the page passed on:

    docsexec: {date: 2026-12-01, engines: [debian-forky 28.5.2+dfsg4 3f2a9c1b7d0e, debian-trixie 26.1.5+dfsg1 9a8b7c6d5e4f], blocks: [1c0ffee5, 8d2e4a7b]}

Each entry is `source version digest`; the digest covers the tagged blocks that engine runs
(untagged blocks plus its own variants, variants.select), so a variant recorded for one
engine does not void the other engine's entry. The MkDocs gate recomputes the digests at build
time: a block edited by hand since the last verified run, a page never verified, or a page
verified on fewer engines than the site configures fails the build without needing Docker.
`blocks` holds each tagged block's own short digest at the stamp, in page order: where an
engine's digest says that a block changed, it tells which one. The line changes only when a
digest or version changes, so a second `update` writes nothing.

The older one-engine line (`{engine: V, date: D, blocks: H}`) is still read, as an entry with
no source: it satisfies no configured engine, so such a page must be updated again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace

from ..model import Block
from ..page import Page

KEY = "docsexec"
_LINE = re.compile(
    rf"^{KEY}:\s*\{{date:\s*(?P<date>[0-9-]+),\s*engines:\s*\[(?P<entries>[^\]]*)\]"
    r"(?:,\s*blocks:\s*\[(?P<blocks>[0-9a-f, ]*)\])?\}\s*$"
)
_ENTRY = re.compile(r"^(?P<source>[a-z][a-z0-9-]*) (?P<version>[^\s,]+) (?P<digest>[0-9a-f]+)$")
_OLD_LINE = re.compile(
    rf"^{KEY}:\s*\{{engine:\s*(?P<engine>[^,}}]+),\s*date:\s*(?P<date>[0-9-]+),\s*blocks:\s*(?P<digest>[0-9a-f]+)\}}\s*$"
)


@dataclass(frozen=True)
class EngineRecord:
    source: str  # "debian-forky"; "" for a line written before engines were named
    version: str  # "28.5.2+dfsg4"
    digest: str  # of the blocks this engine runs


@dataclass(frozen=True)
class Provenance:
    date: str
    records: tuple[EngineRecord, ...]
    blocks: tuple[str, ...] = ()  # each tagged block's digest at the last stamp (block_digests)

    def line(self) -> str:
        entries = ", ".join(f"{r.source} {r.version} {r.digest}" for r in self.records)
        blocks = f", blocks: [{', '.join(self.blocks)}]" if self.blocks else ""
        return f"{KEY}: {{date: {self.date}, engines: [{entries}]{blocks}}}"

    def record(self, source: str) -> EngineRecord | None:
        return next((r for r in self.records if r.source == source), None)

    def with_record(self, record: EngineRecord, today: str) -> Provenance:
        """This provenance with `record` replacing the same engine's entry (kept in order); an
        entry of the old one-engine line (no source) is dropped: it names no engine."""
        kept = [r for r in self.records if r.source]
        others = [r for r in kept if r.source != record.source]
        index = next((i for i, r in enumerate(kept) if r.source == record.source), len(others))
        return replace(self, date=today, records=tuple([*others[:index], record, *others[index:]]))


# Stamps written before `update` recorded literally (values carried over from older runs)
# vouch for nothing now: the version tag makes every such digest differ, so each page is
# re-recorded from one run before it builds.
_DIGEST_VERSION = b"docsexec-literal-1\0"


def blocks_digest(blocks: list[Block]) -> str:
    """A short hash of the tagged blocks' bodies, indentation removed."""
    digest = hashlib.sha256(_DIGEST_VERSION)
    for block in blocks:
        digest.update(block.id.encode() + b"\0")
        for line in block.body:
            digest.update(line.rstrip().encode() + b"\n")
    return digest.hexdigest()[:12]


def block_digests(blocks: list[Block]) -> tuple[str, ...]:
    """Each tagged block's own short digest, in page order: what lets the gate name the
    block that changed since the stamp, where the engines' digests only say that one did."""
    return tuple(blocks_digest([block])[:8] for block in blocks)


def front_matter_range(page: Page) -> tuple[int, int] | None:
    """(first, closing) line indexes of a leading `---` YAML block, if the page has one."""
    return page.front_matter_range()


def read(page: Page) -> Provenance | None:
    bounds = front_matter_range(page)
    if bounds is None:
        return None
    for line in page.lines[bounds[0] + 1 : bounds[1]]:
        parsed = _parse(line)
        if parsed is not None:
            return parsed
    return None


def _parse(line: str) -> Provenance | None:
    match = _LINE.match(line)
    if match:
        texts = [e.strip() for e in match.group("entries").split(",") if e.strip()]
        entries = [found for found in map(_ENTRY.match, texts) if found is not None]
        if len(entries) == len(texts):
            blocks = tuple(d.strip() for d in (match.group("blocks") or "").split(",") if d.strip())
            return Provenance(
                match.group("date"),
                tuple(EngineRecord(*e.group("source", "version", "digest")) for e in entries),
                blocks,
            )
    old = _OLD_LINE.match(line)
    if old:
        return Provenance(old.group("date"), (EngineRecord("", old.group("engine").strip(), old.group("digest")),))
    return None


def with_provenance(page: Page, record: Provenance) -> Page:
    """The page with its provenance line set (front matter created if absent)."""
    return with_line(page, record.line())


def line_of(page: Page) -> str | None:
    """The page's provenance line as written, or None."""
    bounds = front_matter_range(page)
    if bounds is None:
        return None
    return next((line for line in page.lines[bounds[0] + 1 : bounds[1]] if line.startswith(f"{KEY}:")), None)


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
    return page.with_lines(lines)
