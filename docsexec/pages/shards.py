"""`--shard K/N`: split the pages into N parts of about equal run time, the same on every machine.

Each page's weight is its time in the last recorded report (a JSON report as `--report`
writes, committed at .ci/page-times.json so every CI runner reads the same numbers); a page
the report does not know weighs its command count times the recorded seconds per command (or
2 s per command with no report). Pages are dealt heaviest first to the lightest shard (ties:
lower path first, lower shard first), so the split depends only on the page list and the times
file: shards 1..N are disjoint and together hold every page, and each keeps the pages' order.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError

DEFAULT_TIMES = Path(".ci/page-times.json")
SECONDS_PER_COMMAND = 2.0
_SPEC = re.compile(r"^([1-9][0-9]*)/([1-9][0-9]*)$")


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    match = _SPEC.match(text.strip())
    if not match or int(match.group(1)) > int(match.group(2)):
        raise UsageError(f"--shard {text!r}: write K/N with 1 <= K <= N, e.g. --shard 1/2")
    return Shard(int(match.group(1)), int(match.group(2)))


def recorded_times(path: Path | None) -> dict[str, float]:
    """Page seconds from a JSON report, keyed by normalised path; {} when there is none.

    A page runs once per engine and the report has one entry per run: its weight is their
    sum. An entry served from the run cache measured no run and is left out."""
    source = path or DEFAULT_TIMES
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
        return _page_seconds(data["pages"])
    except FileNotFoundError:
        if path is not None:
            raise UsageError(f"--shard-times {path}: no such file") from None
        return {}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{source}: not a docsexec JSON report ({exc})") from None


def _page_seconds(entries: list[dict[str, object]]) -> dict[str, float]:
    times: dict[str, float] = {}
    for entry in entries:
        seconds = float(entry["seconds"])  # type: ignore[arg-type]  # TypeError/ValueError: not a report
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"{entry['file']}: {seconds} seconds")
        if not entry.get("cached"):
            file = _norm(str(entry["file"]))
            times[file] = times.get(file, 0.0) + seconds
    return times


def weights(pages: list[tuple[Path, int]], times: dict[str, float]) -> dict[Path, float]:
    """(page, command count) -> seconds expected, recorded or estimated."""
    known = [(times[_norm(str(p))], n) for p, n in pages if _norm(str(p)) in times]
    per_command = sum(t for t, _ in known) / max(1, sum(n for _, n in known)) if known else SECONDS_PER_COMMAND
    return {p: times.get(_norm(str(p)), n * per_command) for p, n in pages}


def select(pages: list[tuple[Path, int]], shard: Shard, times: dict[str, float]) -> list[Path]:
    """The pages of `shard`, in their original order."""
    weight = weights(pages, times)
    loads = [0.0] * shard.count
    owner: dict[Path, int] = {}
    for path in sorted(weight, key=lambda p: (-weight[p], str(p))):
        lightest = min(range(shard.count), key=lambda i: (loads[i], i))
        owner[path] = lightest
        loads[lightest] += weight[path]
    return [p for p, _ in pages if owner[p] == shard.index - 1]


def _norm(path: str) -> str:
    return os.path.normpath(path)


def page_key(path: Path) -> str:
    """A page's key in the recorded times: its path as the report writes it, relative to the
    folder docsexec runs in (a page given by its absolute path finds its time too)."""
    if path.is_absolute():
        with contextlib.suppress(ValueError):
            path = path.relative_to(Path.cwd())
    return _norm(str(path))
