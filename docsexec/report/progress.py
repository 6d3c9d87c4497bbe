"""Progress for long runs: a live line per block on a terminal, plain lines in CI logs,
and a table of durations at the end. Written to stderr so stdout stays the diff/JSON."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.table import Table

from ..model import Block, BlockResult, BlockVerdict, EngineMode, PageReport, ProblemKind, ProgressEvent, Unchecked


class ProgressPrinter:
    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self._stream = stream or sys.stderr
        self._console = Console(file=self._stream, highlight=False, soft_wrap=True)
        self._tty = self._stream.isatty()
        self._quiet = quiet

    def page_started(
        self, path: str, count: int, engine: EngineMode = EngineMode.SANDBOX, source: str | None = None
    ) -> None:
        if not self._quiet:
            kind = f"{source} " if source else ""
            where = f"starting a private {kind}engine" if engine is EngineMode.SANDBOX else "on the shared engine"
            self._print(f"{path}: {count} tagged block(s), {where} ...")

    def journey_page(self, path: str, count: int) -> None:
        """A page of a journey run: it continues in the shell and on the engine of the last."""
        if not self._quiet:
            self._print(f"{path}: {count} tagged block(s), continuing on the journey's engine ...")

    def running(self, paths: list[Path]) -> None:
        """On a terminal only: which pages run at the moment (their lines come when done)."""
        if self._tty and not self._quiet:
            self._console.print(f"  [dim]running {', '.join(str(p) for p in paths)} ...[/dim]", end="\r", markup=True)

    def page_cached(self, path: str, verdicts: list[BlockVerdict], note: str) -> None:
        """A page not run because an identical run passed: said on its line and each block's."""
        if self._quiet:
            return
        self._print(f"{path}: {len(verdicts)} tagged block(s), {note}")
        for verdict in verdicts:
            block = verdict.block
            self._print(f"  {block.path}:{block.fence_line} [{block.id}] cached {verdict.seconds:.2f}s")

    def __call__(self, event: ProgressEvent, block: Block, result: BlockResult | None) -> None:
        if self._quiet:
            return
        if event is ProgressEvent.START and self._tty:
            self._console.print(f"  [dim]running {block.id} ...[/dim]", end="\r")
        elif event is ProgressEvent.DONE and result is not None:
            problem = result.problem
            state = "ran" if problem is None else ("stopped" if problem.kind is ProblemKind.NOT_RUN else "error")
            self._print(f"  {block.path}:{block.fence_line} [{block.id}] {state} {result.seconds:.2f}s")

    def summary(self, reports: list[PageReport], unchecked: Sequence[Unchecked] = ()) -> None:
        """The table of pages run, then (even when quiet) how many blocks this run left unchecked."""
        self._table(reports)
        if unchecked:
            print(unchecked_line(unchecked), file=self._stream, flush=True)

    def _table(self, reports: list[PageReport]) -> None:
        if self._quiet or not reports:
            return
        table = Table(title="docsexec summary", show_lines=False)
        for column in ("page", "engine source", "engine", "blocks", "passed", "status", "seconds"):
            table.add_column(column)
        for report in reports:
            passed = sum(v.status.passing for v in report.verdicts)
            status = "error" if report.error else ("ok" if report.ok else "diverged")
            status += " (cached)" if report.cached is not None else ""
            table.add_row(
                str(report.path),
                report.engine_source or "-",
                report.engine_version or "-",
                str(len(report.verdicts)),
                str(passed),
                status,
                f"{report.seconds:.1f}",
            )
        self._console.print(table)

    def _print(self, text: str) -> None:
        if self._tty:
            self._console.print(text, markup=False)
        else:
            print(text, file=self._stream, flush=True)


def unchecked_line(unchecked: Sequence[Unchecked]) -> str:
    """`docsexec: 3 block(s) not checked: tabs of engines not in this run (debian-trixie: 2, ...)`."""
    counts: dict[str, int] = {}
    for item in unchecked:
        for engine in item.engines:
            counts[engine] = counts.get(engine, 0) + 1
    engines = ", ".join(f"{engine}: {count}" for engine, count in counts.items())
    pages = len({item.block.path for item in unchecked})
    return (
        f"docsexec: {len(unchecked)} block(s) of {pages} page(s) not checked by this run: tabs of engines "
        f"not in it ({engines}); a run on every engine of [tool.docsexec] engines checks them"
    )
