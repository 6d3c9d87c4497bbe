"""The session types an input only when its program waits at its prompt, and refuses output it
cannot tie to one input. Real bash under a real pty, with small real programs standing in for
busybox's shell (no engine needed: what is tested is the terminal protocol)."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from docsexec.blocks import Command, Input
from docsexec.keys import parse_keys
from docsexec.session import ShellSession, Unattributable, clean_output, waits_at_prompt

PROMPT = "/ # "

# A tiny shell: echo on (as busybox's line editor echoes), prints its prompt in one of several
# ways, answers `say X` with X, exits on `exit` or end of input (CTRL-d).
PROGRAM = textwrap.dedent(r'''
    import sys, termios, time
    mode = sys.argv[1]
    attrs = termios.tcgetattr(0)
    attrs[3] = attrs[3] | termios.ECHO if mode not in ("no-echo", "repaint-echo") else attrs[3] & ~termios.ECHO
    termios.tcsetattr(0, termios.TCSANOW, attrs)
    def out(text):
        sys.stdout.write(text)
        sys.stdout.flush()
    out("/ # ")
    if mode == "repaint":        # docker attach resizes twice: busybox redraws on the same line
        time.sleep(0.05); out("\r/ # \x1b[J"); time.sleep(0.05); out("\r/ # \x1b[J")
    if mode == "twice":          # a second prompt on a line of its own
        out("\n/ # ")
    if mode == "same-line":      # a second prompt on the same line
        out("/ # ")
    while True:
        line = sys.stdin.readline()
        if not line:
            out("\n"); sys.exit(0)
        word = line.strip()
        if mode == "repaint-echo":   # a line editor repainting prompt and input while it is typed
            out("\r/ # " + word + "\x1b[J\r\n")
        if word == "exit":
            sys.exit(3)
        if word.startswith("say "):
            out(word[4:] + "\n")
        if word == "late":        # a prompt, then more output after it: not one input's output
            out("/ # "); time.sleep(0.1); out("late\n")
        if word == "later":       # output long after the prompt settled, while the next input is typed
            out("/ # "); time.sleep(1.0); out("later\n")
        out("/ # \x1b[6n")
''')


@pytest.fixture
def program(tmp_path: Path) -> Path:
    path = tmp_path / "tiny_shell.py"
    path.write_text(PROGRAM)
    return path


@pytest.fixture
def session(tmp_path: Path):
    shell = ShellSession(["bash", "--norc", "--noprofile"], dict(os.environ), tmp_path)
    shell.start()
    yield shell
    shell.close()


def command(text: str, *typed: str, line: int = 10, continued: bool = False) -> Command:
    inputs = tuple(Input(text=t, line=line + 1 + i, source=PROMPT + t, keys=parse_keys(t)) for i, t in enumerate(typed))
    source = () if continued else (f"$ {text}",)
    return Command(text=text, line=line, source=source, inputs=inputs, continued=continued)


def start(program: Path, mode: str) -> str:
    return f"{sys.executable} {program} {mode}"


def test_inputs_and_outputs_pair_up_after_a_repainted_prompt(session, program):
    result = session.run(command(start(program, "repaint"), "say one", "say two", "exit"), PROMPT, 20)
    assert result.output == []
    assert [i.output for i in result.inputs] == [["one"], ["two"], []]
    assert result.exit_code == 3


def test_a_repaint_while_an_input_is_typed_still_counts_as_its_echo(session, program):
    result = session.run(command(start(program, "repaint-echo"), "say one", "exit"), PROMPT, 20)
    assert [i.output for i in result.inputs] == [["one"], []]


def test_a_prompt_on_two_lines_is_refused_with_the_line(session, program):
    with pytest.raises(Unattributable, match="appears inside the output") as caught:
        session.run(command(start(program, "twice"), "say one", "exit"), PROMPT, 20)
    assert caught.value.line == 10
    assert session.run(command("echo still-usable"), None, 10).output == ["still-usable"]


def test_a_prompt_printed_twice_on_one_line_is_refused_not_waited_for(session, program):
    with pytest.raises(Unattributable, match="waits on the line '/ # / # '"):
        session.run(command(start(program, "same-line"), "say one", "exit"), PROMPT, 20)


def test_output_after_a_prompt_is_refused(session, program):
    with pytest.raises(Unattributable, match="appears inside the output of input 'late'") as caught:
        session.run(command(start(program, "plain"), "late", "say after", "exit"), PROMPT, 20)
    assert caught.value.line == 11


def test_output_arriving_after_the_prompt_settled_is_not_given_to_the_next_input(session, program):
    # the tty echoes at once, the late line comes next, then a prompt: refused either way
    with pytest.raises(Unattributable, match="(the echo of|appears inside the output of) input 'say after'") as caught:
        session.run(command(start(program, "plain"), "later", "say after", "exit"), PROMPT, 20)
    assert caught.value.line == 12


def test_a_missing_echo_is_refused(session, program):
    with pytest.raises(Unattributable, match="the echo of input 'say one'"):
        session.run(command(start(program, "no-echo"), "say one", "exit"), PROMPT, 20)


def test_a_program_that_ends_before_its_last_input_is_refused(session, program):
    with pytest.raises(Unattributable, match="ended after input 'exit'") as caught:
        session.run(command(start(program, "plain"), "exit", "say never"), PROMPT, 20)
    assert caught.value.line == 11


def test_a_program_left_at_its_prompt_is_refused_and_the_shell_recovers(session, program):
    with pytest.raises(Unattributable, match="still waits at its prompt"):
        session.run(command(start(program, "plain"), "say one"), PROMPT, 20)
    assert not session.program_open
    assert session.run(command("echo back"), None, 10).output == ["back"]


def test_a_session_left_open_is_continued_by_a_later_command(session, program):
    first = session.run(command(start(program, "repaint"), "say one"), PROMPT, 20, keep_open=True)
    assert first.left_open and first.exit_code is None and session.program_open
    assert [i.output for i in first.inputs] == [["one"]]
    rest = session.run(command("", "say two", "<CTRL-d>", line=30, continued=True), PROMPT, 20)
    assert [i.output for i in rest.inputs] == [["two"], []]
    assert rest.exit_code == 0 and not rest.left_open and not session.program_open


def test_a_continued_command_needs_an_open_program(session):
    with pytest.raises(Unattributable, match="no interactive program is open"):
        session.run(command("", "say two", line=30, continued=True), PROMPT, 20)


def test_a_shell_command_is_refused_while_a_program_is_open(session, program):
    session.run(command(start(program, "plain")), PROMPT, 20, keep_open=True)
    with pytest.raises(Unattributable, match="still open"):
        session.run(command("echo too-early"), None, 10)


def test_a_hung_input_times_out_and_is_interrupted(session):
    result = session.run(command("sleep 30"), PROMPT, 1)
    assert result.timed_out and result.exit_code is None
    assert session.run(command("echo after"), None, 10).output == ["after"]


def test_the_current_line_is_read_as_a_terminal_shows_it():
    assert waits_at_prompt("\r/ # \x1b[J\r/ # \x1b[J", PROMPT)
    assert waits_at_prompt("out\r\n/ # \x1b[6n", PROMPT)
    assert not waits_at_prompt("/ # \r\n", PROMPT)
    assert not waits_at_prompt("/ # ls", PROMPT)
    assert waits_at_prompt("/ # / # ", PROMPT)  # settled, and then refused as a doubled prompt
    assert clean_output("a\r\nb\r\n") == ["a", "b"]
    assert clean_output("\r/ # say one\r\r\nnext\n") == ["/ # say one", "next"]


def test_a_here_document_is_typed_with_its_command_and_prints_nothing_of_its_own(session, tmp_path):
    lines = ("cat > compose.yaml <<'EOF'", "services:", "  web: {image: busybox}  # $HOME stays", "EOF")
    typed = Command(text="\n".join(lines), line=10, source=(f"$ {lines[0]}", *lines[1:]))
    written = session.run(typed, None, timeout=10)
    assert (written.output, written.exit_code) == ([], 0)
    assert (tmp_path / "compose.yaml").read_text() == "services:\n  web: {image: busybox}  # $HOME stays\n"
    shown = session.run(command("cat compose.yaml; echo done"), None, timeout=10)
    assert (shown.output, shown.exit_code) == (["services:", "  web: {image: busybox}  # $HOME stays", "done"], 0)
