"""The typed model shared by every stage: a page's tagged blocks and what they contain.

A Block is a region of a Markdown page (Sybil's word); its body is a terminal transcript
made of Commands typed at the `$ ` prompt, each followed by the output it printed. A Command
started an interactive program (`docker run -it ...`) may be followed by Inputs typed at that
program's own prompt (for example busybox's `/ # `), each with its output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SHELL_PROMPT = "$ "


@dataclass(frozen=True)
class Input:
    """A line typed at an interactive program's prompt, and the output it printed."""

    text: str
    line: int  # 1-based page line of the prompt line
    expected: tuple[str, ...] = ()
    source: str = ""  # the prompt line as written, so the rewriter puts it back byte for byte
    keys: str | None = None  # control keys to send (`<CTRL-p><CTRL-q>`), typed without Enter


@dataclass(frozen=True)
class Command:
    """A command typed at the shell prompt.

    `source` keeps the lines as written (prompt and `\\` continuations included) so the
    rewriter can put them back byte for byte; `text` is what the shell receives.
    """

    text: str
    line: int  # 1-based page line of the `$ ` line
    source: tuple[str, ...]
    expected: tuple[str, ...] = ()
    inputs: tuple[Input, ...] = ()
    exit_code: int = 0
    continued: bool = False  # no `$ ` line: the inputs go to the program an earlier block left open


@dataclass(frozen=True)
class BlockOptions:
    """Options written in the fence's attribute list, already validated."""

    id: str
    exit_codes: tuple[int, ...] | None = None  # one per command, or None for "all 0"
    timeout: float | None = None  # per-command seconds; None means the run's default
    prompt: str | None = None  # an interactive program's prompt, e.g. "/ # "
    shown_prompt: str | None = None  # how the page writes that prompt, e.g. "# " (default: prompt)
    continues: str | None = None  # id of the earlier block whose interactive program this one continues
    same_as: str | None = None  # "block-id" or "block-id:stanza": output equal to that block's
    same_interfaces_as: str | None = None  # "block-id[:ifname]": same interfaces, MACs, addresses
    compare: dict[str, str] = field(default_factory=dict)  # options the comparator reads
    classes: tuple[str, ...] = ()
    engine: str | None = None  # data-engine: this block is that engine's variant (variants.py)
    engine_diff: str | None = None  # data-engine-diff: "error" forbids per-engine variants; None/"tabs" allows them
    host: str | None = None  # data-host: "lan-peer" runs the block on the LAN peer; None/"docker-host": the page's host
    peer_engine: bool = False  # data-peer-engine="start": the LAN peer's own engine is started before this block

    @property
    def on_peer(self) -> bool:
        """The block runs in the LAN peer's shell (options.LAN_PEER), not the page's."""
        return self.host == "lan-peer"


@dataclass(frozen=True)
class Block:
    """One tagged fence of a page.

    Line numbers are 1-based page lines for messages; `body_start`/`body_end` are 0-based
    indexes into the page's list of lines (`body_end` is the closing fence's index), which is
    what the rewriter replaces.
    """

    path: Path
    options: BlockOptions
    fence_line: int
    body_start: int
    body_end: int
    indent: str
    fence: str  # the opening fence's backticks or tildes, e.g. "```"
    commands: tuple[Command, ...] = ()

    @property
    def id(self) -> str:
        return self.options.id

    @property
    def page_prompt(self) -> str | None:
        """The interactive prompt as the page writes it (data-shown-prompt, else data-prompt)."""
        return self.options.shown_prompt or self.options.prompt

    @property
    def where(self) -> str:
        return f"{self.path}:{self.fence_line} [{self.id}]"


@dataclass
class InputResult:
    """What an interactive program printed after one typed input."""

    output: list[str]


@dataclass
class CommandResult:
    """What one command really did."""

    output: list[str]
    inputs: list[InputResult] = field(default_factory=list)
    exit_code: int | None = None  # None when it timed out, the shell died, or it was left open
    timed_out: bool = False
    seconds: float = 0.0
    left_open: bool = False  # its program waits at its prompt for the block that continues it


@dataclass
class BlockResult:
    """The run of one block: one CommandResult per Command, in order."""

    block: Block
    commands: list[CommandResult] = field(default_factory=list)
    error: str | None = None  # set when the block could not run (timeout, dead shell)

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.commands)
