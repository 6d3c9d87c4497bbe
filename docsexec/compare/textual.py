"""Comparing one output region as lines: elisions, volatile slots, bindings, write-back.

The order of work is: try to match the whole region exactly (elision.exact_alignment with
real binding); if that fails, compute the best edit script and walk it once, binding what
still matches, so `normalised` keeps the page's own text wherever the page is still right and
notes say precisely where and why it is not.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import elision as el
from .bindings import Bindings, bind_slots
from .lines import LineMatcher
from .pattern import describe_difference, same_shape_pairs
from .result import Comparison
from .writeback import normalize_real, relayout, write_real


@dataclass(frozen=True)
class ShapeDiffers:
    """A failed pairing: the lines differ outside their volatile values."""


@dataclass(frozen=True)
class Conflict:
    """A failed pairing: the lines have the same shape, but a value breaks a binding."""

    message: str


PairFailure = ShapeDiffers | Conflict


@dataclass(frozen=True)
class RealLine:
    """A piece of `normalised` still to render: real line `index`, once every binding is made."""

    index: int


Piece = str | RealLine | None  # recorded text kept, a real line to render, or nothing


@dataclass
class TextCompare:
    """One line-by-line comparison of a recorded region with a real one."""

    recorded: Sequence[str]
    real: Sequence[str]
    matcher: LineMatcher
    bindings: Bindings
    elisions: bool = True
    normalised: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.elided = [self.elisions and el.is_elision(line) for line in self.recorded]

    # -- pairing ---------------------------------------------------------------------------

    def bind_pairs(self, i: int, j: int) -> PairFailure | None:
        """Bind the slots of recorded line i to real line j; why they cannot pair, if so."""
        got = self.matcher.match(self.recorded[i], self.real[j])
        if got is None:
            return ShapeDiffers()
        problem = bind_slots(self.bindings, got.pairs)
        return None if problem is None else Conflict(problem)

    def try_pair(self, i: int, j: int) -> bool:
        return self.bind_pairs(i, j) is None

    def loose(self, i: int, j: int) -> bool:
        """Could line i match line j judged alone against the bindings made so far?"""
        got = self.matcher.match(self.recorded[i], self.real[j])
        if got is None:
            return False
        return all(self.bindings.conflict(s.cls.namespace, s.recorded, v) is None for s, v in got.pairs if s.cls.bound)

    # -- driver ----------------------------------------------------------------------------

    def run(self) -> Comparison:
        start = self.bindings.mark()
        pairs = el.exact_alignment(self.elided, len(self.real), self.try_pair, self.bindings)
        if pairs is not None:
            return self.matched(dict(pairs))
        self.bindings.rollback(start)
        # Two passes: bind everything that still matches first, then render the real lines,
        # so a new line cannot take a value that a later matching line is bound to.
        similar = _similar(self.recorded, self.real) if any(self.elided) else None
        ops = el.best_alignment(self.elided, len(self.real), self.loose, similar)
        pieces = [self.step(op) for op in ops]
        self.normalised = [self.render(piece) for piece in pieces if piece is not None]
        if not self.notes:  # every pair matched after all: an equivalent exact alignment
            return self.matched({op.recorded: op.real for op in ops if op.kind in _PAIRED})
        literal = [line for line in map(self.literal_piece, ops) if line is not None]
        return Comparison(False, self.normalised, self.notes, literal, self.refusal(ops))

    def matched(self, partner: dict[int, int]) -> Comparison:
        """The comparison of a region that matches: recorded text kept, literal from the run."""
        literal = [self.recorded[i] if gap else self.literal_line(i, partner[i]) for i, gap in enumerate(self.elided)]
        return Comparison(True, list(self.recorded), [], literal)

    def literal_line(self, i: int, j: int) -> str:
        """Real line j as the page shows it in place of recorded line i (its `[..]` kept)."""
        got = self.matcher.match(self.recorded[i], self.real[j])
        if got is None or got.by_cells:
            return self.real[j]
        return self.matcher.pattern(self.recorded[i].rstrip()).literal(self.real[j])

    def literal_piece(self, op: el.Op) -> str | None:
        """What `update` writes for one edit: the run's own line, or the author's `...`."""
        if op.kind is el.OpKind.KEEP_ELISION:
            return self.recorded[op.recorded]
        if op.kind in _PAIRED:
            return self.literal_line(op.recorded, op.real)
        return self.real[op.real] if op.kind is el.OpKind.INS else None

    def refusal(self, ops: list[el.Op]) -> str | None:
        """An abridged region (one with `...`) whose recorded line the run no longer printed
        cannot be written literally: dropping the line would lose the author's choice."""
        if not any(self.elided):
            return None
        gone = next((op.recorded for op in ops if op.kind is el.OpKind.DEL), None)
        if gone is None:
            return None
        return (
            f"line {gone + 1} of the abridged output, {_show(self.recorded[gone])}, is no longer printed: "
            "edit the abridgment by hand"
        )

    def render(self, piece: str | RealLine) -> str:
        return piece if isinstance(piece, str) else self.normal(self.real[piece.index])

    def step(self, op: el.Op) -> Piece:
        """Bind and note one edit; return what it writes."""
        if op.kind is el.OpKind.KEEP_ELISION:
            return self.recorded[op.recorded]
        if op.kind is el.OpKind.ABSORB:
            return None
        if op.kind in (el.OpKind.MATCH, el.OpKind.SUB):
            return self.pair(op.recorded, op.real)
        if op.kind is el.OpKind.DEL:
            self.notes.append(f"line {op.recorded + 1}: missing from the output: {_show(self.recorded[op.recorded])}")
            return None
        self.notes.append(f"{self.where(op.real)}: new line {_show(self.real[op.real])}")
        return RealLine(op.real)

    def pair(self, i: int, j: int) -> str | RealLine:
        mark = self.bindings.mark()
        problem = self.bind_pairs(i, j)
        if problem is None:
            got = self.matcher.match(self.recorded[i], self.real[j])
            by_cells = got is not None and got.by_cells
            return relayout(self.recorded[i], self.real[j]) if by_cells else self.recorded[i]
        self.bindings.rollback(mark)
        if isinstance(problem, ShapeDiffers):
            self.bind_same_shape(i, j)
            shown = normalize_real(self.real[j], self.matcher.classes, self.bindings.recorded_name)
            self.notes.append(f"line {i + 1}: {describe_difference(self.recorded[i], shown)}")
        else:
            self.notes.append(f"line {i + 1}: {problem.message}")
        return RealLine(j)

    def bind_same_shape(self, i: int, j: int) -> None:
        """A changed line whose volatile values line up one to one with the recorded ones
        still tells which real value each recorded value stands for; keep those bindings so
        the rewritten page goes on using its own values (and stays self-consistent)."""
        pattern = self.matcher.pattern(self.recorded[i].rstrip())
        bind_slots(self.bindings, same_shape_pairs(pattern, self.matcher.tokens(self.real[j])) or [], keep_going=True)

    # -- helpers ---------------------------------------------------------------------------

    def normal(self, line: str) -> str:
        return write_real(line, self.matcher.classes, self.bindings)

    def where(self, j: int) -> str:
        return f"output line {j + 1}"


