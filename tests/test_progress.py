"""What a run prints while it goes (stderr): a plain line per finished block in a CI log, a live
"running" line on a terminal that the block's line then overwrites, a line per page, the
cached pages, and the summary table; nothing at all with --quiet.

The terminal is a real pseudo-terminal (os.openpty): the printer and rich decide by
`isatty()`, as they do on a reader's terminal. No engine: blocks come from a scanned page,
verdicts from the real evaluator.
"""

from __future__ import annotations

import io
import os
import re
import select
from pathlib import Path

import pytest

from docsexec.compare.evaluate import evaluate_page
from docsexec.model import (
    BlockProblem,
    BlockResult,
    CachedRun,
    CommandResult,
    EngineMode,
    PageReport,
    PageRun,
    ProgressEvent,
)
from docsexec.report.progress import ProgressPrinter
from docsexec.scan.fences import scan_file

PAGE = """# Progress

```console {#one .docsexec}
$ echo one
one
```

```console {#two .docsexec}
$ echo two
two
```
"""
ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    """rich reads these: keep the terminal an ordinary colour terminal 100 columns wide."""
    for name in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS", "JUPYTER_LINES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "100")


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "page.md"
    path.write_text(PAGE, encoding="utf-8")
    return path


class Terminal:
    """A real pseudo-terminal: the printer writes to its slave side, the test reads the master."""

    def __init__(self) -> None:
        self.master, slave = os.openpty()
        self.stream = open(slave, "w", encoding="utf-8", closefd=True)  # noqa: SIM115 - closed in close()

    def read(self) -> str:
        self.stream.flush()
        chunks = []
        while select.select([self.master], [], [], 0.2)[0]:
            chunks.append(os.read(self.master, 65536))
        return b"".join(chunks).decode("utf-8")

    def close(self) -> None:
        self.stream.close()
        os.close(self.master)


@pytest.fixture
def terminal():
    tty = Terminal()
    yield tty
    tty.close()


def blocks_of(page: Path):
    return scan_file(page)[1]


def ran(block, seconds: float = 1.25) -> BlockResult:
    return BlockResult(block, [CommandResult(output=list(block.commands[0].expected), exit_code=0, seconds=seconds)])


def report(page: Path, results: list[BlockResult], **fields) -> PageReport:
    verdicts = evaluate_page(PageRun(results=results))
    return PageReport(verdicts=verdicts, **{"path": page, "engine_version": "28.5.2", "seconds": 3.0, **fields})


# --- block events ------------------------------------------------------------------------------


def test_in_a_log_each_finished_block_is_one_plain_line(page):
    one, two = blocks_of(page)
    log = io.StringIO()
    printer = ProgressPrinter(stream=log)
    printer(ProgressEvent.START, one, None)
    assert log.getvalue() == "", "a log gets no live line"
    printer(ProgressEvent.DONE, one, ran(one))
    printer(
        ProgressEvent.DONE, two, BlockResult(two, problem=BlockProblem.failed(f"{page}:9: the page's shell exited"))
    )
    printer(ProgressEvent.DONE, two, BlockResult(two, problem=BlockProblem.not_run("an earlier command timed out")))
    assert log.getvalue() == (
        f"  {page}:3 [one] ran 1.25s\n  {page}:8 [two] error 0.00s\n  {page}:8 [two] stopped 0.00s\n"
    )


def test_on_a_terminal_a_running_line_is_overwritten_by_the_blocks_line(page, terminal):
    one, _ = blocks_of(page)
    printer = ProgressPrinter(stream=terminal.stream)
    printer(ProgressEvent.START, one, None)
    live = terminal.read()
    assert live.endswith("\r") and "\n" not in live, repr(live)  # the cursor goes back: the next line overwrites it
    assert ESCAPE.sub("", live) == "  running one ...\r"
    assert ESCAPE.search(live), "on a terminal the running line is dimmed"
    printer(ProgressEvent.DONE, one, ran(one, seconds=0.5))
    assert ESCAPE.sub("", terminal.read()) == f"  {page}:3 [one] ran 0.50s\r\n"


def test_pages_say_where_they_run(page):
    log = io.StringIO()
    printer = ProgressPrinter(stream=log)
    printer.page_started(str(page), 2, EngineMode.SANDBOX, "debian-forky")
    printer.page_started(str(page), 2, EngineMode.SANDBOX)
    printer.page_started(str(page), 1, EngineMode.SHARED)
    printer.journey_page(str(page), 2)
    assert log.getvalue().splitlines() == [
        f"{page}: 2 tagged block(s), starting a private debian-forky engine ...",
        f"{page}: 2 tagged block(s), starting a private engine ...",
        f"{page}: 1 tagged block(s), on the shared engine ...",
        f"{page}: 2 tagged block(s), continuing on the journey's engine ...",
    ]


def test_the_pages_running_at_the_moment_are_shown_on_a_terminal_only(page, terminal):
    log = io.StringIO()
    ProgressPrinter(stream=log).running([Path("a.md"), Path("b.md")])
    assert log.getvalue() == ""
    ProgressPrinter(stream=terminal.stream).running([Path("a.md"), Path("b.md")])
    live = terminal.read()
    assert ESCAPE.sub("", live) == "  running a.md, b.md ...\r" and "\n" not in live


