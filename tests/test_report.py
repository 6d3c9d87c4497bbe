"""The JSON report and the JUnit file, read back: what CI archives and what dashboards show.

No engine: the page is scanned for real and its verdicts come from the real evaluator, fed
with run results that a run could have produced (one block passes, one prints something
else, one exits 1, one times out, one is not run after it). The reports are then parsed
(json, ElementTree) and every field a reader or a dashboard uses is asserted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from docsexec.compare.evaluate import evaluate_page
from docsexec.model import BlockProblem, BlockResult, CachedRun, CommandResult, Mode, PageReport, PageRun
from docsexec.report.report import block_diff, to_json, write_json, write_junit
from docsexec.scan.fences import scan_file

PAGE = """# A page for the reports

```console {#same .docsexec}
$ echo same
same
```

```console {#wrong .docsexec}
$ echo real
recorded
$ echo two
recorded too
```

```console {#exit .docsexec}
$ false
```

```console {#stuck .docsexec}
$ sleep 99
```

```console {#after .docsexec}
$ echo after
after
```
"""
# the page line of each block's fence; a command is on the line after its fence (wrong's second on 11)
FENCES = {"same": 3, "wrong": 8, "exit": 15, "stuck": 19, "after": 23}


def ran(output: list[str], code: int | None = 0, seconds: float = 0.25, timed_out: bool = False) -> CommandResult:
    return CommandResult(output=output, exit_code=code, seconds=seconds, timed_out=timed_out)


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "docs" / "page.md"
    path.parent.mkdir()
    path.write_text(PAGE, encoding="utf-8")
    return path


def forky_report(page: Path) -> PageReport:
    """The page's run on forky as the evaluator judges it: ok, diverged twice, error, not run."""
    _, blocks = scan_file(page)
    by_id = {block.id: block for block in blocks}
    assert [block.fence_line for block in blocks] == list(FENCES.values())
    stopped = f"{page}:20: timed out after 1 s: sleep 99"
    results = [
        BlockResult(by_id["same"], [ran(["same"], seconds=0.5)]),
        BlockResult(by_id["wrong"], [ran(["real"]), ran(["two"])]),
        BlockResult(by_id["exit"], [ran([], code=1)]),
        BlockResult(
            by_id["stuck"], [ran([], code=None, seconds=1.0, timed_out=True)], problem=BlockProblem.failed(stopped)
        ),
        BlockResult(by_id["after"], problem=BlockProblem.not_run(f"an earlier command timed out ({page}:20)")),
    ]
    run = PageRun(engine_version="28.5.2", results=results, seconds=3.5)
    return PageReport(
        path=page, engine_version="28.5.2", seconds=3.5, verdicts=evaluate_page(run), engine_source="debian-forky"
    )


def trixie_report(page: Path) -> PageReport:
    """The same page on trixie, where it comes from the run cache: every block passes."""
    _, blocks = scan_file(page)
    results = [
        BlockResult(block, [ran(list(c.expected), code=c.exit_code) for c in block.commands]) for block in blocks
    ]
    results[2] = BlockResult(blocks[2], [ran([], code=1)])  # `false` really exits 1 ...
    cached = CachedRun(
        key="k",
        verified_at="2026-12-01T10:00:00Z",
        engine_version="26.1.5",
        engine_source="debian-trixie",
        seconds=2.0,
        block_seconds=(),
    )
    report = PageReport(
        path=page,
        engine_version="26.1.5",
        seconds=2.0,
        engine_source="debian-trixie",
        cached=cached,
        verdicts=evaluate_page(PageRun(results=results)),
    )
    return report


def broken_report(tmp_path: Path) -> PageReport:
    """A page that could not run at all: no verdicts, only its error."""
    path = tmp_path / "docs" / "broken.md"
    return PageReport(
        path=path,
        engine_version="",
        seconds=0.0,
        engine_source="debian-forky",
        error=f"{path}:1: the private engine did not start: dockerd exited 1",
    )


def test_the_evaluator_judges_the_run_as_the_reports_expect(page):
    # the inputs of the report tests, checked once: each status comes from the real evaluator
    statuses = {v.block.id: v.status for v in forky_report(page).verdicts}
    assert statuses == {"same": "ok", "wrong": "diverged", "exit": "diverged", "stuck": "error", "after": "not-run"}
    trixie = trixie_report(page)
    assert {v.block.id: v.status for v in trixie.verdicts} == {
        "same": "ok",
        "wrong": "ok",
        "exit": "diverged",
        "stuck": "ok",
        "after": "ok",
    }


# --- JSON --------------------------------------------------------------------------------------


