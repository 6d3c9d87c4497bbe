"""Heading ids for both editions of the site.

Python-Markdown's default slugify drops every non-ASCII character, so Chinese headings got
ids like `_2`, which say nothing and collide between sections. A heading with non-ASCII text
keeps its characters (`第-1-步启动容器`); an ASCII heading gets exactly the default id, so
every existing English link and anchor stays as it was.
"""

from __future__ import annotations

from markdown.extensions.toc import slugify as ascii_slugify
from markdown.extensions.toc import slugify_unicode


def slugify(value: str, separator: str) -> str:
    return ascii_slugify(value, separator) if value.isascii() else slugify_unicode(value, separator)
