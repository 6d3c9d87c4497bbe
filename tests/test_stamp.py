"""write/stamp: the gate's rule in the core (no engine, no MkDocs): a fresh stamp passes,
a stale digest, a missing engine or a page never verified is one `path:1:` line."""

from __future__ import annotations

from pathlib import Path

from docsexec.page import Page
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
    return stamp.stale_stamp(page, scan_page(page))


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
