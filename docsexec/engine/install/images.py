"""The busybox image, made locally: no registry is ever reachable from these machines.

The image copies what Docker Hub's `busybox` is: one static busybox in /bin with every applet
hard-linked beside it (what `busybox --install /bin` makes), /usr/bin/env, a minimal /etc,
`CMD ["sh"]` and the official PATH. The binary is built from Debian's busybox source with
the official image's configuration (busybox_build.py), so its shell has no banner. Only when
DOCSEXEC_BUSYBOX=debian-package is set does it use the host's busybox-static instead
(Debian's rescue configuration: its shell prints a banner the official image does not).

The rootfs is packed with tarfile (deterministic, no temporary folder) and cached by the
binary's sha256, so a new binary gives a new tarball and an unchanged one costs nothing.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

from ...common import Log
from ...errors import EnvironmentProblem
from . import apt, busybox_build
from .busybox_build import is_static_elf

BUSYBOX = Path("/bin/busybox")  # Debian's busybox-static: the fallback only
SOURCE_ENV = "DOCSEXEC_BUSYBOX"
SOURCES = ("build", "debian-package")
IMAGE = "busybox:latest"
# Docker Hub's busybox:latest has exactly this config (docker-library/busybox image-config.json).
CHANGES = ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 'CMD ["sh"]']
LAYOUT = 2  # bump when the tarball's layout changes
DIRS = {
    "bin": 0o755,
    "dev": 0o755,
    "etc": 0o755,
    "home": 0o755,
    "proc": 0o555,
    "root": 0o700,
    "sys": 0o555,
    "tmp": 0o1777,
    "usr": 0o755,
    "usr/bin": 0o755,
    "var": 0o755,
}
FILES = {
    "etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
    "etc/group": "root:x:0:\nnobody:x:65534:\n",
}
SYMLINKS = {"usr/bin/env": "../../bin/env"}

__all__ = ["BUSYBOX", "IMAGE", "busybox_binary", "import_into", "is_static_elf", "rootfs_tar"]


def busybox_binary(cache: Path, log: Log | None = None) -> Path:
    """The static busybox for the image. With a log (set-up) it is built or installed if
    needed; without one (a page's sandbox starting) it must already be there."""
    choice = os.environ.get(SOURCE_ENV, "build")
    if choice not in SOURCES:
        raise EnvironmentProblem(f"{SOURCE_ENV}={choice!r}: use {' or '.join(SOURCES)}")
    if choice == "debian-package":
        return _debian_package_binary(log)
    if log is not None:
        return busybox_build.ensure_built(cache, log).binary
    found = busybox_build.cached(cache)
    if found is None:
        raise EnvironmentProblem(
            "the busybox image's binary is not built (or is damaged): run `docsexec engine install`"
        )
    return found.binary


def _debian_package_binary(log: Log | None) -> Path:
    """Fallback: Debian's busybox-static, whose shell prints a banner; said loudly."""
    if log is not None:
        log(
            f"WARNING: {SOURCE_ENV}=debian-package: the busybox image uses Debian's busybox-static, "
            "whose shell prints a banner that Docker Hub's busybox does not; pages will not match"
        )
        if not BUSYBOX.exists() or not is_static_elf(BUSYBOX.resolve()):
            apt.install(["busybox-static"], log)
    src = BUSYBOX.resolve()
    if not src.exists() or not is_static_elf(src):
        raise EnvironmentProblem(f"{BUSYBOX} is missing or not static: apt-get install busybox-static")
    return src


def rootfs_tar(cache: Path, log: Log | None = None) -> Path:
    """The cached rootfs tarball for the current binary, packed on first use."""
    src = busybox_binary(cache, log)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()[:16]
    out = cache / "images" / f"busybox-{digest}-layout{LAYOUT}.tar"
    if not out.exists():
        _build(src, out, int(src.stat().st_mtime))
    return out


def _applets(src: Path) -> list[str]:
    listed = subprocess.run([str(src), "--list"], capture_output=True, text=True, check=True).stdout
    return sorted(a for a in listed.split() if a and a != "busybox" and "/" not in a)


def _build(src: Path, out: Path, mtime: int) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".tmp{os.getpid()}")
    with tarfile.open(tmp, "w", format=tarfile.GNU_FORMAT) as tar:
        for name, mode in DIRS.items():
            tar.addfile(_info(name, tarfile.DIRTYPE, mode, mtime))
        binary = _info("bin/busybox", tarfile.REGTYPE, 0o755, mtime)
        binary.size = src.stat().st_size
        with src.open("rb") as f:
            tar.addfile(binary, f)
        for applet in _applets(src):
            link = _info(f"bin/{applet}", tarfile.LNKTYPE, 0o755, mtime)
            link.linkname = "bin/busybox"
            tar.addfile(link)
        for name, target in SYMLINKS.items():
            link = _info(name, tarfile.SYMTYPE, 0o777, mtime)
            link.linkname = target
            tar.addfile(link)
        for name, text in FILES.items():
            info = _info(name, tarfile.REGTYPE, 0o644, mtime)
            info.size = len(text.encode())
            tar.addfile(info, io.BytesIO(text.encode()))
    tmp.replace(out)


def _info(name: str, kind: bytes, mode: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = kind, mode, mtime
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def import_into(docker_host: str, tar: Path, client: Path | None = None) -> None:
    """`docker import` the rootfs as busybox:latest, with a private empty client config, using
    `client` (the page client's folder) when given, else the machine's `docker`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    cmd = [str(client / "docker") if client else "docker", "import"]
    for change in CHANGES:
        cmd += ["-c", change]
    with tempfile.TemporaryDirectory(prefix="docsexec-client-") as config:
        env.update(DOCKER_HOST=docker_host, DOCKER_CONFIG=config)
        done = subprocess.run([*cmd, str(tar), IMAGE], env=env, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise EnvironmentProblem(f"docker import of {IMAGE} failed: {done.stderr.strip()}")
