"""Which engines are installed, and which one a run uses: the lookup half of provisioning.

An engine is found, never installed, here (install/provision.py installs): a cached one by
its marker under the cache folder, or a system dockerd on PATH, with the page client
attached (an engine without its own gets forky's client and compose plugin). The run plan
(pages/plan.py) looks each engine of a run up once through find_engine and hands the result
(an EngineInstall) down; nothing else outside docsexec/engine/ calls these (tests/
test_code_quality.py says so).

Preference (DOCSEXEC_ENGINE=auto): a system dockerd of Engine 23.0 or later (e.g. a CI
runner's), else Debian forky's Engine 28.5, else trixie's 26.1.5, else bookworm's 20.10, else
an older dockerd already on the machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import EnvironmentProblem
from ..model import ENGINE_SOURCES

ENGINE_ENV = "DOCSEXEC_ENGINE"
CHOICES = ENGINE_SOURCES  # the engines docsexec can start (model.py: the names a page may write)
CLIENT_SOURCE = "debian-forky"  # whose docker-cli a page runs when its engine has no client of its own
MODERN = (23, 0)


@dataclass(frozen=True)
class Release:
    suite: str
    packages: tuple[str, ...]  # downloaded and extracted into the cache
    host_libs: tuple[str, ...]  # shared libraries the engine links that bookworm may lack
    scratch: bool = False  # looked up through a private apt source (apt.scratch_options), not /etc/apt
    client: bool = False  # keep the package's docker client (and compose plugin) as the page client
    plugins_from: str = ""  # the engine source whose compose plugin the client uses ("": its own)


RELEASES = {
    "debian-forky": Release(
        "forky",
        ("docker.io", "containerd", "tini-static", "docker-cli", "docker-compose"),
        (),
        scratch=True,
        client=True,
    ),
    "debian-trixie": Release(
        "trixie",
        ("docker.io", "containerd", "tini", "docker-cli"),
        (),
        scratch=True,
        client=True,
        plugins_from="debian-forky",  # trixie's docker-compose 2.26 is not the one the pages use
    ),
    "debian-bookworm": Release("bookworm", ("docker.io", "containerd", "tini"), ("libdevmapper1.02.1",)),
}


@dataclass(frozen=True)
class EngineInstall:
    dockerd: Path  # the dockerd binary to start
    bin_dirs: tuple[
        Path, ...
    ]  # first on PATH for dockerd (containerd, shims, docker-proxy, docker-init); () for a system engine
    version: str  # e.g. "26.1.5+dfsg1"
    source: str  # "debian-forky" | "debian-trixie" | "debian-bookworm" | "system"
    client_dir: Path | None = None  # a folder holding only the page's `docker` client; None: the machine's
    cli_plugins: Path | None = None  # the page client's plugins (docker-compose), linked into DOCKER_CONFIG

    def path_env(self, base: str | None = None) -> str:
        """PATH with the engine's own folders first, then the host's (iptables, runc, ip)."""
        base = base if base is not None else os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        return os.pathsep.join([*map(str, self.bin_dirs), base])

    def page_path_env(self, base: str | None = None) -> str:
        """PATH for the page's shell: the page client first, then as for the daemons."""
        engine_path = self.path_env(base)
        return os.pathsep.join([str(self.client_dir), engine_path]) if self.client_dir else engine_path


def cache_dir() -> Path:
    return Path(os.environ.get("DOCSEXEC_CACHE", "/var/cache/docsexec"))


def chosen_source(choice: str | None = None) -> str:
    """The engine source asked for (else DOCSEXEC_ENGINE), checked."""
    choice = choice or os.environ.get(ENGINE_ENV, "auto")
    if choice != "auto" and choice not in CHOICES:
        raise EnvironmentProblem(f"{ENGINE_ENV}={choice!r}: use auto, {', '.join(CHOICES)}")
    return choice


def check_source(name: str) -> str:
    """`name` if it is an engine source docsexec knows, else EnvironmentProblem naming them."""
    if name not in CHOICES:
        raise EnvironmentProblem(f"unknown engine source {name!r}: use {', '.join(CHOICES)}")
    return name


