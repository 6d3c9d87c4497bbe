"""Two small things every layer shares, defined once: the Log callable and the slug of a label."""

from __future__ import annotations

import re
from collections.abc import Callable

Log = Callable[[str], None]  # where a step writes its one-line progress messages


def slug(text: str, length: int) -> str:
    """`text` as a short name for folders and namespaces: lowercase letters, digits and '-'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:length] or "page"
