"""The upstream release sources of Engine 29 (moby, docker/cli, runc), found and checked.

They are `git archive`s of the release tags, kept beside the repository (`../shared/engines/`
relative to the checkout that holds docsexec/, or DOCSEXEC_ENGINE_SOURCES) with a
SHA256SUMS list. Every tarball is checked against that list before it is used: a missing
folder, a missing file or a digest that does not match stops the set-up with one line.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from ...errors import EnvironmentProblem

SOURCES_ENV = "DOCSEXEC_ENGINE_SOURCES"
SUMS = "SHA256SUMS"
CHECKOUT = Path(__file__).resolve().parents[3]  # the folder that holds docsexec/


def sources_dir() -> Path:
    """DOCSEXEC_ENGINE_SOURCES, else the repository's sibling `../shared/engines/`."""
    chosen = os.environ.get(SOURCES_ENV)
    return Path(chosen) if chosen else (CHECKOUT.parent / "shared" / "engines")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_sums(folder: Path) -> dict[str, str]:
    """{file name: sha256} from folder/SHA256SUMS (`sha256sum -c` form)."""
    path = folder / SUMS
    if not folder.is_dir():
        raise EnvironmentProblem(
            f"engine sources: {folder} is not a folder (set {SOURCES_ENV} to the folder of the Engine 29 tarballs)"
        )
    try:
        text = path.read_text()
    except OSError as exc:
        raise EnvironmentProblem(f"engine sources: cannot read {path}: {exc.strerror}") from None
    sums = {}
    for line in text.splitlines():
        match = re.fullmatch(r"([0-9a-f]{64}) [ *](\S+)", line.strip())
        if match:
            sums[match.group(2)] = match.group(1)
    return sums


def checked_sources(names: tuple[str, ...], folder: Path | None = None) -> dict[str, tuple[Path, str]]:
    """{name: (path, sha256)} for each tarball, each one's digest checked against SHA256SUMS."""
    folder = folder or sources_dir()
    sums = read_sums(folder)
    found = {}
    for name in names:
        path = folder / name
        if name not in sums:
            raise EnvironmentProblem(f"engine sources: {name} is not listed in {folder / SUMS}")
        if not path.is_file():
            raise EnvironmentProblem(f"engine sources: {path} is missing")
        digest = file_sha256(path)
        if digest != sums[name]:
            raise EnvironmentProblem(
                f"engine sources: {path} has sha256 {digest[:16]}..., {SUMS} says {sums[name][:16]}...: refusing it"
            )
        found[name] = (path, digest)
    return found