# --- lookup -----------------------------------------------------------------------------------


def find_engine(source: str | None = None) -> EngineInstall | None:
    """The engine to use if one is already there, with the page client attached; never
    installs, never uses the network. `source` (else DOCSEXEC_ENGINE) picks one by name.

    auto: a modern system dockerd, else the cached forky engine, else trixie's, else
    bookworm's, else an old system dockerd (an old one is no better than our 20.10 fallback).
    """
    found = find_server(chosen_source(source))
    return with_page_client(found) if found is not None else None


def find_server(choice: str) -> EngineInstall | None:
    if choice == "system":
        return system_engine()
    if choice != "auto":
        return cached_engine(choice)
    system = system_engine()
    if system is not None and is_modern(system.version):
        return system
    return cached_engine("debian-forky") or cached_engine("debian-trixie") or cached_engine("debian-bookworm") or system


def describe_installed(sources: Sequence[str]) -> list[str]:
    """One line per engine source: the engine installed for it, or that none is."""
    return [
        f"engine {found.version} ({found.source}) at {found.dockerd}" if found else f"engine {source}: not installed"
        for source in sources
        for found in [find_engine(source)]
    ]


def with_page_client(found: EngineInstall) -> EngineInstall:
    """`found` as it is when it carries its own client (forky, upstream-29), else with forky's
    client and plugins for the page, when forky is cached."""
    if found.client_dir is not None:
        return found
    client = cached_engine(CLIENT_SOURCE)
    if client is None or client.client_dir is None:
        return found
    return replace(found, client_dir=client.client_dir, cli_plugins=client.cli_plugins)


def is_modern(version: str) -> bool:
    """True for Engine 23.0 and later (20.10 is out of support; its outputs differ)."""
    numbers = re.findall(r"\d+", version)[:2]
    return tuple(int(n) for n in numbers) >= MODERN if len(numbers) == 2 else False


def is_preferred(found: EngineInstall) -> bool:
    return found.source in ("debian-forky", "debian-trixie") or (found.source == "system" and is_modern(found.version))


def cached_engine(source: str) -> EngineInstall | None:
    """An extracted engine from the cache, if its marker and binary are intact."""
    marker = cache_dir() / "engines" / source / "install.json"
    try:
        data = json.loads(marker.read_text())
        found = EngineInstall(
            Path(data["dockerd"]),
            tuple(map(Path, data["bin_dirs"])),
            data["version"],
            data["source"],
            _optional_path(data.get("client_dir")),
            _optional_path(data.get("cli_plugins")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if found.client_dir is not None and not os.access(found.client_dir / "docker", os.X_OK):
        return None
    if found.client_dir is None and source in RELEASES and RELEASES[source].client:
        return None  # extracted before the release kept its client: extract it again
    return found if os.access(found.dockerd, os.X_OK) else None


def _optional_path(value: str | None) -> Path | None:
    return Path(value) if value else None


def system_engine() -> EngineInstall | None:
    """A dockerd (and containerd) already on PATH, if `dockerd --version` works."""
    dockerd = shutil.which("dockerd")
    if dockerd is None or shutil.which("containerd") is None:
        return None
    version = dockerd_version(Path(dockerd), os.environ.get("PATH", ""))
    return EngineInstall(Path(dockerd), (), version, "system") if version else None


def client_version(found: EngineInstall) -> str | None:
    """The exact version of the client a page runs with `found` (None: the machine's docker)."""
    if found.client_dir is None:
        return None
    return dockerd_version(found.client_dir / "docker", os.environ.get("PATH", "")) or None


def dockerd_version(dockerd: Path, path: str) -> str:
    """'26.1.5+dfsg1' from 'Docker version 26.1.5+dfsg1, build a72d7cd'; '' if it does not run."""
    try:
        done = subprocess.run(
            [str(dockerd), "--version"], env=dict(os.environ, PATH=path), capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    match = re.search(r"version ([^\s,]+)", done.stdout)
    return match.group(1) if done.returncode == 0 and match else ""
