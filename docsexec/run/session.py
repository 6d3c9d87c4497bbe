"""One shell per page, under a pseudo-terminal, as a reader's terminal would be.

Why a pty: the tutorial types `docker run -it ... busybox` and then `ip addr` at the
container's `/ # ` prompt. Only a real terminal makes `-it` work, and it also merges stdout
and stderr in the order a terminal shows them. Why one shell: variables and the working
folder carry over from block to block, exactly as for a reader following the page.

Each command's end is detected by a sentinel that bash prints from PROMPT_COMMAND, holding a
per-session random token and the exit status, so output can never be mistaken for it.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pexpect

from ..engine.sandbox import procs
from ..model import Command, CommandResult, Input, InputResult
from ..scan.keys import caret

COLUMNS = 200  # wide enough that `ip addr` and docker tables never wrap
ROWS = 50
INTERRUPT_GRACE = 3.0
QUIET = 0.3  # seconds without a new byte after the prompt: the program is waiting for input
START_QUIET = (
    1.0  # the same, for the first prompt of a program: `docker attach` resizes the terminal, and the program repaints
)
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")


class ShellDied(Exception):
    """The page's shell is gone (killed after a timeout, or it exited): the page cannot go on."""


class Unattributable(Exception):
    """What the program printed cannot be tied to one input: refused, never recorded.

    `line` is the page line of the input (or command) whose output is in doubt."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class _Step:
    """What came back after one command or input: up to the shell's sentinel (the program
    ended) or up to the program's prompt, settled (it waits for the next input)."""

    ended: bool
    text: str
    code: int | None = None


