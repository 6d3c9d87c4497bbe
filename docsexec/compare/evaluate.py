"""Decide, block by block, whether a page still tells the truth about what really ran.

Three kinds of check, all with file:line in every message:
- outputs: each recorded output region against what was printed (via the comparator, which
  binds volatile values consistently across the whole page);
- exit codes: every command's status against the one the page declares (0 unless data-exit);
- relations: data-same-as / data-same-interfaces-as tie a block's output to an earlier one's.

It reads run results (model.PageRun), never runs anything: the verdicts of given results.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..model import Block, BlockResult, BlockVerdict, Command, CommandResult, PageRun, ProblemKind, RelationKind, Status
from ..scan.transcript import recorded_outputs, render_transcript
from ..scan.variants import base_id
from . import PageComparator
from .layout import separate


def evaluate_page(run: PageRun, primary: str | None = None) -> list[BlockVerdict]:
    """The verdicts of a page's run. With the site's `primary` engine named, the tabs of
    another engine are compared in their own scope of bindings (PageComparator.own_run)."""
    comparator = PageComparator()
    verdicts: list[BlockVerdict] = []
    by_id: dict[str, Block] = {}
    for result in run.results:
        owner = result.block.options.engine
        comparator.own_run(None if primary is None or owner == primary else owner)
        verdicts.append(evaluate_block(result, comparator, by_id))
        by_id[result.block.id] = by_id[base_id(result.block)] = result.block  # a relation may name a variant's group
    return verdicts


def evaluate_block(result: BlockResult, comparator: PageComparator, by_id: dict[str, Block]) -> BlockVerdict:
    """One block's verdict; `by_id` holds the earlier blocks a relation may name."""
    block, problem = result.block, result.problem
    verdict = BlockVerdict(block=block, status=Status.OK, seconds=round(result.seconds, 3))
    if problem is not None and not result.commands:
        not_run = problem.kind is ProblemKind.NOT_RUN
        verdict.status = Status.NOT_RUN if not_run else Status.ERROR
        verdict.problems.append(f"{block.where}: {problem.message}" if not_run else problem.message)
        verdict.fixable = False
        return verdict
    pieces: list[list[list[str]]] = []
    literal: list[list[list[str]]] = []
    changed = False
    for command, outcome in zip(block.commands, result.commands, strict=False):  # a stopped block ran fewer
        compared = _compare_command(command, outcome, block, comparator, verdict)
        pieces.append(compared.normalised)
        literal.append(compared.literal)
        changed = changed or compared.differs
    exits = verdict.exits  # the run's statuses, when not the page's (only their check cleared fixable)
    verdict.exits, verdict.fixable = None, True
    _check_relations(block, result, comparator, by_id, verdict)
    if problem is not None:
        verdict.status = Status.ERROR
        verdict.problems.append(problem.message)
        verdict.fixable = False
    elif changed or verdict.problems:
        verdict.status = Status.DIVERGED
    if exits is not None:  # another engine's tab may take them, if nothing else is wrong
        verdict.exits, verdict.fixable = (exits if verdict.fixable else None), False
    if changed and problem is None:
        verdict.normalised = render_transcript(block.commands, pieces, block.options.prompt)
    if problem is None and len(literal) == len(block.commands):
        verdict.literal = render_transcript(block.commands, literal, block.options.prompt)
    return verdict


@dataclass
class _Compared:
    """One command's outputs compared: as a diff shows them, as `update` writes them."""

    normalised: list[list[str]] = field(default_factory=list)
    literal: list[list[str]] = field(default_factory=list)
    differs: bool = False


