"""Translations that cannot lag: a translation records which version of each section of its
English page it translates, and `check` fails it when one of those sections changed since.

The record is one front-matter line beside the provenance line (write/provenance.py), one
entry per section of the English page (scan/sections.py), in page order:

    docsexec-translation: {source: bridge.md, sections: [h1 0a1b2c3d, h2 4e5f6a7b, ...]}

Each entry is the English section's heading level and the digest of its prose (tagged blocks
left out: `update` copies those). The translation's own headings must match the English
page's one for one (same levels, same order), so its sections pair with the English ones by
position. The line is written only by `docsexec translation mark` (write/translation.py), which a translator runs
after bringing the prose up to date; `update` never writes it, or a changed English sentence
would be marked as translated without anyone having translated it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInput
from ..model import PageReport
from ..page import Page
from ..scan.fences import scan_page
from ..scan.sections import Section, sections
from ..scan.translations import source_of

KEY = "docsexec-translation"
_LINE = re.compile(rf"^{KEY}:\s*\{{source:\s*(?P<source>[^,\s{{}}]+),\s*sections:\s*\[(?P<entries>[^\]]*)\]\}}\s*$")
_ENTRY = re.compile(r"^h[0-6] [0-9a-f]{8}$")
FORMAT = f"`{KEY}: {{source: NAME.md, sections: [h1 0123abcd, h2 4567cdef, ...]}}`"


@dataclass(frozen=True)
class Marker:
    source: str  # the English page's file name, beside the translation
    labels: tuple[str, ...]  # one `hN digest` per English section, in page order

    def line(self) -> str:
        return f"{KEY}: {{source: {self.source}, sections: [{', '.join(self.labels)}]}}"


def mark_command(path: Path) -> str:
    return f"`docsexec translation mark {path}`"


def marker_lines(page: Page) -> list[int]:
    """0-based indexes of the front-matter lines that are (or try to be) the marker."""
    bounds = page.front_matter_range()
    if bounds is None:
        return []
    return [i for i in range(bounds[0] + 1, bounds[1]) if page.lines[i].startswith(KEY)]


def read_marker(page: Page, source: Path) -> Marker | None:
    """The translation's marker, or None if it has none; BadInput (file:line) if it is
    malformed, repeated, or names another source page."""
    found = marker_lines(page)
    if not found:
        return None
    if len(found) > 1:
        raise BadInput(page.path, found[1] + 1, f"a second {KEY} line: keep one (run {mark_command(page.path)})")
    match = _LINE.match(page.lines[found[0]])
    entries = [e.strip() for e in match.group("entries").split(",")] if match else []
    if match is None or not all(_ENTRY.match(e) for e in entries):
        raise BadInput(page.path, found[0] + 1, f"malformed {KEY} line: expected {FORMAT}")
    if match.group("source") != source.name:
        raise BadInput(
            page.path, found[0] + 1, f"{KEY} names source {match.group('source')}, but this page translates {source}"
        )
    return Marker(match.group("source"), tuple(entries))


@dataclass(frozen=True)
class Pair:
    """A translation and its English page, read and split into sections."""

    path: Path
    source: Path
    page: Page
    ours: list[Section]
    theirs: list[Section]


def read_pair(path: Path) -> Pair:
    source = source_of(path)
    assert source is not None, f"{path} is not a translation"
    page, english = Page.read(path), Page.read(source)
    return Pair(path, source, page, sections(page, scan_page(page)), sections(english, scan_page(english)))


def structure_problem(pair: Pair) -> str | None:
    """One line (file:line of both pages) where the two pages' headings stop matching."""
    ours, theirs = [s.level for s in pair.ours], [s.level for s in pair.theirs]
    if ours == theirs:
        return None
    n = next((i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b), min(len(ours), len(theirs)))
    here = f"{pair.path}:{pair.ours[n].line}" if n < len(pair.ours) else f"{pair.path}:{len(pair.page.lines)}"
    there = f"{pair.source}:{pair.theirs[n].line} {_shown(pair.theirs[n])}" if n < len(pair.theirs) else "its end"
    what = f"h{ours[n]} {_shown(pair.ours[n])}" if n < len(ours) else "the end of the page"
    return (
        f"{here}: headings differ from the English page's at section {n + 1}: {what} here, {there} there; "
        "a translation has the English page's headings, one for one"
    )


def _shown(section: Section) -> str:
    title = section.title if len(section.title) <= 60 else section.title[:57] + "..."
    return repr(title)


def stale_problems(path: Path) -> list[str]:
    """Why the translation lags behind its English page, one line each (file:line of both
    pages first), or []: its headings differ, it was never marked, or English sections
    changed since it was marked. A malformed marker raises BadInput."""
    pair = read_pair(path)
    marker = read_marker(pair.page, pair.source)
    problem = structure_problem(pair)
    if problem is not None:
        return [problem]
    if marker is None:
        return [
            f"{path}:1: translation never marked as up to date with {pair.source}: once its prose "
            f"says what the English says, run {mark_command(path)}"
        ]
    recorded = list(marker.labels) + [""] * max(0, len(pair.theirs) - len(marker.labels))
    return [
        f"{path}:{ours.line}: {_shown(ours)} translates an older version of {pair.source}:{theirs.line} "
        f"{_shown(theirs)}: bring it up to date, then run {mark_command(path)}"
        for ours, theirs, label in zip(pair.ours, pair.theirs, recorded, strict=False)
        if theirs.label != label
    ]


def prose_report(path: Path) -> PageReport | None:
    """`check`'s verdict on a translation's prose: a failing PageReport whose error holds
    the problem lines, or None when the translation is up to date."""
    problems = stale_problems(path)
    if not problems:
        return None
    source = source_of(path)
    return PageReport(
        path=path, engine_version=f"prose of {source}", seconds=0.0, error="\n".join(problems), source_page=source
    )
