"""How long the busybox image's build takes here, and whether it is reproducible.

Builds busybox N times in scratch caches seeded with the machine's downloaded source (so no
network and the shared cache's build is untouched), with make's job count from
DOCSEXEC_BUSYBOX_JOBS (default 2), and prints the wall time of each build, the load average
it ran under, and whether every build gave the cached binary's sha256.

    .venv/bin/python bench/busybox_build.py --runs 1
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docsexec.engine.install import busybox_build
from docsexec.engine.installed import cache_dir


def one_build(seed: Path) -> tuple[float, str]:
    """(seconds, sha256) of one build in a fresh scratch cache."""
    with tempfile.TemporaryDirectory(prefix="docsexec-bench-") as scratch:
        shutil.copytree(seed, Path(scratch) / "busybox" / "source")
        begun = time.monotonic()
        built = busybox_build.build(Path(scratch), log=lambda line: None)
        return time.monotonic() - begun, built.sha256


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    cached = busybox_build.cached(cache_dir())
    seed = cache_dir() / "busybox" / "source"
    if cached is None or not seed.is_dir():
        print("run `docsexec engine install` first (it builds busybox and caches its source)", file=sys.stderr)
        return 3
    times = []
    for run in range(1, args.runs + 1):
        seconds, sha = one_build(seed)
        times.append(seconds)
        load = os.getloadavg()[0]
        same = "same sha256 as the cache" if sha == cached.sha256 else f"DIFFERENT sha256 {sha[:16]}"
        print(f"build {run}: {seconds:.1f} s with make -j{busybox_build.make_jobs()} (load {load:.1f}), {same}")
    print(
        f"mean {sum(times) / len(times):.1f} s over {len(times)} build(s); set-up's own build took {cached.seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
