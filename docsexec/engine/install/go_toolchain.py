"""The Go toolchain that builds Engine 29: Debian sid's golang-1.26, never installed.

`golang-1.26-go` and `golang-1.26-src` are fetched with `apt-get download` through a private
apt configuration for sid under the cache (apt.scratch_options: the host's apt never sees
sid), and `dpkg-deb -x`-ed into DOCSEXEC_CACHE/toolchains/go-<version>/. Debian's layout
links usr/lib/go-1.26/src to ../../share/go-1.26/src, so the extracted tree is a complete
GOROOT. The version is pinned: a sid that has moved on is said in one line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ...common import Log
from ...errors import EnvironmentProblem
from . import apt

SUITE = "sid"
PACKAGES = ("golang-1.26-go", "golang-1.26-src")
GO_VERSION = "1.26.10"  # moby 29.7.2's go.mod asks for 1.26.3 or later
GOROOT = "usr/lib/go-1.26"


@dataclass(frozen=True)
class Toolchain:
    goroot: Path
    version: str  # `go env GOVERSION`, e.g. "go1.26.10"
    debs: tuple[str, ...]  # the .deb file names it came from


def toolchain_dir(cache: Path) -> Path:
    return cache / "toolchains" / f"go-{GO_VERSION}"


def cached_toolchain(cache: Path) -> Toolchain | None:
    folder = toolchain_dir(cache)
    try:
        data = json.loads((folder / "toolchain.json").read_text())
        found = Toolchain(folder / GOROOT, str(data["version"]), tuple(data["debs"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return found if os.access(found.goroot / "bin/go", os.X_OK) else None


def go_env(toolchain: Toolchain, base: dict[str, str]) -> dict[str, str]:
    """`base` with this toolchain's go first on PATH, nothing fetched, no telemetry."""
    return dict(
        base,
        GOROOT=str(toolchain.goroot),
        PATH=os.pathsep.join([str(toolchain.goroot / "bin"), base.get("PATH", "/usr/bin:/bin")]),
        GOTOOLCHAIN="local",
        GOPROXY="off",
        GOFLAGS="",
        GOTELEMETRY="off",
        GOWORK="off",
    )


def ensure_toolchain(cache: Path, log: Log) -> Toolchain:
    """The cached toolchain, else downloaded (private apt configuration) and extracted."""
    found = cached_toolchain(cache)
    if found is not None:
        return found
    debs = _debs(cache, log)
    return _extract(debs, toolchain_dir(cache), log)


def _debs(cache: Path, log: Log) -> list[Path]:
    """The pinned version's .debs, from the cache or downloaded through the scratch apt config."""
    folder = cache / "debs" / "go-1.26"
    found = apt.cached_debs(folder, PACKAGES, GO_VERSION)
    if found:
        return found
    scratch = cache / "apt" / SUITE
    apt.prepare_scratch(SUITE, scratch, log)
    if not any((scratch / "lists").glob("*_Packages")):
        apt.update_scratch(scratch, log)
    done = apt.download_scratch(list(PACKAGES), scratch, folder, log)
    if done.returncode != 0:
        log(f"apt-get download failed ({apt.last_error(done)}); refreshing the {SUITE} lists")
        apt.update_scratch(scratch, log)
        done = apt.download_scratch(list(PACKAGES), scratch, folder, log)
    if done.returncode != 0:
        raise EnvironmentProblem(f"apt-get download {' '.join(PACKAGES)} ({SUITE}) failed: {apt.last_error(done)}")
    found = apt.cached_debs(folder, PACKAGES, GO_VERSION)
    if not found:
        got = ", ".join(sorted(p.name for p in folder.glob("golang-1.26-go_*.deb"))) or "nothing"
        raise EnvironmentProblem(
            f"Debian {SUITE} gave {got}, the recipe expects Go {GO_VERSION}: update GO_VERSION in go_toolchain.py"
        )
    return found


def _extract(debs: list[Path], dest: Path, log: Log) -> Toolchain:
    """dpkg-deb -x each into a staging folder, check `go` runs, then move it in place."""
    staging = apt.extract_debs(debs, dest)
    version = go_version(staging / GOROOT)
    if version != f"go{GO_VERSION}":
        raise EnvironmentProblem(f"the extracted Go toolchain says {version or 'nothing'}, expected go{GO_VERSION}")
    marker = {"version": version, "debs": [d.name for d in debs]}
    (staging / "toolchain.json").write_text(json.dumps(marker, indent=1) + "\n")
    shutil.rmtree(dest, ignore_errors=True)
    staging.rename(dest)
    log(f"go toolchain: extracted {', '.join(d.name for d in debs)} into {dest}")
    return Toolchain(dest / GOROOT, version, tuple(d.name for d in debs))


def go_version(goroot: Path) -> str:
    """`go env GOVERSION` of the toolchain at goroot ('' if it does not run here)."""
    env = go_env(Toolchain(goroot, "", ()), dict(os.environ))
    try:
        done = subprocess.run(
            [str(goroot / "bin/go"), "env", "GOVERSION"], env=env, capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    match = re.fullmatch(r"go[\d.]+", done.stdout.strip())
    return match.group(0) if done.returncode == 0 and match else ""
