"""`docsexec list`: where every tagged block is, what it types, where its outputs sit."""

from __future__ import annotations

import json

from conftest import run_docsexec

PAGE = '# T\n\n```console {#it .docsexec data-prompt="/ # " data-exit="0 1"}\n$ docker run -it busybox\n/ # ip addr\n1: lo\n/ # exit\n$ false\n```\n'


def test_list_json_gives_file_line_id_commands_and_output_ranges(tmp_path):
    page = tmp_path / "p.md"
    page.write_text(PAGE, encoding="utf-8")
    done = run_docsexec("list", str(page), "--json")
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)
    assert (row["file"], row["line"], row["id"]) == (str(page), 3, "it")
    run, false = row["commands"]
    assert run["text"] == "docker run -it busybox" and run["line"] == 4
    assert [i["text"] for i in run["inputs"]] == ["ip addr", "exit"]
    assert run["output_lines"] == [5, 7]
    assert false == {"line": 8, "text": "false", "exit": 1, "inputs": [], "output_lines": None}
    assert row["options"]["prompt"] == "/ # "


def test_list_plain_is_one_line_per_block(tmp_path):
    page = tmp_path / "p.md"
    page.write_text(PAGE, encoding="utf-8")
    done = run_docsexec("list", str(page))
    assert done.stdout == f"{page}:3 [it] 2 command(s): docker run -it busybox\n"


def test_list_shows_a_block_that_continues_a_session(tmp_path):
    page = tmp_path / "p.md"
    page.write_text(
        '```console {#a .docsexec data-prompt="/ # "}\n$ docker attach box\n```\n\nProse.\n\n'
        '```console {#b .docsexec data-continue="a" data-exit="1"}\n/ # <CTRL-p><CTRL-q>\n```\n',
        encoding="utf-8",
    )
    done = run_docsexec("list", str(page))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1] == f"{page}:7 [b] 1 command(s): (continues its session) <CTRL-p><CTRL-q>"
    [_, row] = json.loads(run_docsexec("list", str(page), "--json").stdout)
    assert row["commands"][0]["text"] == "" and row["options"]["continues"] == "a"
