"""Run one page: open its engine, type every block's commands into one shell, close it all.

The runner only executes and records; deciding whether the page still tells the truth is
the evaluator's job (evaluate.py), so both stay small and testable on their own.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .blocks import Block, BlockResult
from .environments import open_environment
from .session import ShellDied, ShellSession

DEFAULT_TIMEOUT = 60.0


@dataclass
class RunSettings:
    engine: str = "sandbox"  # "sandbox" (private engine per page) or "shared"
    default_timeout: float = DEFAULT_TIMEOUT
    engine_source: str | None = None  # which engine a sandbox starts ("debian-forky"); None: DOCSEXEC_ENGINE/auto
    primary: str | None = None  # the site's primary engine source (variants fall back to its blocks)

    @property
    def source_name(self) -> str:
        """The engine source as variants and reports name it ("shared" for the caller's engine)."""
        return "shared" if self.engine == "shared" else (self.engine_source or "auto")

    @property
    def primary_name(self) -> str:
        return self.primary or self.source_name


@dataclass
class PageRun:
    """Everything that happened while a page ran."""

    path: Path
    engine_version: str = ""
    results: list[BlockResult] = field(default_factory=list)
    stopped: str | None = None  # why the page stopped early, with file:line
    seconds: float = 0.0


Progress = Callable[[str, Block, BlockResult | None], None]


def run_page(path: Path, blocks: list[Block], settings: RunSettings, progress: Progress | None = None) -> PageRun:
    """Run the blocks in order in one shell against one engine; always tear the engine down."""
    run = PageRun(path=path)
    started = time.monotonic()
    if not blocks:
        return run
    with open_environment(settings.engine, _label(path), blocks, settings.engine_source) as env:  # blocks: shared mode's guard reads them
        run.engine_version = env.server_version
        session = ShellSession(env.shell_argv(), env.shell_env(), env.workdir)
        try:
            session.start()
            _run_blocks(session, blocks, settings, run, progress)
        finally:
            session.close()
    run.seconds = round(time.monotonic() - started, 3)
    return run


def _run_blocks(session: ShellSession, blocks: list[Block], settings: RunSettings, run: PageRun, progress: Progress | None) -> None:
    for block in blocks:
        if progress:
            progress("start", block, None)
        result = BlockResult(block=block)
        run.results.append(result)
        if run.stopped:
            result.error = "not run: " + run.stopped
        else:
            _run_block(session, block, settings, result, run)
        if progress:
            progress("done", block, result)


def _run_block(session: ShellSession, block: Block, settings: RunSettings, result: BlockResult, run: PageRun) -> None:
    timeout = block.options.timeout or settings.default_timeout
    for command in block.commands:
        try:
            outcome = session.run(command, block.options.prompt, timeout)
        except ShellDied as exc:
            result.error = f"{block.path}:{command.line}: {exc}"
            run.stopped = result.error
            return
        result.commands.append(outcome)
        if outcome.timed_out:
            result.error = f"{block.path}:{command.line}: timed out after {timeout:g} s: {command.text.splitlines()[0]}"
            run.stopped = f"an earlier command timed out ({block.path}:{command.line})"
            return


def _label(path: Path) -> str:
    """A short name for the engine's folder and namespace, derived from the page."""
    return re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")[:16] or "page"
