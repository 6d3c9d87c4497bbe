"""A block's per-engine content tabs, written: the rewrite `update` makes when engines print
a block differently (which engine goes where is write/groups.py's decision).

    ```console {#net-rm .docsexec}            === "Engines 29.7 and 26.1"
    $ docker network rm n1                =>
    <primary engine's output>                 ```console {#net-rm .docsexec data-engine="upstream-29 debian-trixie"}
    ```                                           <primary engine's output, unchanged>
                                              === "Engine 28.5"
                                                  ```console {#net-rm-forky .docsexec data-engine="debian-forky"}
                                                  <28.5's output>

One variant is one tab, titled with the engines it holds; a single variant is a plain block
again. Everything is indented as the block was (inside a list item or admonition the tabs are
too), the first variant keeps the block's id, and Material links tabs with the same title
across the page (content.tabs.link).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..model import Block
from ..page import Page
from ..scan.regions import Region
from ..scan.variants import ENGINE_OPTION, base_id, variant_id

TAB_INDENT = "    "
EXIT_OPTION = "data-exit"


@dataclass(frozen=True)
class Variant:
    """One tab: the engines that print this body, its owner (whose run it shows) first."""

    engines: tuple[str, ...]
    body: tuple[str, ...]  # dedented body lines
    exits: tuple[int, ...] | None = None  # its data-exit, one code per command (None: the template's)


def rewrite_group(
    page: Page, region: Region, template: Block, variants: Sequence[Variant], labels: Mapping[tuple[str, ...], str]
) -> Page:
    """The page with `region` (one block, or one block's tabs) replaced by `variants`: a plain
    block when there is one, else one tab each, titled `labels[engines]`. The variant that
    holds `variants[0]`'s owner keeps the group's base id; the others take their owner's
    suffix. `template` lends the fence lines (its id and data-engine are replaced)."""
    lines = list(page.lines)
    base = base_id(template)
    opening, closing = lines[template.fence_line - 1].strip(), lines[template.body_end].strip()
    if len(variants) == 1:
        # One variant for every engine is a plain block again, except on a page limited by
        # docsexec-engines, where an untagged block would stop running on the other engines.
        keep = variants[0].engines if template.page_engines else ()
        fence = _retagged(opening, template.id, base, keep, variants[0].exits)
        new = _fenced(fence, closing, variants[0].body, region.indent)
    else:
        new = []
        for k, variant in enumerate(variants):
            ident = base if k == 0 else variant_id(base, variant.engines[0])
            fence = _retagged(opening, template.id, ident, variant.engines, variant.exits)
            new += [f'{region.indent}=== "{labels[variant.engines]}"', ""]
            new += _fenced(fence, closing, variant.body, region.indent + TAB_INDENT)
            new += [""] if k < len(variants) - 1 else []
    lines[region.start : region.end + 1] = new
    return page.with_lines(lines)


def _fenced(opening: str, closing: str, body: Sequence[str], indent: str) -> list[str]:
    return [indent + opening, *[indent + line if line else "" for line in body], indent + closing]


def _retagged(
    opening: str, old_id: str, new_id: str, engines: tuple[str, ...], exits: tuple[int, ...] | None = None
) -> str:
    """The opening fence with id `new_id`, `data-engine` naming `engines` (none: removed) and
    `data-exit` giving the variant's own exit codes (all 0: removed; None: the fence's kept)."""
    renamed = re.sub(rf"(?<=[{{\s])#{re.escape(old_id)}(?=[\s}}])", f"#{new_id}", opening, count=1)
    options = (ENGINE_OPTION, EXIT_OPTION) if exits is not None else (ENGINE_OPTION,)
    bare = re.sub(rf'\s(?:{"|".join(options)})="[^"]*"', "", renamed)
    extra = f' {ENGINE_OPTION}="{" ".join(engines)}"' if engines else ""
    if exits is not None and any(exits):
        extra = f' {EXIT_OPTION}="{" ".join(map(str, exits))}"' + extra
    if not extra:
        return bare
    head, brace, tail = bare.rpartition("}")
    return f"{head}{extra}{brace}{tail}"
