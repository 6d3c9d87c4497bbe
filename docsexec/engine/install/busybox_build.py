"""A static busybox built like Docker Hub's `busybox` image, from Debian's source, offline.

Why build at all: Debian's busybox-static package is configured for rescue use
(debian/config/pkg/static unsets CONFIG_FEATURE_SH_EXTRA_QUIET), so its ash prints
"BusyBox v1.35.0 (Debian ...) built-in shell (ash)" when it starts interactively; the
official image is upstream's `make defconfig` (where that option defaults to y) and goes
straight to `/ # `. So this module repeats docker-library/busybox's recipe with parts any
Debian machine can reach: the upstream tarball as Debian ships it (busybox_<v>.orig.tar.bz2,
checked by apt against trixie's signed Sources index), the two Debian patches that play the
role of docker-library's own two, `make defconfig`, the same handful of settings, static.

The C library is glibc, linked statically, as in Debian's own busybox-static: Docker Hub's
default tag uses uClibc from a Buildroot toolchain, which Debian does not package; Debian's
musl-gcc does not see the kernel headers (linux/*.h) busybox includes; docker-library's glibc variant is the same upstream
configuration on Debian's glibc (dynamic there, only so that it can carry NSS modules).

The result is cached under DOCSEXEC_CACHE/busybox/<upstream>-<recipe hash>/busybox with a
marker holding its sha256, so it is built once per machine and a damaged copy is rebuilt
(from the cached source: no network needed then).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ...common import Log
from ...errors import EnvironmentProblem
from . import apt, apt_source

PACKAGE = "busybox"
SUITE = "trixie"  # its busybox is 1.37.0, the version of Docker Hub's busybox:latest
UPSTREAM = "1.37.0"
# Debian's fixes for what docker-library patches too: tc without CBQ (kernel headers >= 6.8
# dropped it) and the SHA-NI code guarded by its config option.
DEBIAN_PATCHES = ("busybox-1.36.1-no-cbq.patch", "libbb-sha-add-missing-sha-NI-guard.patch")
# docker-library/busybox's settings on top of `make defconfig` (static, as its uclibc/musl tags).
CONFIG_SET = {
    "CONFIG_AR": "y",
    "CONFIG_FEATURE_AR_CREATE": "y",
    "CONFIG_FEATURE_AR_LONG_FILENAMES": "y",
    "CONFIG_LAST_SUPPORTED_WCHAR": "0",
    "CONFIG_STATIC": "y",
}
CONFIG_UNSET = ("CONFIG_FEATURE_SYNC_FANCY",)
# What defconfig must keep: the quiet shell, and no applets-before-PATH lookup (Debian's has it).
CONFIG_EXPECTED = {"CONFIG_FEATURE_SH_EXTRA_QUIET": "y", "CONFIG_FEATURE_SH_STANDALONE": None}
# Applets the site's pages (and readers following them) use inside containers.
REQUIRED_APPLETS = (
    "sh",
    "ip",
    "ping",
    "nslookup",
    "httpd",
    "nc",
    "wget",
    "route",
    "hostname",
    "ifconfig",
    "cat",
    "ls",
    "sleep",
    "top",
    "ps",
    "netstat",
    "arp",
    "traceroute",
)
RECIPE = 1  # bump when the build steps change in a way the constants above do not show
JOBS_ENV = "DOCSEXEC_BUSYBOX_JOBS"
BANNER = b"built-in shell"


@dataclass(frozen=True)
class BuiltBusybox:
    binary: Path
    sha256: str
    debian_source: str  # e.g. "1:1.37.0-6"
    seconds: float  # how long the build took on this machine
    jobs: int


def recipe_key() -> str:
    """Short hash of everything that shapes the binary, so a new recipe gets a new folder."""
    recipe = [PACKAGE, SUITE, UPSTREAM, DEBIAN_PATCHES, sorted(CONFIG_SET.items()), CONFIG_UNSET, RECIPE]
    return hashlib.sha256(json.dumps(recipe).encode()).hexdigest()[:12]


def build_dir(cache: Path) -> Path:
    return cache / "busybox" / f"{UPSTREAM}-{recipe_key()}"


def is_static_elf(path: Path) -> bool:
    """True if the ELF has no PT_INTERP (a dynamic busybox would not run inside the image)."""
    with path.open("rb") as f:
        head = f.read(64)
        if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2:
            return False
        (phoff,) = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    if len(table) < phentsize * phnum or phnum == 0:
        return False
    return all(struct.unpack_from("<I", table, i * phentsize)[0] != 3 for i in range(phnum))


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cached(cache: Path) -> BuiltBusybox | None:
    """The built binary if its marker is intact and the file still has the recorded sha256."""
    folder = build_dir(cache)
    try:
        data = json.loads((folder / "build.json").read_text())
        found = BuiltBusybox(
            folder / "busybox", data["sha256"], data["debian_source"], float(data["seconds"]), int(data["jobs"])
        )
        intact = sha256_of(found.binary) == found.sha256 and is_static_elf(found.binary)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return found if intact else None


def ensure_built(cache: Path, log: Log) -> BuiltBusybox:
    """The cached binary, building it first (once per machine, one builder at a time)."""
    found = cached(cache)
    if found is not None:
        return found
    folder = build_dir(cache)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another set-up may be building the same thing
        return cached(cache) or build(cache, log)


def build(cache: Path, log: Log) -> BuiltBusybox:
    """Fetch (if not cached) and compile; the one-line EnvironmentProblem says what failed."""
    ensure_build_tools(log)
    orig, debian_tar, version = source_files(cache, log)
    jobs = make_jobs()
    log(
        f"busybox: building {UPSTREAM} (Debian source {version}) with make -j{jobs} (one to three minutes on two cores)"
    )
    begun = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="build-", dir=cache / "busybox") as work:
        tree = unpack(orig, debian_tar, Path(work))
        configure(tree)
        binary = compile_tree(tree, jobs, cache)
        check_binary(binary)
        found = install(binary, cache, version, time.monotonic() - begun, jobs)
    log(f"busybox: built {found.binary} in {found.seconds:.0f} s")
    return found


def make_jobs() -> int:
    try:
        return max(1, int(os.environ.get(JOBS_ENV, "2")))
    except ValueError:
        raise EnvironmentProblem(f"{JOBS_ENV}={os.environ[JOBS_ENV]!r}: use a number of parallel jobs") from None


# --- tools and source -------------------------------------------------------------------------

BUILD_TOOLS = {
    "gcc": "build-essential",
    "make": "build-essential",
    "patch": "patch",
    "bzip2": "bzip2",
    "xz": "xz-utils",
}


def ensure_build_tools(log: Log) -> None:
    """apt-get install what compiling needs, only if something is missing (static libc too)."""
    missing = {pkg for cmd, pkg in BUILD_TOOLS.items() if shutil.which(cmd) is None}
    if shutil.which("gcc") and not Path(_gcc_file("libc.a")).is_absolute():
        missing.add("libc6-dev")
    if missing:
        apt.install(sorted(missing), log)


def _gcc_file(name: str) -> str:
    done = subprocess.run(["gcc", f"-print-file-name={name}"], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else name


def source_files(cache: Path, log: Log) -> tuple[Path, Path, str]:
    """(orig tarball, debian tarball, Debian version), downloaded once into the cache."""
    folder = cache / "busybox" / "source"
    dsc = _usable_dsc(folder)
    if dsc is None:
        log(f"busybox: downloading Debian {SUITE}'s {PACKAGE} source (private deb-src list)")
        dsc = apt_source.download_source(PACKAGE, SUITE, cache / "apt-src", folder, log)
    version = dsc_field(dsc, "Version")
    upstream = re.sub(r"^\d+:", "", version).split("-")[0]
    if upstream != UPSTREAM:
        raise EnvironmentProblem(
            f"Debian {SUITE} now has busybox {version}, the recipe expects {UPSTREAM}: "
            f"update UPSTREAM in {Path(__file__).name}"
        )
    orig = folder / f"{PACKAGE}_{UPSTREAM}.orig.tar.bz2"
    debian_tar = next(iter(sorted(folder.glob(f"{PACKAGE}_{version.split(':')[-1]}.debian.tar.*"))), None)
    if not orig.exists() or debian_tar is None:
        raise EnvironmentProblem(f"{dsc} names files that are not beside it (remove {folder} and set up again)")
    return orig, debian_tar, version


def _usable_dsc(folder: Path) -> Path | None:
    """The newest cached .dsc whose files are all there with the sha256 it records."""
    for dsc in sorted(folder.glob(f"{PACKAGE}_*.dsc"), reverse=True):
        sums = dsc_checksums(dsc)
        if sums and all(
            (folder / name).exists() and sha256_of(folder / name) == digest for name, digest in sums.items()
        ):
            return dsc
    return None


def dsc_field(dsc: Path, field: str) -> str:
    match = re.search(rf"^{field}: *(\S+)", dsc.read_text(errors="replace"), re.MULTILINE)
    if not match:
        raise EnvironmentProblem(f"{dsc}: no {field} field")
    return match.group(1)


def dsc_checksums(dsc: Path) -> dict[str, str]:
    """{file name: sha256} from the .dsc's Checksums-Sha256 section."""
    text = dsc.read_text(errors="replace")
    section = re.search(r"^Checksums-Sha256:\n((?: .*\n?)+)", text, re.MULTILINE)
    rows = (line.split() for line in section.group(1).splitlines()) if section else ()
    return {row[2]: row[0] for row in rows if len(row) == 3}


