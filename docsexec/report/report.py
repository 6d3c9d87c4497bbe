"""Tell people what happened: diffs headed file:line [id], a JSON report, a JUnit file.

The JSON report is what CI archives and the nightly job reads; JUnit is what CI dashboards
show. Both come from the same PageReport records, so they never disagree.
"""

from __future__ import annotations

import difflib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from ..model import BlockVerdict, Mode, PageReport, Status, Unchecked

JsonData = dict[str, Any]  # a report as JSON: what write_json writes and merge reads

PASSING = frozenset(status for status in Status if status.passing)


def block_diff(verdict: BlockVerdict) -> list[str]:
    """A unified diff of one block (the body the page records against the one a run wrote),
    headed with where it is, in page line numbers."""
    block = verdict.block
    lines = [f"--- {block.where}"]
    lines.extend(verdict.problems)
    if verdict.normalised is not None:
        diff = difflib.unified_diff(
            list(block.body),
            verdict.normalised,
            fromfile=f"{block.path}:{block.fence_line} [{block.id}] recorded",
            tofile="actual",
            lineterm="",
            n=2,
        )
        lines.extend(_renumber(list(diff), block.body_start))
    return lines


def _renumber(diff: list[str], offset: int) -> list[str]:
    """Hunk headers count from the page's first line, not the block's, so editors jump right."""
    out: list[str] = []
    for line in diff:
        if line.startswith("@@"):
            head = line.split("@@")[1].strip().split()
            old = head[0][1:].split(",")
            new = head[1][1:].split(",")
            old[0] = str(int(old[0]) + offset)
            new[0] = str(int(new[0]) + offset)
            line = f"@@ -{','.join(old)} +{','.join(new)} @@"
        out.append(line)
    return out


def to_json(
    reports: list[PageReport], mode: Mode, shard: str | None = None, unchecked: Sequence[Unchecked] = ()
) -> JsonData:
    """The JSON report: the pages run (one entry per page and engine) and the blocks the run
    left unchecked, each with its reason."""
    pages = [_page_json(r) for r in reports]
    data = {
        "tool": "docsexec",
        "mode": mode.value,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "ok": all(r.ok for r in reports),
        "engines": engines_json(pages),
        "pages": pages,
        "unchecked": [unchecked_json(u) for u in unchecked],
    }
    if shard is not None:
        data["shard"] = shard
    return data


def unchecked_json(item: Unchecked) -> JsonData:
    block = item.block
    return {"file": str(block.path), "id": block.id, "line": block.fence_line, "reason": item.reason}


def engines_json(pages: list[JsonData]) -> list[JsonData]:
    """One entry per engine the run verified on, in order: its version and whether all passed.
    Made from the pages' JSON, so a merged report's entries are made exactly like a run's."""
    engines: dict[str, JsonData] = {}
    for page in pages:
        source = page.get("engine_source", "")
        entry = engines.setdefault(source, {"source": source, "version": page["engine_version"], "ok": True})
        entry["version"] = entry["version"] or page["engine_version"]
        passed = page["error"] is None and all(block["status"] in PASSING for block in page["blocks"])
        entry["ok"] = entry["ok"] and passed
    return list(engines.values())


def _page_json(report: PageReport) -> JsonData:
    return {
        "file": str(report.path),
        "engine_source": report.engine_source,
        "engine_version": report.engine_version,
        "seconds": report.seconds,
        "written": report.page_changed,
        "error": report.error,
        "daemon_settings": [{"block": block, "daemon_json": text} for block, text in report.daemon_settings],
        "cached": None
        if report.cached is None
        else {
            "verified_at": report.cached.verified_at,
            "engine_version": report.cached.engine_version,
            "engine_source": report.cached.engine_source,
            "note": report.cached.describe(),
        },
        "blocks": [
            {
                "id": v.block.id,
                "line": v.block.fence_line,
                "status": v.status.value,
                "seconds": v.seconds,
                "problems": v.problems,
            }
            for v in report.verdicts
        ],
    }


