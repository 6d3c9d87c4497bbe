"""Stage 4 for a translation (`update`, and `docsexec translation mark`): what is written
into a translation, atomically, and never its prose.

- sync_structure: the source page's lines for a block whose structure changed (now per-engine
  tabs, other options), re-indented to the translation's, before the blocks are compared;
- sync_translation: the source's bodies where only they differ, its provenance line and its
  `docsexec-engines` line;
- mark: the marker line that records which version of each English section the translation's
  prose translates (compare/prose.py reads it), written only when a translator asks.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..compare.prose import Marker, marker_lines, read_marker, read_pair, structure_problem
from ..errors import BadInput
from ..model import PageReport, Status
from ..page import Page
from ..scan import variants
from ..scan.fences import scan_file
from ..scan.regions import region_text, regions
from . import provenance
from .rewrite import apply_bodies


def mark_rewritten(report: PageReport, keys: set[str]) -> None:
    """The blocks whose lines the structure sync copied from the source are UPDATED too, so
    `update` says which of the translation's blocks it changed, as it does for a source page."""
    if not keys:
        return
    report.page_changed = True
    report.verdicts = [
        replace(v, status=Status.UPDATED) if v.status is Status.OK and variants.base_id(v.block) in keys else v
        for v in report.verdicts
    ]


def sync_translation(page: Page, source_page: Page, report: PageReport) -> None:
    """Copy the source's bodies (each DIVERGED verdict's `normalised`, compare/translation.py),
    its provenance line and its `docsexec-engines` line into the translation, atomically; the
    blocks copied are reported UPDATED."""
    syncs = [
        (v.block, v.normalised)
        for v in report.verdicts
        if v.status is Status.DIVERGED and v.normalised is not None and v.block.path == page.path
    ]
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


def sync_structure(path: Path, source_path: Path) -> set[str]:
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


# --- the prose marker ------------------------------------------------------------------------


def mark(path: Path) -> tuple[bool, str]:
    """Record that the translation is up to date with its English page, writing its marker
    line atomically: (True, what was marked), or (False, why not) if its headings differ."""
    pair = read_pair(path)
    problem = structure_problem(pair)
    if problem is not None:
        return False, problem
    try:
        old = read_marker(pair.page, pair.source)
    except BadInput:
        old = None  # marking replaces a malformed line
    labels = tuple(s.label for s in pair.theirs)
    previous = old.labels if old else ()
    changed = [ours for n, ours in enumerate(pair.ours) if n >= len(previous) or previous[n] != labels[n]]
    if not changed and old is not None and len(previous) == len(labels):
        return True, f"{path}: up to date with {pair.source} ({len(labels)} sections), nothing to mark"
    with_marker(pair.page, Marker(pair.source.name, labels).line()).write_atomically()
    lines = ", ".join(f":{s.line}" for s in changed) if old else "all"
    return True, f"marked {path} as translating {pair.source} ({len(labels)} sections; marked now: {lines})"


def with_marker(page: Page, text: str) -> Page:
    """The page with `text` as its only marker line (front matter created if absent)."""
    lines = list(page.lines)
    found = marker_lines(page)
    bounds = page.front_matter_range()
    if bounds is None:
        lines[0:0] = ["---", text, "---", ""]
    elif found:
        lines[found[0]] = text
        for index in reversed(found[1:]):
            del lines[index]
    else:
        lines.insert(bounds[1], text)
    return page.with_lines(lines)
