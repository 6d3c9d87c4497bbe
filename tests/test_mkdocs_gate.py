"""The MkDocs plugin: a real `mkdocs build` fails on unverified or edited blocks, shows a badge.

No engine here: the gate only reads the pages, which is the point (the build never needs Docker).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from docsexec import provenance, variants
from docsexec.page import Page
from docsexec.scan import scan_page

BODY = "# P\n\n```console {#greet .docsexec}\n$ echo hello\nhello\n```\n"
CONFIG = "site_name: t\nplugins:\n  - docsexec\nmarkdown_extensions:\n  - attr_list\n  - pymdownx.superfences\n"


ENGINES = '[tool.docsexec]\nengines = ["debian-forky", "debian-trixie"]\n'
VERSIONS = {"debian-forky": "28.5.2+dfsg4", "debian-trixie": "26.1.5+dfsg1"}


def verified(text: str, engines: tuple[str, ...] = ("debian-trixie",)) -> str:
    """The page with a provenance entry per engine, as `update` on each would write it."""
    page = Page.parse(Path("index.md"), text)
    blocks = scan_page(page)
    records = tuple(provenance.EngineRecord(e, VERSIONS[e], provenance.blocks_digest(page, variants.select(blocks, e, engines[0])))
                    for e in engines)
    return provenance.with_provenance(page, provenance.Provenance("2026-11-27", records)).text()


def build(tmp_path: Path, page_text: str, pyproject: str | None = None) -> subprocess.CompletedProcess[str]:
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    (tmp_path / "docs").mkdir(exist_ok=True)
    (tmp_path / "docs" / "index.md").write_text(page_text, encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(CONFIG, encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=tmp_path, capture_output=True, text=True)


def test_a_verified_page_builds_with_its_badge(tmp_path):
    done = build(tmp_path, verified(BODY))
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "site" / "index.html").read_text()
    assert "Verified on Docker Engine 26.1.5 &middot; 2026-11-27" in html


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


VARIANTS = """# P

=== "Engine 28.5"

    ```console {#greet .docsexec data-engine="debian-forky"}
    $ echo new
    new
    ```

=== "Engine 26.1"

    ```console {#greet-trixie .docsexec data-engine="debian-trixie"}
    $ echo old
    old
    ```
"""


def test_both_configured_engines_verified_builds_with_both_versions_in_the_badge(tmp_path):
    done = build(tmp_path, verified(BODY, ("debian-forky", "debian-trixie")), ENGINES)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "site" / "index.html").read_text()
    assert "Verified on Docker Engine 28.5.2 and 26.1.5 &middot; 2026-11-27" in html


def test_a_page_verified_on_fewer_engines_than_configured_fails_the_build(tmp_path):
    done = build(tmp_path, verified(BODY, ("debian-forky",)), ENGINES)
    assert done.returncode != 0
    assert "index.md:1: verified on 1 of the 2 configured engines (not on debian-trixie)" in done.stderr


def test_an_old_one_engine_provenance_line_satisfies_no_configured_engine(tmp_path):
    page = Page.parse(Path("index.md"), BODY)
    digest = provenance.blocks_digest(page, scan_page(page))
    old = f"---\ndocsexec: {{engine: 26.1.5+dfsg1, date: 2026-11-27, blocks: {digest}}}\n---\n\n" + BODY
    assert build(tmp_path, old).returncode == 0  # no configuration: the line is still honoured
    done = build(tmp_path, old, ENGINES)
    assert "verified on 0 of the 2 configured engines" in done.stderr


def test_an_edited_variant_fails_the_build_naming_its_engine_only(tmp_path):
    text = verified(VARIANTS, ("debian-forky", "debian-trixie"))
    assert build(tmp_path, text, ENGINES).returncode == 0
    done = build(tmp_path, text.replace("    old\n", "    odl\n"), ENGINES)
    assert done.returncode != 0
    assert "changed since their last verified run on debian-trixie" in done.stderr


def test_engine_tabs_render_as_material_content_tabs(tmp_path):
    config = CONFIG + "  - pymdownx.tabbed:\n      alternate_style: true\n"
    (tmp_path / "mkdocs.yml").write_text(config, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(ENGINES, encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(verified(VARIANTS, ("debian-forky", "debian-trixie")), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "site" / "index.html").read_text()
    assert 'class="tabbed-set tabbed-alternate"' in html
    assert ">Engine 28.5</label>" in html and ">Engine 26.1</label>" in html
    assert 'id="greet"' in html and 'id="greet-trixie"' in html