def test_the_json_report_has_every_page_block_status_and_problem(page, tmp_path):
    out = tmp_path / "reports" / "check.json"  # its folder is made
    write_json(out, [forky_report(page), broken_report(tmp_path)], Mode.CHECK, shard="1/2")
    raw = out.read_text(encoding="utf-8")
    assert raw.endswith("}\n")
    data = json.loads(raw)
    assert set(data) == {"tool", "mode", "finished", "ok", "engines", "pages", "unchecked", "shard"}
    assert (data["tool"], data["mode"], data["ok"], data["shard"]) == ("docsexec", "check", False, "1/2")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["finished"])
    assert data["engines"] == [{"source": "debian-forky", "version": "28.5.2", "ok": False}]
    forky, broken = data["pages"]
    assert {
        k: forky[k] for k in ("file", "engine_source", "engine_version", "seconds", "written", "error", "cached")
    } == {
        "file": str(page),
        "engine_source": "debian-forky",
        "engine_version": "28.5.2",
        "seconds": 3.5,
        "written": False,
        "error": None,
        "cached": None,
    }
    blocks = {b["id"]: b for b in forky["blocks"]}
    assert list(blocks) == list(FENCES)  # page order
    assert {i: (b["line"], b["status"]) for i, b in blocks.items()} == {
        "same": (3, "ok"),
        "wrong": (8, "diverged"),
        "exit": (15, "diverged"),
        "stuck": (19, "error"),
        "after": (23, "not-run"),
    }
    assert blocks["same"] == {"id": "same", "line": 3, "status": "ok", "seconds": 0.5, "problems": []}
    assert blocks["wrong"]["problems"] == [
        f"{page}:9 [wrong]: line 1: 'recorded' became 'real'",
        f"{page}:11 [wrong]: line 1: 'recorded too' became 'two'",
    ]
    assert blocks["exit"]["problems"] == [f"{page}:16 [exit]: exit code 1, the page expects 0"]
    assert blocks["stuck"]["problems"] == [f"{page}:20: timed out after 1 s: sleep 99"]
    assert blocks["after"]["problems"] == [f"{page}:23 [after]: not run: an earlier command timed out ({page}:20)"]
    assert broken["error"] == f"{tmp_path}/docs/broken.md:1: the private engine did not start: dockerd exited 1"
    assert broken["blocks"] == [] and broken["engine_source"] == "debian-forky"


def test_the_json_report_has_one_engine_entry_per_engine_and_the_cache_note(page):
    data = to_json([forky_report(page), trixie_report(page)], Mode.UPDATE)
    assert "shard" not in data and data["mode"] == "update" and data["ok"] is False
    assert data["engines"] == [
        {"source": "debian-forky", "version": "28.5.2", "ok": False},
        {"source": "debian-trixie", "version": "26.1.5", "ok": False},  # `exit` diverges there too
    ]
    trixie = data["pages"][1]
    assert trixie["cached"] == {
        "verified_at": "2026-12-01T10:00:00Z",
        "engine_version": "26.1.5",
        "engine_source": "debian-trixie",
        "note": "cached, verified on 26.1.5 (debian-trixie) at 2026-12-01T10:00:00Z",
    }


def test_a_run_where_every_block_passes_is_ok(page):
    report = trixie_report(page)
    report.verdicts = [v for v in report.verdicts if v.block.id != "exit"]
    data = to_json([report], Mode.CHECK)
    assert data["ok"] is True and data["engines"] == [{"source": "debian-trixie", "version": "26.1.5", "ok": True}]
    assert to_json([], Mode.CHECK)["ok"] is True and to_json([], Mode.CHECK)["pages"] == []


# --- JUnit -------------------------------------------------------------------------------------


def junit(tmp_path: Path, reports: list[PageReport]) -> ElementTree.Element:
    out = tmp_path / "reports" / "junit.xml"
    write_junit(out, reports)
    assert out.read_bytes().startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ElementTree.parse(out).getroot()


def test_junit_has_one_suite_per_page_and_engine_and_one_case_per_block(page, tmp_path):
    root = junit(tmp_path, [forky_report(page), trixie_report(page), broken_report(tmp_path)])
    assert (root.tag, root.get("name")) == ("testsuites", "docsexec")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [
        f"{page} [debian-forky]",
        f"{page} [debian-trixie]",
        f"{tmp_path}/docs/broken.md [debian-forky]",
    ]
    counts = [(s.get("tests"), s.get("failures"), s.get("errors"), s.get("time")) for s in suites]
    assert counts == [("5", "2", "2", "3.500"), ("5", "1", "0", "2.000"), ("0", "0", "1", "0.000")]
    forky = suites[0]
    cases = forky.findall("testcase")
    assert [c.get("name") for c in cases] == list(FENCES)
    assert {c.get("classname") for c in cases} == {f"{page} [debian-forky]"}
    assert [c.get("time") for c in cases] == ["0.500", "0.500", "0.250", "1.000", "0.000"]
    properties = {p.get("name"): p.get("value") for p in forky.find("properties")}
    assert properties == {"engine_source": "debian-forky", "engine_version": "28.5.2"}
    trixie_properties = {p.get("name"): p.get("value") for p in suites[1].find("properties")}
    assert trixie_properties["cached"] == "cached, verified on 26.1.5 (debian-trixie) at 2026-12-01T10:00:00Z"


