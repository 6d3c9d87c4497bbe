"""The site's engines: the engine sources every page is verified on, the first the primary.

They live in the pyproject.toml of the project the command runs in (the nearest one at or
above the working folder), so the core, the MkDocs gate and CI read one list and none of them
needs MkDocs to do so:

    [tool.docsexec]
    engines = ["debian-forky", "debian-trixie"]

Every page of a run is verified on the same engines, wherever it is: a copy of a page outside
docs/ runs on the engines the same page runs on inside. Without that table (a command run
outside any project), a run uses one engine: DOCSEXEC_ENGINE's choice, auto by default.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from ..errors import BadInput

CONFIG_FILE = "pyproject.toml"


def find_config(start: Path | None = None) -> Path | None:
    """The nearest pyproject.toml at or above `start` (default: the working folder)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
    return None


def configured_engines(start: Path | None = None) -> tuple[str, ...]:
    """[tool.docsexec] engines, checked; () when the project configures none."""
    from ..engine.installed import CHOICES

    path = find_config(start)
    if path is None:
        return ()
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("docsexec", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BadInput(path, 1, f"cannot read [tool.docsexec]: {exc}") from exc
    engines = table.get("engines", [])
    if not isinstance(engines, list) or not all(isinstance(e, str) for e in engines):
        raise BadInput(path, 1, "[tool.docsexec] engines must be a list of engine source names")
    unknown = [e for e in engines if e not in CHOICES]
    if unknown or len(set(engines)) != len(engines):
        raise BadInput(
            path, 1, f"[tool.docsexec] engines: {unknown or 'duplicates'}: use distinct names from {', '.join(CHOICES)}"
        )
    return tuple(engines)


def run_sources(explicit: str | None) -> tuple[tuple[str | None, ...], str | None]:
    """(the engine sources a run verifies on, the primary). --engine-source wins, then
    DOCSEXEC_ENGINE, then the configuration; None stands for "auto" (resolved later)."""
    configured = configured_engines()
    primary = configured[0] if configured else None
    chosen = explicit or (os.environ.get("DOCSEXEC_ENGINE") or "auto")
    if chosen != "auto":
        return (chosen,), primary or chosen
    return (configured or (None,)), primary
