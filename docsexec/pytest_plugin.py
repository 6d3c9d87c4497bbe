"""pytest integration: each tagged block is a test item named `page.md::block-id`.

Opt in with `--docsexec` or the ini option `docsexec_paths` (folders or files whose Markdown
pages are collected). A page is still one shell session on one private engine per configured
engine ([tool.docsexec] engines, or DOCSEXEC_ENGINE): the first of its items to run runs the
whole page on each, and every item then reports its own block's verdicts, with the diff
headed file:line and the engine named. A per-engine variant is checked on its engine only.
An engine that cannot start fails the items; it never skips.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from .errors import DocsexecError
from .evaluate import PASSING, BlockVerdict
from .page import MARKDOWN_SUFFIXES
from .report import PageReport, block_diff
from .runner import DEFAULT_TIMEOUT, RunSettings


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("docsexec")
    group.addoption("--docsexec", action="store_true", help="collect tagged blocks of Markdown pages as test items")
    group.addoption("--docsexec-engine", default="sandbox", choices=("sandbox", "shared"), help="engine for pages (default: a private engine per page)")
    parser.addini("docsexec_paths", type="paths", default=[], help="Markdown files or folders whose tagged blocks are collected")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix.lower() not in MARKDOWN_SUFFIXES or not _wanted(parent.config, file_path):
        return None
    return MarkdownPage.from_parent(parent, path=file_path)


def _wanted(config: pytest.Config, path: Path) -> bool:
    roots = [Path(p) for p in config.getini("docsexec_paths")]
    if config.getoption("--docsexec") and not roots:
        return True
    return any(path == root or root in path.parents for root in roots)


class MarkdownPage(pytest.File):
    """A page: collects one item per tagged block; runs the page once, on first demand."""

    def collect(self):
        from .scan import scan_file

        try:
            _, blocks = scan_file(self.path)
        except DocsexecError as exc:
            yield BrokenPage.from_parent(self, name="(page)", message=exc.one_line())
            return
        for block in blocks:
            yield BlockItem.from_parent(self, name=block.id, block_id=block.id, line=block.fence_line)

    def verdicts(self) -> list[tuple[PageReport, dict[str, list[str]]]]:
        """The page's run on each engine (a block's variant appears in its engine's run only)."""
        cached: Any = getattr(self, "_docsexec_result", None)
        if cached is None:
            cached = self._run()
            self._docsexec_result = cached
        if isinstance(cached, Exception):
            raise cached
        return cached

    def _run(self):
        from .siteconfig import run_sources
        from .verify import verify_page

        mode = self.config.getoption("--docsexec-engine")
        try:
            sources, primary = run_sources(None, self.path.parent) if mode == "sandbox" else ((None,), None)
            return [verify_page(_display_path(self.path), RunSettings(engine=mode, default_timeout=DEFAULT_TIMEOUT,
                                                                     engine_source=source, primary=primary), write=False)
                    for source in sources]
        except DocsexecError as exc:
            return DocsexecFailure(exc.one_line())


class DocsexecFailure(Exception):
    """A block diverged, or its page could not run; the message is the diff."""


class BlockItem(pytest.Item):
    def __init__(self, *, block_id: str, line: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.block_id = block_id
        self.line = line

    def runtest(self) -> None:
        page = self.parent
        assert isinstance(page, MarkdownPage)
        problems = []
        for report, current in page.verdicts():
            verdict = next((v for v in report.verdicts if v.block.id == self.block_id), None)
            if verdict is not None and verdict.status not in PASSING:
                problems.extend(_explain(verdict, current[self.block_id], report))
        if problems:
            raise DocsexecFailure("\n".join(problems))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: str | None = None) -> str:
        if isinstance(excinfo.value, DocsexecFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, self.line - 1, f"{self.path.name}:{self.line} [{self.block_id}]"


class BrokenPage(pytest.Item):
    """A page that does not parse is one failing item, with the scanner's file:line message."""

    def __init__(self, *, message: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message = message

    def runtest(self) -> None:
        raise DocsexecFailure(self.message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: str | None = None) -> str:
        return str(excinfo.value)


def _display_path(path: Path) -> Path:
    """Relative to where pytest runs when possible: `docs/page.md:12` reads better than /abs."""
    relative = Path(os.path.relpath(path))
    return path if relative.parts[:1] == ("..",) else relative


def _explain(verdict: BlockVerdict, current: list[str], report: PageReport) -> list[str]:
    lines = block_diff(verdict, current)
    lines.append(f"(engine {report.engine_source} {report.engine_version or 'unknown'}; fix the page or run `docsexec update {verdict.block.path}`)")
    return lines
