"""Page-wide bindings between recorded volatile values and real ones.

Why a bijection: a page's claims are often relations between outputs ("the address
`docker inspect` showed is the one `ping` reached", "the container's `eth0@if18` is the
host's `veth…@if17`"). Matching every volatile value with a wildcard would let those
relations break silently. So the first time a recorded value X meets a real value Y they
are bound, and from then on X must meet Y and Y must meet X everywhere on the page.

Bindings are undoable (mark/rollback) because alignment tries alternatives.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from .volatile import Slot

Pairs = list[tuple[Slot, str]]  # recorded slot -> the real value found in its place

# Namespaces whose long values also bind their short prefix (64-hex IDs -> 12-hex).
PREFIX_LEN: dict[str, int] = {"id": 12}


@dataclass
class Bindings:
    """Two maps per namespace (recorded -> real, real -> recorded) plus an undo journal."""

    _forward: dict[tuple[str, str], str] = field(default_factory=dict)
    _reverse: dict[tuple[str, str], str] = field(default_factory=dict)
    _journal: list[tuple[str, str, str]] = field(default_factory=list)
    _unrecorded: set[tuple[str, str]] = field(default_factory=set)  # bound while writing an output the page lacks
    writing_unrecorded: bool = False  # set by the comparator while it compares against an empty recorded output

    # -- queries ---------------------------------------------------------------------------

    def real_for(self, namespace: str, recorded: str) -> str | None:
        """The real value `recorded` stands for, if bound."""
        return self._forward.get((namespace, recorded))

    def recorded_name(self, namespace: str, real: str) -> str | None:
        """The page's name for `real`: the value bound to it, or, for a long value whose
        short prefix the page already names (a full container ID after its short ID), that
        name followed by the rest of the real value. Binds nothing."""
        exact = self._reverse.get((namespace, real))
        short = PREFIX_LEN.get(namespace, 0)
        if exact is not None or not short or len(real) <= short:
            return exact
        prefix = self._reverse.get((namespace, real[:short]))
        return None if prefix is None else prefix + real[short:]

    def pairs(self) -> list[tuple[str, str, str]]:
        """Every binding, in the order it was made: (namespace, recorded, real)."""
        return list(self._journal)

    # -- checking and binding --------------------------------------------------------------

    def conflict(self, namespace: str, recorded: str, real: str) -> str | None:
        """Why binding recorded<->real would break the bijection, or None if it would not."""
        for rec, act in self._expand(namespace, recorded, real):
            bound_real = self._forward.get((namespace, rec))
            if bound_real is not None and bound_real != act:
                return (
                    f"recorded {rec} stood for {bound_real} earlier on this page{self._origin(namespace, rec)}, "
                    f"but here the output has {act}"
                )
            bound_rec = self._reverse.get((namespace, act))
            if bound_rec is not None and bound_rec != rec:
                return (
                    f"{act} in the output was recorded as {bound_rec} earlier on this page{self._origin(namespace, bound_rec)}, "
                    f"but here the page records {rec}"
                )
        return None

    def bind(self, namespace: str, recorded: str, real: str) -> str | None:
        """Bind recorded<->real (and short prefixes); return the conflict instead if any."""
        problem = self.conflict(namespace, recorded, real)
        if problem is not None:
            return problem
        for rec, act in self._expand(namespace, recorded, real):
            if (namespace, rec) not in self._forward:
                self._forward[(namespace, rec)] = act
                self._reverse[(namespace, act)] = rec
                self._journal.append((namespace, rec, act))
                if self.writing_unrecorded:
                    self._unrecorded.add((namespace, rec))
        return None

    def bind_slot(self, slot: Slot, real: str) -> str | None:
        """Bind a slot to the real value in its place; a free class binds nothing."""
        return self.bind(slot.cls.namespace, slot.recorded, real) if slot.cls.bound else None

    def _origin(self, namespace: str, recorded: str) -> str:
        """Where a binding came from, when the page cannot show it: an output it does not record."""
        if (namespace, recorded) in self._unrecorded:
            return " (in an output the page does not record: the value came from the real run)"
        return ""

    def mark(self) -> int:
        """A point to roll back to."""
        return len(self._journal)

    def rollback(self, mark: int) -> None:
        """Forget every binding made after `mark`."""
        while len(self._journal) > mark:
            namespace, rec, act = self._journal.pop()
            self._unrecorded.discard((namespace, rec))
            del self._forward[(namespace, rec)]
            del self._reverse[(namespace, act)]

    def since(self, mark: int) -> tuple[tuple[str, str, str], ...]:
        """Bindings made after `mark`: a hashable summary of the state for memoisation."""
        return tuple(self._journal[mark:])

    @staticmethod
    def _expand(namespace: str, recorded: str, real: str) -> list[tuple[str, str]]:
        short = PREFIX_LEN.get(namespace, 0)
        pairs = [(recorded, real)]
        if short and len(recorded) > short and len(real) > short:
            pairs.append((recorded[:short], real[:short]))
        return pairs


class SlotBinder(Protocol):
    """What matching binds through: the page's Bindings, or a SlotLog that only records."""

    def bind_slot(self, slot: Slot, real: str) -> str | None: ...
    def mark(self) -> int: ...
    def rollback(self, mark: int) -> None: ...
    def since(self, mark: int) -> tuple[object, ...]: ...


@dataclass
class SlotLog:
    """A SlotBinder that accepts every slot and keeps the list: the shape match of one line
    (a JSON Lines document), whose pairs the line aligner then binds like any line's."""

    pairs: Pairs = field(default_factory=list)

    def bind_slot(self, slot: Slot, real: str) -> str | None:
        self.pairs.append((slot, real))
        return None

    def mark(self) -> int:
        return len(self.pairs)

    def rollback(self, mark: int) -> None:
        del self.pairs[mark:]

    def since(self, mark: int) -> tuple[object, ...]:
        return tuple(self.pairs[mark:])


def bind_slots(binder: SlotBinder, pairs: Iterable[tuple[Slot, str]], *, keep_going: bool = False) -> str | None:
    """Bind every slot to its real value: the one bind loop of the comparator.

    Stops at the first conflict and returns it (the caller rolls back), or with `keep_going`
    binds all the slots that do not conflict, for a changed line whose values still tell
    which real value each recorded one stands for; then it returns the first conflict seen.
    """
    first: str | None = None
    for slot, real in pairs:
        problem = binder.bind_slot(slot, real)
        if problem is not None:
            if not keep_going:
                return problem
            first = first or problem
    return first
