"""The MkDocs plugin: a real `mkdocs build` fails on unverified or edited blocks, shows a badge.

No engine here: the gate only reads the pages, which is the point (the build never needs Docker).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from docsexec import provenance
from docsexec.page import Page
from docsexec.scan import scan_page

BODY = "# P\n\n```console {#greet .docsexec}\n$ echo hello\nhello\n```\n"
CONFIG = "site_name: t\nplugins:\n  - docsexec\nmarkdown_extensions:\n  - attr_list\n  - pymdownx.superfences\n"


def verified(text: str) -> str:
    page = Page.parse(Path("index.md"), text)
    record = provenance.Provenance("26.1.5+dfsg1", "2026-11-27", provenance.blocks_digest(page, scan_page(page)))
    return provenance.with_provenance(page, record).text()


def build(tmp_path: Path, page_text: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "docs").mkdir(exist_ok=True)
    (tmp_path / "docs" / "index.md").write_text(page_text, encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(CONFIG, encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=tmp_path, capture_output=True, text=True)


def test_a_verified_page_builds_with_its_badge(tmp_path):
    done = build(tmp_path, verified(BODY))
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "site" / "index.html").read_text()
    assert "Verified on Docker Engine 26.1.5+dfsg1 &middot; 2026-11-27" in html


def test_a_never_verified_page_fails_the_build(tmp_path):
    done = build(tmp_path, BODY)
    assert done.returncode != 0
    assert "index.md:1: page has tagged blocks but was never verified" in done.stderr


def test_an_output_edited_by_hand_fails_the_build(tmp_path):
    done = build(tmp_path, verified(BODY).replace("hello\n```", "hullo\n```"))
    assert done.returncode != 0
    assert "tagged blocks changed since their last verified run" in done.stderr


def test_duplicate_ids_fail_the_build_with_file_and_line(tmp_path):
    done = build(tmp_path, BODY + "\n```console {#greet .docsexec}\n$ true\n```\n")
    assert done.returncode != 0
    assert "index.md:8: duplicate block id 'greet'" in done.stderr


def test_a_page_without_tagged_blocks_needs_no_provenance(tmp_path):
    assert build(tmp_path, "# Plain\n\n```console\n$ anything\n```\n").returncode == 0