_PAIRED = (el.OpKind.MATCH, el.OpKind.SUB)


def _similar(recorded: Sequence[str], real: Sequence[str]) -> el.Loose:
    """Whether a recorded line of an abridgment and a real line are the same line changed
    (most of their text shared): such a line is rewritten in place, not dropped."""

    known: dict[tuple[int, int], bool] = {}

    def similar(i: int, j: int) -> bool:
        if (i, j) not in known:
            seq = difflib.SequenceMatcher(None, recorded[i].strip(), real[j].strip(), autojunk=False)
            known[i, j] = all(ratio() >= _SIMILAR for ratio in (seq.real_quick_ratio, seq.quick_ratio, seq.ratio))
        return known[i, j]

    return similar


_SIMILAR = 0.6


def _show(line: str, width: int = 70) -> str:
    line = line.rstrip()
    return repr(line if len(line) <= width else line[: width - 1] + "…")


@dataclass
class UnorderedCompare(TextCompare):
    """`data-order="any"`: the recorded lines must all appear, in any order.

    For outputs whose order is not behaviour: DNS round robin answers, `network prune`'s
    "Deleted Networks", `range` over a map keyed by random IDs. A `...` line anywhere
    allows extra real lines. Matching is a small backtracking search (bindings make line
    pairs interdependent), capped so a pathological block cannot hang a run.
    """

    budget: int = 20000

    def run(self) -> Comparison:
        wanted = [i for i, gap in enumerate(self.elided) if not gap]
        extra_ok = len(wanted) < len(self.recorded)
        start = self.bindings.mark()
        partner: dict[int, int] = {}
        if (extra_ok or len(wanted) == len(self.real)) and self.assign(wanted, 0, partner):
            return Comparison(True, list(self.recorded), [], self.literal_any(partner))
        self.bindings.rollback(start)
        partner = self.greedy(wanted)
        for j, line in enumerate(self.real):
            if j in partner:
                self.normalised.append(self.recorded[partner[j]])
            elif not extra_ok:
                self.notes.append(f"{self.where(j)}: new line {_show(line)}")
                self.normalised.append(self.normal(line))
        self.normalised.extend(self.recorded[i] for i, gap in enumerate(self.elided) if gap)
        if not self.notes:
            return Comparison(True, list(self.recorded), [], self.literal_any(partner))
        missing = [i for i in wanted if i not in partner.values()]
        refusal = f"line {missing[0] + 1} of the abridged output is no longer printed" if extra_ok and missing else None
        return Comparison(False, self.normalised, self.notes, self.literal_any(partner), refusal)

    def literal_any(self, partner: dict[int, int]) -> list[str]:
        """The run's lines in the order it printed them: all of them, or (with a `...`) those
        the recording keeps, followed by its `...` lines."""
        extra_ok = any(self.elided)
        lines = [
            self.literal_line(partner[j], j) if j in partner else line
            for j, line in enumerate(self.real)
            if j in partner or not extra_ok
        ]
        return lines + [self.recorded[i] for i, gap in enumerate(self.elided) if gap]

    def assign(self, wanted: list[int], k: int, partner: dict[int, int]) -> bool:
        """Backtracking: pair wanted[k:] with real lines not in `partner` (real -> recorded)."""
        if k == len(wanted):
            return True
        for j in range(len(self.real)):
            self.budget -= 1
            if j in partner or self.budget < 0:
                continue
            mark = self.bindings.mark()
            if self.try_pair(wanted[k], j):
                partner[j] = wanted[k]
                if self.assign(wanted, k + 1, partner):
                    return True
                del partner[j]
            self.bindings.rollback(mark)
        return False

    def greedy(self, wanted: list[int]) -> dict[int, int]:
        """First-fit pairing for the report: real index -> recorded index."""
        partner: dict[int, int] = {}
        for i in wanted:
            for j in range(len(self.real)):
                if j in partner:
                    continue
                mark = self.bindings.mark()
                if self.try_pair(i, j):
                    partner[j] = i
                    break
                self.bindings.rollback(mark)
            else:
                self.notes.append(f"line {i + 1}: missing from the output: {_show(self.recorded[i])}")
        return partner