class ShellSession:
    """A bash under a pty; `run` types one Command (and its interactive inputs) and collects output.

    Attribution by construction: an input is typed only once its program waits at its prompt,
    that is, the terminal's current line is the prompt and nothing new arrived for QUIET
    seconds (a prompt repainted on the same line, as busybox does when `docker attach` resizes
    the terminal, is one prompt, as a reader's terminal shows it). Each input's echo must be
    the first line after it, and a prompt inside an output is refused (Unattributable)."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> None:
        self._argv = list(argv)
        self._env = dict(env)
        self._cwd = cwd
        self._token = secrets.token_hex(6)
        self._sentinel = re.compile(rf"\x1eDX{self._token}:(\d+)\x1e\r?\n")
        self._child: pexpect.spawn[str] | None = None
        self._pending = ""  # bytes read past the last sentinel
        self._busy = False  # a command was typed and the shell has not come back yet
        self._open = False  # an interactive program waits at its prompt (left for a later block)
        self._code: int | None = None  # the exit status of the last command the shell ran

    def start(self, timeout: float = 30) -> None:
        env = dict(self._env, PS1="", PS2="", HISTFILE="/dev/null", TERM="dumb")
        self._child = pexpect.spawn(
            self._argv[0],
            self._argv[1:],
            env=env,
            cwd=str(self._cwd),
            encoding="utf-8",
            codec_errors="replace",
            dimensions=(ROWS, COLUMNS),
            echo=False,
            maxread=65536,
            preexec_fn=_default_signals,
        )
        setup = (
            f"set +H; stty -echo cols {COLUMNS} rows {ROWS} 2>/dev/null; "
            f'PROMPT_COMMAND=\'__dx_rc=$?; printf "\\036DX{self._token}:%d\\036\\n" "$__dx_rc"\''
        )
        self._child.sendline(setup)
        self._collect(None, time.monotonic() + timeout)

    def run(self, command: Command, prompt: str | None, timeout: float, *, keep_open: bool = False) -> CommandResult:
        """Type the command, then each input once its program waits at `prompt`; with
        `keep_open`, leave the program at its prompt after the last input (a later block
        continues it). Raises Unattributable when an output cannot be tied to one input."""
        started = time.monotonic()
        deadline = started + timeout
        outputs: list[list[str]] = []
        try:
            self._begin(command)
            steps = [None, *command.inputs] if not command.continued else list(command.inputs)
            if command.continued:
                outputs.append([])
            for position, typed in enumerate(steps):
                if typed is not None:
                    self._type(typed)
                wants_prompt = position + 1 < len(steps) or keep_open
                step = self._collect(prompt, deadline, quiet=QUIET if typed is not None else START_QUIET)
                outputs.append(self._attribute(step, command, typed, prompt, wants_prompt))
        except pexpect.TIMEOUT:
            outputs.append(clean_output(self._pending))
            self._pending = ""
            self._interrupt()
            return self._result(outputs, None, started, timed_out=True)
        except Unattributable:
            self._recover()
            raise
        return self._result(outputs, None if self._open else self._code, started, left_open=self._open)

    def close(self) -> None:
        """End the shell. If a command is still running (Ctrl-C or SIGTERM arrived while it ran),
        typing `exit` would only feed its stdin: hang up at once instead."""
        if self._child is not None and self._child.isalive():
            if not self._busy:
                self._child.sendline("exit")
                with contextlib.suppress(pexpect.TIMEOUT, pexpect.EOF):
                    self._child.expect(pexpect.EOF, timeout=3)
            _end_session(self._child)
        self._child = None

    @property
    def alive(self) -> bool:
        return self._child is not None and self._child.isalive()

    @property
    def program_open(self) -> bool:
        """An interactive program waits at its prompt for a block that continues it."""
        return self._open

    def _require_child(self) -> pexpect.spawn[str]:
        if self._child is None or not self._child.isalive():
            raise ShellDied("the page's shell is not running")
        return self._child

    def _begin(self, command: Command) -> None:
        """Type the `$ ` command; a continued command types nothing, its program must be open."""
        child = self._require_child()
        if command.continued:
            if not self._open:
                raise Unattributable(
                    command.line,
                    "no interactive program is open here: the block this one continues did not leave one at its prompt",
                )
            return
        if self._open:
            raise Unattributable(
                command.line,
                "an interactive program is still open: the block after the one that left it open must continue it (data-continue)",
            )
        self._busy = True
        child.send(command.text + "\n")

    def _type(self, typed: Input) -> None:
        self._open = False
        self._require_child().send(typed.keys if typed.keys is not None else typed.text + "\n")

    def _collect(self, prompt: str | None, deadline: float, quiet: float = QUIET) -> _Step:
        """Read until the shell's sentinel, or until the program settles at `prompt`."""
        child = self._require_child()
        buffer, self._pending = self._pending, ""
        last_bytes = time.monotonic()
        while True:
            match = self._sentinel.search(buffer)
            if match:
                self._pending = buffer[match.end() :]
                self._busy, self._open, self._code = False, False, int(match.group(1))
                return _Step(ended=True, text=buffer[: match.start()], code=self._code)
            now = time.monotonic()
            if prompt is not None and waits_at_prompt(buffer, prompt) and now - last_bytes >= quiet:
                self._open = True
                return _Step(ended=False, text=buffer)
            if now >= deadline:
                self._pending = buffer
                raise pexpect.TIMEOUT("no sentinel and no settled prompt before the deadline")
            try:
                buffer += child.read_nonblocking(65536, timeout=min(deadline - now, quiet))
                last_bytes = time.monotonic()
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                raise ShellDied("the page's shell exited") from None

    def _attribute(
        self, step: _Step, command: Command, typed: Input | None, prompt: str | None, wants_prompt: bool
    ) -> list[str]:
        """The output of one step, or Unattributable: the program must still wait when more
        inputs follow, must have ended when none do, and must have echoed what was typed."""
        line = typed.line if typed is not None else command.line
        what = (
            f"input {typed.text!r}"
            if typed is not None
            else f"command {command.text.splitlines()[0]!r}"
            if command.text
            else "the session"
        )
        if step.ended and wants_prompt:
            raise Unattributable(
                line, f"the program ended after {what}, before the next input could be typed at its prompt"
            )
        if not step.ended and not wants_prompt:
            raise Unattributable(
                line,
                f"the program still waits at its prompt {prompt!r} after {what}, the last input: end it (for example `exit` or `<CTRL-p><CTRL-q>`) or continue it in the next block with data-continue",
            )
        if not step.ended and current_line(step.text) != prompt:
            raise Unattributable(
                line,
                f"after {what} the program waits on the line {current_line(step.text)!r}, not at its prompt {prompt!r} alone: a prompt printed twice, or output the transcript cannot place",
            )
        lines = clean_output(step.text if step.ended else _complete_lines(step.text))
        if typed is not None:
            lines = _consume_echo(lines, typed, prompt or "")
        for text in lines:
            if prompt is not None and (text.startswith(prompt) or text == prompt.rstrip()):
                raise Unattributable(
                    line,
                    f"the prompt {prompt!r} appears inside the output of {what} ({text!r}): that output cannot be tied to one input",
                )
        return lines

    def _recover(self) -> None:
        """After a refused output, bring the shell back so later blocks can still run."""
        if self._busy:
            self._open = False
            self._interrupt()

    def _interrupt(self) -> None:
        """Stop a hung command: Ctrl-C, then Docker's detach keys, then kill the shell."""
        child = self._child
        if child is None:
            return
        for keys in ("\x03", "\x10\x11", "\x03"):
            try:
                child.send(keys)
                self._collect(None, time.monotonic() + INTERRUPT_GRACE)
                return
            except (pexpect.TIMEOUT, ShellDied):
                continue
        _end_session(child)
        self._child = None

    def _result(
        self,
        outputs: list[list[str]],
        code: int | None,
        started: float,
        *,
        timed_out: bool = False,
        left_open: bool = False,
    ) -> CommandResult:
        own = outputs[0] if outputs else []
        return CommandResult(
            output=own,
            inputs=[InputResult(output=out) for out in outputs[1:]],
            exit_code=code,
            timed_out=timed_out,
            seconds=round(time.monotonic() - started, 3),
            left_open=left_open,
        )


