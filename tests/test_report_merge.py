"""`docsexec report merge`: the shards' JSON reports become the one report a serial run writes."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from conftest import run_docsexec
from docsexec.errors import UsageError
from docsexec.report.merge import merge


def page(file: str, status: str = "ok", seconds: float = 1.0) -> dict:
    problems = [] if status == "ok" else [f"{file}:3 [b]: exit code 1, the page expects 0"]
    return {
        "file": file,
        "engine_version": "26.1.5+dfsg1",
        "seconds": seconds,
        "written": False,
        "error": None,
        "cached": None,
        "blocks": [{"id": "b", "line": 3, "status": status, "seconds": 0.5, "problems": problems}],
    }


def report(pages: list[dict], shard: str | None, finished: str = "2026-12-01T20:00:00Z") -> dict:
    data = {
        "tool": "docsexec",
        "mode": "check",
        "finished": finished,
        "ok": all(p["blocks"][0]["status"] == "ok" for p in pages),
        "pages": pages,
    }
    if shard:
        data["shard"] = shard
    return data


def write(folder: Path, name: str, data: dict) -> Path:
    path = folder / name
    path.write_text(json.dumps(data))
    return path


def test_merged_pages_are_in_serial_order_and_ok_only_if_all_are():
    one = report([page("docs/modes/host.md"), page("docs/index.md")], "1/2")
    two = report(
        [page("docs/modes/bridge.md", "diverged"), page("docs/a-b.md")], "2/2", finished="2026-12-01T21:00:00Z"
    )
    merged = merge([(Path("1.json"), one), (Path("2.json"), two)])
    assert [p["file"] for p in merged["pages"]] == [
        "docs/a-b.md",
        "docs/index.md",
        "docs/modes/bridge.md",
        "docs/modes/host.md",
    ]
    assert merged["ok"] is False and merged["finished"] == "2026-12-01T21:00:00Z"


@pytest.mark.parametrize(
    "inputs,message",
    [
        ([report([page("a.md")], "1/2")], "shard\\(s\\) 2/2 missing"),
        ([report([page("a.md")], "1/2"), report([page("b.md")], "1/2")], "shard\\(s\\) 2/2 missing"),
        ([report([page("a.md")], "1/2"), report([page("b.md")], "2/3")], "different splits"),
        ([report([page("a.md")], "1/2"), report([page("b.md")], None)], "not a shard's report"),
        ([report([page("a.md")], "1/2"), report([page("a.md")], "2/2")], "also in"),
        ([], "at least one"),
    ],
)
def test_inputs_that_do_not_fit_are_refused(inputs, message):
    with pytest.raises(UsageError, match=message):
        merge([(Path(f"{i}.json"), data) for i, data in enumerate(inputs)])


def test_reports_of_different_modes_are_refused():
    update = {**report([page("b.md")], None), "mode": "update"}
    with pytest.raises(UsageError, match="different modes"):
        merge([(Path("a.json"), report([page("a.md")], None)), (Path("b.json"), update)])


def test_the_cli_writes_json_and_junit_and_exits_like_a_check(tmp_path):
    one = write(tmp_path, "1.json", report([page("docs/b.md")], "1/2"))
    two = write(tmp_path, "2.json", report([page("docs/a.md", "diverged")], "2/2"))
    done = run_docsexec(
        "report",
        "merge",
        str(one),
        str(two),
        "--report",
        str(tmp_path / "all.json"),
        "--junit",
        str(tmp_path / "all.xml"),
    )
    assert done.returncode == 1, done.stderr
    assert "merged 2 report(s): 2 page(s), 2 block(s), NOT ok" in done.stdout
    merged = json.loads((tmp_path / "all.json").read_text())
    assert [p["file"] for p in merged["pages"]] == ["docs/a.md", "docs/b.md"]
    suites = ElementTree.parse(tmp_path / "all.xml").getroot().findall("testsuite")
    assert [(s.get("name"), s.get("failures")) for s in suites] == [("docs/a.md", "1"), ("docs/b.md", "0")]
    ok = write(tmp_path, "ok.json", report([page("docs/a.md")], None))
    assert run_docsexec("report", "merge", str(ok)).returncode == 0


def test_the_cli_names_a_bad_input(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    done = run_docsexec("report", "merge", str(bad))
    assert done.returncode == 2
    assert f"{bad}: cannot read a JSON report" in done.stderr
    missing = write(tmp_path, "1.json", report([page("a.md")], "1/2"))
    done = run_docsexec("report", "merge", str(missing))
    assert done.returncode == 2 and "shard(s) 2/2 missing" in done.stderr


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda data: data.pop("mode"), "mode"),
        (lambda data: data["pages"][0].pop("file"), "pages[0].file"),
        (lambda data: data["pages"][0].update(seconds="1"), "pages[0].seconds"),
        (lambda data: data["pages"][0]["blocks"][0].pop("status"), "pages[0].blocks[0].status"),
        (lambda data: data["pages"].append("docs/b.md"), "pages[1]"),
    ],
)
def test_a_report_missing_a_field_is_refused_in_one_line_naming_it(tmp_path, edit, field):
    data = report([page("docs/a.md")], None)
    edit(data)
    broken = write(tmp_path, "broken.json", data)
    done = run_docsexec("report", "merge", str(broken))
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [f"docsexec: {broken}: not a complete docsexec JSON report (no {field})"]


def test_a_block_is_unchecked_in_a_merged_report_only_if_no_report_checked_it():
    """A run on one engine leaves the other engine's tabs unchecked; a merge with the other
    engine's run, which checked them, leaves none."""
    left = {"file": "docs/a.md", "id": "b", "line": 3, "reason": "a tab of debian-trixie, not an engine of this run"}
    other = {**left, "file": "docs/z.md"}
    one = {**report([page("docs/x.md")], "1/2"), "unchecked": [left, other]}
    two = {**report([page("docs/a.md")], "2/2"), "unchecked": []}  # it ran docs/a.md's block b
    assert merge([(Path("1.json"), one), (Path("2.json"), two)])["unchecked"] == [other]
    assert merge([(Path("1.json"), one), (Path("2.json"), {**two, "pages": []})])["unchecked"] == [left, other]
