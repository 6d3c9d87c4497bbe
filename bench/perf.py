"""Speed benchmark (not a test: it reports and always exits 0).

    .venv/bin/python bench/perf.py            # P1, P2, P3 on docs/ (a few minutes)
    .venv/bin/python bench/perf.py --tests    # also time the README's test command (long)

Measured side by side in one run on this machine, one line per figure with its target:

P1  `docsexec check docs/ --no-cache -j 1` on the primary engine / a plain bash replay of the same commands: the
    same inputs typed into bash under a pty, prompt by prompt, on the same kind of fresh private
    engine per page (docsexec's own sandbox, restarted and given a LAN peer's engine where a
    page asks), with nothing recorded or compared. Target <= 1.05;
    the line after it says where docsexec's extra time goes.
P2  a warm re-check of the unchanged site (the run cache), in seconds, and cold/warm, where
    cold is the same default check with an empty cache. Targets <= 0.5 s and >= 50x.
P3  `check --no-cache -j 2` / `-j 1` wall time on the primary engine (meant for a 2-core
    machine). Target <= 0.65.
T   with --tests: the README's test command (`bash .ci/test`) wall time, and the share of the
    test time spent in tests that use a real engine (marked `engine`, and the pages' items).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PS1 = "\x1ereplay-ready\x1e$ "


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    started = time.monotonic()
    done = subprocess.run(argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - started, done.returncode


def check(site: str, *args: str, env: dict[str, str] | None = None) -> tuple[float, int]:
    return timed([sys.executable, "-m", "docsexec", "check", site, "-q", *args], env)


def line(name: str, value: str, target: str, met: bool | None, note: str = "") -> None:
    verdict = "" if met is None else ("met" if met else "MISSED")
    print(f"{name:<4} {value:<34} target {target:<10} {verdict:<6} {note}".rstrip(), flush=True)


# --- the plain replay ------------------------------------------------------------------------


def _primary() -> str:
    """P1 and P3 compare runs on one engine: the site's primary ([tool.docsexec] engines)."""
    from docsexec.pages.config import configured_engines

    return (configured_engines(REPO) or ("auto",))[0]


PRIMARY = _primary()


class Replay:
    """A page typed into plain bash shells under a pty: the page's host's, and the LAN peer's
    for `data-host="lan-peer"` blocks (started on first use, as docsexec does)."""

    def __init__(self, env) -> None:
        self.env = env
        self.host = self._spawn(env.shell_argv(), env.shell_env(), env.workdir)
        self.peer = None

    @staticmethod
    def _spawn(argv: list[str], env: dict[str, str], workdir: Path):
        import pexpect

        shell = pexpect.spawn(
            argv[0],
            argv[1:],
            env=dict(env, PS1=PS1, PS2=""),
            cwd=str(workdir),
            encoding="utf-8",
            codec_errors="replace",
            dimensions=(50, 200),
        )
        shell.expect_exact(PS1, timeout=30)
        return shell

    def shell_for(self, block):
        if not block.options.on_peer:
            return self.host
        if self.peer is None:
            self.peer = self._spawn(*self.env.peer_shell())
        return self.peer

    def type_block(self, block, leaves_open: bool) -> None:
        """Type the block's commands and inputs, each after its prompt; with `leaves_open`
        (the next block continues its program, data-continue) the last program stays open."""
        shell, timeout = self.shell_for(block), block.options.timeout or 60
        if block.options.peer_engine:  # as the runner prepares a block (run/runner.py Shells)
            self.env.start_peer_engine()
        if block.options.daemon_restart:
            self.env.restart_engine()
        for position, command in enumerate(block.commands):
            if not command.continued:
                shell.send(command.text + "\n")
            for typed in command.inputs:
                shell.expect_exact(block.options.prompt or "", timeout=timeout)
                shell.send(typed.keys if typed.keys is not None else typed.text + "\n")
            if not (leaves_open and position == len(block.commands) - 1):
                shell.expect_exact(PS1, timeout=timeout)

    def close(self) -> None:
        for shell in (self.peer, self.host):
            if shell is not None:
                shell.close(force=True)


def replay_page(path: Path) -> tuple[float, float]:
    """(engine start + stop seconds, command seconds) of one page typed into plain bash."""
    from docsexec.engine.sandbox.environment import SandboxEnvironment
    from docsexec.scan.fences import scan_file
    from docsexec.scan.variants import select

    blocks = select(scan_file(path)[1], PRIMARY, PRIMARY)
    started = time.monotonic()
    with SandboxEnvironment(path.stem, blocks, _install()) as env:
        ready = time.monotonic()
        replay = Replay(env)
        try:
            for index, block in enumerate(blocks):
                following = blocks[index + 1] if index + 1 < len(blocks) else None
                replay.type_block(block, following is not None and following.options.continues == block.id)
        finally:
            commands = time.monotonic() - ready
            replay.close()
    return time.monotonic() - started - commands, commands


