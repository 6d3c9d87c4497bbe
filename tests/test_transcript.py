"""Transcript parsing and rendering are inverses."""

from __future__ import annotations

from pathlib import Path

from docsexec.page import Page
from docsexec.scan import scan_page
from docsexec.transcript import recorded_outputs, render_transcript

BODY = [
    "$ docker run -it --name=mybox busybox",
    "",
    "BusyBox v1.35.0 built-in shell (ash)",
    "/ # ip addr",
    "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536",
    "/ # exit",
    "$ docker network create \\",
    "    custom_network",
    "f00d",
    "$ true",
]


def parse(body, attrs='data-prompt="/ # "'):
    text = "```console {#b .docsexec " + attrs + "}\n" + "\n".join(body) + "\n```\n"
    [block] = scan_page(Page.parse(Path("p.md"), text))
    return block


def test_commands_inputs_outputs_and_continuations():
    block = parse(BODY)
    run, create, true = block.commands
    assert run.text == "docker run -it --name=mybox busybox"
    assert run.expected == ("", "BusyBox v1.35.0 built-in shell (ash)")
    assert [i.text for i in run.inputs] == ["ip addr", "exit"]
    assert run.inputs[0].expected == ("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536",)
    assert run.inputs[0].line == 5
    assert create.text == "docker network create \\\n    custom_network"
    assert create.expected == ("f00d",)
    assert true.expected == ()


def test_render_of_recorded_outputs_is_the_identity():
    block = parse(BODY)
    outputs = [recorded_outputs(c) for c in block.commands]
    assert render_transcript(block.commands, outputs, "/ # ") == BODY


def test_without_data_prompt_prompt_lines_are_plain_output():
    block = parse(BODY[:6], attrs="")
    assert block.commands[0].inputs == ()
    assert "/ # ip addr" in block.commands[0].expected
