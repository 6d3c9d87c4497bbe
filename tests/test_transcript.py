"""Transcript parsing and rendering are inverses."""

from __future__ import annotations

from pathlib import Path

import pytest

from docsexec.errors import BadInput
from docsexec.page import Page
from docsexec.scan import heredoc
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
    body = SESSION_PAGE.split('data-exit="1 0"}\n')[1].rsplit("```", 1)[0].splitlines()
    assert render_transcript(detach.commands, outputs, "/ # ") == body


# --- here-documents (heredoc.py): the body is typed, not output -----------------------------

HEREDOC_BODY = [
    "$ cat > compose.yaml <<'EOF'",
    "services:",
    "  web:",
    "    image: busybox",
    "$ not a command: the body holds what it likes",
    "EOF",
    "$ cat compose.yaml | \\",
    "    head -n 1",
    "services:",
]


def test_a_here_document_body_is_part_of_its_command():
    block = parse(HEREDOC_BODY, attrs="")
    write, show = block.commands
    assert write.source == tuple(HEREDOC_BODY[:6])
    assert write.text == "\n".join(["cat > compose.yaml <<'EOF'", *HEREDOC_BODY[1:6]])
    assert write.expected == ()
    assert show.text == "cat compose.yaml | \\\n    head -n 1" and show.expected == ("services:",)
    assert show.line == 8  # the fence is line 1, the body starts on line 2


def test_render_of_a_here_document_is_the_identity():
    block = parse(HEREDOC_BODY, attrs="")
    outputs = [recorded_outputs(c) for c in block.commands]
    assert render_transcript(block.commands, outputs, None) == HEREDOC_BODY


def test_output_after_the_delimiter_belongs_to_the_command():
    block = parse(["$ cat <<-END | wc -l", "\tone", "\ttwo", "\tEND", "2"], attrs="")
    [count] = block.commands
    assert count.source[-1] == "\tEND" and count.expected == ("2",)


def test_several_here_documents_follow_each_other():
    block = parse(['$ cat <<A - <<"B"', "a", "A", "b", "B", "a", "b"], attrs="")
    [both] = block.commands
    assert len(both.source) == 5 and both.expected == ("a", "b")


def test_an_unclosed_here_document_is_bad_input_naming_its_line():
    with pytest.raises(BadInput) as caught:
        parse(["$ true", "$ cat <<EOF", "line", "$ echo more"], attrs="")
    assert (caught.value.line, str(caught.value.path)) == (3, "p.md")
    assert "here-document not closed: no line 'EOF'" in str(caught.value)


@pytest.mark.parametrize(
    "command",
    [
        'python3 -c "x = 64 << 20"',
        "echo '<<EOF'",
        "echo $((1 << 3))",
        "(( x = 1 << 3 ))",
        "cat <<< here-string",
        "echo done # <<EOF",
        "echo \\<<EOF",
    ],
)
def test_what_opens_no_here_document(command):
    assert heredoc.delimiters(command) == []
    block = parse([f"$ {command}", "an output line"], attrs="")
    assert block.commands[0].expected == ("an output line",)


@pytest.mark.parametrize(
    "command, word, tabs",
    [
        ("cat > f <<'EOF'", "EOF", False),
        ('cat <<"END" >f', "END", False),
        ("cat <<\\EOF", "EOF", False),
        ("cat <<-  EOF | sort", "EOF", True),
        ("cat <<EOF>out", "EOF", False),
        ("tee a <<E'O'F", "EOF", False),
    ],
)
def test_delimiter_words_are_unquoted(command, word, tabs):
    assert heredoc.delimiters(command) == [heredoc.Delimiter(word, tabs)]
