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
