"""Scanner and option parsing: string in, blocks or one-line errors out."""

from __future__ import annotations

from pathlib import Path

import pytest

from docsexec.errors import BadInput
from docsexec.page import Page
from docsexec.scan.fences import scan_page

P = Path("page.md")
OPEN = '```console {#a .docsexec data-prompt="/ # "}\n$ docker attach box1\n```\n'  # leaves a session open


def scan(text: str):
    return scan_page(Page.parse(P, text))


def bad(text: str) -> BadInput:
    with pytest.raises(BadInput) as info:
        scan(text)
    return info.value


def test_finds_a_tagged_block_with_id_lines_and_body_range():
    text = "# T\n\n```console {#net-ls .docsexec}\n$ docker network ls\nNAME\n```\n"
    [block] = scan(text)
    assert block.id == "net-ls"
    assert block.fence_line == 3
    assert (block.body_start, block.body_end) == (3, 5)
    assert block.commands[0].text == "docker network ls"
    assert block.commands[0].expected == ("NAME",)


def test_untagged_blocks_and_other_languages_never_run():
    text = "```console\n$ rm -rf /\n```\n\n```bash\necho hi\n```\n"
    assert scan(text) == []


def test_blocks_inside_lists_admonitions_and_tabs_keep_indentation():
    text = (
        "1. Step\n\n    ```console {#in-list .docsexec}\n    $ echo a\n    a\n    ```\n\n"
        "!!! note\n\n    ```console {#in-note .docsexec}\n    $ echo b\n    ```\n\n"
        '=== "Tab"\n\n    ```console {#in-tab .docsexec}\n    $ echo c\n    ```\n'
    )
    blocks = scan(text)
    assert [b.id for b in blocks] == ["in-list", "in-note", "in-tab"]
    assert all(b.indent == "    " for b in blocks)
    assert blocks[0].commands[0].expected == ("a",)


def test_a_tagged_example_inside_a_longer_fence_is_text_not_a_block():
    text = "````markdown\n```console {#example .docsexec}\n$ echo hi\n```\n````\n"
    assert scan(text) == []


