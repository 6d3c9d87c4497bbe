"""The session types an input only when its program waits at its prompt, and refuses output it
cannot tie to one input. Real bash under a real pty, with small real programs standing in for
busybox's shell (no engine needed: what is tested is the terminal protocol): a tiny Python
shell whose prompt misbehaves on demand, and Debian's own `sh -i` and `python3 -i`, each in a
terminal of its own (`script`), as `docker run -it` gives the container's shell one.

Also: plain commands (output and exit status per command, state kept between them), timeouts
and the shell's death (ShellDied), and the helpers that turn terminal bytes into lines."""

from __future__ import annotations

import os
import shlex
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest

from docsexec.model import Command, Input
from docsexec.run import session as session_module
from docsexec.run.session import (
    RESET_SIGNALS,
    ShellDied,
    ShellSession,
    Unattributable,
    _consume_echo,
    clean_output,
    current_line,
    waits_at_prompt,
)
from docsexec.scan.keys import parse_keys

PROMPT = "/ # "

# A tiny shell: echo on (as busybox's line editor echoes), prints its prompt in one of several
# ways, answers `say X` with X, exits on `exit` or end of input (CTRL-d).
PROGRAM = textwrap.dedent(r"""
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
""")


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


@pytest.fixture(params=["no SHELL", "/bin/sh", "/bin/bash"])
def session_any_login_shell(request, tmp_path: Path):
    """A session whose SHELL is unset, dash or bash: CI's environment has none, a reader's
    terminal has bash, and `script` runs its command with whichever it finds."""
    env = {key: value for key, value in os.environ.items() if key != "SHELL"}
    if request.param != "no SHELL":
        env["SHELL"] = request.param
    shell = ShellSession(["bash", "--norc", "--noprofile"], env, tmp_path)
    shell.start()
    yield shell
    shell.close()


def command(text: str, *typed: str, line: int = 10, continued: bool = False, prompt: str = PROMPT) -> Command:
    inputs = tuple(Input(text=t, line=line + 1 + i, source=prompt + t, keys=parse_keys(t)) for i, t in enumerate(typed))
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
    with pytest.raises(Unattributable, match=r"(the echo of|appears inside the output of) input 'say after'") as caught:
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


# --- plain commands --------------------------------------------------------------------------


def test_each_command_gets_its_own_output_and_exit_status(session):
    first = session.run(command("echo a; echo b >&2; echo c; (exit 7)"), None, 10)
    second = session.run(command("printf 'no final newline'"), None, 10)
    third = session.run(command("true"), None, 10)
    assert (first.output, first.exit_code) == (
        ["a", "b", "c"],
        7,
    )  # stderr in the order printed, as a terminal shows it
    assert (second.output, second.exit_code) == (["no final newline"], 0)
    assert (third.output, third.exit_code) == ([], 0)
    assert [r.inputs for r in (first, second, third)] == [[], [], []]
    assert not any(r.timed_out or r.left_open for r in (first, second, third))


def test_variables_and_the_working_folder_carry_over_from_command_to_command(session, tmp_path):
    assert session.run(command("pwd"), None, 10).output == [str(tmp_path)]
    assert session.run(command("mkdir sub && cd sub && NAME=box1"), None, 10).exit_code == 0
    assert session.run(command('echo "$NAME in $PWD"'), None, 10).output == [f"box1 in {tmp_path}/sub"]


def test_a_command_written_over_several_lines_is_one_command(session):
    result = session.run(command("for i in 1 2; do\n  echo $i\ndone"), None, 10)
    assert (result.output, result.exit_code) == (["1", "2"], 0)


def test_a_line_like_the_sentinel_but_without_its_token_does_not_end_the_command(session):
    # the sentinel's token is random per session: printed output can never pass for it
    result = session.run(command(r"printf '\036DX0123456789ab:9\036\n'; echo after"), None, 10)
    assert result.output[-1] == "after" and "DX0123456789ab:9" in result.output[0]
    assert result.exit_code == 0


