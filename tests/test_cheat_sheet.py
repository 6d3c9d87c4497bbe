"""The cheat sheet cannot drift from the pages it points at (no engine needed).

docs/cheat-sheet.md is a set of Markdown tables. Each row starts with a command in a code span,
written with ALL-CAPS placeholders (`docker network create --subnet CIDR NAME`), and ends with a
link `page.md#anchor` to where that command is shown verified. The anchor is a tagged block's
id (the block itself is the step) or a heading's slug (the section under that heading).

Forward: every row's link must resolve, and the linked block (or some tagged block of the
linked section) must run a command that contains the row's literal words and options, in order.
Backward: every `docker network SUBCOMMAND` with each option used in any tagged block of the site
must have a row that names that subcommand and that option, so a page that starts using
`docker network create --internal` fails here until the cheat sheet lists it.

Set-up blocks (class `.setup`: there only so a page can run on this site's machine) count for
neither direction: a row cannot point at one, and what they run need not be listed.

Blocks and their commands come from docsexec's own scanner, not from regexes over Markdown, so
a fence the site does not run (an example inside a four-backtick fence) never counts.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
from markdown.extensions.toc import slugify

from docsexec.model import Block
from docsexec.page import Page
from docsexec.scan.fences import find_fences, scan_page

DOCS = Path(__file__).resolve().parent.parent / "docs"
CHEAT_SHEET = DOCS / "cheat-sheet.md"
SEPARATORS = {"|", "||", "&&", ";"}
_PLACEHOLDER = re.compile(r"(?<![\w-])[A-Z][A-Z0-9_]+(?![\w-])")
_ROW = re.compile(r"^\|\s*`(?P<syntax>[^`]+)`\s*\|.*\|\s*(?P<links>[^|]*\]\([^|]*)\|\s*$")
_LINK = re.compile(r"\]\((?P<page>[^)#\s]+)#(?P<anchor>[^)\s]+)\)")
_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Row:
    """One cheat-sheet line: the command as written, and where it is shown."""

    line: int
    syntax: str
    links: tuple[tuple[str, str], ...]  # (page path relative to docs/, anchor)


@dataclass(frozen=True)
class ScannedPage:
    """A page's tagged blocks, and its headings' slugs mapped to the blocks of their section."""

    blocks: dict[str, Block]
    sections: dict[str, list[Block]]
    setup: frozenset[str] = frozenset()  # ids of the page's set-up blocks, left out of the two above


def cheat_sheet_rows(text: str) -> list[Row]:
    """Table rows whose first cell is a code span and whose last cell holds page#anchor links."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _ROW.match(line)
        if match:
            links = tuple((m.group("page"), m.group("anchor")) for m in _LINK.finditer(match.group("links")))
            rows.append(Row(number, match.group("syntax"), links))
    return rows


def tokens(command: str) -> list[str]:
    """Shell words of a command; a command shlex cannot split falls back to whitespace."""
    try:
        return shlex.split(command, comments=False)
    except ValueError:
        return command.split()


def token_pattern(word: str) -> re.Pattern[str] | None:
    """A regex for one syntax word, placeholders matching any word; None for a bare placeholder."""
    if _PLACEHOLDER.fullmatch(word):
        return None
    parts = _PLACEHOLDER.split(word)
    escaped = r"\S+".join(re.escape(part) for part in parts)
    if word.startswith("-") and "=" not in word and len(parts) == 1:
        return re.compile(rf"{escaped}(=.*)?", re.DOTALL)  # --subnet matches --subnet=10.0.0.0/24
    return re.compile(escaped.replace(r"\S+", ".+"), re.DOTALL)


