"""Find the tagged blocks of a page.

Fences are found with the rules pymdownx.superfences applies when Material renders the
page, not with CommonMark's: a fence may be indented to any depth (inside a list item, an
`!!! note` admonition or a `=== "Tab"`), and closes at the same indentation with the same
character. A CommonMark parser such as markdown-it-py reads a fence indented under an
admonition as an indented code block and would miss it, so the scanner follows the renderer.
Everything inside any open fence is text, so a contributor guide can show a tagged block
as an example inside a four-backtick fence without it running.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import BadInput
from ..model import Block, BlockOptions
from ..page import Page
from .options import is_tagged, looks_like_a_mistyped_tag, parse_fence_options
from .transcript import parse_transcript
from .variants import base_id, page_engines

_OPENING = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


@dataclass(frozen=True)
class Fence:
    """Any fenced region of a page, tagged or not (0-based line indexes)."""

    start: int  # index of the opening fence line
    end: int  # index of the closing fence line
    indent: str
    fence: str
    info: str


def find_fences(page: Page) -> list[Fence]:
    """Every top-level fence of the page, in order. Raises BadInput for an unclosed tagged fence."""
    fences: list[Fence] = []
    index = 0
    lines = page.lines
    while index < len(lines):
        match = _OPENING.match(lines[index])
        if not match or (match.group("fence")[0] == "`" and "`" in match.group("info")):
            index += 1
            continue
        indent, fence, info = match.group("indent", "fence", "info")
        end = _closing_index(lines, index, indent, fence)
        if end is None:
            if is_tagged(info):
                raise BadInput(page.path, index + 1, f"unterminated fence: no closing {fence} for this tagged block")
            end = len(lines)  # an open untagged fence swallows the rest, as the renderer does
        fences.append(Fence(start=index, end=end, indent=indent, fence=fence, info=info))
        index = end + 1
    return fences


def _closing_index(lines: list[str], start: int, indent: str, fence: str) -> int | None:
    closing = re.compile(rf"^{re.escape(indent)}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    for index in range(start + 1, len(lines)):
        if closing.match(lines[index]):
            return index
    return None


def scan_page(page: Page) -> list[Block]:
    """The page's tagged blocks, parsed and validated; ids must be unique on the page.
    Scanned once per process for the same text: one command reads a page for its plan, its
    translation's check and its stamp (blocks are frozen, the list is the caller's own)."""
    return list(_scanned(page.path, tuple(page.lines)))


@functools.lru_cache(maxsize=512)
def _scanned(path: Path, lines: tuple[str, ...]) -> tuple[Block, ...]:
    return tuple(_scan(Page(path=path, lines=list(lines), newline="\n", bom=False, ends_with_newline=True)))


def _scan(page: Page) -> list[Block]:
    blocks: list[Block] = []
    seen: dict[str, int] = {}
    needs = page_engines(page)
    for fence in find_fences(page):
        line = fence.start + 1
        if not is_tagged(fence.info):
            if looks_like_a_mistyped_tag(fence.info):
                raise BadInput(
                    page.path,
                    line,
                    f"fence mentions docsexec but is not tagged: write {{#id .docsexec}} (got {fence.info.strip()!r})",
                )
            continue
        options = parse_fence_options(fence.info, page.path, line)
        if options.id in seen:
            raise BadInput(
                page.path, line, f"duplicate block id {options.id!r} (first used on line {seen[options.id]})"
            )
        seen[options.id] = line
        blocks.append(_block(page, fence, _continuing(options, blocks, page.path, line), needs))
    _check_relations(page.path, blocks)
    _check_peer_engine(page.path, blocks)
    _check_setup_sentences(page, blocks)
    return blocks


# Lines that are not the prose sentence a set-up block needs above it: fences, headings,
# admonitions, content tabs, tables, raw HTML, rules.
_NOT_PROSE = re.compile(r"^\s*(?:`{3,}|~{3,}|#|!!!|\?\?\?|===|\||<|---)")
_TAB_HEADER = re.compile(r'^\s*=== "')


def _check_setup_sentences(page: Page, blocks: list[Block]) -> None:
    """A set-up block (class `.setup`) is shown collapsed, below the sentence of what a reader
    does instead on a real machine: that sentence must be the prose just above the block (or
    above the content tabs of its per-engine variants), so a reader is never left with a
    collapsed box and nothing to do."""
    groups: set[str] = set()
    for block in blocks:
        if not block.options.setup or base_id(block) in groups:
            continue  # the variants after a group's first sit in the same set of tabs
        groups.add(base_id(block))
        index = block.fence_line - 2
        while index >= 0 and (not page.lines[index].strip() or _TAB_HEADER.match(page.lines[index])):
            index -= 1
        if index < 0 or _NOT_PROSE.match(page.lines[index]):
            what = "the page's start" if index < 0 else f"line {index + 1} ({page.lines[index].strip()[:30]!r})"
            raise BadInput(
                page.path,
                block.fence_line,
                f"set-up block {block.id!r} needs, just above it, the sentence of what a reader does instead"
                f" on a real machine; above it is {what}",
            )


def _block(page: Page, fence: Fence, options: BlockOptions, needs: tuple[str, ...] = ()) -> Block:
    """The block of a tagged fence, whole: its dedented body and the commands parsed from it."""
    body = tuple(dedented_body(page, fence.start + 1, fence.end, fence.indent))
    return Block(
        path=page.path,
        options=options,
        fence_line=fence.start + 1,
        body_start=fence.start + 1,
        body_end=fence.end,
        indent=fence.indent,
        fence=fence.fence,
        commands=parse_transcript(body, options, page.path, fence.start + 1),
        body=body,
        page_engines=needs,
    )


def dedented_body(page: Page, start: int, end: int, indent: str) -> list[str]:
    """Lines start..end without the fence's indentation (lists, admonitions, tabs); the one
    place that rule lives, for scanning, rewriting and the provenance digest alike."""
    body: list[str] = []
    for index in range(start, end):
        text = page.lines[index]
        if text.startswith(indent):
            body.append(text[len(indent) :])
        elif not text.strip():
            body.append("")
        else:
            raise BadInput(
                page.path, index + 1, "line is indented less than its fence: the renderer would end the block here"
            )
    return body


def _continuing(options: BlockOptions, earlier: list[Block], path: Path, line: int) -> BlockOptions:
    """A block with data-continue takes over the program the block just before it left open:
    it must be the very next tagged block (nothing else can run while that program waits), and
    it inherits that block's prompts, so they are declared once per session."""
    if options.continues is None:
        return options
    previous = earlier[-1] if earlier else None
    if previous is None or previous.id != options.continues:
        before = f"the block just before it is {previous.id!r}" if previous else "no tagged block comes before it"
        raise BadInput(
            path,
            line,
            f"data-continue={options.continues!r}: a block continues the tagged block just before it ({before})",
        )
    problem = _continuation_problem(options, previous)
    if problem is not None:
        raise BadInput(path, line, problem)
    return replace(
        options,
        prompt=previous.options.prompt,
        shown_prompt=options.shown_prompt or previous.options.shown_prompt,
        host=options.host or previous.options.host,
    )


