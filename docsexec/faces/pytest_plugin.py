"""pytest integration: each tagged block is a test item named `page.md::block-id`.

Opt in with `--docsexec` or the ini option `docsexec_paths` (folders or files whose Markdown
pages are collected). A page is still one shell session on one private engine per configured
engine ([tool.docsexec] engines, or DOCSEXEC_ENGINE): every item reports its own block's
verdicts from the page's run on each engine, with the diff headed file:line and the engine
named; a per-engine variant is checked on its engine only. A translation (`page.zh.md`) never
runs: its items compare its blocks with its source page's, and its `(translated prose)` item
fails when an English section changed since the translation was marked (compare/prose.py).
An engine that cannot start fails the items; it never skips.

One run per page and engine per pytest session, and those runs in parallel: when the first
page item needs its run, every collected page's runs are made at once, from one run plan as
the command line makes it (pages/plan.py: pages scanned, engines resolved, the machine gated
once), `-j` style (each on its
own private engine, DOCSEXEC_PYTEST_JOBS at a time, default the number of cores), and kept on
the session, so the page's items and any test that needs the same real run (the mutation
test) share them instead of starting the page's engine again.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from _pytest._code.code import TerminalRepr

from ..errors import EXIT_ENVIRONMENT, DocsexecError
from ..model import BlockVerdict, EngineMode, Mode, PageReport, PageRun, Progress
from ..page import MARKDOWN_SUFFIXES
from ..report.report import block_diff
from ..run.runner import DEFAULT_TIMEOUT, RunSettings

if TYPE_CHECKING:
    from ..verify import Job

RunKey = tuple[Path, str | None]  # (page, engine source)
Runs = dict[RunKey, PageRun | DocsexecError]  # a run, or the error that ended it

_RUNS = pytest.StashKey[Runs]()
_PAGES = pytest.StashKey[list[Path]]()
_PREFETCHED = pytest.StashKey[bool]()
_SETTINGS = pytest.StashKey[list[RunSettings]]()  # the session's engines, resolved once


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("docsexec")
    group.addoption("--docsexec", action="store_true", help="collect tagged blocks of Markdown pages as test items")
    group.addoption(
        "--docsexec-engine",
        default=EngineMode.SANDBOX.value,
        choices=[mode.value for mode in EngineMode],
        help="engine for pages (default: a private engine per page)",
    )
    parser.addini(
        "docsexec_paths", type="paths", default=[], help="Markdown files or folders whose tagged blocks are collected"
    )


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

    def collect(self) -> Iterator[pytest.Item]:
        from ..scan.fences import scan_file

        try:
            _, blocks = scan_file(self.path)
        except DocsexecError as exc:
            yield BrokenPage.from_parent(self, name="(page)", message=exc.one_line())
            return
        for block in blocks:
            yield BlockItem.from_parent(self, name=block.id, block_id=block.id, line=block.fence_line)
        from ..scan.translations import source_of

        if source_of(self.path) is not None:
            yield SourceBlocksItem.from_parent(self, name="(source blocks)")
            yield TranslatedProseItem.from_parent(self, name="(translated prose)")

    def verdicts(self) -> list[PageReport]:
        """The page's verdicts on each engine (a variant appears in its engine's run only);
        a translation's one comparison with its source page."""
        cached: list[PageReport] | DocsexecFailure | None = getattr(self, "_docsexec_result", None)
        if cached is None:
            cached = self._run()
            self._docsexec_result = cached
        if isinstance(cached, Exception):
            raise cached
        return cached

    def unchecked(self) -> dict[int, str]:
        """Fence line -> why, for each block of a source page that no engine of this session
        runs (a tab of another engine, when DOCSEXEC_ENGINE names one): those items skip with
        that reason, as the command line's summary counts them (pages/plan.unchecked_by)."""
        from ..pages.plan import unchecked_by
        from ..scan.fences import scan_file
        from ..scan.translations import source_of

        if source_of(self.path) is not None:
            return {}  # a translation's blocks are compared, never run: each is checked
        blocks = scan_file(self.path)[1]
        return {item.block.fence_line: item.reason for item in unchecked_by(blocks, page_settings(self.config))}

    def _run(self) -> list[PageReport] | DocsexecFailure:
        from ..scan.fences import scan_file
        from ..scan.translations import source_of
        from ..verify import verify_page, verify_translation

        try:
            if source_of(self.path) is not None:  # a translation never runs: its blocks are its source's
                return verify_translation(_display_path(self.path), mode=Mode.CHECK)
            results = []
            for settings in page_settings(self.config):
                run = shared_page_run(self.config, self.path, settings)
                results.append(
                    verify_page(
                        _display_path(self.path), settings, mode=Mode.CHECK, scanned=scan_file(self.path), run=run
                    )
                )
            return results
        except DocsexecError as exc:
            return DocsexecFailure(exc.one_line())


def page_settings(config: pytest.Config) -> list[RunSettings]:
    """How a page runs in this session: once per engine, the primary first, decided as the
    command line decides it (pages/plan.run_settings), the same for every page, once a session."""
    from ..pages.plan import run_settings

    if _SETTINGS not in config.stash:
        config.stash[_SETTINGS] = run_settings(EngineMode(config.getoption("--docsexec-engine")), DEFAULT_TIMEOUT)
    return config.stash[_SETTINGS]


