"""Debian source packages, downloaded without touching the host's apt configuration.

`apt-get source` needs deb-src lines, and the host has none (and must keep none). A private
folder under the cache holds a deb-src list, its own package lists and its own apt cache;
every apt-get call points at it with `-o` options, so /etc/apt and /var/lib/apt/lists are
never changed. apt checks the downloaded files against the release's signed Sources index,
exactly as it checks binary packages.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ...common import Log
from ...errors import EnvironmentProblem
from . import apt


def scratch_options(root: Path) -> list[str]:
    """apt-get options that make apt read and write only inside root (plus dpkg's status)."""
    return [
        "-o",
        "Dir::Etc::SourceList=/dev/null",
        "-o",
        f"Dir::Etc::SourceParts={root / 'sources.list.d'}",
        "-o",
        f"Dir::State::Lists={root / 'lists'}",
        "-o",
        f"Dir::Cache={root / 'cache'}",
        "-o",
        "APT::Sandbox::User=root",
    ]  # the cache folder is root's; _apt could not write it


def source_list(suite: str) -> str:
    """deb-src entries for a release, its updates and its security archive."""
    security = apt.MIRROR.rstrip("/") + "-security"
    return (
        f"Types: deb-src\nURIs: {apt.MIRROR}\nSuites: {suite} {suite}-updates\nComponents: main\n"
        f"Signed-By: {apt.KEYRING}\n\n"
        f"Types: deb-src\nURIs: {security}\nSuites: {suite}-security\nComponents: main\n"
        f"Signed-By: {apt.KEYRING}\n"
    )


def prepare(root: Path, suite: str) -> None:
    """Write the private deb-src list and the folders apt expects under root."""
    for sub in ("sources.list.d", "lists/partial", "cache/archives/partial"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "sources.list.d" / f"docsexec-{suite}-src.sources").write_text(source_list(suite))


def download_source(package: str, suite: str, root: Path, dest: Path, log: Log) -> Path:
    """The newest `package` source of `suite` (its .dsc, tarballs beside it) downloaded into dest."""
    if not apt.KEYRING.exists():
        raise EnvironmentProblem(f"{apt.KEYRING} is missing: cannot verify Debian's source packages")
    prepare(root, suite)
    options = scratch_options(root)
    _checked(apt.run_apt([*options, "update"], log), "update (private deb-src lists)")
    dest.mkdir(parents=True, exist_ok=True)
    _checked(
        apt.run_apt([*options, "source", "--download-only", package], log, cwd=dest),
        f"source --download-only {package}",
    )
    dscs = sorted(dest.glob(f"{package}_*.dsc"))
    if not dscs:
        raise EnvironmentProblem(f"apt-get source {package} left no .dsc in {dest}")
    return dscs[-1]


def _checked(done: subprocess.CompletedProcess[str], what: str) -> None:
    if done.returncode != 0:
        raise EnvironmentProblem(f"apt-get {what} failed: {apt.last_error(done)}")
