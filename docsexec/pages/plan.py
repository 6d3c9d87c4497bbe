"""The run plan: WHAT runs WHERE, decided once, as typed data.

`build_plan(paths, options)` turns the paths and options of a `check` or `update` into a Plan:
the source pages with tagged blocks (scanned and validated before anything runs), their
translations, the shard's share of both, one Job per page and engine, and the blocks no
job runs (tabs of engines not in this run). The engines are decided once, the same for every
page wherever it is (`run_settings`: --engine-source, DOCSEXEC_ENGINE, or the [tool.docsexec]
engines of the project the command runs in, pages/config.py); `auto` is resolved here, so
reports and progress name the engine it picked. The command line and the pytest plugin take
their engines from `run_settings`, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..compare.prose import read_marker
from ..engine import installed
from ..engine.installed import EngineInstall
from ..errors import UsageError
from ..model import Block, EngineMode, Mode, Unchecked
from ..page import Page
from ..run.runner import DEFAULT_TIMEOUT, RunSettings
from ..scan.fences import scan_file
from ..scan.translations import source_of, split_translations, with_translations
from ..scan.variants import unchecked
from ..verify import Job, Scanned
from . import shards
from .config import configured_engines, run_sources


@dataclass(frozen=True)
class PlanOptions:
    """What a `check` or `update` was asked to do (the command line's options, typed)."""

    mode: Mode = Mode.CHECK
    engine: EngineMode = EngineMode.SANDBOX
    engine_source: str | None = None  # --engine-source: this engine only
    timeout: float = DEFAULT_TIMEOUT
    shard: str | None = None  # "K/N"
    shard_times: Path | None = None
    journey: bool = False  # every page in reading order on ONE engine (check only)
    translations: bool = True  # add the translations of the pages (False: the pages named only, as pytest)


@dataclass
class Plan:
    """A run, before it runs."""

    mode: Mode
    pages: list[tuple[Path, Scanned]]  # the source pages with tagged blocks, in path order
    translations: list[Path]  # compared with (on update, synced from) their source pages
    jobs: list[Job]  # one per page and engine; a page's primary engine first
    shard: str | None = None  # "K/N" when the run is one shard of N
    unchecked: list[Unchecked] = field(default_factory=list)  # blocks no job runs, and why

    def phases(self) -> list[list[Job]]:
        """A check runs every job at once. An update runs a page's engines in order, the
        primary's first, because a second engine's update compares against what the first just
        wrote: so in phases, the k-th engine of every page at once."""
        if self.mode is Mode.CHECK:
            return [self.jobs]
        phases: list[list[Job]] = []
        seen: dict[Path, int] = {}
        for job in self.jobs:
            index = seen[job.path] = seen.get(job.path, -1) + 1
            if index == len(phases):
                phases.append([])
            phases[index].append(job)
        return phases


def build_plan(paths: Sequence[Path], options: PlanOptions) -> Plan:
    """The plan for `paths` (pages, folders, translations): every page scanned and every
    translation's marker read first, so bad input stops the run before any engine starts."""
    named = with_translations(list(paths)) if options.translations else list(paths)
    scanned = [(path, scan_file(path)) for path in named]
    sources, translations = split_translations(
        path for path, page_blocks in scanned if page_blocks[1] or source_of(path) is not None
    )
    _read_markers(translations)
    pages = [(path, page_blocks) for path, page_blocks in scanned if path in sources]
    shard = _shard(options, pages)
    if shard is not None:
        pages, translations = _in_shard(shard, pages, translations)
    settings = run_settings(options.engine, options.timeout, options.engine_source) if pages else []
    pairs = [(path, page_blocks, each) for path, page_blocks in pages for each in settings]
    jobs = [Job(index, *pair, options.mode) for index, pair in enumerate(pairs)]
    plan = Plan(options.mode, pages, translations, jobs, shard[0] if shard else None)
    plan.unchecked = _unchecked(pages, settings[:1] if options.journey else settings)
    return plan


def run_settings(engine: EngineMode, timeout: float, engine_source: str | None = None) -> list[RunSettings]:
    """How every page of a run runs: once per engine, the primary first. Sandbox: the engines
    of --engine-source, else DOCSEXEC_ENGINE, else the project's, each looked up here ONCE
    (`auto` resolved to the engine it picks; no install when none is installed: the
    environment gate then says so), with the installed versions of the project's engines for
    tab labels. Shared: the caller's one engine. Stages take the engine from these settings
    and never look one up."""
    configured = configured_engines()
    base = RunSettings(engine=engine, default_timeout=timeout, engines=configured)
    if engine is EngineMode.SHARED:
        return [base]
    sources, primary = run_sources(engine_source)
    installs = [installed.find_engine(source) for source in sources]
    versions = _versions(configured, dict(zip(sources, installs, strict=True)))
    return [
        replace(
            base,
            engine_source=source or (install.source if install is not None else None),
            primary=primary,
            install=install,
            versions=versions,
        )
        for source, install in zip(sources, installs, strict=True)
    ]


def _versions(
    configured: tuple[str, ...], found: dict[str | None, EngineInstall | None]
) -> tuple[tuple[str, str], ...]:
    """(source, installed version) of each project engine that is installed (looked up once)."""
    installs = [found[source] if source in found else installed.find_engine(source) for source in configured]
    return tuple((source, install.version) for source, install in zip(configured, installs, strict=True) if install)


def gate(plan: Plan) -> None:
    """The machine's check (engine/backends.environment_gate), once per plan, before any of
    its jobs starts; nothing is remembered, the jobs carry the engines it checked."""
    from ..engine.backends import environment_gate

    if not plan.jobs:
        return
    mode = plan.jobs[0].settings.engine
    engines = {job.settings.engine_source: job.settings.install for job in plan.jobs}
    environment_gate(mode, [blocks for _, (_, blocks) in plan.pages], list(engines.items()))


def _unchecked(pages: list[tuple[Path, Scanned]], settings: list[RunSettings]) -> list[Unchecked]:
    """The blocks no engine of `settings` runs: tabs of engines not in this run."""
    return [item for _, (_, blocks) in pages for item in unchecked_by(blocks, settings)]


def unchecked_by(blocks: list[Block], settings: list[RunSettings]) -> list[Unchecked]:
    """One page's blocks that no engine of `settings` (a run's, the primary first) runs; the
    command line's summary and the pytest plugin's skipped items both say these."""
    if not settings:
        return []
    sources = list(dict.fromkeys(each.source_name for each in settings))
    return unchecked(blocks, sources, settings[0].primary_name)


def _read_markers(translations: list[Path]) -> None:
    """A malformed translation marker is bad input, found before any engine starts."""
    for path in translations:
        source = source_of(path)
        assert source is not None
        read_marker(Page.read(path), source)


def _shard(options: PlanOptions, pages: list[tuple[Path, Scanned]]) -> tuple[str, set[Path]] | None:
    """(K/N, the pages of that shard), or None without --shard."""
    if options.shard is None:
        if options.shard_times is not None:
            raise UsageError("--shard-times needs --shard K/N")
        return None
    shard = shards.parse_shard(options.shard)
    weighed = [(path, sum(len(b.commands) for b in blocks)) for path, (_, blocks) in pages]
    return str(shard), set(shards.select(weighed, shard, shards.recorded_times(options.shard_times)))


def _in_shard(
    shard: tuple[str, set[Path]], pages: list[tuple[Path, Scanned]], translations: list[Path]
) -> tuple[list[tuple[Path, Scanned]], list[Path]]:
    """The shard's pages, and its translations: those of its pages, and on the first shard
    those whose source page has no tagged blocks (so each translation is checked once)."""
    run = {path for path, _ in pages}
    first = shard[0].startswith("1/")
    return [(path, scanned) for path, scanned in pages if path in shard[1]], [
        path for path in translations if source_of(path) in shard[1] or (first and source_of(path) not in run)
    ]