def shared_page_run(config: pytest.Config, path: Path, settings: RunSettings | None = None) -> PageRun:
    """The page's one real run on `settings`' engine (default: its primary) in this pytest
    session, made with every other collected page's runs at first demand, then shared. A run
    that raised raises the same error again for every caller, without a second try."""
    settings = settings or page_settings(config)[0]
    runs = config.stash.setdefault(_RUNS, {})
    key = (Path(path).resolve(), settings.engine_source)
    if key not in runs and not config.stash.get(_PREFETCHED, False):
        config.stash[_PREFETCHED] = True
        runs.update(_prefetch(config))
    if key not in runs:
        runs.update(_run_plan(config, [Path(path)]))
    found = runs[key]
    if isinstance(found, DocsexecError):
        raise found
    return found


def _prefetch(config: pytest.Config) -> Runs:
    """Every collected source page's runs, several at once (jobs.py), keyed (page, engine)."""
    from ..scan.translations import source_of

    return _run_plan(config, [p for p in config.stash.get(_PAGES, []) if source_of(p) is None])


def prefetch_runs(config: pytest.Config, paths: list[Path]) -> None:
    """Make the runs of these pages (each on every engine) that the session lacks, several at
    once: a test that needs many pages' runs (the mutation test) asks for them together."""
    runs = config.stash.setdefault(_RUNS, {})
    if not config.stash.get(_PREFETCHED, False):
        config.stash[_PREFETCHED] = True
        runs.update(_prefetch(config))
    runs.update(_run_plan(config, paths))


def _run_plan(config: pytest.Config, paths: list[Path]) -> Runs:
    """The runs of `paths` on every engine that the session lacks: one plan (pages/plan.py,
    as the command line makes it: pages scanned, engines resolved), its machine gate once,
    then its jobs several at a time."""
    from ..pages.plan import PlanOptions, build_plan, gate

    if not paths:
        return {}
    engine = EngineMode(config.getoption("--docsexec-engine"))
    plan = build_plan([_display_path(Path(p).resolve()) for p in paths], PlanOptions(engine=engine, translations=False))
    runs = config.stash.setdefault(_RUNS, {})
    jobs = [job for job in plan.jobs if (job.path.resolve(), job.settings.engine_source) not in runs]
    if not jobs:
        return {}
    gate(plan)
    return _run_jobs(jobs)


def _run_jobs(jobs: list[Job]) -> Runs:
    from ..pages.jobs import JobFailed, Outcome, run_ordered
    from ..run.runner import run_page
    from ..scan.variants import select

    def work(job: Job, progress: Progress) -> Outcome:
        blocks = select(job.scanned[1], job.settings.source_name, job.settings.primary_name)
        return Outcome(job=job, run=run_page(job.path, blocks, job.settings))

    workers = int(os.environ.get("DOCSEXEC_PYTEST_JOBS", "0") or 0) or _cores()
    found: Runs = {}
    for outcome in run_ordered(jobs, work, workers):
        key = (outcome.job.path.resolve(), outcome.job.settings.engine_source)
        if outcome.interrupted:  # the child was stopped (Ctrl-C): so is the session
            raise KeyboardInterrupt
        if outcome.error is not None or outcome.run is None:
            found[key] = JobFailed(*(outcome.error or (EXIT_ENVIRONMENT, f"{outcome.job.path}: the page did not run")))
        else:
            found[key] = outcome.run
    return found  # a page after one that could not run is left out: it runs on its own demand


def _cores() -> int:
    from ..pages.jobs import default_workers

    return default_workers()


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Remember which pages the session will check, for the one parallel round of runs."""
    pages = {
        item.parent.path.resolve(): None
        for item in items
        if isinstance(item.parent, MarkdownPage) and not isinstance(item, BrokenPage)  # a broken page never runs
    }
    config.stash[_PAGES] = list(pages)


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
        reason = page.unchecked().get(self.line)
        if reason is not None:  # a tab of an engine not in this session: said, never passed
            pytest.skip(f"{self.path.name}:{self.line} [{self.block_id}] unchecked: {reason}")
        problems = []
        for report in page.verdicts():
            verdict = next(
                (v for v in report.verdicts if v.block.id == self.block_id and v.block.fence_line == self.line), None
            )
            if verdict is not None and not verdict.status.passing:
                problems.extend(_explain(verdict, report))
        if problems:
            raise DocsexecFailure("\n".join(problems))

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: str | None = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, DocsexecFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.line - 1, f"{self.path.name}:{self.line} [{self.block_id}]"


class SourceBlocksItem(pytest.Item):
    """A translation holds every block of its source page: one that was deleted from the
    translation has no item of its own, so this item fails for it (file:line in the message)."""

    def runtest(self) -> None:
        page = self.parent
        assert isinstance(page, MarkdownPage)
        report = page.verdicts()[0]  # the blocks' (verify_translation); a prose report may follow
        missing = [p for v in report.verdicts if v.block.path != report.path for p in v.problems]
        if missing:
            raise DocsexecFailure("\n".join(missing))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: str | None = None) -> str:
        return str(excinfo.value)


class TranslatedProseItem(pytest.Item):
    """A translation's prose translates its English page as it is now (compare/prose.py): this
    item fails with a file:line pair per English section changed since the translation was
    marked, or for a malformed marker."""

    def runtest(self) -> None:
        page = self.parent
        assert isinstance(page, MarkdownPage)
        problems = [report.error for report in page.verdicts()[1:] if report.error]
        if problems:
            raise DocsexecFailure("\n".join(problems))

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


def _explain(verdict: BlockVerdict, report: PageReport) -> list[str]:
    lines = block_diff(verdict)
    lines.append(
        f"(engine {report.engine_source} {report.engine_version or 'unknown'}; fix the page or run `docsexec update {verdict.block.path}`)"
    )
    return lines
