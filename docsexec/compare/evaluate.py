"""Decide, block by block, whether a page still tells the truth about what really ran.

Three kinds of check, all with file:line in every message:
- outputs: each recorded output region against what was printed (via the comparator, which
  binds volatile values consistently across the whole page);
- exit codes: every command's status against the one the page declares (0 unless data-exit);
- relations: data-same-as / data-same-interfaces-as tie a block's output to an earlier one's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..model import Block, BlockResult, Command, CommandResult
from . import PageComparator
from ..interfaces import interface_facts
from .layout import separate
from ..run.runner import PageRun
from ..scan.transcript import recorded_outputs, render_transcript
from ..scan.variants import base_id

OK, UPDATED, DIVERGED, ERROR, NOT_RUN = "ok", "updated", "diverged", "error", "not-run"
PASSING = frozenset({OK, UPDATED})


@dataclass
class BlockVerdict:
    block: Block
    status: str
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)  # one line each, file:line first
    written: list[str] | None = None  # new dedented body when outputs diverged; else None
    fixable: bool = True  # False when update cannot fix it (exit code, relation, error)


def evaluate_page(run: PageRun) -> list[BlockVerdict]:
    comparator = PageComparator()
    verdicts: list[BlockVerdict] = []
    by_id: dict[str, Block] = {}
    for result in run.results:
        verdicts.append(_evaluate_block(result, comparator, by_id))
        by_id[result.block.id] = by_id[base_id(result.block)] = result.block  # a relation may name a variant's group
    return verdicts


def _evaluate_block(result: BlockResult, comparator: PageComparator, by_id: dict[str, Block]) -> BlockVerdict:
    block = result.block
    verdict = BlockVerdict(block=block, status=OK, seconds=round(result.seconds, 3))
    if result.error and not result.commands:
        verdict.status = NOT_RUN if result.error.startswith("not run") else ERROR
        verdict.problems.append(result.error if not verdict.status == NOT_RUN else f"{block.where}: {result.error}")
        verdict.fixable = False
        return verdict
    pieces: list[list[list[str]]] = []
    changed = False
    for command, outcome in zip(block.commands, result.commands):
        written, differs = _compare_command(command, outcome, block, comparator, verdict)
        pieces.append(written)
        changed = changed or differs
    _check_relations(block, result, comparator, by_id, verdict)
    if result.error:
        verdict.status = ERROR
        verdict.problems.append(result.error)
        verdict.fixable = False
    elif changed or verdict.problems:
        verdict.status = DIVERGED
    if changed and not result.error:
        verdict.written = render_transcript(block.commands, pieces, block.options.prompt)
    return verdict


def _compare_command(command: Command, outcome: CommandResult, block: Block, comparator: PageComparator, verdict: BlockVerdict) -> tuple[list[list[str]], bool]:
    comparator.note_command(command.text, block.options.compare)
    for typed in command.inputs:
        comparator.note_command(typed.text, block.options.compare)
    expected_regions = recorded_outputs(command)
    actual_regions = [outcome.output, *[i.output for i in outcome.inputs]]
    written: list[list[str]] = []
    differs = False
    for index, (expected, actual) in enumerate(zip(expected_regions, actual_regions)):
        layout = separate(expected, actual)  # the author's blank separator lines are not output
        comparison = comparator.compare(layout.core, actual, block.options.compare)
        written.append(layout.around(comparison.written))
        if not comparison.matched:
            differs = True
            line = command.line if index == 0 else command.inputs[index - 1].line
            for note in comparison.notes[:3]:
                verdict.problems.append(f"{block.path}:{line} [{block.id}]: {note}")
    written.extend(expected_regions[len(written):])
    misplaced = misplaced_echoes(command)
    verdict.problems.extend(f"{block.path}:{line} [{block.id}]: {note}" for line, note in misplaced)
    differs = differs or bool(misplaced)
    if outcome.exit_code is not None and outcome.exit_code != command.exit_code and not outcome.timed_out:
        verdict.problems.append(
            f"{block.path}:{command.line} [{block.id}]: exit code {outcome.exit_code}, the page expects {command.exit_code}"
        )
        verdict.fixable = False
    return written, differs


def misplaced_echoes(command: Command) -> list[tuple[int, str]]:
    """Recorded outputs holding the text of another input of the same session: the echo of
    one input inside another's output, a transcript attributed to the wrong input. A real run
    never produces it (inputs are typed one settled prompt at a time), so `check` refuses it
    and `update` rewrites it from a real run."""
    typed = {i.text.strip(): i for i in command.inputs if i.keys is None and i.text.strip()}
    owners = [None, *command.inputs]
    found: list[tuple[int, str]] = []
    for owner, region in zip(owners, recorded_outputs(command)):
        start = owner.line if owner is not None else command.line + len(command.source) - 1
        for offset, text in enumerate(region, start=1):
            other = typed.get(text.strip())
            if other is not None and other is not owner:
                whose = f"input {owner.text!r}" if owner is not None else "the command"
                found.append((start + offset, f"the recorded output of {whose} holds {other.text!r}, the input typed at line {other.line}: output attributed to the wrong input"))
    return found


def _check_relations(block: Block, result: BlockResult, comparator: PageComparator, by_id: dict[str, Block], verdict: BlockVerdict) -> None:
    actual = _last_output(result)
    for target, facts in ((block.options.same_as, False), (block.options.same_interfaces_as, True)):
        if target is None:
            continue
        ident, _, stanza = target.partition(":")
        reference = _last_recorded(by_id[ident])
        if facts:
            comparison = comparator.compare_relation(interface_facts(reference, stanza or None), interface_facts(actual, stanza or None), None, block.options.compare)
        else:
            comparison = comparator.compare_relation(reference, actual, stanza or None, block.options.compare)
        if not comparison.matched:
            what = "interfaces" if facts else "output"
            verdict.problems.append(f"{block.where}: {what} differs from block {target!r}, which it must equal")
            verdict.problems.extend(f"{block.where}: {note}" for note in comparison.notes[:3])
            verdict.fixable = False


def _last_output(result: BlockResult) -> list[str]:
    """The block's relation subject: the last non-empty output it printed."""
    return _last_non_empty(r for c in result.commands for r in (c.output, *[i.output for i in c.inputs]))


def _last_recorded(block: Block) -> list[str]:
    return _last_non_empty(r for c in block.commands for r in recorded_outputs(c))


def _last_non_empty(regions: Iterable[list[str]]) -> list[str]:
    return next((r for r in reversed(list(regions)) if r), [])