def matches(syntax: str, command: str) -> bool:
    """True when the command contains the syntax's leading words side by side (`docker network
    rm`), followed by its other literal words and options in order (others may come between)."""
    syntax_words = tokens(syntax)
    lead = 0
    while lead < len(syntax_words) and not syntax_words[lead].startswith("-") and token_pattern(syntax_words[lead]):
        lead += 1
    leading = [token_pattern(w) for w in syntax_words[:lead]]
    rest = [p for p in (token_pattern(w) for w in syntax_words[lead:]) if p is not None]
    words = tokens(command)
    for start in range(len(words) - len(leading) + 1):
        if all(p.fullmatch(w) for p, w in zip(leading, words[start : start + lead], strict=True)):
            remaining = iter(words[start + lead :])
            if all(any(p.fullmatch(w) for w in remaining) for p in rest):
                return True
    return False


def command_texts(block: Block) -> list[str]:
    """Every line the block types: shell commands, and inputs typed at an interactive prompt."""
    texts = []
    for command in block.commands:
        texts.append(command.text)
        texts.extend(i.text for i in command.inputs)
    return texts


def scan_docs_page(path: Path) -> ScannedPage:
    """The page's blocks by id, and for each heading slug the blocks up to the next heading of
    the same or a higher level (headings inside fences are code, not headings). Set-up blocks
    are left out: the cheat sheet is about the lesson, not this site's set-up."""
    page = Page.read(path)
    scanned = scan_page(page)
    blocks = [b for b in scanned if not b.options.setup]
    inside_fence = {i for f in find_fences(page) for i in range(f.start, f.end + 1)}
    headings = [
        (i, len(m.group("hashes")), slugify(m.group("title"), "-"))
        for i, text in enumerate(page.lines)
        if i not in inside_fence and (m := _HEADING.match(text))
    ]
    sections: dict[str, list[Block]] = {}
    for n, (start, level, slug) in enumerate(headings):
        end = next((i for i, lv, _ in headings[n + 1 :] if lv <= level), len(page.lines))
        sections.setdefault(slug, [b for b in blocks if start < b.fence_line - 1 < end])
    return ScannedPage({b.id: b for b in blocks}, sections, frozenset(b.id for b in scanned if b.options.setup))


def docs_pages() -> dict[str, ScannedPage]:
    return {str(p.relative_to(DOCS)): scan_docs_page(p) for p in sorted(DOCS.rglob("*.md"))}


def network_uses(pages: dict[str, ScannedPage]) -> dict[tuple[str, str], str]:
    """(subcommand, option or '') for every `docker network` call in a tagged block -> one place."""
    uses: dict[tuple[str, str], str] = {}
    for name, page in pages.items():
        for block in page.blocks.values():
            for text in command_texts(block):
                for use in _network_calls(tokens(text)):
                    uses.setdefault(use, f"{name}#{block.id}")
    return uses


def _network_calls(words: list[str]) -> list[tuple[str, str]]:
    found = []
    for i in range(len(words) - 2):
        if words[i] == "docker" and words[i + 1] == "network":
            found.append((words[i + 2], ""))
            for word in words[i + 3 :]:
                if word in SEPARATORS:
                    break
                if word.startswith("-"):
                    found.append((words[i + 2], word.split("=", 1)[0]))
    return found


# --- the parser and the matcher themselves (so the checks below cannot pass vacuously) ------


def test_rows_are_parsed_with_links():
    text = (
        "| Command | Does | Shown |\n|---|---|---|\n| `docker network ls` | list | [p](modes/index.md#network-ls) |\n"
    )
    assert cheat_sheet_rows(text) == [Row(3, "docker network ls", (("modes/index.md", "network-ls"),))]


def test_placeholders_match_any_word_and_options_take_values():
    assert matches("docker network create --subnet CIDR NAME", "docker network create --subnet=10.1.0.0/24 n1")
    assert matches("docker run -p 127.0.0.1:HOST:CTR IMAGE", "docker run -d -p 127.0.0.1:8080:80 busybox")
    assert matches("docker exec CONTAINER ping -6 NAME", "docker exec a ping -6 -c 1 b")
    assert not matches("docker network create --ipv6", "docker network create --subnet fd00::/64 n")
    assert not matches("docker network rm NAME", "docker network create rm")  # side by side
    assert not matches("docker network rm NAME", "docker rm network")  # in order
    assert not matches("docker network ls", "docker ps")


