"""A block's body as a terminal transcript: commands, typed inputs, and their outputs.

    $ docker run -it --name=mybox busybox      <- command (may continue with a trailing \\)
    <output of the command>
    / # ip addr                                <- input typed at the program's prompt
    <output of that input>                        (only with data-prompt="/ # ")

Parsing and rendering are inverses: render(parse(body)) == body, which is what lets
`update` rewrite only the outputs and leave everything an author wrote in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .blocks import SHELL_PROMPT, Block, Command, Input
from .errors import BadInput


def parse_transcript(body: Sequence[str], block: Block) -> tuple[Command, ...]:
    """Split a dedented body into Commands. `block` gives the path, lines and options."""
    prompt = block.options.prompt
    commands: list[Command] = []
    index = 0
    output: list[str] = []
    while index < len(body):
        text = body[index]
        line = block.body_start + index + 1
        if _is_command(text):
            _close(commands, output)
            output = []
            source = [text]
            while source[-1].endswith("\\") and index + 1 < len(body):
                index += 1
                source.append(body[index])
            commands.append(Command(text=_command_text(source), line=line, source=tuple(source)))
            if not commands[-1].text.strip():
                raise BadInput(block.path, line, "empty command after '$ '")
        elif prompt is not None and commands and (text.startswith(prompt) or text == prompt.rstrip()):
            _close(commands, output)
            output = []
            typed = Input(text=text[len(prompt):], line=line)
            commands[-1] = replace(commands[-1], inputs=commands[-1].inputs + (typed,))
        elif not commands:
            if text.strip():
                raise BadInput(block.path, line, "output before the first command: command lines start with '$ '")
        else:
            output.append(text)
        index += 1
    _close(commands, output)
    if not commands:
        raise BadInput(block.path, block.fence_line, "tagged block has no command: add a line starting with '$ '")
    return _with_exit_codes(tuple(commands), block)


def _is_command(text: str) -> bool:
    return text.startswith(SHELL_PROMPT) or text == SHELL_PROMPT.rstrip()


def _command_text(source: list[str]) -> str:
    """What the shell receives: the lines as written, minus the prompt; `\\` continuations kept."""
    return "\n".join([source[0][len(SHELL_PROMPT):], *source[1:]])


def _close(commands: list[Command], output: list[str]) -> None:
    """Attach collected output to the last command, or to its last typed input."""
    if not commands:
        return
    last = commands[-1]
    if last.inputs:
        inputs = last.inputs[:-1] + (replace(last.inputs[-1], expected=tuple(output)),)
        commands[-1] = replace(last, inputs=inputs)
    else:
        commands[-1] = replace(last, expected=tuple(output))


def _with_exit_codes(commands: tuple[Command, ...], block: Block) -> tuple[Command, ...]:
    codes = block.options.exit_codes
    if codes is None:
        return commands
    if len(codes) == 1 and len(commands) > 1:
        raise BadInput(
            block.path,
            block.fence_line,
            f"data-exit={codes[0]} but the block has {len(commands)} commands: give one code per command, e.g. data-exit=\"{' '.join(['0'] * (len(commands) - 1) + [str(codes[0])])}\"",
        )
    if len(codes) != len(commands):
        raise BadInput(block.path, block.fence_line, f"data-exit lists {len(codes)} codes for {len(commands)} commands")
    return tuple(replace(c, exit_code=code) for c, code in zip(commands, codes))


def render_transcript(commands: Sequence[Command], outputs: Sequence[Sequence[Sequence[str]]], prompt: str | None) -> list[str]:
    """The body again, with new outputs.

    `outputs[i]` holds, for command i, its own output followed by the output of each input.
    """
    body: list[str] = []
    for command, pieces in zip(commands, outputs):
        body.extend(command.source)
        body.extend(pieces[0])
        for typed, piece in zip(command.inputs, pieces[1:]):
            body.append(f"{prompt}{typed.text}")
            body.extend(piece)
    return body


def recorded_outputs(command: Command) -> list[list[str]]:
    """The command's recorded output regions, in the order `render_transcript` expects."""
    return [list(command.expected), *[list(i.expected) for i in command.inputs]]