# Signals a reader's terminal leaves at their default, which the page's shell could otherwise
# inherit ignored: Python ignores SIGPIPE and SIGXFSZ in itself, and a shell script that starts
# docsexec with `&` ignores SIGINT and SIGQUIT in it. Ignored signals stay ignored across exec,
# so `<CTRL-c>` would interrupt nothing and `yes | head` would end with a write error.
RESET_SIGNALS = (signal.SIGINT, signal.SIGQUIT, signal.SIGPIPE, signal.SIGXFSZ)


def _default_signals() -> None:
    """In the forked child, before bash starts: every signal in RESET_SIGNALS back to its default."""
    for number in RESET_SIGNALS:
        signal.signal(number, signal.SIG_DFL)


def waits_at_prompt(raw: str, prompt: str) -> bool:
    """True when the terminal's current line, as a reader's terminal shows it (escapes
    dropped, a carriage return starting the line over), ends with the prompt."""
    return current_line(raw).endswith(prompt)


def current_line(raw: str) -> str:
    """The line the cursor is on, as a terminal shows it."""
    return _ANSI.sub("", raw[raw.rfind("\n") + 1 :]).rsplit("\r", 1)[-1]


def _complete_lines(raw: str) -> str:
    """Everything before the current line: the settled prompt is not output."""
    return raw[: raw.rfind("\n") + 1]


def _consume_echo(lines: list[str], typed: Input, prompt: str) -> list[str]:
    """A program's tty echoes what was typed; the transcript already shows it after the prompt.
    A line editor that repaints while the input is typed shows prompt and input again on the
    same line, which is still the echo. Control keys may echo as `^C` or an empty line, or
    not at all (Docker's detach keys)."""
    if typed.keys is not None:
        return lines[1:] if lines and lines[0] in ("", caret(typed.keys)) else lines
    if lines and lines[0].strip() in (typed.text.strip(), (prompt + typed.text).strip()):
        return lines[1:]
    got = repr(lines[0]) if lines else "nothing"
    raise Unattributable(
        typed.line,
        f"the echo of input {typed.text!r} is not the first line after it (got {got}): its output cannot be told from another input's",
    )


def clean_output(raw: str) -> list[str]:
    """Terminal bytes to the lines a reader sees: no escapes, `\\r` overwrites applied,
    trailing blanks stripped (Markdown editors strip them too, so they cannot be recorded)."""
    text = _ANSI.sub("", raw).replace("\r\n", "\n")
    if not text:
        return []
    if text.endswith("\n"):
        text = text[:-1]
    return [line.rstrip("\r").rsplit("\r", 1)[-1].rstrip() for line in text.split("\n")]  # CR CR LF ends a line too


def _end_session(child: pexpect.spawn[str]) -> None:
    """Kill the shell, then every process left in its session (the shell leads one, on its
    pseudo-terminal). The hang-up its death sends reaches the terminal's foreground group only
    if the shell had time to pass it on; a program that ignores Ctrl-C would otherwise outlive
    a shell killed at once, on a loaded machine."""
    session = child.pid
    child.terminate(force=True)
    if session is not None:
        procs.signal_all(procs.session_pids(session), signal.SIGKILL)
