"""Getting a dockerd onto a machine that has only the docker client, without touching the host.

Preference (DOCSEXEC_ENGINE=auto): a system dockerd of Engine 23.0 or later (e.g. a CI
runner's), else Debian forky's Engine 28.5, else trixie's 26.1.5, else an older dockerd already
on the machine, else bookworm's 20.10. Debian engines are downloaded as .debs and extracted
into a private cache folder (never installed), so the host's packages never change and the
engine version is the same on every machine. DOCSEXEC_ENGINE=system|upstream-29|debian-forky|
debian-trixie|debian-bookworm forces one choice, e.g. to make CI use the very engine the pages
were recorded with. upstream-29 is Engine 29.7.2 built from upstream's release source
(upstream_build.py) with forky's containerd and tini (upstream_engine.py); it is only ever
installed by name, never by auto (its build takes minutes).

The page client: an engine that carries its own client gives it to the page's shell (forky's
`docker-cli` 28.5 for forky, trixie's `docker-cli` 26.1.5 for trixie, the CLI 29.7.2 built
with upstream-29); the others (bookworm's, a system engine) get forky's client. The compose
plugin is forky's docker-compose 2.40 for all (trixie's own 2.26 is not what the pages use).
So what a page prints never depends on the client the machine happens to have.

No file under /etc/apt is written: every Debian suite but the host's own is looked up through
a private apt configuration under the cache (apt.scratch_options); the two files an older
set-up wrote for trixie are removed (apt.retire_host_files).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from ...common import Log
from ...errors import EnvironmentProblem
from ..installed import (
    CLIENT_SOURCE,
    ENGINE_ENV,
    RELEASES,
    EngineInstall,
    Release,
    cache_dir,
    cached_engine,
    check_source,
    chosen_source,
    dockerd_version,
    find_engine,
    find_server,
    is_preferred,
    with_page_client,
)
from . import apt, images, upstream_build, upstream_engine

UPSTREAM = "upstream-29"  # built from source, not extracted from Debian packages

# Debian package -> the command whose absence means the package must be installed.
HOST_PACKAGES = {
    "iptables": "iptables",
    "runc": "runc",
    "iproute2": "ip",
    "bridge-utils": "brctl",
    "iputils-ping": "ping",
    "nftables": "nft",  # Engine 29's nftables firewall backend runs it
}


# --- install ----------------------------------------------------------------------------------


def install_engine(log: Log = print, sources: Sequence[str] = ()) -> EngineInstall:
    """Make sure an engine, the page client, the host tools and the busybox rootfs are there;
    idempotent. With `sources` (e.g. the site's configured engines) each of them is installed
    and the first is returned; without, the DOCSEXEC_ENGINE choice.

    A second call finds everything in the cache and returns in well under a second, without
    any network I/O or apt call.
    """
    _require_root()
    apt.retire_host_files(log)
    ensure_host_packages(log)
    installed = [_install_named_fresh(check_source(source), log) for source in sources]
    found = installed[0] if installed else find_engine()
    if not installed and (found is None or (chosen_source() == "auto" and not is_preferred(found))):
        found = _install(log, fallback=found)
    if cached_engine(CLIENT_SOURCE) is None:  # the page client comes with forky's packages
        install_debian(CLIENT_SOURCE, log)
    busybox_rootfs_tar(log)  # builds the busybox binary once per machine (images.py)
    assert found is not None  # installed[0], find_engine()'s, or the one _install made
    for engine in installed or [found]:
        log(f"engine: {engine.source} {engine.version} ({engine.dockerd})")
    return with_page_client(found)


def _install_named(source: str, log: Log) -> EngineInstall:
    """One named engine: the cached one, else installed now (`system` must already be there)."""
    found = find_server(source)
    if found is not None:
        return found
    if source == "system":
        raise EnvironmentProblem("engine source system: no dockerd and containerd that run are on PATH")
    return install_debian(source, log)


def _install_named_fresh(source: str, log: Log) -> EngineInstall:
    """upstream-29 is checked at every set-up (sources, each binary's sha256): a damaged or
    outdated build is rebuilt; the other sources as _install_named."""
    return install_upstream(log) if source == UPSTREAM else _install_named(source, log)


def _require_root() -> None:
    """Root only: the page client comes with forky's packages, so no client is needed first."""
    if os.geteuid() != 0:
        raise EnvironmentProblem("installing the engine needs root (apt, and dockerd runs as root)")


def ensure_host_packages(log: Log) -> None:
    """apt-get install the host tools whose commands are missing (nothing to do: no apt call)."""
    missing = [pkg for pkg, cmd in HOST_PACKAGES.items() if shutil.which(cmd) is None]
    if missing:
        apt.install(sorted(set(missing)), log)


def _install(log: Log, fallback: EngineInstall | None) -> EngineInstall:
    """Install the chosen Debian engine; in auto mode forky's, else trixie's, then (if both
    fail) use the old engine already there (fallback) or bookworm's."""
    choice = chosen_source()
    if choice == "system":
        raise EnvironmentProblem(f"{ENGINE_ENV}=system, but no dockerd and containerd that run are on PATH")
    problems = []
    for source in [choice] if choice != "auto" else ["debian-forky", "debian-trixie", "debian-bookworm"]:
        if source == "debian-bookworm" and fallback is not None:
            log(f"falling back to the {fallback.source} engine {fallback.version}")
            return fallback
        try:
            return install_debian(source, log)
        except EnvironmentProblem as exc:
            log(f"{source}: {exc.one_line()}")
            problems.append(f"{source}: {exc.one_line()}")
    raise EnvironmentProblem("no Docker engine could be installed: " + "; ".join(problems))


def install_debian(source: str, log: Log) -> EngineInstall:
    """Download (if not cached), extract and check one Debian release's engine."""
    release = RELEASES[source]
    if release.plugins_from and cached_engine(release.plugins_from) is None:
        install_debian(release.plugins_from, log)
    if release.host_libs:
        apt.install(list(release.host_libs), log)
    debs = _debs(source, release, log)
    dest = cache_dir() / "engines" / source
    return _extract(source, debs, dest, log)


def _debs(source: str, release: Release, log: Log) -> list[Path]:
    """The release's .debs in the cache, downloading them (refreshing lists once) if needed."""
    folder = cache_dir() / "debs" / source
    found = apt.cached_debs(folder, release.packages)
    if found:
        return found
    if release.scratch:
        return _scratch_debs(release, folder, log)
    specs = [f"{pkg}/{release.suite}" for pkg in release.packages]
    done = apt.download(specs, folder, log)
    if done.returncode != 0:
        log(f"apt-get download failed ({apt.last_error(done)}); refreshing the {release.suite} lists")
        apt.update(log)
        done = apt.download(specs, folder, log)
    found = apt.cached_debs(folder, release.packages)
    if done.returncode != 0 or not found:
        raise EnvironmentProblem(f"apt-get download {' '.join(specs)} failed: {apt.last_error(done)}")
    return found


def _scratch_debs(release: Release, folder: Path, log: Log) -> list[Path]:
    """Download from a private apt source for the suite (lists refreshed when missing or stale)."""
    scratch = cache_dir() / "apt" / release.suite
    apt.prepare_scratch(release.suite, scratch, log)
    if not any((scratch / "lists").glob("*_Packages")):
        apt.update_scratch(scratch, log)
    done = apt.download_scratch(list(release.packages), scratch, folder, log)
    if done.returncode != 0:
        log(f"apt-get download failed ({apt.last_error(done)}); refreshing the {release.suite} lists")
        apt.update_scratch(scratch, log)
        done = apt.download_scratch(list(release.packages), scratch, folder, log)
    found = apt.cached_debs(folder, release.packages)
    if done.returncode != 0 or not found:
        raise EnvironmentProblem(
            f"apt-get download {' '.join(release.packages)} ({release.suite}) failed: {apt.last_error(done)}"
        )
    return found


def _extract(source: str, debs: list[Path], dest: Path, log: Log) -> EngineInstall:
    """dpkg-deb -x into a staging folder, check the binaries run, then move it in place."""
    staging = apt.extract_debs(debs, dest)
    _set_client_aside(RELEASES[source], staging)
    found = _check_tree(source, staging, dest)
    (staging / "install.json").write_text(json.dumps(_marker(found), indent=1) + "\n")
    shutil.rmtree(dest, ignore_errors=True)
    staging.rename(dest)
    log(f"extracted {', '.join(d.name for d in debs)} into {dest}")
    return found


def _set_client_aside(release: Release, staging: Path) -> None:
    """The page client goes to client/, alone: on the page's PATH it must not bring the
    engine's other tools along, and on the daemons' PATH it is not wanted. A release that is
    not the client source drops its client."""
    client = staging / "usr/bin/docker"
    if release.client and client.exists():
        (staging / "client").mkdir()
        client.rename(staging / "client/docker")
    else:
        client.unlink(missing_ok=True)


def _plugins_dir(source: str, staging: Path, dest: Path) -> tuple[Path, Path]:
    """(where the client's compose plugin is now, where it will be): the release's own, or
    another engine's (plugins_from) already in the cache."""
    own = Path("usr/libexec/docker/cli-plugins")
    other = RELEASES[source].plugins_from
    if other:
        folder = cache_dir() / "engines" / other / own
        return folder, folder
    return staging / own, dest / own


def _check_client(source: str, staging: Path, plugins: Path) -> None:
    """The page client and its compose plugin must run here (bookworm's glibc)."""
    for cmd in (
        [str(staging / "client/docker"), "--version"],
        [str(plugins / "docker-compose"), "version"],
    ):
        if not _runs(cmd, os.environ.get("PATH", "")):
            raise EnvironmentProblem(f"{source}: the extracted {Path(cmd[0]).name} is missing or does not run here")


def _check_tree(source: str, staging: Path, dest: Path) -> EngineInstall:
    """The engine as it will be once moved to dest, after checking its binaries run here."""
    rel_dirs = [d for d in ("usr/sbin", "usr/bin", "usr/libexec/docker") if (staging / d).is_dir()]
    path = os.pathsep.join([*(str(staging / d) for d in rel_dirs), os.environ.get("PATH", "")])
    dockerd = staging / "usr/sbin/dockerd"
    version = dockerd_version(dockerd, path)
    if not version:
        raise EnvironmentProblem(f"{source}: the extracted dockerd does not run on this machine")
    for tool, flag in (("containerd", "--version"), ("containerd-shim-runc-v2", "-v")):
        if shutil.which(tool, path=path) is None or not _runs([tool, flag], path):
            raise EnvironmentProblem(f"{source}: the extracted {tool} is missing or does not run here")
    if not RELEASES[source].client:
        return EngineInstall(dest / "usr/sbin/dockerd", tuple(dest / d for d in rel_dirs), version, source)
    plugins_now, plugins = _plugins_dir(source, staging, dest)
    _check_client(source, staging, plugins_now)
    return EngineInstall(
        dest / "usr/sbin/dockerd", tuple(dest / d for d in rel_dirs), version, source, dest / "client", plugins
    )


def _runs(cmd: list[str], path: str) -> bool:
    try:
        done = subprocess.run(cmd, env=dict(os.environ, PATH=path), capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _marker(found: EngineInstall) -> dict[str, object]:
    data = asdict(found)
    data["dockerd"] = str(found.dockerd)
    data["bin_dirs"] = [str(d) for d in found.bin_dirs]
    for key in ("client_dir", "cli_plugins"):
        data[key] = str(data[key]) if data[key] is not None else None
    return data


# --- upstream-29 ------------------------------------------------------------------------------


def install_upstream(log: Log) -> EngineInstall:
    """Engine 29.7.2 built from source (cached per recipe), with forky's containerd, tini and
    compose plugin (forky is installed too if needed), checked to run here."""
    built = upstream_build.ensure_built(cache_dir(), log)  # checks the sources first of all
    if cached_engine(CLIENT_SOURCE) is None:
        install_debian(CLIENT_SOURCE, log)
    forky_root = cache_dir() / "engines" / CLIENT_SOURCE
    dest = cache_dir() / "engines" / UPSTREAM
    bin_dir = upstream_engine.assemble(built, forky_root, dest)
    version = dockerd_version(built.folder / "bin/dockerd", os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]))
    for tool, flag in (("containerd", "--version"), ("containerd-shim-runc-v2", "-v"), ("runc", "--version")):
        if not _runs([str(bin_dir / tool), flag], os.environ.get("PATH", "")):
            raise EnvironmentProblem(f"{UPSTREAM}: {bin_dir / tool} does not run here")
    if not version or not _runs([str(built.folder / "client/docker"), "--version"], os.environ.get("PATH", "")):
        raise EnvironmentProblem(f"{UPSTREAM}: the built dockerd or docker does not run here")
    found = EngineInstall(
        built.folder / "bin/dockerd",
        (bin_dir,),
        version,
        UPSTREAM,
        built.folder / "client",
        upstream_engine.plugins_dir(forky_root),
    )
    marker = dest / f"install.json.tmp{os.getpid()}"
    marker.write_text(json.dumps({**_marker(found), "recipe_key": built.key}, indent=1) + "\n")
    marker.replace(dest / "install.json")  # a sandbox starting meanwhile reads the old or the new
    return found


# --- images -----------------------------------------------------------------------------------


def busybox_rootfs_tar(log: Log | None = None) -> Path:
    """Cached tarball of the busybox rootfs; with a log (set-up) its binary is built if needed."""
    return images.rootfs_tar(cache_dir(), log)


def import_images(docker_host: str, client: Path | None = None) -> None:
    """Import busybox:latest into the engine at docker_host (no registry needed)."""
    images.import_into(docker_host, busybox_rootfs_tar(), client)
