"""pytest integration: each tagged block is a test item named `page.md::block-id`.

Opt in with `--docsexec` or the ini option `docsexec_paths` (folders or files whose Markdown
pages are collected). A page is still one shell session on one private engine: the first of
its items to run runs the whole page, and every item then reports its own block's verdict,
with the diff headed file:line. An engine that cannot start fails the items; it never skips.

One run per page per pytest session: `shared_page_run` keeps each page's run on the session,
so the page's items and any test that needs the same real run (the mutation test) share it
instead of starting the page's engine again.
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
from .rewrite import body_lines
from .runner import DEFAULT_TIMEOUT, PageRun, RunSettings

_RUNS = pytest.StashKey[dict]()


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
        from .twins import source_of

        if source_of(self.path) is not None:
            yield SourceBlocksItem.from_parent(self, name="(source blocks)")

    def verdicts(self) -> tuple[PageReport, dict[str, list[str]]]:
        cached: Any = getattr(self, "_docsexec_result", None)
        if cached is None:
            cached = self._run()
            self._docsexec_result = cached
        if isinstance(cached, Exception):
            raise cached
        return cached

    def _run(self):
        from .scan import scan_file
        from .twins import compare_translation, source_of
        from .verify import verify_page

        if source_of(self.path) is not None:  # a translation never runs: its blocks are its source's
            try:
                report = compare_translation(_display_path(self.path), write=False)
            except DocsexecError as exc:
                return DocsexecFailure(exc.one_line())
            page = scan_file(self.path)[0]
            return report, {v.block.id: body_lines(page, v.block) for v in report.verdicts if v.block.path == report.path}
        engine = self.config.getoption("--docsexec-engine")
        settings = RunSettings(engine=engine, default_timeout=DEFAULT_TIMEOUT)
        try:
            run = shared_page_run(self.config, self.path, engine)
            return verify_page(_display_path(self.path), settings, write=False, scanned=scan_file(self.path), run=run)
        except DocsexecError as exc:
            return DocsexecFailure(exc.one_line())


def shared_page_run(config: pytest.Config, path: Path, engine: str = "sandbox") -> PageRun:
    """The page's one real run in this pytest session (made on first demand, then shared).

    A run that raised raises the same error again for every caller, without a second try.
    The run is made from the page as it is on disk when first asked for."""
    from .runner import run_page
    from .scan import scan_file

    runs = config.stash.setdefault(_RUNS, {})
    key = (Path(path).resolve(), engine)
    if key not in runs:
        display = _display_path(Path(path).resolve())
        try:
            runs[key] = run_page(display, scan_file(display)[1], RunSettings(engine=engine, default_timeout=DEFAULT_TIMEOUT))
        except DocsexecError as exc:
            runs[key] = exc
    found = runs[key]
    if isinstance(found, DocsexecError):
        raise found
    return found


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
        report, current = page.verdicts()
        verdict = next(v for v in report.verdicts if v.block.id == self.block_id)
        if verdict.status not in PASSING:
            raise DocsexecFailure("\n".join(_explain(verdict, current[self.block_id], report)))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: str | None = None) -> str:
        if isinstance(excinfo.value, DocsexecFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, self.line - 1, f"{self.path.name}:{self.line} [{self.block_id}]"


class SourceBlocksItem(pytest.Item):
    """A translation holds every block of its source page: one that was deleted from the
    translation has no item of its own, so this item fails for it (file:line in the message)."""

    def runtest(self) -> None:
        page = self.parent
        assert isinstance(page, MarkdownPage)
        report, _ = page.verdicts()
        missing = [p for v in report.verdicts if v.block.path != report.path for p in v.problems]
        if missing:
            raise DocsexecFailure("\n".join(missing))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: str | None = None) -> str:
        return str(excinfo.value)


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
    lines.append(f"(engine {report.engine_version or 'unknown'}; fix the page or run `docsexec update {verdict.block.path}`)")
    return lines
