"""Mutation test: does `check` catch real changes of behaviour in the site's own pages?

Each page runs once on a real engine. Then non-volatile tokens of its recorded outputs are
changed one at a time — a word of an error message, an interface name, a network driver
name, an interface state, an expected exit code — and the page is evaluated again against
the same real run (evaluation does not depend on the recorded text, so re-running Docker per
mutation would test nothing more). That run is the page's one run of this pytest session,
shared with the page's own items (docs/page.md::block-id), so no page's engine work is done twice. Every mutation that still "passes" is a lie the verifier
would have let through. The ratio is printed (and kept in test-artifacts/mutation.txt); at least
95% must be caught.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

import pytest

from conftest import REPO
from docsexec.compare.evaluate import evaluate_page
from docsexec.errors import BadInput
from docsexec.faces.pytest_plugin import page_settings, prefetch_runs, shared_page_run
from docsexec.model import BlockResult
from docsexec.page import Page
from docsexec.scan.fences import scan_page
from docsexec.scan.translations import source_of

pytestmark = [pytest.mark.engine, pytest.mark.usefixtures("engine_ready")]

# Source pages only: a translation's blocks are its source page's, compared, never run (verify.verify_translation).
PAGES = sorted(p for p in (REPO / "docs").rglob("*.md") if source_of(p) is None)
PER_PAGE = 40
ARTIFACTS = REPO / "test-artifacts"
TOKEN_SWAPS = {
    "eth0": "eth1",
    "eth1": "eth2",
    "lo": "lo0",
    "docker0": "docker1",
    "bridge": "macvlan",
    "host": "overlay",
    "null": "ipvlan",
    "local": "swarm",
    "UP": "DOWN",
    "DOWN": "UP",
    "global": "link",
    "true": "false",
    "false": "true",
}
ERROR_LINE = re.compile(r"error|bad address|not found|cannot|invalid|conflict|denied|refused|unreachable", re.I)
WORD = re.compile(r"\b[A-Za-z][A-Za-z_-]{2,}\b|\b(?:lo|UP)\b")


def mutations(page: Page) -> list[tuple[str, int, Page]]:
    """(description, line, mutated page) for every candidate token of recorded outputs."""
    found: list[tuple[str, int, Page]] = []
    for block in scan_page(page):
        output_lines = _output_line_indexes(page, block)
        for index in output_lines:
            for match in WORD.finditer(page.lines[index]):
                word = match.group(0)
                if word in TOKEN_SWAPS:
                    new = TOKEN_SWAPS[word]
                elif ERROR_LINE.search(page.lines[index]) and len(word) >= 4:
                    new = word[:-1] + ("x" if word[-1] != "x" else "y")
                else:
                    continue
                found.append((f"{word!r} -> {new!r}", index + 1, _edit(page, index, match.start(), match.end(), new)))
        header = block.body_start - 1
        exit_match = re.search(r'data-exit="([^"]+)"', page.lines[header])
        codes = exit_match.group(1).split() if exit_match else ["0"] * len(block.commands)
        for position, code in enumerate(codes):
            changed = codes.copy()
            changed[position] = "2" if code != "2" else "3"
            attribute = f'data-exit="{" ".join(changed)}"'
            line = page.lines[header]
            line = (
                line.replace(exit_match.group(0), attribute)
                if exit_match
                else line.replace(".docsexec", f".docsexec {attribute}", 1)
            )
            found.append((f"exit code {code} -> {changed[position]}", header + 1, _with_line(page, header, line)))
    return found


def _output_line_indexes(page: Page, block) -> list[int]:
    typed = {c.line - 1 for c in block.commands} | {i.line - 1 for c in block.commands for i in c.inputs}
    for command in block.commands:
        typed.update(range(command.line - 1, command.line - 1 + len(command.source)))
    return [
        i
        for i in range(block.body_start, block.body_end)
        if i not in typed and page.lines[i].strip() not in ("", "...")
    ]


def _edit(page: Page, index: int, start: int, end: int, new: str) -> Page:
    text = page.lines[index]
    return _with_line(page, index, text[:start] + new + text[end:])


def _with_line(page: Page, index: int, text: str) -> Page:
    lines = list(page.lines)
    lines[index] = text
    return replace(page, lines=lines)


def caught(run, mutated: Page, primary: str) -> bool:
    """The run's outcomes judged against the mutated page's blocks (matched by id: a run on
    one engine covers that engine's variants only), as `check` judges them (another engine's
    tabs in their own scope of bindings)."""
    try:
        by_id = {b.id: b for b in scan_page(mutated)}
    except BadInput:
        return True  # the mutated page is refused outright (exit 2): caught
    results = [BlockResult(block=by_id[r.block.id], commands=r.commands, problem=r.problem) for r in run.results]
    return any(not v.status.passing for v in evaluate_page(replace(run, results=results), primary))


def test_check_catches_at_least_95_percent_of_mutations(request):
    total, missed = 0, []
    rng = random.Random(20261127)
    prefetch_runs(request.config, [p for p in PAGES if scan_page(Page.read(p))])  # all at once, -j style
    for path in PAGES:
        page = Page.read(path)
        blocks = scan_page(page)
        if not blocks:
            continue
        # `check` runs the page on every configured engine; a per-engine variant runs only on
        # its engine, so a mutation is caught when the run of any engine catches it.
        settings = page_settings(request.config)
        runs = [(shared_page_run(request.config, path, s), s.primary_name) for s in settings]
        assert not any(caught(run, page, primary) for run, primary in runs), (
            f"{path} does not pass unmutated; fix the page first"
        )
        candidates = mutations(page)
        for description, line, mutated in rng.sample(candidates, min(PER_PAGE, len(candidates))):
            total += 1
            if not any(caught(run, mutated, primary) for run, primary in runs):
                missed.append(f"{path.relative_to(REPO)}:{line}: {description}")
    ratio = (total - len(missed)) / total
    summary = [f"mutation test: caught {total - len(missed)}/{total} = {ratio:.1%}", *(f"  missed {m}" for m in missed)]
    print("\n" + "\n".join(summary))
    # Also kept as a file: under xdist (the README's test command) a passing test's output is not shown.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "mutation.txt").write_text("\n".join(summary) + "\n", encoding="utf-8")
    assert total >= 100, "too few mutation candidates to mean anything"
    assert ratio >= 0.95, f"only {ratio:.1%} of mutations caught; missed:\n" + "\n".join(missed)
