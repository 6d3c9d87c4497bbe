"""The site's Python-Markdown extension: the docsexec gate, the "verified on" badge, and
console output that reads (and copies) as output.

It is a Markdown extension, not only an MkDocs plugin, because Zensical (the successor of
Material for MkDocs) loads Markdown extensions but no MkDocs plugins; with both builds
listing it under `markdown_extensions`, the badge and the gate work in either:

    markdown_extensions:
      - docsexec.faces.markdown_ext:       # options: badge (true), gate (true),
          verification_page: verification.md   # where the badge links (if that page exists)

The gate needs the page's source file (its front matter holds the provenance line, which
both builds strip before Markdown sees the text). Zensical tells extensions the page being
rendered through its context preprocessor; under MkDocs the thin plugin
(docsexec.faces.mkdocs_plugin) names the page before each conversion.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor

from ..errors import DocsexecError
from ..model import Block
from ..page import Page
from ..pages.config import configured_engines
from ..scan import variants
from ..scan.fences import scan_page
from ..scan.translations import TRANSLATION_LANGUAGES
from ..write import provenance, stamp
from .console_html import collapsed_setup_blocks, readable_console_outputs, setup_title

try:  # MkDocs ends a build cleanly ("Aborted with a BuildError") on its own error type
    from mkdocs.exceptions import PluginError as _BuildError
except ImportError:  # pragma: no cover - Zensical alone, or plain Python-Markdown
    _BuildError = RuntimeError  # type: ignore[assignment,misc]


class GateError(_BuildError):
    """A page may not be published: its blocks do not parse, were never verified, or changed."""


@dataclass(frozen=True)
class Source:
    """The page being rendered: its file, and its path inside docs_dir (for relative links)."""

    path: Path
    docs_dir: Path

    @property
    def relative(self) -> str:
        return self.path.relative_to(self.docs_dir).as_posix()


# Set by the MkDocs plugin around each page's conversion (MkDocs tells extensions nothing).
CURRENT_SOURCE: ContextVar[Source | None] = ContextVar("docsexec_current_source", default=None)


def _zensical_source(md: Markdown) -> Source | None:
    """The page Zensical is rendering, from its context preprocessor, if this is Zensical."""
    context = next((p for p in md.preprocessors if type(p).__name__ == "ContextPreprocessor"), None)
    if context is None:
        return None
    try:
        from zensical.config import get_config
    except ImportError:  # pragma: no cover - a context preprocessor without Zensical
        return None
    docs_dir = Path(get_config()["docs_dir"]).resolve()
    path = Path(context.page.path)  # type: ignore[attr-defined]  # Zensical's preprocessor carries the page
    return Source(path if path.is_absolute() else docs_dir / path, docs_dir)


def current_source(md: Markdown) -> Source | None:
    return CURRENT_SOURCE.get() or _zensical_source(md)


def badge_text(engines: list[str], date: str) -> str:
    """ "Verified on Docker Engine 28.5.2 and 26.1.5 · 2026-12-01": every engine named."""
    named = " and ".join(engines) if len(engines) < 3 else ", ".join(engines[:-1]) + " and " + engines[-1]
    return f"Verified on Docker Engine {named} \u00b7 {date}"


def badge_markdown(record: provenance.Provenance, engines: tuple[str, ...], count: int, link: str | None) -> str:
    """A Markdown link (or span) with attr_list classes, so both builds resolve the link."""
    entries = [e for e in ([record.record(name) for name in engines] or list(record.records)) if e is not None]
    text = badge_text([variants.short_version(e.version) for e in entries], record.date)
    title = f"{count} tagged blocks re-run by docsexec on " + ", ".join(f"{e.source} {e.version}" for e in entries)
    if link:
        return f'[{text}]({link}){{: .docsexec-badge title="{title}" }}'
    return f'<span class="docsexec-badge" title="{title}">{text}</span>'


def after_title(lines: list[str], inserted: str) -> list[str]:
    """Insert below the page's `# Title`: both builds take a page's title from a leading h1."""
    for index, line in enumerate(lines):
        if line.startswith("# "):
            return [*lines[: index + 1], "", inserted, "", *lines[index + 1 :]]
        if line.strip():
            break
    return [inserted, "", *lines]


def page_engines(record: provenance.Provenance | None) -> tuple[str, ...]:
    """The engines the page must be verified on (write/stamp.required_engines): those of the
    project the build runs in (pages/config.py); a bad configuration stops the build."""
    try:
        return stamp.required_engines(configured_engines(), record)
    except DocsexecError as exc:
        raise GateError(f"docsexec: {exc.one_line()}") from exc


def labelled_only_on(lines: list[str], blocks: list[Block], record: provenance.Provenance) -> list[str]:
    """A step that only some engines run (data-only-on) names them for readers, by version:
    `data-only-on-label="29.7 and 28.5"` on its fence, shown below it by the stylesheet."""
    lines = list(lines)
    for block in blocks:
        if not block.options.only_on:
            continue
        found = [record.record(source) for source in block.options.only_on]
        label = " and ".join(".".join(e.version.split(".")[:2]) for e in found if e is not None)
        fence = re.compile(rf"^\s*(`{{3,}}|~{{3,}}).*\{{[^}}]*#{re.escape(block.id)}[\s}}].*data-only-on=")
        at = next((k for k, line in enumerate(lines) if fence.match(line)), None)  # the build strips front matter
        if label and at is not None and lines[at].rstrip().endswith("}"):
            head, brace, tail = lines[at].rpartition("}")
            lines[at] = f'{head} data-only-on-label="{label}"{brace}{tail}'
    return lines


class GateAndBadge(Preprocessor):
    """Reads the page's source file, gates it, and puts the badge below its h1."""

    def __init__(self, md: Markdown, config: dict[str, Any]) -> None:
        super().__init__(md)
        self.config = config

    def run(self, lines: list[str]) -> list[str]:
        where = current_source(self.md)
        if where is None:
            if self.config["gate"]:
                raise GateError(
                    "docsexec: cannot tell which page is being rendered (not MkDocs with the docsexec plugin, nor Zensical)"
                )
            return lines
        source = Page.read(where.path)
        try:
            blocks = scan_page(source)
        except DocsexecError as exc:
            raise GateError(f"docsexec: {exc.one_line()}") from exc
        if not blocks:
            return lines
        record = provenance.read(source)
        engines = page_engines(record)
        if self.config["gate"]:
            problem = stamp.gate_problem(source.path, source, blocks, record, engines)
            if problem:
                raise GateError(f"docsexec: {problem}")
        if record is not None:
            lines = labelled_only_on(lines, blocks, record)
        if self.config["badge"] and record is not None:
            shown = tuple(e for e in engines if e in blocks[0].page_engines) or engines  # docsexec-engines
            return after_title(lines, badge_markdown(record, shown, len(blocks), self._link(where)))
        return lines

    def _link(self, where: Source) -> str | None:
        """The verification page, relative to this page, if the site has one."""
        target = self.config["verification_page"]
        if not target or not (where.docs_dir / target).is_file():
            return None
        return os.path.relpath(target, start=os.path.dirname(where.relative) or ".").replace(os.sep, "/")


