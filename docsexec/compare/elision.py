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

from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

ELISION = "..."

TryPair = Callable[[int, int], bool]  # binds on success; caller rolls back on failure


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
    def since(self, mark: int) -> tuple: ...


def exact_alignment(
    elided: Sequence[bool], n_real: int, try_pair: TryPair, binder: Binder
) -> list[tuple[int, int]] | None:
    """Pairs (recorded, real) of a full match, or None. Bindings stay made on success."""
    segs, trailing = segments(elided)
    start = binder.mark()
    # Failures are memoised per (segment, binding state). A segment after `...` may start
    # anywhere from j on, so failing from j implies failing from any later j: keep the
    # smallest such j, which makes the search about O(segments x lines) per binding state.
    failed_from: dict[tuple[int, tuple], int] = {}

    def positions(k: int, j: int) -> range:
        size, free = len(segs[k].items), segs[k].gap_before
        if k == len(segs) - 1 and not trailing:  # the last segment ends the output
            end = n_real - size
            return range(end, end + 1) if end >= j and (free or end == j) else range(0)
        if free:
            return range(j, n_real - size + 1)
        return range(j, j + 1) if j + size <= n_real else range(0)

    def known_failure(k: int, j: int, state: tuple) -> bool:
        lowest = failed_from.get((k, state))
        return lowest is not None and (j == lowest or (segs[k].gap_before and j > lowest))

    def search(k: int, j: int) -> list[tuple[int, int]] | None:
        if k == len(segs):
            return [] if (trailing or j == n_real) else None
        state = binder.since(start)
        if known_failure(k, j, state):
            return None
        for p in positions(k, j):
            mark = binder.mark()
            pairs = [(i, p + off) for off, i in enumerate(segs[k].items)]
            if all(try_pair(i, r) for i, r in pairs):
                rest = search(k + 1, p + len(pairs))
                if rest is not None:
                    return pairs + rest
            binder.rollback(mark)
        previous = failed_from.get((k, state))
        if previous is None or (segs[k].gap_before and j < previous):
            failed_from[(k, state)] = j
        return None

    if not segs:
        return [] if (any(elided) or n_real == 0) else None
    return search(0, 0)


# --- best-effort alignment for diverged output ------------------------------------------

MATCH, SUB, DEL, INS, ABSORB, KEEP_ELISION = "match", "sub", "del", "ins", "absorb", "elision"
# A recorded line that vanished costs more than a new real line, so the script prefers to
# keep recorded anchors (and write new lines around them) over dropping them.
_COST = {MATCH: 0, ABSORB: 0, KEEP_ELISION: 0, SUB: 3, DEL: 3, INS: 1}


@dataclass(frozen=True)
class Op:
    kind: str
    recorded: int | None  # recorded index
    real: int | None  # real index


def best_alignment(
    elided: Sequence[bool], n_real: int, loose: Callable[[int, int], bool]
) -> list[Op]:
    """Minimum-cost edit script from recorded to real.

    `loose(i, j)` says whether recorded item i can match real item j on its own (shape and
    bindings known before this output). Elisions absorb real items at no cost, so new lines
    next to a `...` are what the author allowed, never reported.
    """
    n = len(elided)
    inf = float("inf")
    cost = [[inf] * (n_real + 1) for _ in range(n + 1)]
    cost[n][n_real] = 0
    for i in range(n, -1, -1):
        for j in range(n_real, -1, -1):
            if i == n and j == n_real:
                continue
            cost[i][j] = min(c for c, _ in _moves(i, j, n, n_real, elided, loose, cost))
    ops: list[Op] = []
    i = j = 0
    while i < n or j < n_real:
        best, op = min(_moves(i, j, n, n_real, elided, loose, cost), key=lambda m: m[0])
        ops.append(op)
        i, j = _advance(op, i, j)
    return ops


def _moves(i, j, n, m, elided, loose, cost):
    """Candidate (total cost, op) moves from state (i, j), in preference order."""
    out = []
    if i < n and elided[i]:
        if j < m:
            out.append((cost[i][j + 1] + _COST[ABSORB], Op(ABSORB, i, j)))
        out.append((cost[i + 1][j] + _COST[KEEP_ELISION], Op(KEEP_ELISION, i, None)))
        return out
    if i < n and j < m:
        if loose(i, j):
            out.append((cost[i + 1][j + 1] + _COST[MATCH], Op(MATCH, i, j)))
        out.append((cost[i + 1][j + 1] + _COST[SUB], Op(SUB, i, j)))
    if i < n:
        out.append((cost[i + 1][j] + _COST[DEL], Op(DEL, i, None)))
    if j < m:
        out.append((cost[i][j + 1] + _COST[INS], Op(INS, None, j)))
    return out


def _advance(op: Op, i: int, j: int) -> tuple[int, int]:
    if op.kind in (MATCH, SUB):
        return i + 1, j + 1
    if op.kind in (DEL, KEEP_ELISION):
        return i + 1, j
    return i, j + 1