# --- unpack, configure, compile ---------------------------------------------------------------


def unpack(orig: Path, debian_tar: Path, work: Path) -> Path:
    """Upstream's tree from the orig tarball, with only DEBIAN_PATCHES applied."""
    tree = work / "src"
    tree.mkdir()
    _run(["tar", "-xjf", str(orig), "-C", str(tree), "--strip-components=1"], "unpacking the source", work)
    members = [f"debian/patches/{name}" for name in DEBIAN_PATCHES]
    _run(["tar", "-xf", str(debian_tar), "-C", str(work), *members], "unpacking Debian's patches", work)
    for name in DEBIAN_PATCHES:
        _run(
            ["patch", "-p1", "--forward", "--batch", "-i", str(work / "debian/patches" / name)],
            f"applying {name}",
            tree,
        )
    return tree


def configure(tree: Path) -> None:
    """`make defconfig`, then CONFIG_SET/CONFIG_UNSET, `make oldconfig`, and verify the result."""
    _run(["make", "defconfig"], "make defconfig", tree)
    config = tree / ".config"
    config.write_text(edited_config(config.read_text()))
    _run(["make", "oldconfig"], "make oldconfig", tree, stdin="\n" * 4000)
    problems = config_problems(parse_config(config.read_text()))
    if problems:
        raise EnvironmentProblem(f"busybox configuration: {'; '.join(problems)}")


