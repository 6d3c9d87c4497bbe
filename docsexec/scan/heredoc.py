"""Here-documents in a transcript's commands: `$ cat > compose.yaml <<'EOF'` and its body.

A command that opens a here-document takes the lines after it, up to the line that holds only
the delimiter, as part of what is typed: the shell reads them as the command's input, so they
are not output. A page can then show a file that a block writes (a compose file, say) as the
very text the shell received, with no copy that could drift from it.

As in bash, the bodies follow the command's last line (after its ` \\` continuations), one
after another when a command opens several, and `<<-` strips leading tabs from the body's
lines before comparing them with the delimiter. An operator inside quotes, after a `#`
comment, in `<<<` (a here-string) or in arithmetic (`$((1 << 3))`) opens nothing. The scanner knows only what it needs for
that: quotes, backslashes and comments, not the whole shell grammar.

transcript.py (what is typed), console_html.py (how it renders) and
docs/assets/javascripts/copy-commands.js (what the copy button copies) read blocks alike.
"""

from __future__ import annotations

from dataclasses import dataclass

_WORD_END = set(" \t;&|<>()")


@dataclass(frozen=True)
class Delimiter:
    """The word that ends one here-document, and whether `<<-` strips leading tabs."""

    word: str
    strip_tabs: bool = False

    def closes(self, line: str) -> bool:
        """Is this body line the one that ends the here-document?"""
        return (line.lstrip("\t") if self.strip_tabs else line) == self.word


def delimiters(text: str) -> list[Delimiter]:
    """The here-documents a command line (or continued command) opens, in order.

    A delimiter word written with quotes or backslashes (`'EOF'`, `"EOF"`, `\\EOF`) ends the
    body at the unquoted word, as in the shell; the quoting only turns expansion off.
    """
    if "<<" not in text:  # no operator, no here-document: most commands, at no cost
        return []
    scanner = _Scanner(text)
    while scanner.index < len(text) and not scanner.done:
        scanner.step()
    return scanner.found


class _Scanner:
    """One left-to-right pass over a command: where quotes, comments, arithmetic and `<<`
    operators are, which is all `delimiters` needs of the shell's grammar."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.index = 0
        self.quote = ""  # the open quote character, if any
        self.word_start = True  # at the start of a word: where `#` and `((` mean something
        self.done = False  # a comment: the rest of the line is not shell syntax
        self.found: list[Delimiter] = []

    def step(self) -> None:
        char = self.text[self.index]
        if self.quote:
            self._in_quote(char)
        elif char == "\\":
            self.index, self.word_start = self.index + 2, False
        elif char in "'\"":
            self.quote, self.word_start = char, False
            self.index += 1
        elif char == "#" and self.word_start:
            self.done = True
        elif not self._arithmetic() and not self._redirection():
            self.word_start = char in _WORD_END or char == "\n"
            self.index += 1

    def _in_quote(self, char: str) -> None:
        if char == "\\" and self.quote == '"':
            self.index += 2
            return
        if char == self.quote:
            self.quote = ""
        self.index += 1

    def _arithmetic(self) -> bool:
        """Skip `$((...))` (and `((...))` as a command): `$((1 << 3))` shifts, it opens nothing."""
        text, index = self.text, self.index
        if not (text.startswith("$((", index) or (self.word_start and text.startswith("((", index))):
            return False
        self.index, self.word_start = _after_arithmetic(text, text.index("((", index) + 2), False
        return True

    def _redirection(self) -> bool:
        """A `<<` operator (its delimiter recorded) or a `<<<` here-string (skipped)."""
        text, index = self.text, self.index
        if text.startswith("<<<", index):
            self.index += 3
            return True
        if not text.startswith("<<", index):
            return False
        parsed = _operator(text, index + 2)
        if parsed is None:
            self.index += 2
            return True
        delimiter, self.index = parsed
        self.found.append(delimiter)
        self.word_start = True
        return True


def _after_arithmetic(text: str, index: int) -> int:
    """The index after the `))` that closes an arithmetic expression opened before `index`."""
    depth = 2
    while index < len(text) and depth:
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        index += 1
    return index


def _operator(text: str, index: int) -> tuple[Delimiter, int] | None:
    """The delimiter after `<<` (at `index`) and the index after it; None without a word."""
    strip_tabs = text.startswith("-", index)
    index += 1 if strip_tabs else 0
    while index < len(text) and text[index] in " \t":
        index += 1
    word: list[str] = []
    quote = ""
    while index < len(text):
        char = text[index]
        if quote:
            if char == quote:
                quote = ""
            else:
                word.append(char)
            index += 1
            continue
        if char in "'\"":
            quote = char
            index += 1
            continue
        if char == "\\" and index + 1 < len(text):
            word.append(text[index + 1])
            index += 2
            continue
        if char in _WORD_END or char == "\n":
            break
        word.append(char)
        index += 1
    if quote or not word:
        return None
    return Delimiter("".join(word), strip_tabs), index