def test_duplicate_ids_name_both_lines():
    error = bad("```console {#a .docsexec}\n$ true\n```\n\n```console {#a .docsexec}\n$ true\n```\n")
    assert error.line == 5 and "duplicate block id 'a'" in str(error) and "line 1" in str(error)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("```console {#a .docsexec}\n$ true\n", 1, "unterminated fence"),
        ("```console {.docsexec}\n$ true\n```\n", 1, "has no id"),
        ('```console {#a .docsexec data-exit="x"}\n$ true\n```\n', 1, "data-exit"),
        ('```console {#a .docsexec data-timeout="soon"}\n$ true\n```\n', 1, "data-timeout"),
        ('```console {#a .docsexec data-bogus="1"}\n$ true\n```\n', 1, "bogus"),
        ("```console {#a .docsexec exit=1}\n$ true\n```\n", 1, "data-* attributes"),
        ('```console {#a .docsexec data-exit="1}\n$ true\n```\n', 1, "malformed"),
        ("```console {#a .docsexec}\nhello\n$ true\n```\n", 2, "output before the first command"),
        ("```console {#a .docsexec}\n```\n", 1, "no command"),
        ("```bash {#a .docsexec}\n$ true\n```\n", 1, "console transcript"),
        ("```console docsexec\n$ true\n```\n", 1, "not tagged"),
        ("```console {#A .docsexec}\n$ true\n```\n", 1, "lowercase"),
        ('```console {#a .docsexec data-same-as="later"}\n$ true\n```\n', 1, "no earlier block"),
        ('```console {#a .docsexec data-exit="1"}\n$ true\n$ false\n```\n', 1, "one code per command"),
        ("- x\n\n    ```console {#a .docsexec}\n    $ true\n  out\n    ```\n", 5, "indented less"),
        ('```console {#a .docsexec data-shown-prompt="# "}\n$ true\n```\n', 1, "needs data-prompt"),
        ('```console {#a .docsexec data-continue="Nope"}\n$ true\n```\n', 1, "data-continue='Nope'"),
        ('```console {#b .docsexec data-continue="a"}\n/ # ls\n```\n', 1, "no tagged block comes before it"),
        (
            OPEN
            + "```console {#c .docsexec}\n$ true\n```\n"
            + '```console {#b .docsexec data-continue="a"}\n/ # ls\n```\n',
            7,
            "the block just before it is 'c'",
        ),
        (
            '```console {#a .docsexec}\n$ sh\n```\n```console {#b .docsexec data-continue="a"}\n/ # ls\n```\n',
            4,
            "has no data-prompt",
        ),
        (OPEN + '```console {#b .docsexec data-continue="a"}\nout\n/ # ls\n```\n', 5, "starts at its program's prompt"),
        (OPEN + '```console {#b .docsexec data-continue="a" data-prompt="$$ "}\n/ # ls\n```\n', 4, "differs from"),
        (
            OPEN.replace("data-prompt", 'data-exit="1" data-prompt')
            + '```console {#b .docsexec data-continue="a"}\n/ # ls\n```\n',
            4,
            "write its exit code here",
        ),
        (OPEN.replace("$ docker attach box1", "$ docker attach box1\n/ # <CTRL-1>"), 3, "not a control key"),
        ("x\n\n```console {#a .docsexec .set-up}\n$ true\n```\n", 3, "unknown class .set-up (did you mean .setup?)"),
        ('x\n\n```console {#a .docsexec data-setup="run dnsmasq"}\n$ true\n```\n', 3, "data-setup is not an option"),
        ("# T\n\n```console {#a .docsexec .setup}\n$ true\n```\n", 3, "needs, just above it, the sentence"),
        ("```console {#a .docsexec .setup}\n$ true\n```\n", 1, "above it is the page's start"),
        (
            "Run.\n\n```console {#a .docsexec}\n$ true\n```\n\n```console {#b .docsexec .setup}\n$ true\n```\n",
            7,
            "set-up block 'b' needs",
        ),
    ],
)
def test_bad_input_gets_file_line_and_what_to_fix(text, line, words):
    error = bad(text)
    assert error.line == line
    assert words in str(error)
    assert str(error).startswith(f"page.md:{line}: ")
    assert "\n" not in str(error)


def test_options_are_parsed():
    text = '```console {#run-it .docsexec data-prompt="/ # " data-exit="0 1" data-timeout="5"}\n$ a\n$ b\n```\n'
    [block] = scan(text)
    assert block.options.prompt == "/ # "
    assert block.options.timeout == 5
    assert [c.exit_code for c in block.commands] == [0, 1]


def test_a_setup_block_is_marked_by_its_class_below_its_sentence():
    text = (
        "On a real machine, run your own DNS server.\n\n```console {#stand-in .docsexec .setup}\n$ true\n```\n\n"
        "Each engine:\n\n"
        '=== "Engine 29.7"\n\n    ```console {#v .docsexec .setup data-engine="upstream-29"}\n    $ true\n    ```\n\n'
        '=== "Engine 28.5"\n\n    ```console {#v-forky .docsexec .setup data-engine="debian-forky"}\n    $ true\n    ```\n\n'
        "```console {#lesson .docsexec}\n$ true\n```\n"
    )
    assert [(b.id, b.options.setup) for b in scan(text)] == [
        ("stand-in", True),
        ("v", True),
        ("v-forky", True),
        ("lesson", False),
    ]


def test_a_bom_and_crlf_page_is_scanned_like_any_other():
    text = "\ufeff# T\r\n\r\n```console {#a .docsexec}\r\n$ echo 你好\r\n你好\r\n```\r\n"
    [block] = scan(text)
    assert block.commands[0].expected == ("你好",)
