"""A thin MkDocs plugin over the core: a verify-only gate and a "verified on" badge.

The build never needs Docker: outputs live in the Markdown. The gate only re-reads pages:
it fails the build when a page's tagged blocks do not parse (duplicate ids, bad options),
or when they were never verified, or were edited after their last verified run (the
provenance digest no longer matches). The badge shows the engine and date of that run.

    plugins:
      - search
      - docsexec          # options: badge (true), gate (true)
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin

from . import provenance
from .errors import DocsexecError
from .page import Page
from .scan import scan_page


class DocsexecConfig(Config):
    badge = config_options.Type(bool, default=True)
    gate = config_options.Type(bool, default=True)


class DocsexecPlugin(BasePlugin[DocsexecConfig]):
    def on_page_markdown(self, markdown: str, page, config, files) -> str:
        path = Path(page.file.abs_src_path)
        source = Page.read(path)
        try:
            blocks = scan_page(source)
        except DocsexecError as exc:
            raise PluginError(f"docsexec: {exc.one_line()}") from exc
        if not blocks:
            return markdown
        record = provenance.read(source)
        if self.config.gate:
            self._gate(path, source, blocks, record)
        if self.config.badge and record is not None:
            return _after_title(markdown, _badge(record, len(blocks)))
        return markdown

    def _gate(self, path: Path, source: Page, blocks, record) -> None:
        if record is None:
            raise PluginError(f"docsexec: {path}:1: page has tagged blocks but was never verified: run `docsexec update {path}`")
        digest = provenance.blocks_digest(source, blocks)
        if digest != record.digest:
            raise PluginError(
                f"docsexec: {path}:1: tagged blocks changed since their last verified run "
                f"(digest {digest} != {record.digest}): run `docsexec update {path}`"
            )


def _after_title(markdown: str, html: str) -> str:
    """Insert below the page's `# Title`: MkDocs takes a page's title from a leading h1."""
    lines = markdown.split("\n")
    for index, line in enumerate(lines):
        if line.startswith("# "):
            return "\n".join(lines[: index + 1] + ["", html, ""] + lines[index + 1:])
        if line.strip():
            break
    return html + "\n\n" + markdown


def _badge(record: provenance.Provenance, count: int) -> str:
    """Plain Markdown with attr_list classes, styled by the site's CSS: no theme override."""
    return (
        f'<span class="docsexec-badge" title="{count} tagged blocks re-run by docsexec">'
        f"Verified on Docker Engine {record.engine} &middot; {record.date}</span>"
    )
