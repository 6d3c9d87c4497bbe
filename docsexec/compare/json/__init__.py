"""JSON outputs (`docker inspect`, `docker network inspect`, `--format '{{json .}}'`) compared
as data, not text: whole documents, and JSON Lines (one document per line), by one matcher.

Why: the text of a JSON document changes for reasons that are not behaviour (key order,
keys that newer engines add, maps keyed by random IDs), so a line diff would cry wolf on
every engine upgrade, and authors trim long inspect output to the keys a page talks about.
Rules (the same for a document and for each line of JSON Lines):

* objects: every recorded key must exist in the real object (missing key = divergence);
  extra real keys are allowed only where the recording marks its omission with a `...` line
  (an abridged object; a subset without the mark is a divergence, which `update` refuses to
  write); key order never matters. A key that is a volatile value (a container ID in
  `"Containers"`) matches a real key through the page bindings.
* lists: in order, same length, except a list whose elements all have a `"Name"` (matched
  by name, any order) or a list containing a `...` line (an elision over elements; a
  document on one line has no room for one).
* strings: like a line (volatile values bound page-wide, `[..]` allowed); other scalars: equal.

Reading is in parse.py, the walk in match.py, writing back a diverged document in write.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..bindings import Bindings, Pairs, SlotLog
from ..pattern import LineSyntax
from ..result import Comparison
from .literal import JsonLiteral
from .match import JsonMatcher
from .parse import parse_line, parse_real, parse_recorded
from .write import JsonWriter

__all__ = ["compare_document", "match_line"]


def compare_document(
    recorded: Sequence[str], real: Sequence[str], syntax: LineSyntax, bindings: Bindings, strict: bool
) -> Comparison | None:
    """Compare as JSON when both sides are JSON documents; None means "compare as lines"."""
    e = parse_recorded(recorded, syntax.inline_elisions)
    a = parse_real(real) if e is not None else None
    if e is None or a is None:
        return None
    matcher = JsonMatcher(syntax, bindings, strict)
    if matcher.trial(e.value, a.value):
        return Comparison(True, list(recorded), [], *JsonLiteral(matcher).write(e.value, a.value, real))
    notes: list[str] = []
    matcher.match(e.value, a.value, "$", notes)
    normalised = JsonWriter(matcher, bindings).write(recorded, e, a, real)
    literal, refusal = JsonLiteral(matcher).write(e.value, a.value, real)
    return Comparison(False, normalised, notes or ["the JSON document differs"], literal, refusal)


def match_line(recorded: str, real: str, syntax: LineSyntax, strict: bool) -> Pairs | None:
    """Shape match of two JSON Lines documents: the slots to bind, or None if they differ.

    The page's bindings are not consulted here (as for any line): the line aligner binds the
    pairs, so a line is judged by the same rules whichever way it is paired.
    """
    e, a = parse_line(recorded), parse_line(real)
    if e is None or a is None:
        return None
    log = SlotLog()
    return log.pairs if JsonMatcher(syntax, log, strict).match(e.value, a.value, "$", None) else None
