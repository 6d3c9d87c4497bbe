"""Bad input: exit code 2 and ONE line on stderr, `docsexec: FILE:LINE: what to fix`, through
the real CLI, before any engine starts (so these need no engine and run in a second)."""

from __future__ import annotations

import pytest

from conftest import run_docsexec

# name -> (page text, line the message must name, a word the message must contain)
CASES = {
    "unbalanced-quote": (
        '# T\n\n```console {#a .docsexec data-exit="1}\n$ true\n```\n',
        3,
        "malformed fence attributes",
    ),
    "attribute-without-key": ("# T\n\n```console {#a .docsexec =1}\n$ true\n```\n", 3, "'=' but no name"),
    "unknown-runner-option": ('```console {#a .docsexec exit="1"}\n$ true\n```\n', 1, "unknown option 'exit'"),
    "unknown-data-option": ('```console {#a .docsexec data-colour="red"}\n$ true\n```\n', 1, "data-colour"),
    "unknown-volatile-class": ('```console {#a .docsexec data-volatile="nope"}\n$ true\n```\n', 1, "nope"),
    "option-twice": ('```console {#a .docsexec data-exit="1" data-exit="2"}\n$ false\n```\n', 1, "given twice"),
    "no-id": ("```console {.docsexec}\n$ true\n```\n", 1, "no id"),
    "bad-id": ("```console {#Bad_Id! .docsexec}\n$ true\n```\n", 1, "block id"),
    "two-ids": ("```console {#a #b .docsexec}\n$ true\n```\n", 1, "two ids"),
    "not-console": ("```bash {#a .docsexec}\n$ true\n```\n", 1, "console"),
    "mistyped-tag": ("```console {#a docsexec}\n$ true\n```\n", 1, "not tagged"),
    "duplicate-id": (
        "```console {#a .docsexec}\n$ true\n```\n\ntext\n\n```console {#a .docsexec}\n$ true\n```\n",
        7,
        "duplicate block id 'a'",
    ),
    "unterminated-fence": (
        "# T\n\n```console {#a .docsexec}\n$ true\n\nmore text, no closing fence\n",
        3,
        "unterminated fence",
    ),
    "no-command": ("```console {#a .docsexec}\njust output\n```\n", 2, "output before the first command"),
    "empty-block": ("text\n\n```console {#a .docsexec}\n```\n", 3, "no command"),
    "empty-command": ("```console {#a .docsexec}\n$ \n```\n", 2, "empty command"),
    "exit-not-a-number": ('```console {#a .docsexec data-exit="one"}\n$ false\n```\n', 1, "data-exit='one'"),
    "exit-out-of-range": ('```console {#a .docsexec data-exit="300"}\n$ false\n```\n', 1, "0-255"),
    "exit-count": ('```console {#a .docsexec data-exit="1 0 0"}\n$ false\n$ true\n```\n', 1, "3 codes for 2 commands"),
    "timeout-not-a-number": ('```console {#a .docsexec data-timeout="soon"}\n$ true\n```\n', 1, "data-timeout"),
    "empty-prompt": ('```console {#a .docsexec data-prompt=""}\n$ true\n```\n', 1, "data-prompt"),
    "relation-to-nothing": ('```console {#a .docsexec data-same-as="nowhere"}\n$ true\n```\n', 1, "no earlier block"),
    "less-indented-body": (
        "1. item\n\n    ```console {#a .docsexec}\n    $ true\n  out\n    ```\n",
        5,
        "indented less",
    ),
    "invalid-utf8": (b"# ok\n\n\xff\xfe broken\n", 3, "not valid UTF-8"),
}


def _write(tmp_path, name: str, text):
    path = tmp_path / f"{name}.md"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def assert_one_line(done, path, line: int, word: str) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"docsexec: {path}:{line}: "), lines[0]
    assert word in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("command", ["check", "update", "list"])
@pytest.mark.parametrize("name", list(CASES))
def test_bad_page_gives_exit_2_and_one_line_with_file_and_line(tmp_path, name, command):
    text, line, word = CASES[name]
    path = _write(tmp_path, name, text)
    before = path.read_bytes()
    done = run_docsexec(command, str(path))
    assert_one_line(done, path, line, word)
    assert path.read_bytes() == before


def test_a_path_that_is_not_markdown(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("```console {#a .docsexec}\n$ true\n```\n")
    assert_one_line(run_docsexec("check", str(path)), path, 1, "not a Markdown file")


def test_a_missing_path(tmp_path):
    path = tmp_path / "no-such-page.md"
    assert_one_line(run_docsexec("check", str(path)), path, 1, "no such file or folder")


def test_one_bad_page_among_good_ones_stops_everything_before_any_engine_starts(tmp_path):
    good = _write(tmp_path, "good", "```console {#a .docsexec}\n$ echo a\na\n```\n")
    text, line, word = CASES["duplicate-id"]
    bad = _write(tmp_path, "zz-bad", text)
    done = run_docsexec("check", str(tmp_path))
    assert_one_line(done, bad, line, word)
    assert "starting a private engine" not in done.stderr
    assert good.exists()
