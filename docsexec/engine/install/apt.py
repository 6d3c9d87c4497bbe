"""The apt operations the engine installer needs, and nothing that could upgrade the host.

Other suites' engines (trixie, forky) and sid's Go toolchain are fetched with `apt-get
download` (never installed) through a private apt configuration under the cache
(scratch_options): nothing under /etc/apt is written, so the host's apt never sees those
suites and no bookworm package can ever be replaced by one of theirs. Host packages are installed only when the command they provide is missing, so a machine that
already has e.g. runc from docker's own containerd.io package is left as it is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from ...common import Log
from ...errors import EnvironmentProblem

# What set-ups before issue 27 wrote under /etc/apt; retire_host_files removes them.
OLD_HOST_FILES = (
    Path("/etc/apt/sources.list.d/docsexec-trixie.sources"),
    Path("/etc/apt/preferences.d/docsexec-trixie"),
)
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
MIRROR = os.environ.get("DOCSEXEC_DEBIAN_MIRROR", "http://deb.debian.org/debian")
_APT_OPTS = ["-y", "-q", "-o", "DPkg::Lock::Timeout=300", "-o", "Acquire::Retries=2"]


def run_apt(args: list[str], log: Log, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run apt-get non-interactively; returns the result (callers decide what failure means)."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", *_APT_OPTS, *args]
    log("$ " + " ".join(cmd))
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)


def last_error(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (done.stderr + done.stdout).splitlines() if line.startswith(("E:", "W:"))]
    return str((lines or (done.stderr.strip().splitlines() or ["apt-get failed"]))[-1])


def update(log: Log, *extra: str) -> None:
    done = run_apt(["update", *extra], log)
    if done.returncode != 0:
        raise EnvironmentProblem(f"apt-get update failed: {last_error(done)}")


def install(packages: list[str], log: Log) -> None:
    """apt-get install; on failure refresh the package lists once and retry (fresh machines)."""
    args = ["install", "--no-install-recommends", *packages]
    done = run_apt(args, log)
    if done.returncode != 0:
        log(f"apt-get install failed ({last_error(done)}); refreshing package lists")
        update(log)
        done = run_apt(args, log)
    if done.returncode != 0:
        raise EnvironmentProblem(f"apt-get install {' '.join(packages)} failed: {last_error(done)}")


def retire_host_files(log: Log) -> None:
    """Remove the two files an older set-up wrote for trixie (only those exact files): trixie
    is looked up through a private apt configuration now, like every other suite."""
    for path in OLD_HOST_FILES:
        if path.exists() or path.is_symlink():
            path.unlink()
            log(f"removed {path} (an older docsexec set-up wrote it; trixie now comes through a private apt source)")


def download(specs: list[str], dest: Path, log: Log) -> subprocess.CompletedProcess[str]:
    """apt-get download into dest (the debs are kept there, so re-extraction needs no network)."""
    dest.mkdir(parents=True, exist_ok=True)
    return run_apt(["download", *specs], log, cwd=dest)


# --- scratch sources: a suite the host's apt never sees (trixie, forky, sid) ---------------------------------


def scratch_options(scratch: Path) -> list[str]:
    """apt options that read sources, lists and package caches from `scratch` only.

    Used for trixie, forky and sid: their sources are never written under /etc/apt, so the
    host's own `apt-get upgrade` can never pick one of their packages, and no pin is needed.
    """
    return [
        "-o",
        "Dir::Etc::SourceList=/dev/null",
        "-o",
        f"Dir::Etc::SourceParts={scratch / 'sources.list.d'}",
        "-o",
        f"Dir::State::Lists={scratch / 'lists'}",
        "-o",
        f"Dir::Cache={scratch / 'cache'}",
        "-o",
        "Dir::Etc::Preferences=/dev/null",
        "-o",
        "Dir::Etc::PreferencesParts=/dev/null",
    ]


def prepare_scratch(suite: str, scratch: Path, log: Log) -> None:
    """The scratch folder with one deb822 source for `suite` (Debian's keys, main only)."""
    if not KEYRING.exists():
        install(["debian-archive-keyring"], log)
    for sub in ("sources.list.d", "lists/partial", "cache/archives/partial"):
        (scratch / sub).mkdir(parents=True, exist_ok=True)
    source = f"Types: deb\nURIs: {MIRROR}\nSuites: {suite}\nComponents: main\nSigned-By: {KEYRING}\n"
    path = scratch / "sources.list.d" / f"docsexec-{suite}.sources"
    if not path.exists() or path.read_text() != source:
        path.write_text(source)


def update_scratch(scratch: Path, log: Log) -> None:
    update(log, *scratch_options(scratch))


def download_scratch(packages: list[str], scratch: Path, dest: Path, log: Log) -> subprocess.CompletedProcess[str]:
    """apt-get download from the scratch source only (its candidate is the suite's version)."""
    dest.mkdir(parents=True, exist_ok=True)
    return run_apt([*scratch_options(scratch), "download", *packages], log, cwd=dest)


def cached_debs(folder: Path, packages: Iterable[str], version: str = "") -> list[Path]:
    """One downloaded .deb per package in `folder` (of upstream `version`, any Debian revision,
    when given; the newest name if several), or [] unless every package has one."""
    found = []
    for pkg in packages:
        matches = sorted(folder.glob(f"{pkg}_{version}-*.deb" if version else f"{pkg}_*.deb"))
        if not matches:
            return []
        found.append(matches[-1])
    return found


def extract_debs(debs: Iterable[Path], dest: Path) -> Path:
    """`dpkg-deb -x` each package into a fresh staging folder beside `dest` (never into
    `dest` itself, so a failed extraction leaves what was there); returns the staging folder."""
    staging = dest.with_name(dest.name + f".tmp{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for deb in debs:
        done = subprocess.run(["dpkg-deb", "-x", str(deb), str(staging)], capture_output=True, text=True)
        if done.returncode != 0:
            raise EnvironmentProblem(f"dpkg-deb -x {deb.name} failed: {done.stderr.strip()}")
    return staging