def edited_config(text: str) -> str:
    """The .config text with CONFIG_SET set and CONFIG_UNSET unset (added when absent)."""
    lines = [
        line for line in text.splitlines() if _symbol(line) not in CONFIG_SET and _symbol(line) not in CONFIG_UNSET
    ]
    lines += [f"{name}={value}" for name, value in CONFIG_SET.items()]
    lines += [f"# {name} is not set" for name in CONFIG_UNSET]
    return "\n".join(lines) + "\n"


def _symbol(line: str) -> str:
    match = re.match(r"^(?:# )?(CONFIG_\w+)(?:=| is not set)", line)
    return match.group(1) if match else ""


def parse_config(text: str) -> dict[str, str]:
    """{symbol: value} for the symbols that are set (unset ones are absent)."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^(CONFIG_\w+)=(.*)$", text, re.MULTILINE)}


def config_problems(config: dict[str, str]) -> list[str]:
    wanted = {**CONFIG_SET, **{name: None for name in CONFIG_UNSET}, **CONFIG_EXPECTED}
    return [
        f"{name} is {config.get(name, 'unset')}, expected {value or 'unset'}"
        for name, value in wanted.items()
        if config.get(name) != value
    ]


def compile_tree(tree: Path, jobs: int, cache: Path) -> Path:
    """make -jN busybox; its output goes to last-build.log beside the builds (kept for failures)."""
    log_file = cache / "busybox" / "last-build.log"
    with log_file.open("w") as out:
        done = subprocess.run(
            ["make", f"-j{jobs}", "busybox"],
            cwd=tree,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=build_env(tree),
            timeout=3600,
        )
    if done.returncode != 0:
        raise EnvironmentProblem(
            f"busybox build: make failed (exit {done.returncode}): {_first_error(log_file)} (full output: {log_file})"
        )
    return tree / "busybox"


def _first_error(log_file: Path) -> str:
    """The compiler's first error line, which names the file that broke the build."""
    lines = log_file.read_text(errors="replace").splitlines()
    errors = [line.strip() for line in lines if "error" in line.lower()]
    return (errors or [line.strip() for line in lines if line.strip()][-1:] or ["no output"])[0]


