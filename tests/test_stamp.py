"""write/stamp: the gate's rule in the core (no engine, no MkDocs): a fresh stamp passes,
a stale digest, a missing engine or a page never verified is one `path:1:` line."""

from __future__ import annotations

import json
from pathlib import Path

from docsexec.model import Mode, PageReport
from docsexec.page import Page
from docsexec.pages.config import configured_engines
from docsexec.report.report import write_json, write_junit
from docsexec.scan import variants
from docsexec.scan.fences import scan_page
from docsexec.write import provenance, stamp

BODY = "# P\n\n```console {#greet .docsexec}\n$ echo hello\nhello\n```\n"
ENGINES = '[tool.docsexec]\nengines = ["debian-forky", "debian-trixie"]\n'
VERSIONS = {"debian-forky": "28.5.2+dfsg4", "debian-trixie": "26.1.5+dfsg1"}


def write_page(tmp_path: Path, text: str, engines: tuple[str, ...] | None) -> Page:
    (tmp_path / "pyproject.toml").write_text(ENGINES, encoding="utf-8")
    page = Page.parse(tmp_path / "p.md", text)
    if engines:
        blocks = scan_page(page)
        records = tuple(
            provenance.EngineRecord(e, VERSIONS[e], provenance.blocks_digest(variants.select(blocks, e, engines[0])))
            for e in engines
        )
        page = provenance.with_provenance(page, provenance.Provenance("2026-12-02", records))
    (tmp_path / "p.md").write_text(page.text(), encoding="utf-8")
    return Page.read(tmp_path / "p.md")


def verdict(page: Page) -> str | None:
    """The gate's verdict on the page as it is on disk (None: current, or no tagged blocks)."""
    blocks = scan_page(page)
    if not blocks:
        return None
    record = provenance.read(page)
    return stamp.gate_problem(
        page.path, page, blocks, record, stamp.required_engines(configured_engines(page.path.parent), record)
    )


def test_fresh_stamp_passes(tmp_path: Path) -> None:
    assert verdict(write_page(tmp_path, BODY, ("debian-forky", "debian-trixie"))) is None


def test_hand_edited_output_is_stale(tmp_path: Path) -> None:
    page = write_page(tmp_path, BODY, ("debian-forky", "debian-trixie"))
    (tmp_path / "p.md").write_text(page.text().replace("\nhello\n", "\nhello there\n"), encoding="utf-8")
    problem = verdict(Page.read(tmp_path / "p.md"))
    assert problem is not None and problem.startswith(f"{tmp_path / 'p.md'}:1: tagged blocks changed")
    assert problem.endswith(f"run `docsexec update {tmp_path / 'p.md'}`")


def test_never_verified_is_reported(tmp_path: Path) -> None:
    problem = verdict(write_page(tmp_path, BODY, None))
    assert problem is not None and "never verified" in problem


def test_missing_engine_is_reported(tmp_path: Path) -> None:
    problem = verdict(write_page(tmp_path, BODY, ("debian-forky",)))
    assert problem is not None and "verified on 1 of the 2 configured engines (not on debian-trixie)" in problem


def test_page_without_blocks_has_no_stamp_to_check(tmp_path: Path) -> None:
    assert verdict(write_page(tmp_path, "# P\n\nprose\n", None)) is None


def passed(page: Page, engine: str) -> PageReport:
    """A fake passing run of the page on one engine (what verify_all reports, cached or not)."""
    return PageReport(path=page.path, engine_version=VERSIONS[engine], seconds=0.1, engine_source=engine)


BOTH = ("debian-forky", "debian-trixie")


def test_check_reports_a_hand_edited_output_as_a_failure(tmp_path: Path) -> None:
    page = write_page(tmp_path, BODY, BOTH)
    (tmp_path / "p.md").write_text(page.text().replace("\nhello\n", "\nhello there\n"), encoding="utf-8")
    ran = [passed(page, e) for e in BOTH]
    stale = stamp.stale_reports(ran, BOTH)
    assert len(stale) == 1 and not stale[0].ok
    assert stale[0].error is not None and stale[0].error.startswith(f"{page.path}:1: tagged blocks changed")
    assert "run `docsexec update" in stale[0].error


def test_check_passes_a_fresh_stamp(tmp_path: Path) -> None:
    page = write_page(tmp_path, BODY, BOTH)
    assert stamp.stale_reports([passed(page, e) for e in BOTH], BOTH) == []


def test_check_reports_a_page_never_verified(tmp_path: Path) -> None:
    page = write_page(tmp_path, BODY, None)
    stale = stamp.stale_reports([passed(page, e) for e in BOTH], BOTH)
    assert len(stale) == 1 and stale[0].error is not None and "never verified" in stale[0].error


def test_a_run_restricted_to_one_engine_reports_nothing(tmp_path: Path) -> None:
    """--engine-source / DOCSEXEC_ENGINE / a shared engine: the other engine was not re-verified."""
    page = write_page(tmp_path, BODY, None)
    assert stamp.stale_reports([passed(page, "debian-forky")], BOTH) == []
    shared = PageReport(path=page.path, engine_version="29.0", seconds=0.1)  # shared mode names no source
    assert stamp.stale_reports([shared], BOTH) == []


def test_a_failing_page_keeps_its_own_problem(tmp_path: Path) -> None:
    page = write_page(tmp_path, BODY, None)
    broken = PageReport(
        path=page.path, engine_version="", seconds=0.0, error="no engine", engine_source="debian-trixie"
    )
    assert stamp.stale_reports([passed(page, "debian-forky"), broken], BOTH) == []


def test_a_stale_stamp_is_a_failed_page_in_the_json_and_junit_reports(tmp_path: Path) -> None:
    page = write_page(tmp_path, BODY, None)
    reports = [passed(page, e) for e in BOTH]
    reports += stamp.stale_reports(reports, BOTH)
    write_json(tmp_path / "r.json", reports, Mode.CHECK)
    write_junit(tmp_path / "r.xml", reports)
    pages = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["pages"]
    assert [p["error"] for p in pages if p["error"]] == [reports[-1].error]
    assert "never verified" in (tmp_path / "r.xml").read_text(encoding="utf-8")
    assert not all(r.ok for r in reports)  # so _verify exits EXIT_DIVERGED
