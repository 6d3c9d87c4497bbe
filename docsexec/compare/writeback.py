"""Real text in the page's terms (a Comparison's `normalised`): what a diff shows where the
page is wrong (`update` writes the run's literal output instead: result.py).

A diverged output is rendered from the real one, but each volatile value the page already
has a name for is given that name, so a diff shows what changed and not what merely varies
between runs (the container called `4b3e7302489a` above is still called that here). Table rows that still
match keep their recorded cells, moved to the real row's columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from .bindings import Bindings
from .pattern import CELL_SEP, split_cells
from .volatile import Token, VolatileClass, find_tokens

RecordedFor = Callable[[str, str], str | None]  # (namespace, real value) -> the page's name


def relayout(recorded: str, real: str) -> str:
    """The recorded row's cells placed at the real row's column positions.

    Used when writing a diverged table: matching rows keep their recorded cells, but must
    line up with the rows that are written from the real output.
    """
    _, cells = split_cells(recorded)
    real_indent, _ = split_cells(real)
    starts = [m.end() for m in CELL_SEP.finditer(real.rstrip(" "), len(real_indent))]
    out = real_indent + cells[0]
    for k, cell in enumerate(cells[1:]):
        target = starts[k] if k < len(starts) else len(out) + 3
        out += " " * max(target - len(out), 2) + cell
    return out


def normalize_real(line: str, classes: Iterable[str], recorded_for: RecordedFor) -> str:
    """A real line with each value the page already names replaced by that name (no
    binding); used to show differences in the page's own terms."""
    return _rename_tokens(line, classes, lambda tok: recorded_for(tok.cls.namespace, tok.value))


def write_real(line: str, classes: Iterable[str], bindings: Bindings) -> str:
    """A real line as `update` writes it, keeping the page self-consistent.

    Each bound value the page already has a name for is written with that name (the value
    recorded for it earlier; a full ID whose short ID the page names starts with that short
    ID, so the two still agree on the next check). A value the page has never seen is written as it really is and
    bound to itself, so later outputs name it the same way. If that text is already the
    page's name for a *different* real value, a nearby unused value of the same class is
    written instead (see `substitute`), because writing the same text for two real values
    would make the page contradict itself on the next check.
    """

    def name_for(tok: Token) -> str:
        name = bindings.recorded_name(tok.cls.namespace, tok.value)
        if name is not None and bindings.bind(tok.cls.namespace, name, tok.value) is None:
            return name
        return substitute(tok.cls, tok.value, bindings)

    return _rename_tokens(line, classes, name_for)


def _rename_tokens(line: str, classes: Iterable[str], name_for: Callable[[Token], str | None]) -> str:
    """`line` with each bound volatile value replaced by `name_for(token)` (None: kept)."""
    out: list[str] = []
    last = 0
    for tok in find_tokens(line, frozenset(classes)):
        name = name_for(tok) if tok.cls.bound else None
        if name is None or name == tok.value:
            continue
        out.append(line[last : tok.start])
        out.append(name)
        last = tok.end
    out.append(line[last:])
    return "".join(out)


def substitute(cls: VolatileClass, real: str, bindings: Bindings) -> str:
    """Bind `real` to itself if its text is free on this page, else to the first free
    variant (last characters stepped); returns the text bound."""
    for candidate in _variants(cls, real):
        if (
            bindings.real_for(cls.namespace, candidate) is None
            and bindings.bind(cls.namespace, candidate, real) is None
        ):
            return candidate
    return real  # every variant taken: write it as is (the next check will say so)


_HEX_NAMESPACES = ("id", "mac", "ipv6", "veth")


def _variants(cls: VolatileClass, value: str) -> Iterator[str]:
    yield value
    hexadecimal = re.search(r"[a-f]", value) or cls.namespace in _HEX_NAMESPACES
    digits = "0123456789abcdef" if hexadecimal else "0123456789"
    for pos in range(len(value) - 1, -1, -1):
        if value[pos] not in digits:
            continue
        start = digits.index(value[pos])
        for step in range(1, len(digits)):
            candidate = value[:pos] + digits[(start + step) % len(digits)] + value[pos + 1 :]
            if cls.valid(candidate) and cls.accepts_actual(candidate):
                yield candidate
