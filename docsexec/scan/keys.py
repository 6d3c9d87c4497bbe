"""Control keys typed at an interactive prompt, written the way tutorials write them.

    / # <CTRL-p><CTRL-q>        <- Docker's detach sequence: leave the container running
    / # <CTRL-c>                <- interrupt
    / # <CTRL-d>                <- end of input: the shell exits

An input made only of `<CTRL-x>` keys (spaces between them allowed) is sent as those control
bytes, without Enter. The notation is plain text on the page, so readers see what to press,
and the copy button leaves it out of the copied commands (docs/assets/javascripts/copy-commands.js).
"""

from __future__ import annotations

import re

_KEY = re.compile(r"<CTRL-([^>]*)>", re.IGNORECASE)
_ONLY_KEYS = re.compile(r"^\s*(?:<CTRL-[^>]*>\s*)+$", re.IGNORECASE)
_CONTROL_CHARACTERS = "@abcdefghijklmnopqrstuvwxyz[\\]^_"


class BadKey(ValueError):
    """A `<CTRL-...>` that names no control key."""


def parse_keys(text: str) -> str | None:
    """The control bytes an input stands for, or None when it is ordinary typed text."""
    if not _ONLY_KEYS.match(text):
        return None
    return "".join(_control(name) for name in _KEY.findall(text))


def _control(name: str) -> str:
    letter = name.lower()
    if len(letter) != 1 or letter not in _CONTROL_CHARACTERS:
        raise BadKey(f"<CTRL-{name}> is not a control key: write <CTRL-> and one letter, e.g. <CTRL-c>")
    return chr(_CONTROL_CHARACTERS.index(letter))  # CTRL-@ is 0, CTRL-a 1, ... CTRL-_ 31


def caret(keys: str) -> str:
    """How a terminal echoes control bytes: CTRL-c as `^C`."""
    return "".join("^" + chr(ord(key) + 64) for key in keys)
