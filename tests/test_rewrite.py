"""Rewriting: only divergent bodies change; bytes, encodings and fences survive."""

from __future__ import annotations

from pathlib import Path

from docsexec.page import Page
from docsexec.scan.fences import scan_page
from docsexec.write.rewrite import apply_bodies

PAGE = "Intro 你好\n\n1. Step\n\n    ```console {#a .docsexec}\n    $ echo a\n    old\n    ```\n\nEnd\n"


def test_replacing_a_body_keeps_indentation_and_everything_else():
    page = Page.parse(Path("p.md"), PAGE)
    [block] = scan_page(page)
    new = apply_bodies(page, [(block, ["$ echo a", "a", "", "b"])])
    assert new.text() == PAGE.replace("    old\n", "    a\n\n    b\n")


def test_no_updates_is_the_identity_for_bom_crlf_and_utf8(tmp_path):
    text = "\ufeff# 标题\r\n\r\n```console {#a .docsexec}\r\n$ echo a\r\na\r\n```\r\nno final newline"
    path = tmp_path / "p.md"
    path.write_bytes(text.encode("utf-8"))
    page = Page.read(path)
    apply_bodies(page, []).write_atomically()
    assert path.read_bytes() == text.encode("utf-8")


def test_crlf_is_kept_in_rewritten_blocks():
    page = Page.parse(Path("p.md"), "```console {#a .docsexec}\r\n$ echo a\r\nold\r\n```\r\n")
    [block] = scan_page(page)
    assert (
        apply_bodies(page, [(block, ["$ echo a", "a"])]).text()
        == "```console {#a .docsexec}\r\n$ echo a\r\na\r\n```\r\n"
    )


def test_output_containing_a_fence_lengthens_the_fence_so_the_page_still_parses():
    page = Page.parse(Path("p.md"), "```console {#a .docsexec}\n$ cat x.md\n```\n\nafter\n")
    [block] = scan_page(page)
    new = apply_bodies(page, [(block, ["$ cat x.md", "```", "inner", "```"])])
    assert new.text() == "````console {#a .docsexec}\n$ cat x.md\n```\ninner\n```\n````\n\nafter\n"
    [again] = scan_page(new)
    assert list(again.body) == ["$ cat x.md", "```", "inner", "```"]


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "p.md"
    path.write_text(PAGE, encoding="utf-8")
    page = Page.read(path)
    [block] = scan_page(page)
    apply_bodies(page, [(block, ["$ echo a", "a"])]).write_atomically()
    assert [p.name for p in tmp_path.iterdir()] == ["p.md"]
    assert "    a\n" in path.read_text(encoding="utf-8")


def test_a_temporary_left_by_a_killed_writer_is_swept_on_the_next_write(tmp_path):
    path = tmp_path / "p.md"
    path.write_text(PAGE, encoding="utf-8")
    dead = tmp_path / ".p.md.999999999.abc.docsexec-tmp"  # pid that cannot exist
    live = tmp_path / f".p.md.{__import__('os').getpid()}.abc.docsexec-tmp"
    dead.write_text("half", encoding="utf-8")
    live.write_text("in progress", encoding="utf-8")
    Page.read(path).write_atomically()
    assert not dead.exists() and live.exists()


# A page in another project's style: a blank line between each command and its output, and
# between an output and the next command. The program prints no such lines.
FOREIGN = """```console {#a .docsexec}
$ docker network ls

NETWORK ID   NAME
1a2b3c4d5e6f bridge

$ docker network create mynet

0123456789ab

$ true
```
"""


def _results(block, outputs):
    from docsexec.model import BlockResult, CommandResult

    return BlockResult(block=block, commands=[CommandResult(output=out, exit_code=0) for out in outputs])


def test_blank_separator_lines_are_layout_not_output():
    from docsexec.compare.evaluate import evaluate_page
    from docsexec.model import PageRun, Status

    page = Page.parse(Path("p.md"), FOREIGN)
    [block] = scan_page(page)
    real = [["NETWORK ID   NAME", "1a2b3c4d5e6f bridge"], ["0123456789ab"], []]
    [verdict] = evaluate_page(PageRun(results=[_results(block, real)]))
    assert verdict.status is Status.OK and verdict.normalised is None


def test_an_update_keeps_the_blank_lines_around_new_outputs():
    from docsexec.compare.evaluate import evaluate_page
    from docsexec.model import PageRun, Status

    page = Page.parse(Path("p.md"), FOREIGN)
    [block] = scan_page(page)
    real = [["NETWORK ID   NAME", "1a2b3c4d5e6f bridge", "99aa88bb77cc mynet"], ["0123456789ab"], []]
    [verdict] = evaluate_page(PageRun(results=[_results(block, real)]))
    assert verdict.status is Status.DIVERGED
    new = apply_bodies(page, [(block, verdict.normalised)])
    assert new.text() == FOREIGN.replace("1a2b3c4d5e6f bridge\n", "1a2b3c4d5e6f bridge\n99aa88bb77cc mynet\n")


def test_blank_ends_are_layout_only_where_the_real_output_has_none():
    from docsexec.compare.layout import separate

    assert separate(["", "a", ""], ["a"]).core == ("a",)
    assert separate(["", "a"], ["", "a"]).core == ("", "a")  # the program printed that blank line
    silent = separate([""], ["new"])  # `$ cmd`, blank, `$ next`: a new output gets a blank on each side
    assert silent.around(["new"]) == ["", "new", ""]
    assert separate([""], []).around([]) == [""]
