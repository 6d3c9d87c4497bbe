"""Per-engine variants of a block: which blocks a page runs on which engine.

A page is verified on every engine the site configures (pages/config.py). A block whose real
output differs between engines is recorded once per engine, as Material content tabs, each
variant tagged with the engine it belongs to:

    === "Engine 28.5"

        ```console {#net-rm .docsexec data-engine="debian-forky"}
        ...
    === "Engine 26.1"

        ```console {#net-rm-trixie .docsexec data-engine="debian-trixie"}
        ...

The variants of one block form a group keyed by the block's base id: the primary engine's
variant keeps the id (links to it keep working), the others add `-<engine suffix>`. On an
engine, a page runs its untagged blocks, and from each group the variant for that engine, or
else the primary's (so a newer engine with no variant of its own, such as `system` in the
nightly job, is held to what the primary engine prints).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..model import Block

ENGINE_OPTION = "data-engine"
DIFF_OPTION = "data-engine-diff"  # "tabs" (default): record per-engine variants; "error": a difference fails
DIFF_MODES = ("tabs", "error")


def suffix(source: str) -> str:
    """`debian-trixie` -> `trixie`: what a non-primary variant's id ends with."""
    return source.removeprefix("debian-")


def variant_id(base: str, source: str) -> str:
    return f"{base}-{suffix(source)}"


def base_id(block: Block) -> str:
    """The group a variant belongs to: its id without its engine's suffix (untagged: its id)."""
    engine = block.options.engine
    if engine is not None and block.id.endswith("-" + suffix(engine)):
        return block.id[: -len(suffix(engine)) - 1]
    return block.id


def select(blocks: Sequence[Block], source: str, primary: str) -> list[Block]:
    """The blocks a page runs on `source`, in page order (see the module docstring)."""
    groups: dict[str, dict[str, Block]] = {}
    for block in blocks:
        if block.options.engine is not None:
            groups.setdefault(base_id(block), {})[block.options.engine] = block
    chosen: list[Block] = []
    for block in blocks:
        engine = block.options.engine
        if engine is None:
            chosen.append(block)
            continue
        group = groups[base_id(block)]
        wanted = source if source in group else (primary if primary in group else next(iter(group)))
        if engine == wanted:
            chosen.append(block)
    return chosen


def tab_label(version: str) -> str:
    """`28.5.2+dfsg4` -> `Engine 28.5`: the content tab's title for that engine's variant."""
    numbers = re.findall(r"\d+", version)[:2]
    return "Engine " + ".".join(numbers) if numbers else f"Engine {version}"


def short_version(version: str) -> str:
    """`28.5.2+dfsg4` -> `28.5.2`: how the badge names an engine."""
    return version.split("+", 1)[0]