def build_env(tree: Path) -> dict[str, str]:
    """SOURCE_DATE_EPOCH from the tarball's Makefile, so the binary's build date is fixed
    (it must be set from `make defconfig` on: the config stage records a timestamp too)."""
    epoch = str(int((tree / "Makefile").stat().st_mtime))
    return dict(os.environ, SOURCE_DATE_EPOCH=epoch, LC_ALL="C")


def _run(cmd: list[str], what: str, cwd: Path, stdin: str | None = None) -> None:
    env = build_env(cwd) if (cwd / "Makefile").exists() else None
    done = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=600, env=env)
    if done.returncode != 0:
        tail = (done.stderr.strip() or done.stdout.strip() or f"exit {done.returncode}").splitlines()[-1]
        raise EnvironmentProblem(f"busybox build: {what} failed: {tail}")


# --- check and install ------------------------------------------------------------------------


def applets(binary: Path) -> list[str]:
    listed = subprocess.run([str(binary), "--list"], capture_output=True, text=True, timeout=30)
    return sorted(a for a in listed.stdout.split() if a and "/" not in a)


def prints_banner(binary: Path) -> bool:
    """True if the shell greets an interactive session (`sh -i` prints it even without a tty)."""
    done = subprocess.run(
        [str(binary), "sh", "-i"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=30,
        env={"PATH": "/nonexistent", "PS1": "$ "},
    )
    return BANNER in done.stdout + done.stderr


def check_binary(binary: Path) -> None:
    """The built binary is static, has the pages' applets and no shell banner."""
    if not binary.exists() or not is_static_elf(binary):
        raise EnvironmentProblem(f"busybox build: {binary} is missing or not a static executable")
    missing = sorted(set(REQUIRED_APPLETS) - set(applets(binary)))
    if missing:
        raise EnvironmentProblem(f"busybox build: applets missing: {', '.join(missing)}")
    if prints_banner(binary):
        raise EnvironmentProblem("busybox build: the shell still prints its banner")


def install(binary: Path, cache: Path, version: str, seconds: float, jobs: int) -> BuiltBusybox:
    """Move the binary and its marker into build_dir(cache) in one rename."""
    dest = build_dir(cache)
    staging = dest.with_name(dest.name + f".tmp{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    shutil.copy2(binary, staging / "busybox")
    found = BuiltBusybox(dest / "busybox", sha256_of(staging / "busybox"), version, round(seconds, 1), jobs)
    marker = {
        **asdict(found),
        "binary": str(found.binary),
        "recipe_key": recipe_key(),
        "config_set": CONFIG_SET,
        "config_unset": list(CONFIG_UNSET),
        "patches": list(DEBIAN_PATCHES),
    }
    (staging / "build.json").write_text(json.dumps(marker, indent=1) + "\n")
    shutil.rmtree(dest, ignore_errors=True)
    staging.rename(dest)
    return found
