"""A thin MkDocs plugin over the core: a verify-only gate and a "verified on" badge.

The build never needs Docker: outputs live in the Markdown. The gate only re-reads pages:
it fails the build when a page's tagged blocks do not parse (duplicate ids, bad options),
or when they were never verified, or were edited after their last verified run (the
provenance digest no longer matches), or were verified on fewer engines than the site
configures ([tool.docsexec] engines in pyproject.toml, beside mkdocs.yml). The badge names
every configured engine's version and the date of the last run.

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

from . import provenance, variants
from .errors import DocsexecError
from .page import Page
from .scan import scan_page
from .siteconfig import configured_engines


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
        engines = self._engines(config, record)
        if self.config.gate:
            problem = gate_problem(path, source, blocks, record, engines)
            if problem:
                raise PluginError(f"docsexec: {problem}")
        if self.config.badge and record is not None:
            return _after_title(markdown, _badge(record, engines, len(blocks)))
        return markdown

    def _engines(self, config, record: provenance.Provenance | None) -> tuple[str, ...]:
        """The configured engines; without a configuration, the ones the page names."""
        try:
            configured = configured_engines(Path(config.config_file_path).parent)
        except DocsexecError as exc:
            raise PluginError(f"docsexec: {exc.one_line()}") from exc
        return configured or tuple(r.source for r in (record.records if record else ()))


def gate_problem(path: Path, page: Page, blocks, record: provenance.Provenance | None, engines: tuple[str, ...]) -> str | None:
    """Why the build must stop for this page (file:line first), or None. Each configured
    engine needs an entry whose digest matches the blocks that engine runs."""
    update = f"run `docsexec update {path}`"
    if record is None:
        return f"{path}:1: page has tagged blocks but was never verified: {update}"
    missing = [e for e in engines if record.record(e) is None]
    if missing:
        done = len(engines) - len(missing)
        return f"{path}:1: verified on {done} of the {len(engines)} configured engines (not on {', '.join(missing)}): {update}"
    primary = engines[0] if engines else ""
    for engine in engines:
        entry = record.record(engine)
        digest = provenance.blocks_digest(page, variants.select(blocks, engine, primary))
        if digest != entry.digest:
            return (f"{path}:1: tagged blocks changed since their last verified run on {engine} "
                    f"(digest {digest} != {entry.digest}): {update}")
    return None


def _after_title(markdown: str, html: str) -> str:
    """Insert below the page's `# Title`: MkDocs takes a page's title from a leading h1."""
    lines = markdown.split("\n")
    for index, line in enumerate(lines):
        if line.startswith("# "):
            return "\n".join(lines[: index + 1] + ["", html, ""] + lines[index + 1:])
        if line.strip():
            break
    return html + "\n\n" + markdown


def _badge(record: provenance.Provenance, engines: tuple[str, ...], count: int) -> str:
    """Plain Markdown with attr_list classes, styled by the site's CSS: no theme override."""
    entries = [record.record(e) for e in engines] or list(record.records)
    versions = [variants.short_version(r.version) for r in entries if r is not None]
    named = " and ".join(versions) if len(versions) < 3 else ", ".join(versions[:-1]) + " and " + versions[-1]
    title = f"{count} tagged blocks re-run by docsexec on " + ", ".join(f"{r.source} {r.version}" for r in entries if r)
    return (
        f'<span class="docsexec-badge" title="{title}">'
        f"Verified on Docker Engine {named} &middot; {record.date}</span>"
    )