def test_terminal_escapes_and_carriage_returns_are_shown_as_a_terminal_shows_them(session):
    result = session.run(command(r"printf '\033[1mbold\033[0m\n 10%%\r 50%%\r100%%\n'"), None, 10)
    assert result.output == ["bold", "100%"]


# --- timeouts and a dying shell ----------------------------------------------------------------


def test_a_command_that_times_out_keeps_its_output_and_is_interrupted_with_ctrl_c(session):
    result = session.run(command("echo before; sleep 30"), None, 1)
    assert result.timed_out and result.exit_code is None and result.output == ["before"]
    assert 1 <= result.seconds < 1 + session_module.INTERRUPT_GRACE
    assert session.run(command("echo $?"), None, 10).output == ["130"]  # 128 + SIGINT: Ctrl-C ended the sleep


def test_a_command_deaf_to_ctrl_c_costs_the_shell_and_later_commands_get_shell_died(session, tmp_path, monkeypatch):
    monkeypatch.setattr(session_module, "INTERRUPT_GRACE", 0.5)
    pid_file = tmp_path / "deaf.pid"
    deaf = f"bash -c \"trap '' INT; echo \\$\\$ > {pid_file}; exec sleep 60\""
    result = session.run(command(deaf), None, 1)
    assert result.timed_out and result.exit_code is None
    with pytest.raises(ShellDied, match="not running"):
        session.run(command("echo never"), None, 10)
    assert not running(int(pid_file.read_text())), "the hung program outlived its killed shell"


def test_a_shell_that_exits_is_shell_died_and_stays_dead(session):
    with pytest.raises(ShellDied):  # "exited" or "not running": whether the exit is seen reading or before
        session.run(command("exit 4"), None, 10)
    with pytest.raises(ShellDied, match="not running"):
        session.run(command("echo never"), None, 10)


def test_a_shell_that_dies_at_once_is_shell_died_at_start(tmp_path):
    shell = ShellSession(["bash", "-c", "exit 0"], dict(os.environ), tmp_path)
    try:
        with pytest.raises(ShellDied):
            shell.start(timeout=10)
    finally:
        shell.close()


def running(pid: int, wait: float = 5.0) -> bool:
    """Whether the process is still running after up to `wait` seconds (a zombie is not)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return False
        if state == "Z":
            return False
        time.sleep(0.1)
    return True


# --- real interactive programs, each in a terminal of its own --------------------------------


def own_terminal(program: str) -> str:
    """Run `program` in a new pseudo-terminal (echo on, as `docker run -it` gives one), exit status passed on.

    `script -c` hands its command to $SHELL, or /bin/sh (dash) when SHELL is unset, as in CI.
    Without `exec` that shell stays in the program's process group: a non-interactive dash
    dies of the Ctrl-C the program handles, and `script` reports 130 for a program that
    exited 0. With `exec` the program is the terminal's only process, whatever SHELL says."""
    return f"script -qec {shlex.quote('exec ' + program)} /dev/null"


REAL_SH = own_terminal(f"env PS1={shlex.quote(PROMPT)} sh -i")


# A key is typed once the program has printed its prompt and been quiet for QUIET (0.3 s). On
# a machine loaded past its cores that can come before the program is back in its read (under
# 4 xdist workers on 2 cores, CPython's REPL once ignored a Ctrl-C for 30 s), so the two Ctrl-C
# tests run alone, after the rest (marker serial, .ci/test), on a machine as a reader's is.
# Each runs with SHELL unset, dash and bash (session_any_login_shell): the 130 CI saw twice
# was the unset SHELL of own_terminal's docstring, not the load.


@pytest.mark.serial
def test_debian_sh_at_its_prompt_pairs_inputs_with_outputs_and_ctrl_c(session_any_login_shell):
    result = session_any_login_shell.run(
        command(REAL_SH, "echo one", "false", "echo $?", "<CTRL-c>", "exit 5"), PROMPT, 30
    )
    assert result.output == []
    assert [i.output for i in result.inputs] == [["one"], [], ["1"], [], []]  # ^C is the key's echo, not output
    assert result.exit_code == 5 and not result.left_open