def _continuation_problem(options: BlockOptions, previous: Block) -> str | None:
    """Why `options` cannot continue the program `previous` left open, if it cannot."""
    if previous.options.prompt is None:
        return f"data-continue={options.continues!r}: that block has no data-prompt, so it leaves no interactive program open"
    if options.prompt not in (None, previous.options.prompt):
        return f"data-prompt={options.prompt!r} differs from {previous.options.prompt!r} of the block it continues"
    if previous.commands[-1].exit_code != 0:
        return (
            f"data-exit of {previous.id!r}: the session it leaves open ends in this block, so write its exit code here"
        )
    if options.host is not None and options.on_peer != previous.options.on_peer:
        return f"data-host={options.host!r}: the program it continues runs on {previous.options.host or 'docker-host'}"
    return None


def _check_peer_engine(path: Path, blocks: list[Block]) -> None:
    """The LAN peer's engine is started once, by one block (its per-engine variants count as
    that block), so the page says plainly where the second engine comes into being."""
    first: Block | None = None
    for block in blocks:
        if not block.options.peer_engine:
            continue
        if first is not None and base_id(block) != base_id(first):
            raise BadInput(
                path,
                block.fence_line,
                f"data-peer-engine: the LAN peer's engine is started once per page, by {first.id!r} (line {first.fence_line})",
            )
        first = first or block


def _check_relations(path: Path, blocks: list[Block]) -> None:
    """A relation must name an earlier block of the same page: that block's output is the reference."""
    earlier: set[str] = set()
    for block in blocks:
        for relation in block.options.relations:
            if relation.block_id not in earlier:
                raise BadInput(
                    path,
                    block.fence_line,
                    f"{relation.kind.value}={relation.target!r}: no earlier block with id {relation.block_id!r} on this page",
                )
        earlier.update((block.id, base_id(block)))


def scan_file(path: Path) -> tuple[Page, list[Block]]:
    page = Page.read(path)
    return page, scan_page(page)
