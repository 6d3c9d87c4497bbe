"""The busybox image, made locally: no registry is ever reachable from these machines.

The rootfs is the host's static /bin/busybox (package busybox-static) plus one symlink per
applet, packed with tarfile (deterministic, no temporary folder) and cached by the binary's
size and mtime, so a busybox upgrade gives a new tarball and an unchanged one costs nothing.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import tarfile
import tempfile
from pathlib import Path

from ..errors import EnvironmentProblem

BUSYBOX = Path("/bin/busybox")
IMAGE = "busybox:latest"
CHANGES = ["ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin", 'CMD ["sh"]']
DIRS = {"bin": 0o755, "dev": 0o755, "etc": 0o755, "home": 0o755, "proc": 0o555, "root": 0o700,
        "sys": 0o555, "tmp": 0o1777, "usr": 0o755, "var": 0o755}
FILES = {
    "etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
    "etc/group": "root:x:0:\nnobody:x:65534:\n",
}


def is_static_elf(path: Path) -> bool:
    """True if the ELF has no PT_INTERP (a dynamic busybox would not run inside the image)."""
    with path.open("rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2:
            return False
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    return all(struct.unpack_from("<I", table, i * phentsize)[0] != 3 for i in range(phnum))


def rootfs_tar(cache: Path) -> Path:
    """The cached rootfs tarball, built on first use."""
    src = BUSYBOX.resolve()
    if not src.exists() or not is_static_elf(src):
        raise EnvironmentProblem(f"{BUSYBOX} is missing or not static: apt-get install busybox-static")
    st = src.stat()
    out = cache / "images" / f"busybox-{st.st_size}-{int(st.st_mtime)}.tar"
    if not out.exists():
        _build(src, out, int(st.st_mtime))
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
            link = _info(f"bin/{applet}", tarfile.SYMTYPE, 0o777, mtime)
            link.linkname = "busybox"
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
