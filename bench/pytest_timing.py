"""A pytest plugin for bench/perf.py: each test's time, and whether it used a real engine.

Loaded with `-p pytest_timing` (bench/ on PYTHONPATH); writes $DOCSEXEC_BENCH_TIMES at the end.
A test "uses a real engine" when it is marked `engine` or is a page's block item.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

_ROWS: dict[str, dict] = {}


def pytest_runtest_logreport(report) -> None:
    row = _ROWS.setdefault(report.nodeid, {"test": report.nodeid, "seconds": 0.0, "engine": False})
    row["seconds"] += report.duration


def pytest_collection_modifyitems(items) -> None:
    from docsexec.faces.pytest_plugin import BlockItem

    for item in items:
        if item.get_closest_marker("engine") or isinstance(item, BlockItem):
            _ROWS.setdefault(item.nodeid, {"test": item.nodeid, "seconds": 0.0, "engine": False})["engine"] = True


def pytest_sessionfinish(session) -> None:
    target = os.environ.get("DOCSEXEC_BENCH_TIMES")
    if target:
        Path(target).write_text(json.dumps(list(_ROWS.values()), indent=1))
