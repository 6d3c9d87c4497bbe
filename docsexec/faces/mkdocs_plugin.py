"""A thin MkDocs plugin over docsexec's Markdown extension (docsexec.faces.markdown_ext).

The gate and the badge live in the extension, so that Zensical, which loads Markdown
extensions but not MkDocs plugins, builds the same site. MkDocs tells an extension nothing
about the page it converts, so this plugin names the page's source file before each
conversion, and adds the extension when mkdocs.yml lists only the plugin.

    plugins:
      - search
      - docsexec          # options: badge (true), gate (true)
"""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path

from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from .markdown_ext import CURRENT_SOURCE, Source

EXTENSION = "docsexec.faces.markdown_ext"


class DocsexecConfig(Config):  # type: ignore[no-untyped-call]  # mkdocs: untyped __init_subclass__
    badge = config_options.Type(bool, default=True)
    gate = config_options.Type(bool, default=True)


class DocsexecPlugin(BasePlugin[DocsexecConfig]):  # type: ignore[no-untyped-call]  # the same
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Make sure the extension runs, with the plugin's options unless mkdocs.yml gives its own."""
        if EXTENSION not in config.markdown_extensions:
            config.markdown_extensions.append(EXTENSION)
        options = config.mdx_configs.setdefault(EXTENSION, {})
        options.setdefault("badge", self.config.badge)
        options.setdefault("gate", self.config.gate)
        return config

    def on_page_markdown(self, markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        source = page.file.abs_src_path  # None only for a page a plugin made up: nothing to gate
        CURRENT_SOURCE.set(Source(Path(source).resolve(), Path(config.docs_dir).resolve()) if source else None)
        return markdown

    def on_page_content(self, html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        CURRENT_SOURCE.set(None)
        return html

    def on_post_page(self, output: str, page: Page, config: MkDocsConfig) -> str:
        """Point each `<link rel="alternate" hreflang>` at its edition's root, not at the same
        page in that edition: Material's language selector fetches `sitemap.xml` next to
        that link (mkdocs-material#6582), which exists only at an edition's root. The
        selector's own `<a hreflang>` links still lead to the same page in the other edition."""
        parts = [part for part in page.url.split("/") if part]
        if parts and parts[0] in _other_locales(config):
            parts = parts[1:]  # a page of another edition: its path below that edition's root
        depth = len(parts)
        return _ALTERNATE.sub(lambda m: m.group(1) + _root_of(m.group(2), depth) + m.group(3), output)

    @event_priority(-100)  # after the search and i18n plugins have written the search index
    def on_post_build(self, config: MkDocsConfig) -> None:
        """Every language edition gets a sitemap.xml of its own pages. mkdocs-static-i18n
        writes one, for the default language, at the site's root; Material's language
        selector asks the other edition's folder for its sitemap (`/zh/sitemap.xml`) to find
        the page the reader is on, and a missing one is a 404 on every page view."""
        site = Path(config.site_dir)
        for folder in [site / locale for locale in _other_locales(config)]:
            if folder.is_dir() and not (folder / "sitemap.xml").exists():
                _write_sitemap(folder)
        _search_index_in_utf8(site / "search" / "search_index.json")


def _search_index_in_utf8(index: Path) -> None:
    """The search plugin writes its index with every non-ASCII character as a `\\uXXXX`
    escape: six bytes for each Chinese character, which made the Chinese edition's text three
    times its size and every reader fetch it. The same JSON, in UTF-8 (as JSON is served)."""
    if index.is_file():
        data = json.loads(index.read_text(encoding="utf-8"))
        index.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


_ALTERNATE = re.compile(r'(<link rel="alternate" href=")([^"]*)(" hreflang="[^"]+">)')


def _root_of(href: str, depth: int) -> str:
    """The edition root of `href`, a link to a page `depth` folders below that root."""
    root = posixpath.normpath(href + "../" * depth) if depth else posixpath.normpath(href or ".")
    return "./" if root == "." else root.rstrip("/") + "/"


def _other_locales(config: MkDocsConfig) -> list[str]:
    """The non-default languages of mkdocs-static-i18n, if the site uses it."""
    i18n = config.plugins.get("i18n")
    languages = getattr(getattr(i18n, "config", None), "languages", None) or []
    return [lang.locale for lang in languages if not lang.default]


def _write_sitemap(folder: Path) -> None:
    pages = sorted(p.parent.relative_to(folder).as_posix() for p in folder.rglob("index.html"))
    urls = "".join(f"  <url><loc>{'' if p == '.' else p + '/'}</loc></url>\n" for p in pages)
    (folder / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n',
        encoding="utf-8",
    )
