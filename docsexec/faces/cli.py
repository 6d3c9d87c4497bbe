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
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from ..engine.provision import CHOICES as ENGINE_SOURCES
from ..errors import EXIT_DIVERGED, EXIT_OK, DocsexecError, UsageError
from ..model import Block, EngineMode, Mode, PageReport, Status, Unchecked
from ..page import find_pages
from ..pages.jobs import default_workers
from ..report.progress import ProgressPrinter
from ..report.report import write_json, write_junit
from ..run.runner import DEFAULT_TIMEOUT, RunSettings
from ..scan.fences import scan_file
from ..verify import PageJob, Scanned


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
    from ..pages.twins import source_of, split_translations, with_translations
    from ..run.environments import environment_gate

    scanned = [(path, scan_file(path)) for path in with_translations(paths)]  # all validated before anything runs
    sources, translations = split_translations(
        path for path, page_blocks in scanned if page_blocks[1] or source_of(path) is not None
    )
    _read_markers(translations)
    tagged = [(path, page_blocks) for path, page_blocks in scanned if path in sources]
    shard = _shard(args, tagged)
    if shard is not None:
        tagged, translations = _in_shard(shard, tagged, translations)
    jobs = _jobs(tagged, args)
    unchecked = _unchecked(tagged, jobs[:1] if getattr(args, "journey", False) else jobs)
    engine = EngineMode(args.engine)
    if tagged:  # and the machine checked, once, before any progress line
        environment_gate(
            engine, [blocks for _, (_, blocks) in tagged], list(dict.fromkeys(s.engine_source for _, _, s in jobs))
        )
    printer = ProgressPrinter(quiet=args.quiet)
    workers = args.jobs if engine is EngineMode.SANDBOX else 1  # a shared engine takes one run at a time
    options = BatchOptions(workers=workers, use_cache=not args.no_cache, mode=Mode(args.command))
    reports: list[PageReport] = []
    try:
        if getattr(args, "journey", False):
            reports.extend(_journey(tagged, jobs, printer))
        else:
            for phase in _phases(jobs, options.mode):
                verify_all(phase, options, printer, reports)
            if options.mode is Mode.CHECK:
                reports.extend(_stale_stamps(reports))
        reports.extend(_translations(translations, options.mode))
    finally:
        _write_reports(args, reports, options.mode, shard[0] if shard else None, unchecked)
    printer.summary(reports, unchecked)
    return EXIT_OK if all(r.ok for r in reports) else EXIT_DIVERGED


def _write_reports(
    args: argparse.Namespace, reports: list[PageReport], mode: Mode, shard: str | None, unchecked: list[Unchecked]
) -> None:
    if args.report:
        write_json(args.report, reports, mode, shard, unchecked)
    if args.junit:
        write_junit(args.junit, reports, unchecked)


def _unchecked(tagged: list[tuple[Path, Scanned]], jobs: list[PageJob]) -> list[Unchecked]:
    """The blocks none of the jobs runs (a journey runs every page on its first job's engine):
    tabs of engines not in this run. Every job has the same engines and primary (_jobs)."""
    from ..scan.variants import unchecked

    if not jobs:
        return []
    sources = list(dict.fromkeys(settings.source_name for _, _, settings in jobs))
    primary = jobs[0][2].primary_name
    return [item for _, (_, blocks) in tagged for item in unchecked(blocks, sources, primary)]


def _in_shard(
    shard: tuple[str, set[Path]], tagged: list[tuple[Path, Scanned]], translations: list[Path]
) -> tuple[list[tuple[Path, Scanned]], list[Path]]:
    """The shard's pages, and its translations: those of its pages, and on the first shard
    those whose source page has no tagged blocks (so each translation is checked once)."""
    from ..pages.twins import source_of

    run = {path for path, _ in tagged}
    first = shard[0].startswith("1/")
    return [(path, scanned) for path, scanned in tagged if path in shard[1]], [
        path for path in translations if source_of(path) in shard[1] or (first and source_of(path) not in run)
    ]


