"""Which pages are translations, and of which page: the naming rule, and nothing else.

A translation lives beside its source with a language suffix (`bridge.zh.md` beside
`bridge.md`, the layout of mkdocs-static-i18n). Its prose is its own; its tagged blocks are
its source page's, so a translation is never run: compare/translation.py compares its blocks
with the source's, write/translation.py copies them on `update`, compare/prose.py checks that
its prose translates the English page as it is now (verify.verify_translation).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from ..errors import BadInput

# Languages whose pages are translations of the default (English) page beside them.
TRANSLATION_LANGUAGES = ("zh",)
_SUFFIX = re.compile(r"^(?P<stem>.+)\.(?P<lang>[a-z]{2})$")


def source_of(path: Path) -> Path | None:
    """The source page of a translation (`x.zh.md` -> `x.md`), or None for a source page."""
    match = _SUFFIX.match(path.stem)
    if match is None or match.group("lang") not in TRANSLATION_LANGUAGES:
        return None
    return path.with_name(match.group("stem") + path.suffix)


def with_translations(paths: list[Path]) -> list[Path]:
    """`paths` plus the translations beside each source page in it that are not named already:
    a page is checked and updated with its translations, so `update bridge.md` cannot leave
    `bridge.zh.md` behind with the old outputs."""
    named = set(paths)
    added = [
        twin
        for path in paths
        if source_of(path) is None
        for twin in (path.with_name(f"{path.stem}.{lang}{path.suffix}") for lang in TRANSLATION_LANGUAGES)
        if twin not in named and twin.is_file()
    ]
    return [*paths, *added]


def split_translations(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """(source pages, translations), each in the given order. A translation without its
    source page is bad input: its blocks would have nothing to be verified against."""
    sources: list[Path] = []
    translations: list[Path] = []
    for path in paths:
        source = source_of(path)
        if source is None:
            sources.append(path)
            continue
        if not source.is_file():
            raise BadInput(path, 1, f"translation without its source page {source}: its blocks cannot be verified")
        translations.append(path)
    return sources, translations