def _compare_command(
    command: Command, outcome: CommandResult, block: Block, comparator: PageComparator, verdict: BlockVerdict
) -> _Compared:
    options = block.options.matching
    comparator.note_command(command.text, options)
    for typed in command.inputs:
        comparator.note_command(typed.text, options)
    expected_regions = recorded_outputs(command)
    actual_regions = [outcome.output, *[i.output for i in outcome.inputs]]
    compared = _Compared()
    for index, (expected, actual) in enumerate(zip(expected_regions, actual_regions, strict=False)):
        layout = separate(expected, actual)  # the author's blank separator lines are not output
        comparison = comparator.compare(layout.core, actual, options)
        compared.normalised.append(layout.around(comparison.normalised))
        compared.literal.append(layout.around(comparison.literal))
        line = command.line if index == 0 else command.inputs[index - 1].line
        if comparison.refusal is not None and verdict.refusal is None:
            verdict.refusal = f"{block.path}:{line} [{block.id}]: {comparison.refusal}"
        if not comparison.matched:
            compared.differs = True
            verdict.problems.extend(f"{block.path}:{line} [{block.id}]: {note}" for note in comparison.notes[:3])
    compared.normalised.extend(expected_regions[len(compared.normalised) :])
    compared.literal.extend(expected_regions[len(compared.literal) :])
    misplaced = misplaced_echoes(command)
    verdict.problems.extend(f"{block.path}:{line} [{block.id}]: {note}" for line, note in misplaced)
    _check_exit_code(command, outcome, block, verdict)
    compared.differs = compared.differs or bool(misplaced)
    return compared


def _check_exit_code(command: Command, outcome: CommandResult, block: Block, verdict: BlockVerdict) -> None:
    """A status other than the page's is a problem that `update` cannot fix in the block: it
    never rewrites a block's own data-exit. It may give another engine's statuses a tab of
    their own (`exits`, kept only when nothing else stands in the way)."""
    if outcome.exit_code is not None and outcome.exit_code != command.exit_code and not outcome.timed_out:
        verdict.problems.append(
            f"{block.path}:{command.line} [{block.id}]: exit code {outcome.exit_code}, the page expects {command.exit_code}"
        )
        verdict.fixable = False
        verdict.exits = _run_exits(block, verdict.exits, command, outcome.exit_code)


def _run_exits(block: Block, so_far: tuple[int, ...] | None, command: Command, code: int) -> tuple[int, ...]:
    """The block's exit codes as this run gave them: the page's, with `command`'s replaced."""
    codes = list(so_far or (c.exit_code for c in block.commands))
    codes[next(k for k, c in enumerate(block.commands) if c is command)] = code
    return tuple(codes)


def misplaced_echoes(command: Command) -> list[tuple[int, str]]:
    """Recorded outputs holding the text of another input of the same session: the echo of
    one input inside another's output, a transcript attributed to the wrong input. A real run
    never produces it (inputs are typed one settled prompt at a time), so `check` refuses it
    and `update` rewrites it from a real run."""
    typed = {i.text.strip(): i for i in command.inputs if i.keys is None and i.text.strip()}
    owners = [None, *command.inputs]
    found: list[tuple[int, str]] = []
    for owner, region in zip(owners, recorded_outputs(command), strict=True):
        start = owner.line if owner is not None else command.line + len(command.source) - 1
        for offset, text in enumerate(region, start=1):
            other = typed.get(text.strip())
            if other is not None and other is not owner:
                whose = f"input {owner.text!r}" if owner is not None else "the command"
                found.append(
                    (
                        start + offset,
                        f"the recorded output of {whose} holds {other.text!r}, the input typed at line {other.line}: output attributed to the wrong input",
                    )
                )
    return found


def _check_relations(
    block: Block, result: BlockResult, comparator: PageComparator, by_id: dict[str, Block], verdict: BlockVerdict
) -> None:
    actual = _last_output(result)
    for relation in block.options.relations:
        reference = _last_recorded(by_id[relation.block_id])
        comparison = comparator.relate(reference, actual, relation, block.options.matching)
        if not comparison.matched:
            what = "interfaces" if relation.kind is RelationKind.SAME_INTERFACES else "output"
            verdict.problems.append(
                f"{block.where}: {what} differs from block {relation.target!r}, which it must equal"
            )
            verdict.problems.extend(f"{block.where}: {note}" for note in comparison.notes[:3])
            verdict.fixable = False


def _last_output(result: BlockResult) -> list[str]:
    """The block's relation subject: the last non-empty output it printed."""
    return _last_non_empty(r for c in result.commands for r in (c.output, *[i.output for i in c.inputs]))


def _last_recorded(block: Block) -> list[str]:
    return _last_non_empty(r for c in block.commands for r in recorded_outputs(c))


def _last_non_empty(regions: Iterable[list[str]]) -> list[str]:
    return next((r for r in reversed(list(regions)) if r), [])
