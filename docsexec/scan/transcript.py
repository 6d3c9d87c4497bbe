"""A block's body as a terminal transcript: commands, typed inputs, and their outputs.

    $ docker run -it --name=mybox busybox      <- command (may continue with a trailing \\)
    <output of the command>
    / # ip addr                                <- input typed at the program's prompt
    <output of that input>                        (only with data-prompt="/ # ")
    / # <CTRL-p><CTRL-q>                       <- control keys (scan/keys.py)

A command that opens a here-document (`$ cat > f <<'EOF'`) also takes the lines of its
body, up to the delimiter line: they are typed, not output (heredoc.py).

With data-shown-prompt="# " the page writes `# ip addr` for the real `/ # ` prompt; with
data-continue="other-id" the body starts at a prompt line, continuing the program that an
earlier block left open.

Parsing and rendering are inverses: render(parse(body)) == body, which is what lets
`update` rewrite only the outputs and leave everything an author wrote in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import BadInput
from ..model import SHELL_PROMPT, BlockOptions, Command, Input
from . import heredoc
from .keys import BadKey, parse_keys


@dataclass(frozen=True)
class _Fence:
    """Where the body sits (for messages) and what its fence says."""

    path: Path
    fence_line: int  # 1-based; the body's first line is the next one
    options: BlockOptions

    @property
    def prompt(self) -> str | None:
        return self.options.shown_prompt or self.options.prompt


def parse_transcript(body: Sequence[str], options: BlockOptions, path: Path, fence_line: int) -> tuple[Command, ...]:
    """Split a dedented body into Commands; `options`, `path` and `fence_line` are its fence's.

    A block with data-continue has no `$ ` line first: its first line is a prompt line, and
    its inputs go to the program an earlier block left open (a Command with `continued`)."""
    block = _Fence(path, fence_line, options)
    prompt = block.prompt
    commands: list[Command] = []
    index = 0
    output: list[str] = []
    while index < len(body):
        text = body[index]
        line = fence_line + index + 1
        if _is_command(text):
            _close(commands, output)
            output = []
            index, command = _read_command(body, index, line, block)
            commands.append(command)
        elif prompt is not None and (commands or block.options.continues) and _is_prompt_line(text, prompt):
            _close(commands, output)
            output = []
            if not commands:
                commands.append(Command(text="", line=line, source=(), continued=True))
            typed = _input(text, prompt, line, block)
            commands[-1] = replace(commands[-1], inputs=(*commands[-1].inputs, typed))
        elif not commands:
            if text.strip():
                raise BadInput(block.path, line, _first_line_hint(block, prompt))
        else:
            output.append(text)
        index += 1
    _close(commands, output)
    if not commands:
        raise BadInput(block.path, block.fence_line, "tagged block has no command: add a line starting with '$ '")
    return _with_exit_codes(tuple(commands), block)


def _read_command(body: Sequence[str], index: int, line: int, block: _Fence) -> tuple[int, Command]:
    """The command starting at body[index], with its `\\` continuations and here-document
    bodies; the index of its last line."""
    source = [body[index]]
    while source[-1].endswith("\\") and index + 1 < len(body):
        index += 1
        source.append(body[index])
    index = _here_documents(body, index, source, line, block)
    command = Command(text=_command_text(source), line=line, source=tuple(source))
    if not command.text.strip():
        raise BadInput(block.path, line, "empty command after '$ '")
    return index, command


def _here_documents(body: Sequence[str], index: int, source: list[str], line: int, block: _Fence) -> int:
    """Append the bodies of the here-documents the command opens (heredoc.py) to `source`;
    the index of the command's last line. An unclosed one is bad input: without its
    delimiter the shell would wait for more lines, and every later line would be typed."""
    for delimiter in heredoc.delimiters(_command_text(source)):
        while True:
            if index + 1 >= len(body):
                raise BadInput(
                    block.path,
                    line,
                    f"here-document not closed: no line {delimiter.word!r} after the command before the block ends",
                )
            index += 1
            source.append(body[index])
            if delimiter.closes(body[index]):
                break
    return index


def _is_prompt_line(text: str, prompt: str) -> bool:
    return text.startswith(prompt) or text == prompt.rstrip()


def _input(text: str, prompt: str, line: int, block: _Fence) -> Input:
    """One prompt line: typed text, or control keys such as `<CTRL-p><CTRL-q>`."""
    typed = text[len(prompt) :]
    try:
        keys = parse_keys(typed)
    except BadKey as exc:
        raise BadInput(block.path, line, str(exc)) from None
    return Input(text=typed, line=line, source=text, keys=keys)


def _first_line_hint(block: _Fence, prompt: str | None) -> str:
    if block.options.continues:
        return f"a block that continues {block.options.continues!r} starts at its program's prompt: the first line must start with {prompt!r}"
    return "output before the first command: command lines start with '$ '"


def _is_command(text: str) -> bool:
    return text.startswith(SHELL_PROMPT) or text == SHELL_PROMPT.rstrip()


def _command_text(source: list[str]) -> str:
    """What the shell receives: the lines as written, minus the prompt; `\\` continuations kept."""
    return "\n".join([source[0][len(SHELL_PROMPT) :], *source[1:]])


def _close(commands: list[Command], output: list[str]) -> None:
    """Attach collected output to the last command, or to its last typed input."""
    if not commands:
        return
    last = commands[-1]
    if last.inputs:
        inputs = (*last.inputs[:-1], replace(last.inputs[-1], expected=tuple(output)))
        commands[-1] = replace(last, inputs=inputs)
    else:
        commands[-1] = replace(last, expected=tuple(output))


def _with_exit_codes(commands: tuple[Command, ...], block: _Fence) -> tuple[Command, ...]:
    codes = block.options.exit_codes
    if codes is None:
        return commands
    if len(codes) == 1 and len(commands) > 1:
        raise BadInput(
            block.path,
            block.fence_line,
            f'data-exit={codes[0]} but the block has {len(commands)} commands: give one code per command, e.g. data-exit="{" ".join(["0"] * (len(commands) - 1) + [str(codes[0])])}"',
        )
    if len(codes) != len(commands):
        raise BadInput(block.path, block.fence_line, f"data-exit lists {len(codes)} codes for {len(commands)} commands")
    return tuple(replace(c, exit_code=code) for c, code in zip(commands, codes, strict=True))


def render_transcript(
    commands: Sequence[Command], outputs: Sequence[Sequence[Sequence[str]]], prompt: str | None
) -> list[str]:
    """The body again, with new outputs.

    `outputs[i]` holds, for command i, its own output followed by the output of each input.
    """
    body: list[str] = []
    for command, pieces in zip(commands, outputs, strict=False):
        body.extend(command.source)
        body.extend(pieces[0])
        for typed, piece in zip(command.inputs, pieces[1:], strict=False):
            body.append(typed.source or f"{prompt}{typed.text}")
            body.extend(piece)
    return body


def recorded_outputs(command: Command) -> list[list[str]]:
    """The command's recorded output regions, in the order `render_transcript` expects."""
    return [list(command.expected), *[list(i.expected) for i in command.inputs]]
