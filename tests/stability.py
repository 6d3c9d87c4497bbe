"""Stability benchmark (not a pytest file): is the site's verification free of false alarms?

    .venv/bin/python tests/stability.py --runs 10

1. Runs `docsexec check docs/` N times, each on fresh private engines, and counts blocks that
   diverged although nobody changed the pages (false divergences; the target is 0).
2. Copies docs/ to a temporary folder and runs `docsexec update` twice on the copy: the
   second run must change no byte (the target is 0 changed files).
Prints one line per run and the ratios at the end; exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def docsexec(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "docsexec", *args, "-q"], cwd=cwd, capture_output=True, text=True)


def check_run(index: int, report: Path) -> tuple[int, int, float]:
    started = time.monotonic()
    done = docsexec("check", "docs/", "--no-cache", "--report", str(report))
    seconds = time.monotonic() - started
    data = json.loads(report.read_text())
    blocks = [b for page in data["pages"] for b in page["blocks"]]
    bad = [
        f"{page['file']}:{b['line']} [{b['id']}] {b['status']}"
        for page in data["pages"]
        for b in page["blocks"]
        if b["status"] != "ok"
    ]
    print(f"run {index + 1}: exit {done.returncode}, {len(blocks) - len(bad)}/{len(blocks)} blocks ok, {seconds:.1f} s")
    for line in bad:
        print(f"  false divergence: {line}")
    return len(blocks), len(bad), seconds


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*.md"))
    }


def idempotency() -> int:
    with tempfile.TemporaryDirectory(prefix="docsexec-stability-") as tmp:
        copy = Path(tmp) / "docs"
        shutil.copytree(REPO / "docs", copy)
        first = docsexec("update", str(copy))
        after_first = digests(copy)
        second = docsexec("update", str(copy))
        changed = [name for name, digest in digests(copy).items() if after_first[name] != digest]
        print(
            f"update twice: exits {first.returncode}/{second.returncode}, files changed by the second run: {len(changed)}"
        )
        for name in changed:
            print(f"  changed: {name}")
        return len(changed) + (second.returncode != 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    total = false = 0
    times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(args.runs):
            blocks, bad, seconds = check_run(index, Path(tmp) / f"run{index}.json")
            total, false, times = total + blocks, false + bad, [*times, seconds]
    changed = idempotency()
    print(f"false divergences: {false}/{total} block runs = {false / max(total, 1):.2%} (target 0)")
    print(
        f"check time per site run: min {min(times):.1f} s, max {max(times):.1f} s, mean {sum(times) / len(times):.1f} s"
    )
    print(f"second update changed files: {changed} (target 0)")
    return 0 if false == 0 and changed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
