"""A thin MkDocs plugin over docsexec's Markdown extension (docsexec.markdown_ext).

The gate and the badge live in the extension, so that Zensical, which loads Markdown
extensions but not MkDocs plugins, builds the same site. MkDocs tells an extension nothing
about the page it converts, so this plugin names the page's source file before each
conversion, and adds the extension when mkdocs.yml lists only the plugin.

    plugins:
      - search
      - docsexec          # options: badge (true), gate (true)
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.plugins import BasePlugin

from .markdown_ext import CURRENT_SOURCE, Source

EXTENSION = "docsexec.markdown_ext"


class DocsexecConfig(Config):
    badge = config_options.Type(bool, default=True)
    gate = config_options.Type(bool, default=True)


class DocsexecPlugin(BasePlugin[DocsexecConfig]):
    def on_config(self, config):
        """Make sure the extension runs, with the plugin's options unless mkdocs.yml gives its own."""
        if EXTENSION not in config.markdown_extensions:
            config.markdown_extensions.append(EXTENSION)
        options = config.mdx_configs.setdefault(EXTENSION, {})
        options.setdefault("badge", self.config.badge)
        options.setdefault("gate", self.config.gate)
        return config

    def on_page_markdown(self, markdown: str, page, config, files) -> str:
        CURRENT_SOURCE.set(Source(Path(page.file.abs_src_path).resolve(), Path(config.docs_dir).resolve()))
        return markdown

    def on_page_content(self, html: str, page, config, files) -> str:
        CURRENT_SOURCE.set(None)
        return html