def test_a_heading_anchor_covers_the_blocks_of_its_section(tmp_path):
    page = tmp_path / "p.md"
    page.write_text(
        "# Title\n\n## Step 1: create it\n\n```console {#one .docsexec}\n$ docker network create n\n```\n\n"
        "### A sub-step\n\n```console {#two .docsexec}\n$ docker network ls\n```\n\n"
        "## Step 2: other\n\n````markdown\n## not a heading\n````\n",
        encoding="utf-8",
    )
    scanned = scan_docs_page(page)
    assert [b.id for b in scanned.sections["step-1-create-it"]] == ["one", "two"]
    assert [b.id for b in scanned.sections["a-sub-step"]] == ["two"]
    assert scanned.sections["step-2-other"] == [] and "not-a-heading" not in scanned.sections


def test_setup_blocks_count_for_neither_direction(tmp_path):
    page = tmp_path / "p.md"
    page.write_text(
        "# Title\n\n## Step 1\n\nOn a real machine, use your own server.\n\n"
        "```console {#stand-in .docsexec .setup}\n$ docker network create --internal stand-in\n```\n\n"
        "```console {#lesson .docsexec}\n$ docker network ls\n```\n",
        encoding="utf-8",
    )
    scanned = scan_docs_page(page)
    assert list(scanned.blocks) == ["lesson"] and scanned.setup == {"stand-in"}
    assert [b.id for b in scanned.sections["step-1"]] == ["lesson"]
    assert network_uses({"p.md": scanned}) == {("ls", ""): "p.md#lesson"}
    row = Row(1, "docker network create --internal NAME", (("p.md", "stand-in"),))
    [problem] = _link_problems(row, "p.md", "stand-in", {"p.md": scanned})
    assert "a set-up block" in problem


def test_network_calls_stop_at_a_pipe():
    words = tokens("docker network create --help | grep -- --driver")
    assert _network_calls(words) == [("create", ""), ("create", "--help")]


# --- the site's cheat sheet ----------------------------------------------------------------


@pytest.fixture(scope="module")
def pages() -> dict[str, ScannedPage]:
    return docs_pages()


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return cheat_sheet_rows(CHEAT_SHEET.read_text(encoding="utf-8"))


def test_the_cheat_sheet_has_rows(rows):
    assert len(rows) >= 30
    assert all(row.links for row in rows), [row.line for row in rows if not row.links]


def test_every_link_shows_its_command(rows, pages):
    problems = []
    for row in rows:
        for page_name, anchor in row.links:
            problems.extend(_link_problems(row, page_name, anchor, pages))
    assert not problems, "\n".join(problems)


def _link_problems(row: Row, page_name: str, anchor: str, pages: dict[str, ScannedPage]) -> list[str]:
    where = f"docs/cheat-sheet.md:{row.line}: `{row.syntax}` -> {page_name}#{anchor}"
    page = pages.get(page_name)
    if page is None:
        return [f"{where}: no such page"]
    if anchor in page.setup:
        return [f"{where}: a set-up block, there only so the page can run here: link to the lesson's block"]
    if anchor in page.blocks:
        candidates = [page.blocks[anchor]]
    elif anchor in page.sections:
        candidates = page.sections[anchor]
    else:
        return [f"{where}: no tagged block or heading with that anchor"]
    if not any(matches(row.syntax, text) for block in candidates for text in command_texts(block)):
        return [f"{where}: no tagged block there runs a command like this"]
    return []


def test_every_docker_network_option_used_is_listed(rows, pages):
    listed = {(sub, opt) for row in rows for sub, opt in _network_calls(tokens(row.syntax))}
    missing = [
        f"docker network {sub} {opt}".rstrip() + f" (used in {where})"
        for (sub, opt), where in sorted(network_uses(pages).items())
        if (sub, opt) not in listed
    ]
    assert not missing, "not in docs/cheat-sheet.md:\n" + "\n".join(missing)
