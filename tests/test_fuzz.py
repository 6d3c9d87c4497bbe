"""Property tests of the scanner and the rewriter on random Markdown.

Pages are built from the pieces real pages are made of (headings, text in several scripts,
lists, `!!! note` admonitions, `=== "Tab"` content tabs, tagged and untagged fences of
backticks or tildes at any indentation, unterminated fences, stray fence-like lines), glued
with LF or CRLF, with or without a BOM and a final newline. Then:

* reading never fails with anything but BadInput (a page's file and line, exit code 2);
* a page reads and writes back byte for byte;
* putting every block's own body back (`apply_bodies`) is the identity on the page text;
* writing new outputs, even ones full of fences, gives a page that still parses into the same
  blocks with exactly those bodies, and leaves every line outside the blocks alone.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from docsexec.errors import BadInput
from docsexec.page import Page
from docsexec.scan.fences import scan_page
from docsexec.write.rewrite import apply_bodies

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PATH = Path("fuzz.md")

WORDS = st.sampled_from(
    [
        "Docker",
        "网络",
        "容器之间",
        "bridge",
        "ＩＰ",
        "émoji 🐳",
        "naïve",
        "--",
        "`code`",
        "{#x}",
        ".docsexec",
        "$",
        "$ ",
        "/ # ",
        "...",
        "[..]",
        "~~~",
        "```",
        "\t",
        "  ",
        "\\",
        '"',
        "'",
        "{",
        "}",
        "=",
        "#",
    ]
)
TEXT = st.lists(WORDS, min_size=0, max_size=6).map("".join)
INDENT = st.sampled_from(["", "", "  ", "    ", "        ", "\t"])


@st.composite
def fence_block(draw) -> list[str]:
    """A fence (tagged or not) with a body; sometimes left open."""
    char = draw(st.sampled_from("`~"))
    fence = char * draw(st.integers(3, 5))
    indent = draw(INDENT)
    ident = draw(st.sampled_from(["a", "b", "c", "net-1", "x_2"]))
    info = draw(
        st.sampled_from(
            [
                f"console {{#{ident} .docsexec}}",
                f'console {{#{ident} .docsexec data-exit="1"}}',
                f'console {{#{ident} .docsexec data-prompt="/ # "}}',
                f'console {{#{ident} .docsexec data-timeout="5" data-volatile="id"}}',
                "console",
                "bash",
                "",
                " markdown",
                "yaml {.no}",
                f"console {{#{ident}}}",
                "console {.docsexec}",
                "console {#A .docsexec}",
                "console docsexec",
                "```",
                'console {#a .docsexec data-exit="x"}',
            ]
        )
    )
    body: list[str] = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["command", "output", "input", "blank", "continued", "fence", "text"]))
        if kind == "command":
            body.append(
                "$ " + draw(st.sampled_from(["docker ps", "echo 你好", "ip addr", "docker run -it busybox", "true"]))
            )
        elif kind == "continued":
            body += ["$ docker network create \\", "  --driver bridge net"]
        elif kind == "input":
            body.append(draw(st.sampled_from(["/ # ip addr", "/ # exit", "/ #"])))
        elif kind == "blank":
            body.append(draw(st.sampled_from(["", "   "])))
        elif kind == "fence":
            body.append(draw(st.sampled_from(["```", "~~~", "````", "  ```", "``` not closing"])))
        else:
            body.append(draw(TEXT))
    lines = [indent + fence + info] + [(indent + line) if line.strip() else line for line in body]
    if draw(st.integers(0, 9)):  # mostly closed; sometimes less indented or open
        lines.append(draw(st.sampled_from([indent, indent, ""])) + fence + draw(st.sampled_from(["", "", " ", char])))
    return lines


@st.composite
def tagged_block(draw) -> list[str]:
    """A well-formed tagged block (so the rewrite properties see real blocks): commands, their
    outputs, inputs at a prompt, blank lines, fence-like output, at any indentation."""
    char = draw(st.sampled_from("`~"))
    fence = char * draw(st.integers(3, 5))
    indent = draw(INDENT)
    ident = f"b{draw(st.integers(0, 10**9))}"
    prompt = draw(st.sampled_from([None, "/ # "]))
    info = f"console {{#{ident} .docsexec" + (f' data-prompt="{prompt}"' if prompt else "") + "}"
    body: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        body += draw(
            st.sampled_from([["$ docker ps"], ["$ echo 你好"], ["$ docker network create \\", "  --driver bridge net"]])
        )
        for _ in range(draw(st.integers(0, 4))):
            line = draw(
                st.one_of(TEXT, st.sampled_from(["", "   ", "\t", "```", "~~~~", "    ```", "CONTAINER ID   IMAGE"]))
            )
            body.append("x" + line if line.startswith("$") or (prompt and line.startswith("/ #")) else line)
        if prompt and draw(st.booleans()):
            body += ["/ # ip addr", "1: lo: <LOOPBACK>", "/ # exit"]
    lines = [indent + fence + info]
    for line in body:
        lines.append(indent + line if line.strip() else draw(st.sampled_from(["", line, indent + line])))
    lines.append(indent + fence + draw(st.sampled_from(["", char, " "])))
    return lines


@st.composite
def prose(draw) -> list[str]:
    return [
        draw(
            st.sampled_from(
                [
                    "# " + draw(TEXT),
                    "Some text: " + draw(TEXT),
                    "",
                    "1. " + draw(TEXT),
                    "- " + draw(TEXT),
                    "!!! note",
                    "    " + draw(TEXT),
                    '=== "Tab"',
                    "\t" + draw(TEXT),
                    draw(TEXT),
                    "---",
                    "docsexec: x",
                ]
            )
        )
    ]


@st.composite
def markdown(draw) -> str:
    pieces = draw(st.lists(st.one_of(prose(), fence_block(), tagged_block(), tagged_block()), min_size=0, max_size=8))
    lines = [line for piece in pieces for line in piece]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines)
    if lines and draw(st.booleans()):
        text += newline
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text


def scanned(text: str):
    """(page, blocks), or None when the page is rejected as bad input (the only allowed error)."""
    page = Page.parse(PATH, text)
    try:
        return page, scan_page(page)
    except BadInput as exc:
        assert exc.path == PATH and exc.line >= 1 and exc.message and "\n" not in exc.message
        return None


@SETTINGS
@given(markdown())
def test_pages_read_and_write_back_byte_for_byte(text):
    assert Page.parse(PATH, text).text() == text


@SETTINGS
@given(markdown())
# Found by this test: a blank line holding less whitespace than the block's indentation was
# normalised, and a body line starting with ``` plus an info string lengthened the fence.
@example("  ```console {#a .docsexec}\n  $ docker ps\n\t\n  $ docker ps\n  ```")
@example("# \n```console {#a .docsexec}\n$ docker ps\n```console {#b0 .docsexec}\n$ docker ps\n```")
def test_the_scanner_fails_only_with_bad_input_and_own_bodies_are_the_identity(text):
    result = scanned(text)
    if result is None:
        return
    page, blocks = result
    same = apply_bodies(page, [(block, list(block.body)) for block in blocks])
    assert same.text() == page.text() == text


OUTPUT_LINES = st.lists(
    st.sampled_from(
        [
            "```",
            "````",
            "~~~",
            "~~~~~",
            "  ```",
            "`````` ",
            "plain output",
            "你好，世界",
            "",
            "    indented",
            "...",
            "[..] text",
            "\ttab",
            "```console {#a .docsexec}",
            "$not a prompt",
        ]
    ),
    max_size=6,
)


@SETTINGS
@given(markdown(), st.data())
def test_new_outputs_with_fences_keep_the_page_parsing_into_the_same_blocks(text, data):
    result = scanned(text)
    if result is None or not result[1]:
        return
    page, blocks = result
    updates = []
    for block in blocks:
        body: list[str] = []
        for command in block.commands:
            body += list(command.source)
            for line in data.draw(OUTPUT_LINES):
                body.append(
                    line if not (block.options.prompt and line.startswith(block.options.prompt.rstrip())) else "x"
                )
            for typed in command.inputs:
                body.append(f"{block.options.prompt}{typed.text}")
        updates.append((block, body))
    new = apply_bodies(page, updates)
    again = scan_page(new)
    assert [b.id for b in again] == [b.id for b in blocks]
    for (_, body), fresh in zip(updates, again, strict=True):
        assert list(fresh.body) == body
    # Everything outside the blocks' bodies and fences is untouched, in order.
    outside_old = _outside(page.lines, blocks)
    outside_new = _outside(new.lines, again)
    assert outside_new == outside_old
    assert new.newline == page.newline and new.bom == page.bom and new.ends_with_newline == page.ends_with_newline


def _outside(lines: list[str], blocks) -> list[str]:
    """The page's lines minus every tagged block's fence lines and body."""
    inside: set[int] = set()
    for block in blocks:
        inside.update(range(block.body_start - 1, block.body_end + 1))
    return [line for index, line in enumerate(lines) if index not in inside]


@SETTINGS
@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=400)
    | st.lists(
        st.sampled_from(["```console {#a .docsexec}", "$ true", "```", "~~~", "\r", "\u2028", "\x00", "    ", "/ # x"]),
        max_size=12,
    ).map("\n".join)
)
def test_arbitrary_text_never_crashes_the_scanner(text):
    assert Page.parse(PATH, text).text() == text
    result = scanned(text)
    if result is not None:
        page, blocks = result
        assert apply_bodies(page, [(b, list(b.body)) for b in blocks]).text() == text