@pytest.mark.serial
def test_python_at_its_prompt_including_ctrl_c_and_ctrl_d(session_any_login_shell):
    python = own_terminal(f"{sys.executable} -q -i")
    typed = ("1+1", "print('a'); print('b')", "<CTRL-c>", "<CTRL-d>")
    result = session_any_login_shell.run(command(python, *typed, prompt=">>> "), ">>> ", 30)
    assert [i.output for i in result.inputs] == [["2"], ["a", "b"], ["KeyboardInterrupt"], []]
    assert result.exit_code == 0


def test_a_real_shell_left_open_is_continued_and_its_exit_status_is_the_last_commands(session):
    first = session.run(command(REAL_SH, "cd /tmp"), PROMPT, 30, keep_open=True)
    assert first.left_open and first.exit_code is None and session.program_open
    rest = session.run(command("", "pwd", "exit 2", line=40, continued=True), PROMPT, 30)
    assert [i.output for i in rest.inputs] == [["/tmp"], []]
    assert rest.exit_code == 2 and not session.program_open
    assert session.run(command("echo $?"), None, 10).output == ["2"]


def test_closing_the_session_ends_a_program_left_open_at_once(tmp_path):
    shell = ShellSession(["bash", "--norc", "--noprofile"], dict(os.environ), tmp_path)
    shell.start()
    pid_file = tmp_path / "sh.pid"
    try:
        shell.run(command(REAL_SH, f"echo $$ > {pid_file}"), PROMPT, 30, keep_open=True)
        assert shell.program_open
    finally:
        started = time.monotonic()
        shell.close()
    assert time.monotonic() - started < 2, "a busy shell is hung up at once, not asked to `exit`"
    assert not running(int(pid_file.read_text())), "the open program outlived its session"
    with pytest.raises(ShellDied):
        shell.run(command("echo never"), None, 10)


# --- helpers: terminal bytes to lines, echoes -------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "lines"),
    [
        ("", []),
        ("\r\n", [""]),
        ("one\r\n\r\ntwo", ["one", "", "two"]),
        ("\x1b[31mred\x1b[0m and \x1b[1;32mgreen\x1b[m\r\n", ["red and green"]),
        ("\x1b]0;a window title\x07text\r\n", ["text"]),  # OSC, ended by BEL
        ("\x1b]0;title\x1b\\text\n", ["text"]),  # OSC, ended by ST
        ("\x1b(Bcharset\x1b=\x1b>\r\n", ["charset"]),
        ("10%\r50%\r100%\r\n", ["100%"]),
        ("trailing blanks   \t\r\n", ["trailing blanks"]),
        ("cr cr lf\r\r\n", ["cr cr lf"]),
        ("unix\nnewlines\n", ["unix", "newlines"]),
    ],
    ids=[
        "empty",
        "one-empty-line",
        "blank-line-kept",
        "colours",
        "osc-bel",
        "osc-st",
        "charset",
        "overwrites",
        "trailing-blanks",
        "cr-cr-lf",
        "lf",
    ],
)
def test_clean_output(raw, lines):
    assert clean_output(raw) == lines


def typed(text: str, line: int = 7) -> Input:
    return Input(text=text, line=line, source=PROMPT + text, keys=parse_keys(text))


def test_the_echo_of_typed_text_is_consumed_and_only_it():
    assert _consume_echo(["say one", "one"], typed("say one"), PROMPT) == ["one"]
    assert _consume_echo(["/ # say one", "one"], typed("say one"), PROMPT) == ["one"]  # a line editor's repaint
    assert _consume_echo(["say one  "], typed("  say one"), PROMPT) == []  # blanks around do not count
    for lines in (["one"], [], ["say two", "say one"]):
        with pytest.raises(Unattributable, match="the echo of input 'say one' is not the first line") as caught:
            _consume_echo(lines, typed("say one"), PROMPT)
        assert caught.value.line == 7
    with pytest.raises(Unattributable, match=r"\(got nothing\)"):
        _consume_echo([], typed("say one"), PROMPT)


