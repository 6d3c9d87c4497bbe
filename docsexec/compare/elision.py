"""Aligning a recorded sequence (with `...` elisions) to a real sequence.

Two algorithms, both generic over "items" (output lines, or JSON list elements):

* `exact_alignment` finds an alignment in which every recorded item matches, binding
  volatile values as it goes. The recorded side is cut at each `...` into segments of
  consecutive items; a segment must match a contiguous run of real items, so only segment
  start positions are searched (backtracking over them, memoised on the binding state).
  That is a proper alignment, not a greedy one: `[A, ..., C]` matches `[A, B1, C, B2, C]`.
* `best_alignment` is used once that failed: a minimum-cost edit script (dynamic
  programming) whose pairs say which lines still match, for writing and for notes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

ELISION = "..."

TryPair = Callable[[int, int], bool]  # binds on success; caller rolls back on failure
Pairs = list[tuple[int, int]]  # (recorded index, real index)


def is_elision(line: str) -> bool:
    """A line that is only `...` elides zero or more lines. Indentation is allowed so an
    author can elide inside indented output (`ip addr` stanzas, JSON) naturally."""
    return line.strip() == ELISION


@dataclass(frozen=True)
class Segment:
    items: tuple[int, ...]  # recorded indexes
    gap_before: bool  # an elision precedes it


def segments(elided: Sequence[bool]) -> tuple[list[Segment], bool]:
    """Cut recorded items at elisions; also say whether an elision ends the sequence."""
    segs: list[Segment] = []
    current: list[int] = []
    gap = False  # an elision was seen since the last segment started
    current_gap = False
    for i, is_gap in enumerate(elided):
        if is_gap:
            if current:
                segs.append(Segment(tuple(current), current_gap))
                current = []
            gap = True
            continue
        if not current:
            current_gap, gap = gap, False
        current.append(i)
    if current:
        segs.append(Segment(tuple(current), current_gap))
    return segs, gap


class Binder(Protocol):
    """What the search needs from bindings: mark, rollback, and a state summary."""

    def mark(self) -> int: ...
    def rollback(self, mark: int) -> None: ...
    def since(self, mark: int) -> tuple[object, ...]: ...


def exact_alignment(elided: Sequence[bool], n_real: int, try_pair: TryPair, binder: Binder) -> Pairs | None:
    """Pairs (recorded, real) of a full match, or None. Bindings stay made on success."""
    segs, trailing = segments(elided)
    if not segs:
        return [] if (any(elided) or n_real == 0) else None
    return _ExactSearch(segs, trailing, n_real, try_pair, binder, binder.mark()).search(0, 0)


@dataclass
class _ExactSearch:
    """Backtracking over segment start positions, failures memoised per binding state.

    A segment after `...` may start anywhere from j on, so failing from j implies failing
    from any later j: the smallest such j is kept, which makes the search about
    O(segments x lines) per binding state.
    """

    segs: list[Segment]
    trailing: bool  # an elision ends the recorded side: real items may follow the last segment
    n_real: int
    try_pair: TryPair
    binder: Binder
    start: int  # the binder's mark when the search began
    failed_from: dict[tuple[int, tuple[object, ...]], int] = field(default_factory=dict)

    def search(self, k: int, j: int) -> Pairs | None:
        """Pairs placing segments k.. from real index j on, or None."""
        if k == len(self.segs):
            return [] if (self.trailing or j == self.n_real) else None
        state = self.binder.since(self.start)
        if self.known_failure(k, j, state):
            return None
        for p in self.positions(k, j):
            mark = self.binder.mark()
            pairs = [(i, p + off) for off, i in enumerate(self.segs[k].items)]
            if all(self.try_pair(i, r) for i, r in pairs):
                rest = self.search(k + 1, p + len(pairs))
                if rest is not None:
                    return pairs + rest
            self.binder.rollback(mark)
        self.remember_failure(k, j, state)
        return None

    def positions(self, k: int, j: int) -> range:
        """Where segment k may start, given that the previous one ended before j."""
        size, free = len(self.segs[k].items), self.segs[k].gap_before
        if k == len(self.segs) - 1 and not self.trailing:  # the last segment ends the output
            end = self.n_real - size
            return range(end, end + 1) if end >= j and (free or end == j) else range(0)
        if free:
            return range(j, self.n_real - size + 1)
        return range(j, j + 1) if j + size <= self.n_real else range(0)

    def known_failure(self, k: int, j: int, state: tuple[object, ...]) -> bool:
        lowest = self.failed_from.get((k, state))
        return lowest is not None and (j == lowest or (self.segs[k].gap_before and j > lowest))

    def remember_failure(self, k: int, j: int, state: tuple[object, ...]) -> None:
        previous = self.failed_from.get((k, state))
        if previous is None or (self.segs[k].gap_before and j < previous):
            self.failed_from[(k, state)] = j


# --- best-effort alignment for diverged output ------------------------------------------


class OpKind(Enum):
    """One edit of the script from the recorded side to the real one."""

    MATCH = "match"  # the pair still matches
    SUB = "sub"  # the recorded line changed into the real one
    DEL = "del"  # a recorded line is missing from the output
    INS = "ins"  # a new real line
    ABSORB = "absorb"  # a real line an elision stands for
    KEEP_ELISION = "elision"  # the elision line itself, kept


# A recorded line that vanished costs more than a new real line, so the script prefers to
# keep recorded anchors (and write new lines around them) over dropping them.
_COST = {
    OpKind.MATCH: 0,
    OpKind.ABSORB: 0,
    OpKind.KEEP_ELISION: 0,
    OpKind.SUB: 3,
    OpKind.DEL: 3,
    OpKind.INS: 1,
}
# In an abridgment (`similar` given), a recorded line that is still there, changed, is cheaper
# to rewrite in place than to drop while a `...` absorbs its new text for free; a line that
# became another line altogether is dropped instead (and `update` refuses the block).
_SIMILAR_SUB = 2
_DISSIMILAR_SUB = 4


@dataclass(frozen=True)
class Op:
    """An edit at recorded index `recorded` and real index `real` (the one it is about,
    or, for an edit on one side only, the position on the other side)."""

    kind: OpKind
    recorded: int
    real: int


Loose = Callable[[int, int], bool]
Move = tuple[float, Op]  # total cost from here to the end, and the edit


def best_alignment(elided: Sequence[bool], n_real: int, loose: Loose, similar: Loose | None = None) -> list[Op]:
    """Minimum-cost edit script from recorded to real.

    `loose(i, j)` says whether recorded item i can match real item j on its own (shape and
    bindings known before this output). Elisions absorb real items at no cost, so new lines
    next to a `...` are what the author allowed, never reported. `similar(i, j)`, where
    given, says that item i changed into item j (a cheaper substitution).
    """
    moves = _Moves(elided, n_real, loose, similar)
    n = len(elided)
    cost = [[float("inf")] * (n_real + 1) for _ in range(n + 1)]
    cost[n][n_real] = 0
    for i in range(n, -1, -1):
        for j in range(n_real, -1, -1):
            if i == n and j == n_real:
                continue
            cost[i][j] = min(c for c, _ in moves(i, j, cost))
    ops: list[Op] = []
    i = j = 0
    while i < n or j < n_real:
        _, op = min(moves(i, j, cost), key=lambda m: m[0])
        ops.append(op)
        i, j = _advance(op, i, j)
    return ops


@dataclass(frozen=True)
class _Moves:
    elided: Sequence[bool]
    m: int  # real items
    loose: Loose
    similar: Loose | None

    def __call__(self, i: int, j: int, cost: list[list[float]]) -> list[Move]:
        """Candidate (total cost, op) moves from state (i, j), in preference order."""
        n, m = len(self.elided), self.m
        out: list[Move] = []
        if i < n and self.elided[i]:
            if j < m:
                out.append((cost[i][j + 1] + _COST[OpKind.ABSORB], Op(OpKind.ABSORB, i, j)))
            out.append((cost[i + 1][j] + _COST[OpKind.KEEP_ELISION], Op(OpKind.KEEP_ELISION, i, j)))
            return out
        if i < n and j < m:
            if self.loose(i, j):
                out.append((cost[i + 1][j + 1] + _COST[OpKind.MATCH], Op(OpKind.MATCH, i, j)))
            sub = _COST[OpKind.SUB] if self.similar is None else self._abridged_sub(i, j)
            out.append((cost[i + 1][j + 1] + sub, Op(OpKind.SUB, i, j)))
        if i < n:
            out.append((cost[i + 1][j] + _COST[OpKind.DEL], Op(OpKind.DEL, i, j)))
        if j < m:
            out.append((cost[i][j + 1] + _COST[OpKind.INS], Op(OpKind.INS, i, j)))
        return out

    def _abridged_sub(self, i: int, j: int) -> int:
        assert self.similar is not None
        return _SIMILAR_SUB if self.similar(i, j) else _DISSIMILAR_SUB


def _advance(op: Op, i: int, j: int) -> tuple[int, int]:
    if op.kind in (OpKind.MATCH, OpKind.SUB):
        return i + 1, j + 1
    if op.kind in (OpKind.DEL, OpKind.KEEP_ELISION):
        return i + 1, j
    return i, j + 1
