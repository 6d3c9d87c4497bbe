"""Pages at the same time (-j), shards and the cache of verified runs, on real engines.

A small site of three pages (one of them diverges) is verified serially, with -j 2, and as
two shards: what is printed, the reports and the exit code must be the same each way (times
aside). Then the cache: an unchanged passing page is not run again and says so; an edited
one, a diverging one and --no-cache run. Last, -j 2 under stress: two runs at once on one
machine, and Ctrl-C or SIGKILL in the middle, leave nothing behind.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import pytest

from conftest import run_docsexec
from safety_support import (
    Run,
    left_by,
    no_run_outlives_its_test,  # noqa: F401 - autouse: no docsexec child outlives its test
    processes_matching,
)

pytestmark = [pytest.mark.engine, pytest.mark.usefixtures("engine_ready")]

PAGES = {
    "alpha.md": "# Alpha\n\n```console {#hello .docsexec}\n$ echo alpha\n$ docker run --rm busybox echo in-a-container\n```\n",
    "beta.md": "# Beta\n\n```console {#nets .docsexec}\n$ docker network ls --format '{{.Name}}'\n```\n\n```console {#fail .docsexec data-exit=\"1\"}\n$ docker network rm nosuchnet\n```\n",
    "sub/gamma.md": "# Gamma\n\n```console {#ps .docsexec}\n$ docker run -d --name gbox busybox sleep 1d >/dev/null\n$ docker ps --format '{{.Names}}'\n```\n",
}
TIMES = re.compile(r"\d+\.\d+s?")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The three pages, filled by one real `update -j 2`; then beta's output is falsified."""
    folder = tmp_path_factory.mktemp("site")
    for name, text in PAGES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    done = run_docsexec("update", str(folder), "-j", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    beta = folder / "beta.md"
    beta.write_text(beta.read_text().replace("\nbridge\n", "\nbridgeX\n"), encoding="utf-8")
    return folder


def normal_report(path: Path) -> dict:
    data = json.loads(path.read_text())
    data.pop("finished")
    data.pop("shard", None)
    data.pop("merged_from", None)
    for page in data["pages"]:
        page.pop("seconds")
        for block in page["blocks"]:
            block.pop("seconds")
    return data


def check(site: Path, tmp_path: Path, name: str, *args: str):
    report, junit = tmp_path / f"{name}.json", tmp_path / f"{name}.xml"
    done = run_docsexec("check", str(site), "--report", str(report), "--junit", str(junit), *args)
    return done, report, junit


@pytest.fixture(scope="module")
def serial(site, tmp_path_factory):
    return check(site, tmp_path_factory.mktemp("serial"), "serial", "-j", "1")


def test_j2_prints_reports_and_exits_exactly_as_serial(site, serial, tmp_path):
    one, one_report, one_junit = serial
    two, two_report, two_junit = check(site, tmp_path, "parallel", "-j", "2")
    assert one.returncode == two.returncode == 1, one.stderr + two.stderr
    assert one.stdout == two.stdout  # the diff of beta, headed file:line
    assert f"--- {site}/beta.md:7 [nets]" in two.stdout
    assert TIMES.sub("T", one.stderr) == TIMES.sub("T", two.stderr)  # progress, page by page, in order
    assert normal_report(one_report) == normal_report(two_report)
    assert TIMES.sub("T", re.sub(r'time="[^"]*"', "", one_junit.read_text())) == TIMES.sub(
        "T", re.sub(r'time="[^"]*"', "", two_junit.read_text())
    )
    assert [p["file"] for p in normal_report(two_report)["pages"]] == [
        f"{site}/alpha.md",
        f"{site}/beta.md",
        f"{site}/sub/gamma.md",
    ]


def test_update_with_j2_writes_the_same_pages_as_a_serial_update(tmp_path):
    """Literal recording, page by page: -j 2 writes exactly what one-after-another writes
    (these pages print nothing that varies between runs, so the bytes must be equal)."""
    written = {}
    for jobs in ("1", "2"):
        folder = tmp_path / f"j{jobs}"
        for name, text in PAGES.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")
        done = run_docsexec("update", str(folder), "-j", jobs)
        assert done.returncode == 0, done.stdout + done.stderr
        written[jobs] = {name: (folder / name).read_text(encoding="utf-8") for name in PAGES}
    assert written["1"] == written["2"]
    assert ", blocks: [" in written["2"]["beta.md"]


def test_two_shards_merged_give_the_serial_verdicts(site, serial, tmp_path):
    _, serial_report, _ = serial
    parts = []
    for index in (1, 2):
        done, report, _ = check(site, tmp_path, f"shard{index}", "--shard", f"{index}/2")
        assert json.loads(report.read_text())["shard"] == f"{index}/2"
        parts.append((done, report))
    files = [[p["file"] for p in json.loads(r.read_text())["pages"]] for _, r in parts]
    assert sorted(files[0] + files[1]) == sorted(p["file"] for p in json.loads(serial_report.read_text())["pages"])
    assert files[0] and files[1] and not set(files[0]) & set(files[1])
    merged = tmp_path / "merged.json"
    done = run_docsexec("report", "merge", str(parts[0][1]), str(parts[1][1]), "--report", str(merged))
    assert done.returncode == 1  # beta diverged: as the serial check
    assert normal_report(merged) == normal_report(serial_report)


def test_an_unchanged_passing_page_is_not_run_again(site, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCSEXEC_RUN_CACHE", str(tmp_path / "runs"))
    first, _, _ = check(site, tmp_path, "cold")
    assert first.returncode == 1 and "cached" not in first.stderr
    second, report, _ = check(site, tmp_path, "warm")
    assert second.returncode == 1
    assert second.stdout == first.stdout  # beta still diverges: failures are never cached
    assert re.search(
        rf"{site}/alpha.md: 1 tagged block\(s\), cached, verified on \d+\.\d+\.\S+ \(debian-\S+\) at 20\d\d-\d\d-\d\dT",
        second.stderr,
    )
    assert f"{site}/beta.md: 2 tagged block(s), starting a private" in second.stderr
    assert f"{site}/alpha.md:7 [hello] cached" in second.stderr
    pages = {Path(p["file"]).name: p for p in json.loads(report.read_text())["pages"]}
    assert pages["alpha.md"]["cached"]["note"].startswith("cached, verified on")
    assert pages["beta.md"]["cached"] is None and pages["gamma.md"]["cached"] is not None
    assert [b["status"] for b in pages["alpha.md"]["blocks"]] == ["ok"]


def test_an_edited_page_and_no_cache_run_again(site, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCSEXEC_RUN_CACHE", str(tmp_path / "runs"))
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("alpha.md", "sub/gamma.md"):
        (copy / Path(name).name).write_text((site / name).read_text())
    assert check(copy, tmp_path, "cold")[0].returncode == 0
    alpha = copy / "alpha.md"
    alpha.write_text(alpha.read_text().replace("\nalpha\n", "\nalpha-edited\n"))
    done, _, _ = check(copy, tmp_path, "edited")
    assert done.returncode == 1 and f"--- {alpha}:7 [hello]" in done.stdout
    assert f"{copy}/gamma.md: 1 tagged block(s), cached" in done.stderr
    forced, _, _ = check(copy, tmp_path, "forced", "--no-cache")
    assert "cached" not in forced.stderr and f"{copy}/gamma.md: 1 tagged block(s), starting a private" in forced.stderr


def test_two_parallel_runs_at_once_leave_nothing(site, tmp_path):
    runs = [Run("check", str(site), "-j", "2", "--report", str(tmp_path / f"r{i}.json")) for i in (1, 2)]
    codes = [run.finish() for run in runs]
    assert codes == [1, 1], [run.stderr for run in runs]
    for index in (1, 2):
        assert normal_report(tmp_path / f"r{index}.json") == normal_report(tmp_path / "r1.json")
    assert [len(run.sids) for run in runs] == [3, 3]  # a private engine per page
    assert left_by(runs[0].sids | runs[1].sids) == []


SLEEP = "sleep 991"  # a command line no other test uses (processes_matching counts every one)
LONG = f"# Long\n\n```console {{#long .docsexec}}\n$ {SLEEP}\n```\n"


def long_site(tmp_path: Path) -> Path:
    for name in ("one.md", "two.md", "three.md"):
        (tmp_path / name).write_text(LONG)
    return tmp_path


@pytest.mark.parametrize("sig,group", [(signal.SIGINT, True), (signal.SIGTERM, False)], ids=["ctrl-c", "sigterm"])
def test_a_stop_signal_tears_down_every_parallel_page(tmp_path, sig, group):
    run = Run("check", str(long_site(tmp_path)), "-j", "2")
    try:
        run.wait_for(lambda: len(processes_matching(SLEEP)) >= 2, what="two pages sleeping at once")
        run.signal(sig, group=group)
        assert run.finish() == 128 + sig, run.stderr
    finally:
        run.kill()
    assert run.stderr.strip().endswith("docsexec: interrupted; engines were torn down")
    assert processes_matching(SLEEP) == []
    assert len(run.sids) >= 2 and left_by(run.sids) == []


def test_a_sigkilled_parent_does_not_leave_its_workers_engines(tmp_path):
    run = Run("check", str(long_site(tmp_path)), "-j", "2")
    try:
        run.wait_for(lambda: len(processes_matching(SLEEP)) >= 2 and len(run.sids) >= 2, what="two pages sleeping")
        os.kill(run.pid, signal.SIGKILL)
        run.finish()
        deadline = time.monotonic() + 30
        while (processes_matching(SLEEP) or left_by(run.sids)) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        run.kill()
    assert processes_matching(SLEEP) == []
    assert left_by(run.sids) == []