def test_junit_failures_and_errors_carry_file_and_line(page, tmp_path):
    forky = junit(tmp_path, [forky_report(page)]).find("testsuite")
    case = {c.get("name"): c for c in forky.findall("testcase")}
    assert list(case["same"]) == []  # passed: no child at all
    [wrong] = list(case["wrong"])
    assert (wrong.tag, wrong.get("message")) == ("failure", f"{page}:9 [wrong]: line 1: 'recorded' became 'real'")
    assert (
        wrong.text
        == f"{page}:9 [wrong]: line 1: 'recorded' became 'real'\n{page}:11 [wrong]: line 1: 'recorded too' became 'two'"
    )
    [exit_failure] = list(case["exit"])
    assert (exit_failure.tag, exit_failure.get("message")) == (
        "failure",
        f"{page}:16 [exit]: exit code 1, the page expects 0",
    )
    assert exit_failure.text == f"{page}:16 [exit]: exit code 1, the page expects 0"
    [stuck] = list(case["stuck"])
    assert (stuck.tag, stuck.get("message")) == ("error", f"{page}:20: timed out after 1 s: sleep 99")
    [after] = list(case["after"])
    assert (after.tag, after.get("message")) == (
        "error",
        f"{page}:23 [after]: not run: an earlier command timed out ({page}:20)",
    )


def test_junit_reports_a_page_that_could_not_run_as_an_error_case(tmp_path):
    suite = junit(tmp_path, [broken_report(tmp_path)]).find("testsuite")
    [case] = suite.findall("testcase")
    assert (case.get("name"), case.get("classname")) == ("(page)", f"{tmp_path}/docs/broken.md [debian-forky]")
    [error] = list(case)
    assert (error.tag, error.get("message")) == (
        "error",
        f"{tmp_path}/docs/broken.md:1: the private engine did not start: dockerd exited 1",
    )


def test_junit_and_json_count_the_same(page, tmp_path):
    """Both come from the same records: per page, JUnit's counts are the JSON statuses counted."""
    reports = [forky_report(page), trixie_report(page), broken_report(tmp_path)]
    data = to_json(reports, Mode.CHECK)
    suites = junit(tmp_path, reports).findall("testsuite")
    for entry, suite in zip(data["pages"], suites, strict=True):
        statuses = [b["status"] for b in entry["blocks"]]
        assert int(suite.get("tests")) == len(statuses) == len(suite.findall("testcase")) - (1 if entry["error"] else 0)
        assert int(suite.get("failures")) == statuses.count("diverged") == len(suite.findall("testcase/failure"))
        errors = sum(s not in ("ok", "updated", "diverged") for s in statuses) + (1 if entry["error"] else 0)
        assert int(suite.get("errors")) == errors == len(suite.findall("testcase/error"))


# --- the diff ----------------------------------------------------------------------------------


def test_the_diff_of_a_block_is_headed_with_where_it_is_and_counts_page_lines(page):
    verdicts = {v.block.id: v for v in forky_report(page).verdicts}
    assert block_diff(verdicts["wrong"]) == [
        f"--- {page}:8 [wrong]",
        f"{page}:9 [wrong]: line 1: 'recorded' became 'real'",
        f"{page}:11 [wrong]: line 1: 'recorded too' became 'two'",
        f"--- {page}:8 [wrong] recorded",
        "+++ actual",
        "@@ -9,4 +9,4 @@",  # page line 9 is the block's first line, `$ echo real`
        " $ echo real",
        "-recorded",
        "+real",
        " $ echo two",
        "-recorded too",
        "+two",
    ]
    # update cannot fix an exit code: no diff, only the problem
    assert block_diff(verdicts["exit"]) == [
        f"--- {page}:15 [exit]",
        f"{page}:16 [exit]: exit code 1, the page expects 0",
    ]


def test_a_hunk_deep_in_a_block_starts_at_its_own_page_line(tmp_path):
    body = "".join(f"$ echo {n}\n{n}\n" for n in range(1, 9))
    path = tmp_path / "long.md"
    path.write_text(f"# Long\n\nSome text.\n\n```console {{#long .docsexec}}\n{body}```\n", encoding="utf-8")
    [block] = scan_file(path)[1]
    outputs = [[str(n)] for n in range(1, 8)] + [["eight"]]
    run = PageRun(results=[BlockResult(block, [ran(out) for out in outputs])])
    [verdict] = evaluate_page(run)
    diff = block_diff(verdict)
    [hunk] = [line for line in diff if line.startswith("@@")]
    assert hunk == "@@ -19,3 +19,3 @@"
    page_lines = path.read_text(encoding="utf-8").splitlines()
    first = diff[diff.index(hunk) + 1]
    assert page_lines[19 - 1] == first[1:] == "7", "the hunk's first line is that page line"
    assert diff[diff.index(hunk) + 1 :] == [" 7", " $ echo 8", "-8", "+eight"]
