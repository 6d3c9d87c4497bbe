"""One shell per page, under a pseudo-terminal, as a reader's terminal would be.

Why a pty: the tutorial types `docker run -it ... busybox` and then `ip addr` at the
container's `/ # ` prompt. Only a real terminal makes `-it` work, and it also merges stdout
and stderr in the order a terminal shows them. Why one shell: variables and the working
folder carry over from block to block, exactly as for a reader following the page.

Each command's end is detected by a sentinel that bash prints from PROMPT_COMMAND, holding a
per-session random token and the exit status, so output can never be mistaken for it.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pexpect

from .blocks import Command, CommandResult, InputResult

COLUMNS = 200  # wide enough that `ip addr` and docker tables never wrap
ROWS = 50
INTERRUPT_GRACE = 3.0
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")


class ShellDied(Exception):
    """The page's shell is gone (killed after a timeout, or it exited): the page cannot go on."""


class ShellSession:
    """A bash under a pty; `run` types one Command (and its interactive inputs) and collects output."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> None:
        self._argv = list(argv)
        self._env = dict(env)
        self._cwd = cwd
        self._token = secrets.token_hex(6)
        self._sentinel = re.compile(rf"\x1eDX{self._token}:(\d+)\x1e\r?\n")
        self._child: pexpect.spawn | None = None
        self._last_code: int | None = None
        self._busy = False  # a command was typed and the shell has not come back yet

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
        )
        setup = (
            "set +H; stty -echo cols %d rows %d 2>/dev/null; "
            "PROMPT_COMMAND='__dx_rc=$?; printf \"\\036DX%s:%%d\\036\\n\" \"$__dx_rc\"'"
        ) % (COLUMNS, ROWS, self._token)
        self._child.sendline(setup)
        self._expect_sentinel(timeout)

    def run(self, command: Command, prompt: str | None, timeout: float) -> CommandResult:
        """Type the command, answer its program's prompts, and wait for the shell to come back."""
        child = self._require_child()
        started = time.monotonic()
        deadline = started + timeout
        self._busy = True
        child.send(command.text + "\n")
        pieces: list[str] = []
        try:
            for typed in command.inputs:
                if not self._wait_for_prompt(prompt or "", deadline, pieces):
                    return self._ended_early(command, pieces, started)
                child.send(typed.text + "\n")
            code = self._expect_sentinel(max(deadline - time.monotonic(), 0.01))
            pieces.append(child.before or "")
        except pexpect.TIMEOUT:
            pieces.append(child.before or "")
            self._interrupt()
            return self._result(command, pieces, None, started, timed_out=True)
        except pexpect.EOF:
            pieces.append(child.before or "")
            raise ShellDied("the page's shell exited") from None
        return self._result(command, pieces, code, started)

    def close(self) -> None:
        """End the shell. If a command is still running (Ctrl-C or SIGTERM arrived while it ran),
        typing `exit` would only feed its stdin: hang up at once instead."""
        if self._child is not None and self._child.isalive():
            if not self._busy:
                self._child.sendline("exit")
                try:
                    self._child.expect(pexpect.EOF, timeout=3)
                except (pexpect.TIMEOUT, pexpect.EOF):
                    pass
            self._child.terminate(force=True)
        self._child = None

    @property
    def alive(self) -> bool:
        return self._child is not None and self._child.isalive()

    def _require_child(self) -> pexpect.spawn:
        if self._child is None or not self._child.isalive():
            raise ShellDied("the page's shell is not running")
        return self._child

    def _wait_for_prompt(self, prompt: str, deadline: float, pieces: list[str]) -> bool:
        """Wait for the interactive program's prompt; False if the shell came back first."""
        child = self._require_child()
        remaining = max(deadline - time.monotonic(), 0.01)
        index = child.expect([re.escape(prompt), self._sentinel], timeout=remaining)
        pieces.append(child.before or "")
        if index == 1:
            self._busy = False
            self._last_code = int(child.match.group(1))
            return False
        return True

    def _ended_early(self, command: Command, pieces: list[str], started: float) -> CommandResult:
        """The program exited before all inputs were typed: report what it printed."""
        result = self._result(command, pieces, self._last_code, started)
        while len(result.inputs) < len(command.inputs):
            result.inputs.append(InputResult(output=[]))
        return result

    def _expect_sentinel(self, timeout: float) -> int:
        child = self._require_child()
        child.expect(self._sentinel, timeout=timeout)
        self._busy = False
        return int(child.match.group(1))

    def _interrupt(self) -> None:
        """Stop a hung command: Ctrl-C, then Docker's detach keys, then kill the shell."""
        child = self._child
        if child is None:
            return
        for keys in ("\x03", "\x10\x11", "\x03"):
            try:
                child.send(keys)
                child.expect(self._sentinel, timeout=INTERRUPT_GRACE)
                self._busy = False
                return
            except (pexpect.TIMEOUT, pexpect.EOF):
                continue
        child.terminate(force=True)
        self._child = None

    def _result(self, command: Command, pieces: list[str], code: int | None, started: float, *, timed_out: bool = False) -> CommandResult:
        outputs = [clean_output(piece) for piece in pieces]
        own = outputs[0] if outputs else []
        inputs = [InputResult(output=_drop_echo(out, typed.text)) for out, typed in zip(outputs[1:], command.inputs)]
        return CommandResult(
            output=own,
            inputs=inputs,
            exit_code=code,
            timed_out=timed_out,
            seconds=round(time.monotonic() - started, 3),
        )


def clean_output(raw: str) -> list[str]:
    """Terminal bytes to the lines a reader sees: no escapes, `\\r` overwrites applied,
    trailing blanks stripped (Markdown editors strip them too, so they cannot be recorded)."""
    text = _ANSI.sub("", raw).replace("\r\n", "\n")
    if not text:
        return []
    if text.endswith("\n"):
        text = text[:-1]
    return [line.rsplit("\r", 1)[-1].rstrip() for line in text.split("\n")]


def _drop_echo(lines: list[str], typed: str) -> list[str]:
    """A program's tty echoes what was typed; the transcript already shows it after the prompt."""
    if lines and lines[0].strip() == typed.strip():
        return lines[1:]
    return lines