class ConsoleOutputs(Postprocessor):
    """Output lines of tagged blocks become plain output spans, and set-up blocks are
    collapsed under a title in the page's language (see console_html)."""

    def run(self, text: str) -> str:
        where = current_source(self.md)
        return collapsed_setup_blocks(readable_console_outputs(text), setup_title(page_language(where)))


def page_language(where: Source | None) -> str:
    """`zh` for a translation such as `dns.zh.md` (mkdocs-static-i18n's suffix layout), else `en`."""
    if where is not None:
        suffixes = where.path.suffixes
        if len(suffixes) >= 2 and suffixes[-2].lstrip(".") in TRANSLATION_LANGUAGES:
            return suffixes[-2].lstrip(".")
    return "en"


class DocsexecExtension(Extension):
    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "badge": [True, "put a 'Verified on Docker Engine ...' badge below the h1 of verified pages"],
            "gate": [True, "fail the build on unverified or edited tagged blocks"],
            "verification_page": ["verification.md", "docs-relative page the badge links to (if it exists)"],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 - Python-Markdown's name
        # Before everything else (normalize_whitespace is 30): the badge is Markdown to render.
        md.preprocessors.register(GateAndBadge(md, self.getConfigs()), "docsexec_gate", 40)
        # After raw HTML (the highlighted code) is put back (raw_html is 30).
        md.postprocessors.register(ConsoleOutputs(md), "docsexec_console_outputs", 25)


def makeExtension(**kwargs: Any) -> DocsexecExtension:  # noqa: N802 - the name Markdown looks up
    return DocsexecExtension(**kwargs)
