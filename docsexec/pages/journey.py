"""The reader's journey: every page in the site's reading order, on ONE engine, in ONE shell.

Why: each page is verified on its own fresh engine, but a reader follows the pages in order
on one engine, and whatever a page leaves behind (a container, a network, a variable) is
there when the next page starts. A page that relies on state it did not create, or leaves
state that changes the next page's outputs, passes page by page and is wrong for the
reader. `docsexec check --journey` runs the pages as that reader would and compares every
block as usual; each page is still evaluated on its own (its own volatile bindings).

The reading order is the site's nav (mkdocs.yml), pages not in the nav are not part of the
journey, and pages without tagged blocks are passed over.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ..errors import BadInput

DEFAULT_CONFIG = Path("mkdocs.yml")


class _LenientLoader(yaml.SafeLoader):
    """mkdocs.yml uses tags such as `!ENV` and `!!python/name:`; the nav needs none of them."""


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> None:
    return None


_LenientLoader.add_multi_constructor("!", _ignore_tag)
_LenientLoader.add_multi_constructor("tag:yaml.org,2002:python/", _ignore_tag)


def reading_order(config: Path = DEFAULT_CONFIG) -> list[Path]:
    """The Markdown pages of the nav, in order, as paths under the site's docs_dir."""
    try:
        data = yaml.load(config.read_text(encoding="utf-8"), Loader=_LenientLoader)
    except OSError as exc:
        raise BadInput(config, 1, f"cannot read the site configuration: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", 0) + 1
        raise BadInput(config, line, f"not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict) or "nav" not in data:
        raise BadInput(config, 1, "no `nav:` in the site configuration: the journey needs the reading order")
    docs_dir = config.parent / str(data.get("docs_dir") or "docs")
    pages = [docs_dir / entry for entry in _nav_entries(data["nav"]) if entry.endswith((".md", ".markdown"))]
    missing = [page for page in pages if not page.is_file()]
    if missing:
        raise BadInput(config, 1, f"the nav names a page that does not exist: {missing[0]}")
    return pages


def _nav_entries(node: Any) -> Iterator[str]:
    """Page paths of a nav tree (strings, `Title: path` maps, and sections), depth first."""
    if isinstance(node, str):
        if "://" not in node:
            yield node
    elif isinstance(node, list):
        for item in node:
            yield from _nav_entries(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _nav_entries(value)


def journey_pages(requested: list[Path], config: Path = DEFAULT_CONFIG) -> list[Path]:
    """The nav's pages that lie under the requested paths, in reading order."""
    wanted = [path.resolve() for path in requested]
    order = reading_order(config)
    return [page for page in order if any(_within(page.resolve(), root) for root in wanted)]


def _within(page: Path, root: Path) -> bool:
    return page == root or root in page.parents