def _journey(tagged: list[tuple[Path, Scanned]], jobs: list[PageJob], printer: ProgressPrinter) -> list[PageReport]:
    """The pages in reading order on ONE engine, the primary one (the first configured):
    problems printed once all have run."""
    from ..pages.batch import print_problems
    from ..verify import verify_journey

    if not jobs:
        return []
    settings = jobs[0][2]  # a page's first engine is the primary (or the one --engine-source names)
    reports = verify_journey(
        tagged, settings, progress=printer, page_started=lambda path, count: printer.journey_page(str(path), count)
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


def _read_markers(translations: list[Path]) -> None:
    """A malformed translation marker is bad input, found before any engine starts."""
    from ..page import Page
    from ..pages.prose import read_marker
    from ..pages.twins import source_of

    for path in translations:
        source = source_of(path)
        assert source is not None
        read_marker(Page.read(path), source)


def _mark(paths: list[Path]) -> int:
    """`translation mark`: the named translations, and those of the English pages named."""
    from ..pages.prose import mark
    from ..pages.twins import source_of, with_translations

    translations = [path for path in with_translations(paths) if source_of(path) is not None]
    if not translations:
        raise UsageError("translation mark: no translation (NAME.zh.md) among the paths given")
    results = [mark(path) for path in translations]
    for _, message in results:
        print(message)
    return EXIT_OK if all(done for done, _ in results) else EXIT_DIVERGED


def _translations(paths: list[Path], mode: Mode) -> list[PageReport]:
    """Translations never run: their blocks are compared with (or, on update, copied from)
    their source pages, after those have run (pages/twins.py); their prose must translate
    the English page as it is now (pages/prose.py), which `update` never marks."""
    from ..pages.prose import prose_report
    from ..pages.twins import compare_translation

    reports = []
    for path in paths:
        report = compare_translation(path, mode=mode)
        for verdict in report.verdicts:
            if verdict.status is Status.UPDATED:
                print(f"updated {verdict.block.where} (from its source page)")
            elif verdict.status is not Status.OK:
                print("\n".join(verdict.problems))
        reports.append(report)
        stale = prose_report(path)
        if stale is not None:
            print(stale.error)
            reports.append(stale)
    sys.stdout.flush()
    return reports


def _jobs(tagged: list[tuple[Path, Scanned]], args: argparse.Namespace) -> list[PageJob]:
    """The run as a flat list of (page, scan, settings) jobs, one per page and engine source:
    the unit a scheduler may run side by side (checks; an update runs a page's jobs in order,
    the primary's first). The engines are decided once, the same for every page wherever it
    is: --engine-source, else DOCSEXEC_ENGINE, else the [tool.docsexec] engines of the project
    the command runs in (pages/config.py); shared mode has one."""
    from ..pages.config import configured_engines, run_sources

    base = RunSettings(engine=EngineMode(args.engine), default_timeout=args.timeout, engines=configured_engines())
    sandbox = base.engine is EngineMode.SANDBOX
    sources, primary = run_sources(args.engine_source) if sandbox else ((None,), None)
    sources = tuple(source or _auto_source() for source in sources) if sandbox and tagged else sources
    base = replace(base, primary=primary)
    return [
        (path, page_blocks, replace(base, engine_source=source)) for path, page_blocks in tagged for source in sources
    ]


def _auto_source() -> str | None:
    """The engine `auto` picks, so reports and variants name it; None when there is none
    (the environment gate then says so)."""
    from ..engine.provision import find_engine

    found = find_engine()
    return found.source if found is not None else None


def _phases(jobs: list[PageJob], mode: Mode) -> list[list[PageJob]]:
    """A check runs every (page, engine) job at once. An update runs a page's engines in
    order, the primary's first, because a second engine's update compares against what the
    first just wrote: so in phases, the k-th engine of every page at once."""
    if mode is Mode.CHECK:
        return [jobs]
    phases: list[list[PageJob]] = []
    seen: dict[Path, int] = {}
    for job in jobs:
        index = seen[job[0]] = seen.get(job[0], -1) + 1
        if index == len(phases):
            phases.append([])
        phases[index].append(job)
    return phases


def _shard(args: argparse.Namespace, tagged: list[tuple[Path, Scanned]]) -> tuple[str, set[Path]] | None:
    """(K/N, the pages of that shard), or None without --shard."""
    from ..pages import shards

    if args.shard is None:
        if args.shard_times is not None:
            raise UsageError("--shard-times needs --shard K/N")
        return None
    shard = shards.parse_shard(args.shard)
    pages = [(path, sum(len(b.commands) for b in blocks)) for path, (_, blocks) in tagged]
    return str(shard), set(shards.select(pages, shard, shards.recorded_times(args.shard_times)))


def _engine(action: str, source: str | None = None) -> int:
    from ..engine import provision, reaper

    if action == "install":
        from ..pages.config import run_sources

        sources = [s for s in run_sources(source)[0] if s is not None]
        engine = provision.install_engine(log=lambda text: print(text, file=sys.stderr), sources=sources)
        for source in sources or [engine.source]:
            found = provision.find_engine(source)
            print(
                f"engine {found.version} ({found.source}) at {found.dockerd}"
                if found
                else f"engine {source}: not installed"
            )
    elif action == "status":
        print(json.dumps(reaper.engine_status(), indent=2, default=str))
    else:
        for name in reaper.reap_stale(log=lambda text: print(text, file=sys.stderr)):
            print(f"reaped {name}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