def test_a_cached_page_says_so_on_its_line_and_each_blocks(page):
    verdicts = report(page, [ran(block, seconds=0.5) for block in blocks_of(page)]).verdicts
    log = io.StringIO()
    ProgressPrinter(stream=log).page_cached(
        str(page), verdicts, "cached, verified on 28.5.2 (debian-forky) at 2026-12-01T10:00:00Z"
    )
    assert log.getvalue().splitlines() == [
        f"{page}: 2 tagged block(s), cached, verified on 28.5.2 (debian-forky) at 2026-12-01T10:00:00Z",
        f"  {page}:3 [one] cached 0.50s",
        f"  {page}:8 [two] cached 0.50s",
    ]


# --- the summary -------------------------------------------------------------------------------


def summary_rows(text: str) -> list[list[str]]:
    """The table's data rows as lists of cells (box drawing dropped)."""
    rows = []
    for line in ESCAPE.sub("", text).splitlines():
        cells = [cell.strip() for cell in re.split(r"[│┃|]", line)[1:-1]]
        if cells and any(cells):
            rows.append(cells)
    return rows


def test_the_summary_has_a_row_per_page_and_engine(page):
    one, two = blocks_of(page)
    cached = CachedRun(
        key="k",
        verified_at="2026-12-01T10:00:00Z",
        engine_version="26.1.5",
        engine_source="debian-trixie",
        seconds=2.0,
        block_seconds=(),
    )
    wrong = BlockResult(two, [CommandResult(output=["else"], exit_code=0, seconds=1.0)])
    shown = Path("docs/page.md")  # as the command line names it
    reports = [
        report(page, [ran(one), ran(two)], path=shown, engine_source="debian-forky", seconds=3.04),
        report(
            page,
            [ran(one), ran(two)],
            path=shown,
            engine_source="debian-trixie",
            engine_version="26.1.5",
            cached=cached,
        ),
        report(page, [ran(one), wrong], path=shown, engine_source="", seconds=12.96),
        PageReport(
            path=Path("docs/broken.md"),
            engine_version="",
            seconds=0.0,
            error="docs/broken.md:1: the engine did not start",
        ),
    ]
    log = io.StringIO()
    ProgressPrinter(stream=log).summary(reports)
    text = log.getvalue()
    assert "docsexec summary" in text
    header, *rows = summary_rows(text)
    assert header == ["page", "engine source", "engine", "blocks", "passed", "status", "seconds"]
    assert rows == [
        ["docs/page.md", "debian-forky", "28.5.2", "2", "2", "ok", "3.0"],
        ["docs/page.md", "debian-trixie", "26.1.5", "2", "2", "ok (cached)", "3.0"],
        ["docs/page.md", "-", "28.5.2", "2", "1", "diverged", "13.0"],
        ["docs/broken.md", "-", "-", "0", "0", "error", "0.0"],
    ]


def test_no_summary_without_pages():
    log = io.StringIO()
    ProgressPrinter(stream=log).summary([])
    assert log.getvalue() == ""


# --- quiet -------------------------------------------------------------------------------------


def test_quiet_prints_nothing_at_all_on_a_terminal_or_in_a_log(page, terminal):
    one, _ = blocks_of(page)
    log = io.StringIO()
    for stream in (log, terminal.stream):
        printer = ProgressPrinter(stream=stream, quiet=True)
        printer.page_started(str(page), 2, EngineMode.SANDBOX, "debian-forky")
        printer.journey_page(str(page), 2)
        printer.running([page])
        printer(ProgressEvent.START, one, None)
        printer(ProgressEvent.DONE, one, ran(one))
        printer.page_cached(str(page), report(page, [ran(one)]).verdicts, "cached")
        printer.summary([report(page, [ran(one)])])
    assert log.getvalue() == "" and terminal.read() == ""


# --- blocks a run leaves unchecked ---------------------------------------------------------------

TABS = """# Tabs

```console {#plain .docsexec}
$ echo plain
plain
```

=== "Engine 28.5"

    ```console {#ver .docsexec data-engine="debian-forky"}
    $ echo forky
    forky
    ```

=== "Engine 26.1"

    ```console {#ver-trixie .docsexec data-engine="debian-trixie"}
    $ echo trixie
    trixie
    ```
"""


def test_a_run_on_fewer_engines_says_how_many_blocks_it_left_unchecked_and_why(tmp_path):
    from docsexec.scan.variants import unchecked

    page = tmp_path / "tabs.md"
    page.write_text(TABS, encoding="utf-8")
    blocks = scan_file(page)[1]
    both = unchecked(blocks, ["debian-forky", "debian-trixie"], "debian-forky")
    assert both == []  # every tab has its engine in the run
    left = unchecked(blocks, ["debian-trixie"], "debian-forky")
    assert [(u.block.id, u.reason) for u in left] == [("ver", "a tab of debian-forky, not an engine of this run")]
    for quiet in (False, True):  # said even with --quiet: a run must not leave blocks out without a word
        log = io.StringIO()
        ProgressPrinter(stream=log, quiet=quiet).summary([], left)
        assert log.getvalue() == (
            "docsexec: 1 block(s) of 1 page(s) not checked by this run: tabs of engines not in it "
            "(debian-forky: 1); a run on every engine of [tool.docsexec] engines checks them\n"
        )
    log = io.StringIO()
    ProgressPrinter(stream=log).summary([], both)
    assert log.getvalue() == ""