def _install():
    """The primary's engine, resolved as the plan resolves it (pages/plan.run_settings)."""
    from docsexec.model import EngineMode
    from docsexec.pages.plan import run_settings

    return run_settings(EngineMode.SANDBOX, 60.0, PRIMARY)[0].install


def replay_site(site: str) -> tuple[float, float, float]:
    """(wall seconds, engine seconds, command seconds) of the replay of every page that runs
    (translations never run: their blocks are their source pages')."""
    from docsexec.page import find_pages
    from docsexec.scan.fences import scan_file
    from docsexec.scan.translations import source_of

    started = time.monotonic()
    engines = commands = 0.0
    for path in find_pages([REPO / site]):
        if source_of(path) is None and scan_file(path)[1]:
            engine, typed = replay_page(path)
            engines, commands = engines + engine, commands + typed
    return time.monotonic() - started, engines, commands


# --- the figures -----------------------------------------------------------------------------


def serial_breakdown(report: Path, wall: float) -> tuple[float, float]:
    """(block seconds, page seconds) of a serial check, from its JSON report."""
    pages = json.loads(report.read_text())["pages"]
    return sum(b["seconds"] for p in pages for b in p["blocks"]), sum(p["seconds"] for p in pages)


def p1_p3(site: str, tmp: Path) -> None:
    report = tmp / "serial.json"
    serial, code1 = check(site, "--no-cache", "-j", "1", "--engine-source", PRIMARY, "--report", str(report))
    parallel, code2 = check(site, "--no-cache", "-j", "2", "--engine-source", PRIMARY)
    wall, engines, commands = replay_site(site)
    blocks, pages = serial_breakdown(report, serial)
    ratio = serial / wall
    line("P1", f"{ratio:.2f} ({serial:.1f} s / {wall:.1f} s)", "<= 1.05", ratio <= 1.05, f"check exit {code1}")
    print(
        f"     docsexec: blocks {blocks:.1f} s, engines and page set-up {pages - blocks:.1f} s, "
        f"outside pages (interpreter start, scan, preflight) {serial - pages:.1f} s",
        flush=True,
    )
    print(
        f"     replay:   commands {commands:.1f} s, engines {engines:.1f} s, outside pages {wall - engines - commands:.1f} s; "
        f"extra of docsexec: blocks {blocks - commands:+.1f} s, engines {pages - blocks - engines:+.1f} s",
        flush=True,
    )
    cores = len(os.sched_getaffinity(0))
    share = parallel / serial
    line(
        "P3",
        f"{share:.2f} ({parallel:.1f} s / {serial:.1f} s)",
        "<= 0.65",
        share <= 0.65,
        f"{cores} cores, exit {code2}",
    )


def p2(site: str, tmp: Path) -> None:
    env = dict(os.environ, DOCSEXEC_RUN_CACHE=str(tmp / "runs"))
    cold, code = check(site, env=env)
    warm, warm_code = check(site, env=env)
    line("P2", f"warm {warm:.2f} s", "<= 0.5 s", warm <= 0.5, f"cold {cold:.1f} s, exits {code}/{warm_code}")
    line("P2", f"cold/warm {cold / warm:.0f}x", ">= 50x", cold / warm >= 50)


def tests_figure(tmp: Path, extra: list[str]) -> None:
    """The README's test command, with a plugin that records each test's time and kind."""
    out = tmp / "tests.json"
    env = dict(os.environ, PYTHONPATH=str(REPO / "bench"), DOCSEXEC_BENCH_TIMES=str(out))
    wall, code = timed(["bash", ".ci/test", "-p", "no:cacheprovider", "-p", "pytest_timing", *extra], env)
    rows = json.loads(out.read_text()) if out.exists() else []
    total = sum(r["seconds"] for r in rows)
    engine = sum(r["seconds"] for r in rows if r["engine"])
    share = engine / total if total else 0.0
    line(
        "T",
        f"{wall / 60:.1f} min",
        "< 10 min",
        wall < 600,
        f"{len(rows)} tests, exit {code}; real-engine tests {share:.0%} of test time",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="docsexec speed figures (a benchmark: always exits 0)")
    parser.add_argument("--site", default="docs/")
    parser.add_argument("--tests", action="store_true", help="also time the README's test command (long)")
    parser.add_argument(
        "--tests-args", nargs=argparse.REMAINDER, default=[], help="extra pytest arguments, e.g. one file"
    )
    parser.add_argument("--skip-p1", action="store_true", help="only P2 (quick)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="docsexec-perf-") as folder:
        tmp = Path(folder)
        for figure in (
            ([] if args.skip_p1 else [lambda: p1_p3(args.site, tmp)])
            + [lambda: p2(args.site, tmp)]
            + ([lambda: tests_figure(tmp, args.tests_args)] if args.tests else [])
        ):
            try:
                figure()
            except Exception as exc:  # noqa: BLE001 - a benchmark reports what it could not measure
                print(f"     could not measure: {type(exc).__name__}: {exc}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
