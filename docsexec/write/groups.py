"""Which engines share which output: a block's variants after one engine's run.

A block prints the same on most engines and differently on some. Its variants (scan/variants)
each hold the engines that print one output, the owner first: the engine whose run the body
shows. After a run on engine E that the shown output no longer describes, E leaves the variant
it ran, and joins a variant whose body has the same shape as its own output (volatile values
aside), or gets a variant of its own. Variants are ordered by their owner's place in the
project's engine list, so the primary's comes first and keeps the block's id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from ..compare.volatile import find_tokens
from .tabs import Variant


def moved(
    current: Sequence[Variant],
    engine: str,
    body: Sequence[str],
    order: Sequence[str],
    classes: Iterable[str],
    exits: tuple[int, ...] | None = None,
) -> list[Variant]:
    """The variants once `engine`, whose run printed `body` and exited with `exits` (None: as
    the variant it ran says), has left the one it ran."""
    kinds = frozenset(classes)
    ran = next((v for v in current if engine in v.engines), None)
    codes = exits if exits is not None else (ran.exits if ran is not None else None)
    left = [replace(v, engines=tuple(e for e in v.engines if e != engine)) for v in current]
    kept = [v for v in left if v.engines]
    home = next(
        (k for k, v in enumerate(kept) if _shape(v.body, kinds) == _shape(body, kinds) and _same(v.exits, codes)),
        None,
    )
    if home is None:
        kept.append(Variant((engine,), tuple(body), codes))
    else:
        kept[home] = joined(kept[home], engine, order)
    return ordered(kept, order)


def ordered(variants: Sequence[Variant], order: Sequence[str]) -> list[Variant]:
    """Variants by their owner's place in the project's engine list: the primary's first."""
    return sorted(variants, key=lambda v: _rank(v.engines[0], order))


def joined(variant: Variant, engine: str, order: Sequence[str]) -> Variant:
    """`variant` holding `engine` too, behind its owner (whose run the body still shows)."""
    rest = sorted({*variant.engines[1:], engine} - {variant.engines[0]}, key=lambda e: _rank(e, order))
    return replace(variant, engines=(variant.engines[0], *rest))


def _same(one: tuple[int, ...] | None, other: tuple[int, ...] | None) -> bool:
    """Equal exit codes, None being all 0."""
    return (not any(one or ()) and not any(other or ())) or one == other


def _rank(engine: str, order: Sequence[str]) -> int:
    return order.index(engine) if engine in order else len(order)


def _shape(body: Sequence[str], classes: frozenset[str]) -> list[str]:
    """The body with every volatile value replaced by its class: what two runs share."""
    shaped = []
    for line in body:
        out, last = [], 0
        for tok in find_tokens(line, classes):
            out += [line[last : tok.start], f"<{tok.cls.name}>"]
            last = tok.end
        shaped.append("".join(out) + line[last:].rstrip())
    return shaped
