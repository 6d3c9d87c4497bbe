"""The `docsexec` command line. Scripts and CI depend on these names and exit codes:

    docsexec list   [PATHS] [--json]
    docsexec check  [PATHS] [--engine sandbox|shared] [--engine-source NAME] [--timeout S] [--report F] [--junit F]
                    [-j N] [--no-cache] [--shard K/N [--shard-times F]] [--journey [--config F]]
    docsexec update [PATHS] (same options)
    docsexec report merge REPORTS... [--report F] [--junit F]
    docsexec translation mark [PATHS]
    docsexec engine install | status | reap  [--engine-source NAME]

Exit codes: 0 ok, 1 divergence, 2 bad input or usage, 3 environment.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ..engine.installed import CHOICES as ENGINE_SOURCES
from ..errors import EXIT_DIVERGED, EXIT_OK, DocsexecError, UsageError
from ..model import Block, EngineMode, Mode, PageReport
from ..page import find_pages
from ..pages.jobs import default_workers
from ..report.progress import ProgressPrinter
from ..report.report import write_json, write_junit
from ..run.runner import DEFAULT_TIMEOUT
from ..scan.fences import scan_file

if TYPE_CHECKING:
    from ..pages.plan import Plan


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 too, but with our one-line style
        raise UsageError(f"usage: {message} (see docsexec --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="docsexec",
        description="Run the tagged terminal transcripts of Markdown pages against a real Docker engine.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    listing = sub.add_parser("list", help="list tagged blocks")
    listing.add_argument("paths", nargs="*", type=Path)
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    for mode, text in (
        (Mode.CHECK, "run pages and report divergences; writes nothing"),
        (Mode.UPDATE, "run pages and write real outputs into them"),
    ):
        cmd = sub.add_parser(mode.value, help=text)
        _add_run_options(cmd)
        if mode is Mode.CHECK:
            _add_journey_options(cmd)
    report = sub.add_parser("report", help="work with JSON reports")
    report.add_argument("action", choices=("merge",))
    report.add_argument("inputs", nargs="+", type=Path, help="JSON reports (e.g. one per shard)")
    report.add_argument("--report", type=Path, help="write the merged JSON report")
    report.add_argument("--junit", type=Path, help="write the merged JUnit XML report")
    translation = sub.add_parser("translation", help="record that translations are up to date with their English pages")
    translation.add_argument("action", choices=("mark",))
    translation.add_argument("paths", nargs="*", type=Path, help="translations, or English pages and folders (theirs)")
    engine = sub.add_parser("engine", help="install or inspect the engine docsexec uses")
    engine.add_argument("action", choices=("install", "status", "reap"))
    engine.add_argument(
        "--engine-source",
        choices=ENGINE_SOURCES,
        help="install only this engine (e.g. upstream-29); default: every engine of [tool.docsexec] engines",
    )
    return parser


def _add_run_options(cmd: argparse.ArgumentParser) -> None:
    """The options `check` and `update` share: where pages run, and what is reported."""
    cmd.add_argument("paths", nargs="*", type=Path)
    cmd.add_argument(
        "--engine",
        choices=[mode.value for mode in EngineMode],
        default=EngineMode.SANDBOX.value,
        help="sandbox: a private engine per page (default); shared: the caller's DOCKER_HOST",
    )
    cmd.add_argument(
        "--engine-source",
        metavar="NAME",
        choices=ENGINE_SOURCES,
        help="verify on this engine only (e.g. debian-trixie); default: every engine of [tool.docsexec] engines, or DOCSEXEC_ENGINE",
    )
    cmd.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="default per-command timeout in seconds")
    cmd.add_argument("--report", type=Path, help="write a JSON report")
    cmd.add_argument("--junit", type=Path, help="write a JUnit XML report")
    cmd.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    _add_scale_options(cmd)


def _add_scale_options(cmd: argparse.ArgumentParser) -> None:
    """How many pages at once, the cache of verified runs, and CI shards."""
    cmd.add_argument(
        "-j",
        "--jobs",
        type=_positive,
        default=default_workers(),
        help="pages run at the same time, each on its own engine (default: the number of cores)",
    )
    cmd.add_argument(
        "--no-cache",
        action="store_true",
        help="run every page, even those an identical earlier run verified (check only; update always runs)",
    )
    cmd.add_argument("--shard", help="K/N: run only the K-th of N parts of the pages, balanced by recorded page times")
    cmd.add_argument(
        "--shard-times",
        type=Path,
        help="JSON report whose page times balance the shards (default .ci/page-times.json)",
    )


def _add_journey_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--journey",
        action="store_true",
        help="run the pages in the nav's reading order on ONE engine in ONE shell, as a reader would",
    )
    cmd.add_argument(
        "--config",
        type=Path,
        default=Path("mkdocs.yml"),
        help="site configuration whose nav gives the reading order (with --journey)",
    )


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_received: list[int] = []  # stop signals received during this run, in order


def main(argv: list[str] | None = None) -> int:
    _received.clear()
    previous = {sig: signal.signal(sig, _stop) for sig in _STOP_SIGNALS}
    try:
        args = build_parser().parse_args(argv)
        return _dispatch(args)
    except DocsexecError as exc:
        print(f"docsexec: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("docsexec: interrupted; engines were torn down", file=sys.stderr)
        return 128 + (_received[0] if _received else signal.SIGINT)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop(signum: int, frame: object) -> None:
    """Ctrl-C, SIGTERM and SIGHUP unwind as KeyboardInterrupt, so every `with` block tears its
    engine down. Only the first one does: a second Ctrl-C must not cut that teardown short
    (it would leave daemons and mounts), so later ones are only acknowledged."""
    _received.append(signum)
    if len(_received) == 1:
        raise KeyboardInterrupt
    with contextlib.suppress(OSError):  # the terminal that sent SIGHUP may be gone
        print("docsexec: still cleaning up, please wait", file=sys.stderr, flush=True)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"-j {text!r}: give a whole number of pages, 1 or more")
    return int(text)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "engine":
        return _engine(args.action, args.engine_source)
    if args.command == "report":
        from ..report.merge import merge_files

        return merge_files(args.inputs, args.report, args.junit)
    if getattr(args, "journey", False):
        from ..pages.journey import journey_pages

        return _verify(journey_pages(args.paths or [Path("docs")], args.config), args)
    paths = find_pages(args.paths or [Path("docs")])
    if args.command == "translation":
        return _mark(paths)
    if args.command == "list":
        return _list(paths, args.json)
    return _verify(paths, args)


def _list(paths: list[Path], as_json: bool) -> int:
    rows = [_block_row(path, block) for path in paths for block in scan_file(path)[1]]
    if as_json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            command = row["commands"][0]
            first = (
                command["text"].splitlines()[0]
                if command["text"]
                else "(continues its session) " + command["inputs"][0]["text"]
            )
            print(f"{row['file']}:{row['line']} [{row['id']}] {len(row['commands'])} command(s): {first}")
    return EXIT_OK


def _block_row(path: Path, block: Block) -> dict[str, Any]:
    """One block for `list --json`: where it is, what it types, where each output sits."""
    ends = [c.line for c in block.commands[1:]] + [block.body_end + 1]
    commands: list[dict[str, Any]] = []
    for command, end in zip(block.commands, ends, strict=True):
        first = command.line + len(command.source)
        commands.append(
            {
                "line": command.line,
                "text": command.text,
                "exit": command.exit_code,
                "inputs": [{"line": i.line, "text": i.text} for i in command.inputs],
                "output_lines": [first, end - 1] if end > first else None,
            }
        )
    options = {
        k: v
        for k, v in vars(block.options).items()
        if v not in (None, {}, ()) and v is not False and k not in ("id", "matching")
    }
    return {"file": str(path), "line": block.fence_line, "id": block.id, "commands": commands, "options": options}


def _verify(paths: list[Path], args: argparse.Namespace) -> int:
    from ..pages.batch import BatchOptions, verify_all
    from ..pages.plan import PlanOptions, build_plan, gate

    journey = getattr(args, "journey", False)
    engine = EngineMode(args.engine)
    options = PlanOptions(
        Mode(args.command), engine, args.engine_source, args.timeout, args.shard, args.shard_times, journey
    )
    plan = build_plan(paths, options)
    gate(plan)  # the machine checked, once, before any progress line
    printer = ProgressPrinter(quiet=args.quiet)
    workers = args.jobs if engine is EngineMode.SANDBOX else 1  # a shared engine takes one run at a time
    batch = BatchOptions(workers=workers, use_cache=not args.no_cache)
    reports: list[PageReport] = []
    try:
        if journey:
            reports.extend(_journey(plan, printer))
        else:
            for phase in plan.phases():
                verify_all(phase, batch, printer, reports)
            if plan.mode is Mode.CHECK:
                reports.extend(_stale_stamps(reports))
        reports.extend(_translations(plan.translations, plan.mode))
    finally:
        _write_reports(args, reports, plan)
    printer.summary(reports, plan.unchecked)
    return EXIT_OK if all(r.ok for r in reports) else EXIT_DIVERGED


def _write_reports(args: argparse.Namespace, reports: list[PageReport], plan: Plan) -> None:
    if args.report:
        write_json(args.report, reports, plan.mode, plan.shard, plan.unchecked)
    if args.junit:
        write_junit(args.junit, reports, plan.unchecked)


def _journey(plan: Plan, printer: ProgressPrinter) -> list[PageReport]:
    """The pages in reading order on ONE engine, the primary one (the first configured):
    problems printed once all have run."""
    from ..report.report import print_problems
    from ..verify import verify_journey

    if not plan.jobs:
        return []
    settings = plan.jobs[0].settings  # a page's first engine is the primary (or the one --engine-source names)
    reports = verify_journey(
        plan.pages, settings, progress=printer, page_started=lambda path, count: printer.journey_page(str(path), count)
    )
    for report in reports:
        print_problems(report)
    return reports


def _stale_stamps(reports: list[PageReport]) -> list[PageReport]:
    """A page that passed everywhere but whose provenance line the site build would refuse
    (write/stamp.py, the gate's own rule): one `path:1:` line each, a failure."""
    from ..pages.config import configured_engines
    from ..write.stamp import stale_reports

    stale = stale_reports(reports, configured_engines())
    for report in stale:
        print(report.error)
    sys.stdout.flush()
    return stale


def _mark(paths: list[Path]) -> int:
    """`translation mark`: the named translations, and those of the English pages named."""
    from ..scan.translations import source_of, with_translations
    from ..write.translation import mark

    translations = [path for path in with_translations(paths) if source_of(path) is not None]
    if not translations:
        raise UsageError("translation mark: no translation (NAME.zh.md) among the paths given")
    results = [mark(path) for path in translations]
    for _, message in results:
        print(message)
    return EXIT_OK if all(done for done, _ in results) else EXIT_DIVERGED


def _translations(paths: list[Path], mode: Mode) -> list[PageReport]:
    """Translations never run: they go through verify.verify_translation, their blocks compared
    with (on update, copied from) their source pages after those have run, and their prose
    checked against the English page as it is now, which `update` never marks."""
    from ..report.report import print_problems
    from ..verify import verify_translation

    reports = []
    for path in paths:
        for report in verify_translation(path, mode=mode):
            print_problems(report)
            if report.error is not None:
                print(report.error)
            reports.append(report)
    sys.stdout.flush()
    return reports


def _engine(action: str, source: str | None = None) -> int:
    from ..engine import installed
    from ..engine.install import provision
    from ..engine.sandbox import reaper

    if action == "install":
        from ..pages.config import run_sources

        sources = [s for s in run_sources(source)[0] if s is not None]
        engine = provision.install_engine(log=lambda text: print(text, file=sys.stderr), sources=sources)
        for line in installed.describe_installed(sources or [engine.source]):
            print(line)
    elif action == "status":
        print(json.dumps(reaper.engine_status(), indent=2, default=str))
    else:
        for name in reaper.reap_stale(log=lambda text: print(text, file=sys.stderr)):
            print(f"reaped {name}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
