"""The typed model every stage shares: a block's life from scan to report.

    scan (scan/)       Page -> Block: options (BlockOptions, CompareOptions), body, Commands
    run (run/)         Block -> BlockResult: CommandResults, or a BlockProblem; a page's PageRun
    compare (compare/) BlockResult -> BlockVerdict: a Status, problems, the body to write
    write (write/)     BlockVerdicts -> the page rewritten (update only)
    report (report/)   PageReport -> diffs, JSON, JUnit

A Block is a region of a Markdown page (Sybil's word); its body is a terminal transcript
made of Commands typed at the `$ ` prompt, each followed by the output it printed. A Command
that started an interactive program (`docker run -it ...`) may be followed by Inputs typed at
that program's own prompt (for example busybox's `/ # `), each with its output.

This module imports nothing of docsexec: every arrow points at it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

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


# --- options --------------------------------------------------------------------------------

# The comparator's vocabulary, as authors write it (`data-volatile="-ipv4"`, `data-json="off"`):
# parsed and validated once, at scan time (scan/options.py); compare/ defines what each means.
VOLATILE_CLASS_NAMES: frozenset[str] = frozenset(
    {
        "timestamp",
        "mac",
        "bridge",
        "id",
        "swarm-token",
        "swarm-id",
        "ipv6",
        "ipv4",
        "port",
        "veth",
        "ifindex",
        "netnsid",
        "ping-time",
        "lifetime",
        "age",
        "duration",
        "size",
        "pid",
    }
)
# The engine sources docsexec can start (data-engine, --engine-source; engine/installed.py).
ENGINE_SOURCES = ("system", "upstream-29", "debian-forky", "debian-trixie", "debian-bookworm")
JsonMode = Literal["auto", "off", "strict"]
TableMode = Literal["cells", "exact"]
OrderMode = Literal["fixed", "any"]
JSON_MODES: tuple[JsonMode, ...] = ("auto", "off", "strict")
TABLE_MODES: tuple[TableMode, ...] = ("cells", "exact")
ORDER_MODES: tuple[OrderMode, ...] = ("fixed", "any")
ELISION_MODES = ("on", "off")
MODE_CHOICES: dict[str, tuple[str, ...]] = {
    "json": JSON_MODES,
    "table": TABLE_MODES,
    "order": ORDER_MODES,
    "elisions": ELISION_MODES,
}
KNOWN_OPTIONS: frozenset[str] = frozenset({"volatile", *MODE_CHOICES})


@dataclass(frozen=True)
class CompareOptions:
    """How one block's outputs are compared; the defaults are what a block without attributes gets."""

    classes: frozenset[str] = VOLATILE_CLASS_NAMES
    json: JsonMode = "auto"
    table: TableMode = "cells"
    order: OrderMode = "fixed"
    elisions: bool = True


DEFAULT_COMPARE = CompareOptions()


class RelationKind(enum.Enum):
    """What a relation between two blocks' outputs asks for."""

    SAME_OUTPUT = "data-same-as"  # the same text (one interface's stanza with `:name`)
    SAME_INTERFACES = "data-same-interfaces-as"  # the same interfaces, MACs and addresses


@dataclass(frozen=True)
class Relation:
    """`data-same-as="block-id[:stanza]"`: this block's last output against that block's."""

    kind: RelationKind
    target: str  # as written: "block-id" or "block-id:stanza"

    @property
    def block_id(self) -> str:
        return self.target.partition(":")[0]

    @property
    def stanza(self) -> str | None:
        return self.target.partition(":")[2] or None


SETUP_CLASS = "setup"  # the class of a set-up block (BlockOptions.setup)


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
    compare: dict[str, str] = field(default_factory=dict)  # the comparator's attributes as written
    classes: tuple[str, ...] = ()
    engines: tuple[str, ...] = ()  # data-engine: the engines whose variant this block is (scan/variants.py)
    engine_diff: str | None = None  # data-engine-diff: "error" forbids per-engine variants; None/"tabs" allows them
    matching: CompareOptions = DEFAULT_COMPARE  # `compare`, parsed at scan time
    host: str | None = None  # data-host: "lan-peer" runs the block on the LAN peer; None/"docker-host": the page's host
    peer_engine: bool = False  # data-peer-engine="start": the LAN peer's own engine is started before this block
    daemon_restart: bool = False  # data-daemon="restart": the page's dockerd restarts (new daemon.json) before it
    only_on: tuple[str, ...] = ()  # data-only-on: the engines that have what this step shows (): all

    @property
    def engine(self) -> str | None:
        """The variant's owner: the first engine it names, whose run it shows (None: no variant)."""
        return self.engines[0] if self.engines else None

    @property
    def setup(self) -> bool:
        """A set-up block (class `.setup`): run and checked in its place like any other, but
        there only so the page can run on this site's machine; readers see it collapsed
        below the sentence of what they do instead (faces/console_html.py)."""
        return SETUP_CLASS in self.classes

    @property
    def on_peer(self) -> bool:
        """The block runs in the LAN peer's shell (scan/options.py's LAN_PEER), not the page's."""
        return self.host == "lan-peer"

    @property
    def relations(self) -> tuple[Relation, ...]:
        pairs = ((RelationKind.SAME_OUTPUT, self.same_as), (RelationKind.SAME_INTERFACES, self.same_interfaces_as))
        return tuple(Relation(kind, target) for kind, target in pairs if target is not None)


