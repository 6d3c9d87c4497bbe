"""The comparator: does a page's recorded output still describe what really happens?

Used by the evaluator (evaluate.py) once per page run, after the run, in page order::

    cmp = PageComparator()
    for each output region in page order:
        cmp.note_command(command_text, options)      # optional: pins values typed by the author
        result = cmp.compare(recorded_lines, real_lines, options)
    # and for data-same-as="A" / "A:eth0" (a model.Relation):
        result = cmp.relate(recorded_of_A, real_of_B, relation, options)

Modules, in the order a comparison uses them (each imports only those listed before it;
the block's comparator options, CompareOptions, are the model's, parsed by scan/options.py):

    ipaddr      the `ip addr` model: headers, stanzas, interface facts
    volatile    volatile value classes, and Slot (a recorded value)
    bindings    page-wide recorded <-> real bijection; bind_slots, the one bind loop
    elision     `...` alignments (exact, then best effort)
    result      Comparison, what every comparison returns
    pattern     a recorded line as a pattern (LineSyntax: classes, `[..]`)
    writeback   real text in the page's names (what a diff shows)
    json/       JSON documents and JSON Lines lines, one matcher (parse, match, write)
    lines       LineMatcher: one recorded line against one real line
    textual     a region as lines, in order or in any order

and two modules for the evaluator, beside the comparator:

    layout      blank separator lines around a recorded output, kept through `update`
    evaluate    a page run's verdicts, block by block (outputs, exit codes, relations)

and two for a translation, which is never run (verify.verify_translation):

    translation its blocks against its source page's, a verdict per block
    prose       its prose against the English page's sections (the marker it records)

Contributor documentation: docs/contributing/matching.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..model import CompareOptions, Relation, RelationKind
from ..scan.options import compare_options
from .bindings import Bindings, bind_slots
from .elision import ELISION, is_elision
from .ipaddr import interface_facts, select_stanza
from .json import compare_document
from .lines import LineMatcher
from .pattern import INLINE_ELISION, LineSyntax
from .result import Comparison
from .textual import TextCompare, UnorderedCompare
from .volatile import CLASSES, Slot, VolatileClass, find_tokens

__all__ = [
    "CLASSES",
    "ELISION",
    "INLINE_ELISION",
    "Comparison",
    "PageComparator",
    "VolatileClass",
    "interface_facts",
    "is_elision",
    "select_stanza",
]


class PageComparator:
    """One per page run. Holds the page-wide bindings of volatile values."""

    def __init__(self) -> None:
        self.bindings = Bindings()
        self._scopes: dict[str | None, Bindings] = {None: self.bindings}
        self._typed: list[tuple[Slot, str]] = []  # values typed in commands so far, pinned in every scope

    def own_run(self, owner: str | None) -> None:
        """Compare what follows against the outputs recorded from one run: the primary's
        (None: the shared blocks and the primary's tabs) or another engine's (its tabs).
        `update` writes literally, so a tab of Engine 26.1 names its container with the ID of
        26.1's run and the shared blocks with the primary's: each scope is bound to this run's
        values consistently, but apart from the others."""
        if owner not in self._scopes:
            self._scopes[owner] = Bindings()
            bind_slots(self._scopes[owner], self._typed, keep_going=True)
        self.bindings = self._scopes[owner]

    def compare(
        self,
        expected: Sequence[str],
        actual: Sequence[str],
        options: CompareOptions | Mapping[str, str] | None = None,
    ) -> Comparison:
        """Compare one recorded output region with the real one (call in page order)."""
        opts = _options(options)
        self.bindings.writing_unrecorded = not expected  # values first seen here are not on the page
        try:
            return self._compare(list(expected), list(actual), opts)
        finally:
            self.bindings.writing_unrecorded = False

    def compare_relation(
        self,
        reference: Sequence[str],
        actual: Sequence[str],
        stanza: str | None = None,
        options: CompareOptions | Mapping[str, str] | None = None,
    ) -> Comparison:
        """Block B's real output must equal block A's *recorded* output (`reference`),
        under the same page bindings; with `stanza`, only that interface's stanza of each."""
        opts = _options(options)
        reference, actual = list(reference), list(actual)
        if stanza is None:
            return self._compare(reference, actual, opts)
        ref_part = select_stanza(reference, stanza)
        real_part = select_stanza(actual, stanza)
        if not ref_part:
            return Comparison(False, real_part, [f"stanza {stanza!r} is not in the referenced output"], real_part)
        if not real_part:
            return Comparison(False, [], [f"stanza {stanza!r} is not in this block's output"])
        return self._compare(ref_part, real_part, opts)

    def relate(
        self,
        reference: Sequence[str],
        actual: Sequence[str],
        relation: Relation,
        options: CompareOptions | Mapping[str, str] | None = None,
    ) -> Comparison:
        """A relation of block B to block A (`data-same-as`, `data-same-interfaces-as`): B's
        real output against A's recorded one. The one place a relation's stanza is selected."""
        if relation.kind is RelationKind.SAME_INTERFACES:
            stanza = relation.stanza
            return self.compare_relation(
                interface_facts(reference, stanza), interface_facts(actual, stanza), None, options
            )
        return self.compare_relation(reference, actual, relation.stanza, options)

    def note_command(self, command: str, options: CompareOptions | Mapping[str, str] | None = None) -> None:
        """Pin bound volatile values the author typed in a command (`--ip 10.210.0.10`) to
        themselves: the shell uses them literally, so the output must show them literally."""
        opts = _options(options)
        typed = [(Slot(tok.cls, tok.value), tok.value) for tok in find_tokens(command, opts.classes)]
        self._typed.extend(typed)
        for bindings in self._scopes.values():
            bind_slots(bindings, typed, keep_going=True)

    def _compare(self, expected: list[str], actual: list[str], opts: CompareOptions) -> Comparison:
        syntax = LineSyntax(opts.classes, opts.elisions)
        if opts.json != "off":
            result = compare_document(expected, actual, syntax, self.bindings, opts.json == "strict")
            if result is not None:
                return result
        matcher = LineMatcher(syntax, opts.table == "cells", opts.json)
        kind = UnorderedCompare if opts.order == "any" else TextCompare
        return kind(expected, actual, matcher, self.bindings, opts.elisions).run()


def _options(options: CompareOptions | Mapping[str, str] | None) -> CompareOptions:
    """A block's options are parsed at scan time (BlockOptions.matching); a mapping of
    attributes (tests, tools) is parsed here, with the same rules."""
    return options if isinstance(options, CompareOptions) else compare_options(options)