def write_json(
    path: Path, reports: list[PageReport], mode: Mode, shard: str | None = None, unchecked: Sequence[Unchecked] = ()
) -> None:
    write_json_data(path, to_json(reports, mode, shard, unchecked))


def write_json_data(path: Path, data: JsonData) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def write_junit(path: Path, reports: list[PageReport], unchecked: Sequence[Unchecked] = ()) -> None:
    write_junit_data(path, to_json(reports, Mode.CHECK, unchecked=unchecked))


def write_junit_data(path: Path, data: JsonData) -> None:
    """One testsuite per page, one testcase per block: the shape CI dashboards expect. Made from
    the JSON report's data, so a merged report's JUnit is made exactly like a single run's."""
    suites = ElementTree.Element("testsuites", name="docsexec")
    for page in data["pages"]:
        _junit_suite(suites, page)
    _junit_unchecked(suites, data.get("unchecked", []))
    path.parent.mkdir(parents=True, exist_ok=True)
    ElementTree.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def _junit_suite(suites: ElementTree.Element, page: JsonData) -> None:
    blocks, source = page["blocks"], page.get("engine_source", "")
    name = f"{page['file']} [{source}]" if source else page["file"]  # one page on two engines: two suites
    failures = sum(b["status"] == Status.DIVERGED for b in blocks)
    errors = sum(b["status"] not in PASSING | {Status.DIVERGED} for b in blocks) + (1 if page["error"] else 0)
    suite = ElementTree.SubElement(
        suites,
        "testsuite",
        name=name,
        tests=str(len(blocks)),
        failures=str(failures),
        errors=str(errors),
        time=f"{page['seconds']:.3f}",
    )
    properties = ElementTree.SubElement(suite, "properties")
    properties.append(ElementTree.Element("property", name="engine_source", value=source))
    properties.append(ElementTree.Element("property", name="engine_version", value=page["engine_version"]))
    if page.get("cached"):
        properties.append(ElementTree.Element("property", name="cached", value=page["cached"]["note"]))
    if page["error"]:
        ElementTree.SubElement(
            ElementTree.SubElement(suite, "testcase", name="(page)", classname=name), "error", message=page["error"]
        )
    for block in blocks:
        case = ElementTree.SubElement(
            suite, "testcase", name=block["id"], classname=name, time=f"{block['seconds']:.3f}"
        )
        problems = block["problems"]
        if block["status"] == Status.DIVERGED:
            ElementTree.SubElement(case, "failure", message=(problems or ["output diverged"])[0]).text = "\n".join(
                problems
            )
        elif block["status"] not in PASSING:
            ElementTree.SubElement(case, "error", message=(problems or [block["status"]])[0])


def _junit_unchecked(suites: ElementTree.Element, unchecked: list[JsonData]) -> None:
    """The blocks the run left unchecked: one skipped testcase each, its reason the message."""
    if not unchecked:
        return
    name = "unchecked by this run"
    suite = ElementTree.SubElement(
        suites, "testsuite", name=name, tests=str(len(unchecked)), skipped=str(len(unchecked)), failures="0", errors="0"
    )
    for item in unchecked:
        case = ElementTree.SubElement(suite, "testcase", name=item["id"], classname=f"{item['file']}:{item['line']}")
        ElementTree.SubElement(case, "skipped", message=item["reason"])


def print_problems(report: PageReport, name_engine: bool = False) -> None:
    """Diffs of the blocks that did not pass (a translation's too: against its source page's
    blocks) and the blocks `update` wrote; headed by the engine when a run has several."""
    if name_engine and not report.ok:
        print(f"=== {report.path} on {report.engine_source} (Engine {report.engine_version or '?'})")
    for verdict in report.verdicts:
        if verdict.status is Status.OK:
            continue
        if verdict.status is Status.UPDATED:
            copied = " (from its source page)" if report.source_page is not None else ""
            print(f"updated {verdict.block.where}{copied}")
            continue
        for line in block_diff(verdict):
            print(line)
    sys.stdout.flush()
