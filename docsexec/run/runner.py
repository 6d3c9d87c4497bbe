"""Run one page: open its engine, type every block's commands into one shell, close it all.

The runner only executes and records; deciding whether the page still tells the truth is
the evaluator's job (compare/evaluate.py), so both stay small and testable on their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..common import slug
from ..engine.installed import EngineInstall
from ..errors import EnvironmentProblem
from ..model import Block, BlockProblem, BlockResult, Command, EngineMode, PageRun, Progress, ProgressEvent
from .session import ShellDied, ShellSession, Unattributable

if TYPE_CHECKING:
    from ..engine.environment import PageEnvironment

DEFAULT_TIMEOUT = 60.0
# Between two pages of a journey, as long as a reader at least takes to open the next page:
# state that settles on its own within it (a bridge's carrier after its last container left,
# which the kernel reports up to a second later) is settled for that reader too.
READER_PAUSE = 1.0


@dataclass
class RunSettings:
    engine: EngineMode = EngineMode.SANDBOX  # a private engine per page, or the caller's (shared)
    default_timeout: float = DEFAULT_TIMEOUT
    engine_source: str | None = None  # which engine a sandbox starts ("debian-forky"); None: DOCSEXEC_ENGINE/auto
    primary: str | None = None  # the site's primary engine source (variants fall back to its blocks)
    engines: tuple[str, ...] = ()  # the project's engines ([tool.docsexec] engines), in order: tabs follow it
    # Resolved once by the plan (pages/plan.py), never looked up by a stage:
    install: EngineInstall | None = None  # the engine a sandbox starts (None: none installed, or shared)
    versions: tuple[tuple[str, str], ...] = ()  # (source, version) of each installed project engine: tab labels

    @property
    def source_name(self) -> str:
        """The engine source as variants and reports name it ("shared" for the caller's engine)."""
        return "shared" if self.engine is EngineMode.SHARED else (self.engine_source or "auto")

    @property
    def primary_name(self) -> str:
        return self.primary or self.source_name


class DaemonRefused(Exception):
    """The page's engine did not start again with the daemon.json the page wrote."""


class Shells:
    """The page's shells: docker-host's, started with the page, and the LAN peer's, started
    (with the peer itself) only when the first block that runs there does, so a page without
    one starts as before. Two shells, two processes: variables and the working folder of one
    are not seen by the other, as on two machines."""

    def __init__(self, env: PageEnvironment) -> None:
        self._env = env
        self.host = ShellSession(env.shell_argv(), env.shell_env(), env.workdir)
        self._peer: ShellSession | None = None

    def start(self) -> None:
        self.host.start()

    def for_block(self, block: Block) -> ShellSession:
        """The shell the block runs in (data-host); the peer's is started on first use."""
        if not block.options.on_peer:
            return self.host
        if self._peer is None:
            argv, env, workdir = self._env.peer_shell()
            peer = ShellSession(argv, env, workdir)
            self._peer = peer  # closed by close() even if it fails to start
            peer.start()
        return self._peer

    def prepare(self, block: Block, run: PageRun) -> None:
        """What a block needs before its first command: the peer's engine (data-peer-engine),
        or the page's engine restarted with the daemon.json the page wrote (data-daemon)."""
        if block.options.peer_engine:
            self.for_block(block)
            self._env.start_peer_engine()
        if block.options.daemon_restart:
            try:
                run.daemon_settings.append((block.id, self._env.restart_engine()))
            except EnvironmentProblem as exc:  # the page's own daemon.json: the page's failure
                raise DaemonRefused(f"{block.where}: {exc}") from exc

    def close(self) -> None:
        try:
            if self._peer is not None:
                self._peer.close()
        finally:
            self.host.close()


def run_page(path: Path, blocks: list[Block], settings: RunSettings, progress: Progress | None = None) -> PageRun:
    """Run the blocks in order in one shell against one engine; always tear the engine down."""
    from ..engine.backends import open_environment  # here: a re-check that runs nothing never loads the backends

    run = PageRun()
    started = time.monotonic()
    if not blocks:
        return run
    with open_environment(
        settings.engine, slug(path.stem, 16), blocks, settings.install
    ) as env:  # blocks: shared mode's guard reads them
        run.engine_version = env.server_version
        shells = Shells(env)
        try:
            shells.start()
            _run_blocks(shells, blocks, settings, run, progress)
        finally:
            shells.close()
    run.seconds = round(time.monotonic() - started, 3)
    return run


def run_journey(
    pages: list[tuple[Path, list[Block]]],
    settings: RunSettings,
    progress: Progress | None = None,
    page_started: Callable[[Path, int], None] | None = None,
) -> list[PageRun]:
    """Run several pages, in order, in ONE shell against ONE engine, as a reader who follows
    the whole site would: whatever a page leaves behind is there for the next. A page that
    stops (timeout, dead shell) stops the journey: later pages are reported as not run."""
    from ..engine.backends import open_environment

    runs = [PageRun() for _ in pages]
    every_block = [block for _, blocks in pages for block in blocks]
    with open_environment(settings.engine, "journey", every_block, settings.install) as env:
        shells = Shells(env)
        try:
            shells.start()
            stopped: str | None = None
            for index, (run, (path, blocks)) in enumerate(zip(runs, pages, strict=True)):
                if index:
                    time.sleep(READER_PAUSE)
                if page_started:
                    page_started(path, len(blocks))
                started = time.monotonic()
                run.engine_version, run.stopped = env.server_version, stopped
                _run_blocks(shells, blocks, settings, run, progress)
                run.seconds = round(time.monotonic() - started, 3)
                stopped = run.stopped
        finally:
            shells.close()
    return runs


def _run_blocks(
    shells: Shells, blocks: list[Block], settings: RunSettings, run: PageRun, progress: Progress | None
) -> None:
    for index, block in enumerate(blocks):
        if progress:
            progress(ProgressEvent.START, block, None)
        result = BlockResult(block=block)
        run.results.append(result)
        continued = index + 1 < len(blocks) and blocks[index + 1].options.continues == block.id
        if run.stopped:
            result.problem = BlockProblem.not_run(run.stopped)
        elif block.options.continues and not shells.for_block(block).program_open:
            result.problem = BlockProblem.not_run(
                f"the block it continues ({block.options.continues!r}) did not leave its program open"
            )
        elif (refused := _prepared(shells, block, run)) is not None:
            result.problem = BlockProblem.failed(refused)
            run.stopped = refused
        else:
            _run_block(shells.for_block(block), block, settings, result, run, keep_open=continued)
        if progress:
            progress(ProgressEvent.DONE, block, result)


def _prepared(shells: Shells, block: Block, run: PageRun) -> str | None:
    """None once the block's engine is ready; else why not, with file:line: an engine that
    would not start again ends the page, as it would a reader's."""
    try:
        shells.prepare(block, run)
    except DaemonRefused as exc:
        return str(exc)
    return None


def _run_block(
    session: ShellSession,
    block: Block,
    settings: RunSettings,
    result: BlockResult,
    run: PageRun,
    *,
    keep_open: bool = False,
) -> None:
    """Run the block's commands; with `keep_open`, its last command's program is left at its
    prompt for the next block (data-continue)."""
    timeout = block.options.timeout or settings.default_timeout
    for position, command in enumerate(block.commands):
        last = position == len(block.commands) - 1
        try:
            outcome = session.run(command, block.options.prompt, timeout, keep_open=keep_open and last)
        except ShellDied as exc:
            result.problem = BlockProblem.failed(f"{block.path}:{command.line}: {exc}")
            run.stopped = result.problem.message
            return
        except Unattributable as exc:
            result.problem = BlockProblem.failed(f"{block.path}:{exc.line}: {exc}")
            if not session.alive:
                run.stopped = result.problem.message
            return
        result.commands.append(outcome)
        if outcome.timed_out:
            result.problem = BlockProblem.failed(
                f"{block.path}:{command.line}: timed out after {timeout:g} s: {_first_line(command)}"
            )
            run.stopped = f"an earlier command timed out ({block.path}:{command.line})"
            return


def _first_line(command: Command) -> str:
    return command.text.splitlines()[0] if command.text else "(the continued session)"