# --- the scanned block --------------------------------------------------------------------------


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
    body: tuple[str, ...] = ()  # the body as scanned, dedented: what a diff compares against
    page_engines: tuple[str, ...] = ()  # the page's `docsexec-engines`: the engines it needs (): all

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


# --- the run ----------------------------------------------------------------------------------


class Mode(enum.StrEnum):
    """What a run does with what it finds (trycmd's `Mode { Fail, Overwrite }`, cog's --check):
    CHECK reports divergences and writes nothing; UPDATE writes the real outputs into the page.
    The value is the CLI command and the JSON report's "mode"."""

    CHECK = "check"
    UPDATE = "update"


class EngineMode(enum.StrEnum):
    """Where a page's shell runs: a private engine per page, or the caller's own engine."""

    SANDBOX = "sandbox"
    SHARED = "shared"


class ProgressEvent(enum.Enum):
    """What a run tells its progress callback about a block."""

    START = "start"
    DONE = "done"


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


class ProblemKind(enum.Enum):
    NOT_RUN = "not run"  # an earlier block stopped the page, or left no program to continue
    FAILED = "error"  # the block began and could not finish (timeout, dead shell, unattributable output)


@dataclass(frozen=True)
class BlockProblem:
    """Why a block did not run to its end; `message` is one line, file:line first when known."""

    kind: ProblemKind
    message: str

    @classmethod
    def not_run(cls, why: str) -> BlockProblem:
        return cls(ProblemKind.NOT_RUN, f"not run: {why}")

    @classmethod
    def failed(cls, message: str) -> BlockProblem:
        return cls(ProblemKind.FAILED, message)


@dataclass
class BlockResult:
    """The run of one block: one CommandResult per Command, in order."""

    block: Block
    commands: list[CommandResult] = field(default_factory=list)
    problem: BlockProblem | None = None  # set when the block could not run to its end

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.commands)


@dataclass
class PageRun:
    """Everything that happened while a page ran."""

    engine_version: str = ""
    results: list[BlockResult] = field(default_factory=list)
    stopped: str | None = None  # why the page stopped early, with file:line
    seconds: float = 0.0
    daemon_settings: list[tuple[str, str]] = field(default_factory=list)  # (block id, daemon.json) per restart


Progress = Callable[[ProgressEvent, Block, BlockResult | None], None]  # told of each block as it starts and ends


# --- verdicts and reports ------------------------------------------------------------------------


class Status(enum.StrEnum):
    """A block's verdict, as the JSON report spells it."""

    OK = "ok"
    UPDATED = "updated"
    DIVERGED = "diverged"
    ERROR = "error"
    NOT_RUN = "not-run"

    @property
    def passing(self) -> bool:
        return self in (Status.OK, Status.UPDATED)


@dataclass
class BlockVerdict:
    block: Block
    status: Status
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)  # one line each, file:line first
    normalised: list[str] | None = None  # the run in the page's terms (a diff's right side), when outputs diverged
    fixable: bool = True  # False when update cannot fix it (relation, error); exit codes: `exits`
    literal: list[str] | None = None  # the body `update` writes: this run's outputs, byte for byte
    refusal: str | None = None  # why this run's outputs cannot be written literally (file:line first)
    exits: tuple[int, ...] | None = None  # the run's exit codes, when they are not the page's


@dataclass(frozen=True)
class CachedRun:
    """What a run-cache hit tells: when and on which engine the page last passed, block by block."""

    key: str
    verified_at: str  # ISO 8601 UTC
    engine_version: str
    engine_source: str
    seconds: float
    block_seconds: tuple[tuple[str, float], ...]  # (block id, seconds) in page order

    def describe(self) -> str:
        return f"cached, verified on {self.engine_version} ({self.engine_source}) at {self.verified_at}"


@dataclass
class PageReport:
    path: Path
    engine_version: str
    seconds: float
    verdicts: list[BlockVerdict] = field(default_factory=list)
    page_changed: bool = False  # update rewrote the page (the JSON report's "written")
    error: str | None = None  # the page could not run at all (its engine did not start, say)
    cached: CachedRun | None = None  # not run: an identical earlier run passed (pages/runcache.py)
    engine_source: str = ""  # which configured engine this run was on ("debian-forky")
    daemon_settings: list[tuple[str, str]] = field(default_factory=list)  # PageRun's: each restart's daemon.json
    source_page: Path | None = None  # a translation's: its blocks are this page's (compared, never run)

    @property
    def name(self) -> str:
        """The page and the engine it ran on: one page verified on two engines is two results."""
        return f"{self.path} [{self.engine_source}]" if self.engine_source else str(self.path)

    @property
    def ok(self) -> bool:
        return self.error is None and all(v.status.passing for v in self.verdicts)


@dataclass(frozen=True)
class Unchecked:
    """A block no job of a run checks: a tab of engines the run does not include (a run
    restricted by --engine-source, DOCSEXEC_ENGINE, a shared engine or a journey). Runs say
    how many and why, in the summary and the reports: no block is left out without a word."""

    block: Block
    engines: tuple[str, ...]  # the engines whose tab it is (or that run it), none of them in this run
    kind: str = "a tab of"  # or "a step only" (data-only-on), "a page only" (docsexec-engines)

    @property
    def reason(self) -> str:
        ran = "" if self.kind == "a tab of" else " runs on"
        return f"{self.kind}{ran} {' and '.join(self.engines)}, not an engine of this run"
