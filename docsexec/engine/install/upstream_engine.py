"""The upstream-29 engine folder: the built binaries beside forky's containerd and tini.

Engine 29.7.2's own build (upstream_build.py) gives dockerd, docker-proxy, runc and the
docker client; containerd 2.1, its runc shim and docker-init (tini) come from Debian forky's
packages, already extracted for the debian-forky engine, and so does the page client's
compose plugin (docker-compose 2.40). DOCSEXEC_CACHE/engines/upstream-29/bin holds one link
per tool the daemons look up on PATH, so only that folder goes first on their PATH.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ...errors import EnvironmentProblem
from .upstream_build import BuiltEngine

BUILT = {"dockerd": "bin/dockerd", "docker-proxy": "bin/docker-proxy", "runc": "bin/runc"}
FROM_FORKY = {
    "containerd": "usr/bin/containerd",
    "containerd-shim-runc-v2": "usr/bin/containerd-shim-runc-v2",
    "docker-init": "usr/bin/docker-init",
}
FORKY_PLUGINS = "usr/libexec/docker/cli-plugins"


def link_targets(built: BuiltEngine, forky_root: Path) -> dict[str, Path]:
    """{tool name: the binary its link points at}; each must exist and be executable."""
    targets = {name: built.folder / rel for name, rel in BUILT.items()}
    targets.update({name: forky_root / rel for name, rel in FROM_FORKY.items()})
    for name, target in targets.items():
        if not os.access(target, os.X_OK):
            raise EnvironmentProblem(f"upstream-29: {target} ({name}) is missing or not executable")
    return targets


def current_links(folder: Path) -> dict[str, Path]:
    """{name: target} of the links in folder ({} when there is none)."""
    try:
        return {link.name: Path(os.readlink(link)) for link in folder.iterdir() if link.is_symlink()}
    except OSError:
        return {}


def assemble(built: BuiltEngine, forky_root: Path, dest: Path) -> Path:
    """dest/bin with a link per tool; an older folder is replaced in one rename, one that is
    already right is left as it is (sandboxes running from it never see it change)."""
    targets = link_targets(built, forky_root)
    if current_links(dest / "bin") == targets and len(list((dest / "bin").iterdir())) == len(targets):
        return dest / "bin"
    staging = dest.with_name(dest.name + f".tmp{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "bin").mkdir(parents=True)
    for name, target in targets.items():
        (staging / "bin" / name).symlink_to(target)
    shutil.rmtree(dest, ignore_errors=True)
    staging.rename(dest)
    return dest / "bin"


def plugins_dir(forky_root: Path) -> Path:
    """forky's compose plugin folder (the page client's DOCKER_CONFIG/cli-plugins links to it)."""
    folder = forky_root / FORKY_PLUGINS
    if not os.access(folder / "docker-compose", os.X_OK):
        raise EnvironmentProblem(f"upstream-29: forky's compose plugin {folder / 'docker-compose'} is missing")
    return folder
