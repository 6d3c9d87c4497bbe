"""The gate and the badge, in real builds with MkDocs and with Zensical.

Both render through docsexec's Markdown extension (docsexec.faces.markdown_ext): MkDocs with the
thin plugin naming each page, Zensical through its own page context (it loads no MkDocs
plugins). A build fails on unverified or edited blocks and shows the badge otherwise.
No engine here: the gate only reads the pages, which is the point (the build never needs Docker).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from docsexec.page import Page
from docsexec.scan import variants
from docsexec.scan.fences import scan_page
from docsexec.write import provenance

BODY = "# P\n\n```console {#greet .docsexec}\n$ echo hello\n# not a prompt\n```\n"
CONFIG = (
    "site_name: t\n"
    "plugins:\n  - docsexec\n"
    "markdown_extensions:\n  - attr_list\n  - pymdownx.highlight:\n      pygments_lang_class: true\n"
    "  - pymdownx.superfences\n  - docsexec.faces.markdown_ext\n"
)
ZENSICAL = shutil.which("zensical", path=str(Path(sys.executable).parent)) or "zensical"
BUILDERS = {
    "mkdocs": lambda: [sys.executable, "-m", "mkdocs", "build", "--strict"],
    "zensical": lambda: [ZENSICAL, "build", "--clean"],
}


ENGINES = '[tool.docsexec]\nengines = ["debian-forky", "debian-trixie"]\n'
VERSIONS = {"debian-forky": "28.5.2+dfsg4", "debian-trixie": "26.1.5+dfsg1"}


def verified(text: str, engines: tuple[str, ...] = ("debian-trixie",)) -> str:
    """The page with a provenance entry per engine, as `update` on each would write it."""
    page = Page.parse(Path("index.md"), text)
    blocks = scan_page(page)
    records = tuple(
        provenance.EngineRecord(e, VERSIONS[e], provenance.blocks_digest(variants.select(blocks, e, engines[0])))
        for e in engines
    )
    return provenance.with_provenance(page, provenance.Provenance("2026-11-27", records)).text()


def build(
    tmp_path: Path, builder: str, page_text: str, extra: dict[str, str] | None = None, pyproject: str | None = None
) -> subprocess.CompletedProcess[str]:
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "index.md").write_text(page_text, encoding="utf-8")
    for name, text in (extra or {}).items():
        (docs / name).write_text(text, encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(CONFIG, encoding="utf-8")
    return subprocess.run(BUILDERS[builder](), cwd=tmp_path, capture_output=True, text=True, timeout=120)


def html_of(tmp_path: Path) -> str:
    return (tmp_path / "site" / "index.html").read_text(encoding="utf-8")


@pytest.fixture(params=sorted(BUILDERS))
def builder(request) -> str:
    return request.param


def test_a_verified_page_builds_with_its_badge(tmp_path, builder):
    done = build(tmp_path, builder, verified(BODY))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Verified on Docker Engine 26.1.5 \u00b7 2026-11-27" in html_of(tmp_path)


def test_the_badge_links_to_the_verification_page_when_there_is_one(tmp_path, builder):
    done = build(tmp_path, builder, verified(BODY), extra={"verification.md": "# How this site is verified\n"})
    assert done.returncode == 0, done.stdout + done.stderr
    page = html_of(tmp_path)
    assert 'class="docsexec-badge"' in page
    assert 'href="verification/"' in page or 'href="verification/index.html"' in page, page


def test_an_output_line_starting_with_hash_is_output_not_a_prompt(tmp_path, builder):
    done = build(tmp_path, builder, verified(BODY))
    assert done.returncode == 0, done.stdout + done.stderr
    page = html_of(tmp_path)
    assert '<span class="go"># not a prompt</span>' in page
    assert '<span class="gp"># </span>' not in page


HEREDOC = "# P\n\n```console {#write .docsexec}\n$ cat > f.yaml <<'EOF'\n# a comment in the file\nkey: value\nEOF\n$ cat f.yaml\n# a comment in the file\nkey: value\n```\n"


def test_a_here_document_body_renders_as_typed_text_and_its_output_as_output(tmp_path, builder):
    done = build(tmp_path, builder, verified(HEREDOC))
    assert done.returncode == 0, done.stdout + done.stderr
    code = html_of(tmp_path).split('id="write"', 1)[1].split("</code>", 1)[0]
    typed = '<span class="docsexec-input"># a comment in the file</span>\n<span class="docsexec-input">key: value</span>\n<span class="docsexec-input">EOF</span>'
    assert typed in code, code
    assert (
        code.count('<span class="go"># a comment in the file</span>') == 1
        and '<span class="go">key: value</span>' in code
    )
    assert '<span class="gp"># </span>' not in code


SETUP = (
    "# P\n\nOn a real machine you run your own DNS server.\n\n"
    "```console {#stand-in .docsexec .setup}\n$ echo started\nstarted\n```\n\n"
    "```console {#lesson .docsexec}\n$ echo lesson\nlesson\n```\n"
)


def test_a_setup_block_renders_collapsed_below_its_sentence_without_a_copy_button(tmp_path, builder):
    done = build(tmp_path, builder, verified(SETUP))
    assert done.returncode == 0, done.stdout + done.stderr
    page = html_of(tmp_path)
    sentence = page.index("On a real machine you run your own DNS server.")
    opening = page.index('<details class="note docsexec-setup"><summary>Set-up for this site\'s verification</summary>')
    closing = page.index("</details>", opening)
    block = page.index('id="stand-in"')
    assert sentence < opening < block < closing, "the sentence precedes a closed note holding the block"
    assert '<details class="note docsexec-setup" open' not in page
    stand_in = page[page.rindex("<div", 0, block) : page.index(">", block)]
    assert "no-copy" in stand_in.split('class="', 1)[1].split('"', 1)[0].split(), stand_in
    lesson = page[page.rindex("<div", 0, page.index('id="lesson"')) : page.index('id="lesson"')]
    assert "no-copy" not in lesson and page.index('id="lesson"') > closing, "an ordinary block stays in the flow"


def test_a_never_verified_page_fails_the_build(tmp_path, builder):
    done = build(tmp_path, builder, BODY)
    assert done.returncode != 0
    assert "index.md:1: page has tagged blocks but was never verified" in done.stdout + done.stderr


def test_an_output_edited_by_hand_fails_the_build(tmp_path, builder):
    done = build(tmp_path, builder, verified(BODY).replace("# not a prompt\n```", "# not a prompt!\n```"))
    assert done.returncode != 0
    assert "tagged blocks changed since their last verified run" in done.stdout + done.stderr


def test_duplicate_ids_fail_the_build_with_file_and_line(tmp_path, builder):
    done = build(tmp_path, builder, BODY + "\n```console {#greet .docsexec}\n$ true\n```\n")
    assert done.returncode != 0
    assert "index.md:8: duplicate block id 'greet'" in done.stdout + done.stderr


def test_a_page_without_tagged_blocks_needs_no_provenance(tmp_path, builder):
    done = build(tmp_path, builder, "# Plain\n\n```console\n$ anything\n```\n")
    assert done.returncode == 0, done.stdout + done.stderr


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


def test_both_configured_engines_verified_builds_with_both_versions_in_the_badge(tmp_path, builder):
    done = build(tmp_path, builder, verified(BODY, ("debian-forky", "debian-trixie")), pyproject=ENGINES)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Verified on Docker Engine 28.5.2 and 26.1.5 \u00b7 2026-11-27" in html_of(tmp_path)


def test_a_page_verified_on_fewer_engines_than_configured_fails_the_build(tmp_path, builder):
    done = build(tmp_path, builder, verified(BODY, ("debian-forky",)), pyproject=ENGINES)
    assert done.returncode != 0
    assert "index.md:1: verified on 1 of the 2 configured engines (not on debian-trixie)" in done.stdout + done.stderr


def test_an_old_one_engine_provenance_line_satisfies_no_configured_engine(tmp_path):
    page = Page.parse(Path("index.md"), BODY)
    digest = provenance.blocks_digest(scan_page(page))
    old = f"---\ndocsexec: {{engine: 26.1.5+dfsg1, date: 2026-11-27, blocks: {digest}}}\n---\n\n" + BODY
    assert build(tmp_path, "mkdocs", old).returncode == 0  # no configuration: the line is still honoured
    done = build(tmp_path, "mkdocs", old, pyproject=ENGINES)
    assert "verified on 0 of the 2 configured engines" in done.stderr


def test_an_edited_variant_fails_the_build_naming_its_engine_only(tmp_path, builder):
    text = verified(VARIANTS, ("debian-forky", "debian-trixie"))
    assert build(tmp_path, builder, text, pyproject=ENGINES).returncode == 0
    done = build(tmp_path, builder, text.replace("    old\n", "    odl\n"), pyproject=ENGINES)
    assert done.returncode != 0
    assert "changed since their last verified run on debian-trixie" in done.stdout + done.stderr


def test_engine_tabs_render_as_material_content_tabs(tmp_path):
    config = CONFIG + "  - pymdownx.tabbed:\n      alternate_style: true\n"
    (tmp_path / "mkdocs.yml").write_text(config, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(ENGINES, encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(verified(VARIANTS, ("debian-forky", "debian-trixie")), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "site" / "index.html").read_text()
    assert 'class="tabbed-set tabbed-alternate"' in html
    assert ">Engine 28.5</label>" in html and ">Engine 26.1</label>" in html
    assert 'id="greet"' in html and 'id="greet-trixie"' in html


def test_a_setup_block_of_a_chinese_page_has_the_chinese_title():
    from docsexec.faces.console_html import collapsed_setup_blocks, setup_title
    from docsexec.faces.markdown_ext import Source, page_language

    docs = Path("/site/docs")
    assert page_language(Source(docs / "dns.zh.md", docs)) == "zh"
    assert page_language(Source(docs / "dns.md", docs)) == page_language(None) == "en"
    block = '<div id="a" class="language-console docsexec setup highlight"><pre><code>$ true\n</code></pre></div>'
    other = '<div id="b" class="language-console docsexec highlight"><pre><code>$ true\n</code></pre></div>'
    html = collapsed_setup_blocks(block + other, setup_title("zh"))
    assert html == (
        '<details class="note docsexec-setup"><summary>本站验证用的准备步骤</summary>'
        + block.replace("setup highlight", "setup highlight no-copy")
        + "</details>"
        + other
    )


def test_a_setup_block_inside_a_tab_is_collapsed_in_its_tab():
    from docsexec.faces.console_html import collapsed_setup_blocks

    tab = '<div class="tabbed-block"><p>x</p><div class="highlight"><pre><code>plain\n</code></pre></div>'
    block = '<div id="a" class="language-console docsexec setup highlight"><pre><code>$ true\n</code></pre></div>'
    html = collapsed_setup_blocks(tab + block + "</div>", "T")
    assert (
        html
        == tab
        + '<details class="note docsexec-setup"><summary>T</summary>'
        + block.replace("setup highlight", "setup highlight no-copy")
        + "</details></div>"
    )
