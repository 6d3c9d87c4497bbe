"""Transcript parsing and rendering are inverses."""

from __future__ import annotations

from pathlib import Path

from docsexec.page import Page
from docsexec.scan.fences import scan_page
from docsexec.scan.transcript import recorded_outputs, render_transcript

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


SESSION_PAGE = """Attach:

```console {#attach .docsexec data-prompt="/ # " data-shown-prompt="# "}
$ docker attach box1
# ip addr show
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536
```

Prose between two steps of one session.

```console {#detach .docsexec data-continue="attach" data-exit="1 0"}
#  ping -c 1 172.17.0.3
PING 172.17.0.3 (172.17.0.3): 56 data bytes
# <CTRL-p><CTRL-q>
read escape sequence
$ docker ps -q
```
"""


def test_a_shown_prompt_and_a_continued_session_parse_as_one_session():
    attach, detach = scan_page(Page.parse(Path("p.md"), SESSION_PAGE))
    assert attach.page_prompt == "# " and attach.options.prompt == "/ # "
    assert [i.text for i in attach.commands[0].inputs] == ["ip addr show"]
    continued, ps = detach.commands
    assert continued.continued and continued.text == "" and continued.source == ()
    assert detach.options.prompt == "/ # " and detach.page_prompt == "# "  # declared once, inherited
    ping, keys = continued.inputs
    assert ping.text == " ping -c 1 172.17.0.3" and ping.line == 12 and ping.keys is None
    assert keys.keys == "\x10\x11" and keys.expected == ("read escape sequence",)
    assert (continued.exit_code, ps.exit_code) == (1, 0)


def test_render_keeps_prompt_lines_exactly_as_written():
    _, detach = scan_page(Page.parse(Path("p.md"), SESSION_PAGE))
    outputs = [recorded_outputs(c) for c in detach.commands]
    body = SESSION_PAGE.split("data-exit=\"1 0\"}\n")[1].rsplit("```", 1)[0].splitlines()
    assert render_transcript(detach.commands, outputs, "/ # ") == body