def test_the_echo_of_control_keys_is_consumed_when_there_is_one():
    assert _consume_echo(["^C", "next"], typed("<CTRL-c>"), PROMPT) == ["next"]
    assert _consume_echo(["", "next"], typed("<CTRL-c>"), PROMPT) == ["next"]  # echoed as a new line
    assert _consume_echo(["^P^Q", "gone"], typed("<CTRL-p><CTRL-q>"), PROMPT) == ["gone"]
    assert _consume_echo(["read escape sequence"], typed("<CTRL-p><CTRL-q>"), PROMPT) == [
        "read escape sequence"
    ]  # no echo at all
    assert _consume_echo(["^D"], typed("<CTRL-c>"), PROMPT) == ["^D"]  # another key's echo is output
    assert _consume_echo([], typed("<CTRL-d>"), PROMPT) == []


def test_the_current_line_is_the_last_one_after_escapes_and_carriage_returns():
    assert current_line("out\r\n/ # ") == "/ # "
    assert current_line("\r/ # \x1b[J\r/ # \x1b[J") == "/ # "
    assert current_line("/ # \x1b[6n") == "/ # "
    assert current_line("line\r\n") == ""
    assert current_line("progress 10%\rprogress 99%") == "progress 99%"
    assert not waits_at_prompt("/ # \r\n", PROMPT) and waits_at_prompt("text / # ", PROMPT)


def test_a_here_document_is_typed_with_its_command_and_prints_nothing_of_its_own(session, tmp_path):
    lines = ("cat > compose.yaml <<'EOF'", "services:", "  web: {image: busybox}  # $HOME stays", "EOF")
    typed = Command(text="\n".join(lines), line=10, source=(f"$ {lines[0]}", *lines[1:]))
    written = session.run(typed, None, timeout=10)
    assert (written.output, written.exit_code) == ([], 0)
    assert (tmp_path / "compose.yaml").read_text() == "services:\n  web: {image: busybox}  # $HOME stays\n"
    shown = session.run(command("cat compose.yaml; echo done"), None, timeout=10)
    assert (shown.output, shown.exit_code) == (["services:", "  web: {image: busybox}  # $HOME stays", "done"], 0)


def ignored_signals(session: ShellSession) -> set[int]:
    """The signals a command typed into `session` starts with ignored (its SigIgn mask)."""
    mask = session.run(command("grep SigIgn /proc/self/status"), None, 10).output[0].split()[1]
    return {number for number in range(1, 65) if int(mask, 16) >> (number - 1) & 1}


@pytest.mark.serial
def test_commands_start_with_the_signals_a_terminal_gives_even_from_a_background_caller(tmp_path):
    """`docsexec ... &` in a script ignores SIGINT and SIGQUIT, Python ignores SIGPIPE and SIGXFSZ:
    none of that may reach the page's shell, or `<CTRL-c>` interrupts nothing."""
    before = {number: signal.signal(number, signal.SIG_IGN) for number in (signal.SIGINT, signal.SIGQUIT)}
    try:
        shell = ShellSession(["bash", "--norc", "--noprofile"], dict(os.environ), tmp_path)
        shell.start()
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
    try:
        assert ignored_signals(shell) & set(RESET_SIGNALS) == set()
        result = shell.run(command(REAL_SH, "echo one", "<CTRL-c>", "exit 5"), PROMPT, 30)
        assert [i.output for i in result.inputs] == [["one"], [], []] and result.exit_code == 5
        assert shell.run(command("yes | head -n 1; echo ${PIPESTATUS[0]}"), None, 10).output == ["y", "141"]
    finally:
        shell.close()
