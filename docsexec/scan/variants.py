"""Per-engine variants of a block: which blocks a page runs on which engine.

A page is verified on every engine the site configures (pages/config.py). A block whose real
output differs between engines is recorded once per engine, as Material content tabs, each
variant tagged with the engine it belongs to:

    === "Engine 28.5"

        ```console {#net-rm .docsexec data-engine="debian-forky"}
        ...
    === "Engines 28.5 and 26.1"

        ```console {#net-rm-forky .docsexec data-engine="debian-forky debian-trixie"}
        ...

A variant may hold several engines that print the same: it shows the run of the first one
it names (its owner), and the others were checked against it. The variants of one block
form a group keyed by the block's base id: the primary engine's variant keeps the id (links
to it keep working), the others add `-<owner's suffix>`. On an engine, a page runs its
untagged blocks, and from each group the variant holding that engine, or else the primary's
(so a newer engine with no variant of its own, such as `system` in the nightly job, is held
to what the primary engine prints).

A page about a feature that older engines lack names the engines it needs in its front matter:

    docsexec-engines: [upstream-29]

On those it runs as above. On the site's other engines it runs only the blocks that hold a
variant of their own for that engine: the steps that show such an engine's real refusal (a
block tagged with every engine, split into tabs by `update` where they differ). A single
step that only some engines can run (a daemon setting added in 28.2) says so itself:
`data-only-on="upstream-29 debian-forky"`; the other engines skip it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..errors import BadInput
from ..model import ENGINE_SOURCES, Block, Unchecked
from ..page import Page

ENGINE_OPTION = "data-engine"
DIFF_OPTION = "data-engine-diff"  # "tabs" (default): record per-engine variants; "error": a difference fails
DIFF_MODES = ("tabs", "error")
NEEDS_KEY = "docsexec-engines"
_NEEDS = re.compile(rf"^{NEEDS_KEY}:\s*\[(?P<names>[^\]]*)\]\s*$")


def page_engines(page: Page) -> tuple[str, ...]:
    """The engines the page's front matter says it needs (`docsexec-engines: [a, b]`); ()
    when it names none, i.e. every engine."""
    bounds = page.front_matter_range()
    if bounds is None:
        return ()
    for index in range(bounds[0] + 1, bounds[1]):
        line = page.lines[index]
        if not line.startswith(f"{NEEDS_KEY}:"):
            continue
        found = _NEEDS.match(line.rstrip())
        names = tuple(n.strip() for n in found.group("names").split(",") if n.strip()) if found else ()
        bad = [name for name in names if name not in ENGINE_SOURCES]
        if not names or bad or len(set(names)) != len(names):
            raise BadInput(
                page.path,
                index + 1,
                f"{NEEDS_KEY}: expected a list such as [upstream-29] of distinct names from {', '.join(ENGINE_SOURCES)}",
            )
        return names
    return ()


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
        for engine in block.options.engines:
            groups.setdefault(base_id(block), {})[engine] = block
    chosen: list[Block] = []
    for block in blocks:
        needed = not block.page_engines or source in block.page_engines
        if block.options.only_on and source not in block.options.only_on:
            continue
        if not block.options.engines:
            if needed:
                chosen.append(block)
            continue
        group = groups[base_id(block)]
        if source not in group and not needed:
            continue
        if source not in group and primary not in group and primary in ENGINE_SOURCES:
            raise BadInput(block.path, block.fence_line, _orphan(block, primary))
        wanted = source if source in group else (primary if primary in group else next(iter(group)))
        if group[wanted] is block:
            chosen.append(block)
    return chosen


def _orphan(block: Block, primary: str) -> str:
    """Why a group of variants without the primary's cannot run on an engine it lacks."""
    owner = block.options.engines[0]
    return (
        f'data-engine="{" ".join(block.options.engines)}": no variant of block {base_id(block)!r} is the primary '
        f"engine's ({primary}), so the others have none to run: name a variant after its group and its "
        f"first engine ({variant_id(base_id(block), owner)!r} beside {base_id(block)!r}), or use data-only-on"
    )


def unchecked(blocks: Sequence[Block], sources: Sequence[str], primary: str) -> list[Unchecked]:
    """The blocks that none of `sources` runs (select() on each), in page order: tabs of
    engines not among them."""
    chosen = {id(block) for source in sources for block in select(blocks, source, primary)}
    return [_unchecked(block) for block in blocks if id(block) not in chosen]


def _unchecked(block: Block) -> Unchecked:
    """Why no engine of the run checks it: a tab of others, or a step only others can run."""
    if block.options.only_on:
        return Unchecked(block, block.options.only_on, "a step only")
    if block.page_engines and not block.options.engines:
        return Unchecked(block, block.page_engines, "a page only")
    return Unchecked(block, block.options.engines)


def tab_label(*versions: str) -> str:
    """`28.5.2+dfsg4` -> `Engine 28.5`; two or more -> `Engines 28.5 and 26.1`: the content
    tab's title for a variant of those engines."""
    short = [".".join(re.findall(r"\d+", v)[:2]) or v for v in versions]
    if len(short) == 1:
        return f"Engine {short[0]}"
    return "Engines " + ", ".join(short[:-1]) + " and " + short[-1]


def short_version(version: str) -> str:
    """`28.5.2+dfsg4` -> `28.5.2`: how the badge names an engine."""
    return version.split("+", 1)[0]
