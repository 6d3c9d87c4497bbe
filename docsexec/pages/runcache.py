"""A cache of verified runs: a page whose verification inputs have not changed is not run again.

The key is a hash of everything that can change a page's outcome:

- the page's tagged blocks, in order: id, fence line (the options) and dedented body
  (commands, typed inputs and recorded outputs);
- the run settings (engine mode, default timeout) and the engine: its source, exact version
  and the dockerd binary's identity, and the page client it runs with (forky's `docker` and
  compose plugin: path, size, mtime);
- the busybox image (a hash of the rootfs tarball the engine imports) and the host tools the
  page's shell and the engine use (docker client, bash, ip, nsenter, iptables, runc: path, size,
  mtime);
- the kernel release;
- docsexec itself: a hash of every source file of the package (comparator and its settings
  included), which is more honest than a version string nobody bumps.

Only passing runs are stored. An entry is one JSON file named by its key under
$DOCSEXEC_RUN_CACHE (default $DOCSEXEC_CACHE/runs, beside the engine cache; `off` turns the
cache off altogether, as the test suite does for the runs it starts), written to a
temporary file and renamed, so concurrent runs never see half an entry. An entry carries a
checksum of its own content; one that does not parse, does not match its checksum, its key or
the page's block ids is ignored (and overwritten by the next passing run), never trusted.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..engine.installed import EngineInstall
from ..model import Block, CachedRun
from ..page import Page

JsonData = dict[str, Any]

FORMAT = 1
RUN_CACHE_ENV = "DOCSEXEC_RUN_CACHE"
HOST_TOOLS = ("docker", "bash", "ip", "nsenter", "iptables", "runc")


def cache_root() -> Path:
    from ..engine.installed import cache_dir

    configured = os.environ.get(RUN_CACHE_ENV)
    return Path(configured) if configured else cache_dir() / "runs"


def cache_enabled() -> bool:
    return os.environ.get(RUN_CACHE_ENV, "").strip().lower() != "off"


# --- the key ---------------------------------------------------------------------------------


def page_inputs(page: Page, blocks: list[Block]) -> list[list[str]]:
    """The page's part of the key: per block, its id, fence line and dedented body."""
    return [[block.id, page.lines[block.body_start - 1].strip(), *block.body] for block in blocks]


def run_key(page: Page, blocks: list[Block], settings: JsonData, engine: JsonData) -> str:
    """The cache key of one (page, engine) job."""
    material = {
        "format": FORMAT,
        "blocks": page_inputs(page, blocks),
        "settings": settings,
        "engine": engine,
        "machine": json.loads(_machine_identity()),  # the same for every page of a run: looked up once
        "docsexec": docsexec_digest(),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


@functools.cache
def docsexec_digest() -> str:
    """A hash of docsexec's own source files: any change to the verifier is a new version."""
    package = PACKAGE_ROOT
    digest = hashlib.sha256()
    for path in source_files():
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # all of docsexec/, not only pages/


def source_files() -> list[Path]:
    """Every Python file of docsexec, in a stable order: what docsexec_digest hashes."""
    return sorted(PACKAGE_ROOT.rglob("*.py"))


def engine_identity(engine: EngineInstall) -> JsonData:
    """Source, exact version and dockerd identity of an EngineInstall, and of the client a
    page's shell runs with it (find_engine attaches forky's `docker` and compose plugin), which
    the machine's `docker` in HOST_TOOLS is not."""
    return {
        "source": engine.source,
        "version": engine.version,
        "dockerd": _file_identity(Path(engine.dockerd)),
        "page_client": _file_identity(engine.client_dir / "docker") if engine.client_dir else None,
        "compose": _file_identity(engine.cli_plugins / "docker-compose") if engine.cli_plugins else None,
    }


@functools.cache
def _machine_identity() -> str:
    return json.dumps(machine_identity(), sort_keys=True)


def machine_identity() -> JsonData:
    """What of this machine a page's outcome depends on besides the engine."""
    return {
        "kernel": os.uname().release,
        "tools": {tool: _file_identity(Path(found)) if (found := shutil.which(tool)) else None for tool in HOST_TOOLS},
        "image": image_digest(),
    }


def image_digest() -> str:
    """A hash of the busybox rootfs tarball and the settings it is imported with."""
    from ..engine.install import images
    from ..engine.install.provision import busybox_rootfs_tar

    tar = busybox_rootfs_tar()
    stat = tar.stat()
    return (
        _tar_digest(str(tar), stat.st_size, stat.st_mtime_ns)
        + ":"
        + hashlib.sha256(json.dumps(images.CHANGES).encode()).hexdigest()[:16]
    )


@functools.lru_cache(maxsize=8)
def _tar_digest(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _file_identity(path: Path) -> list[object]:
    try:
        real = path.resolve()
        stat = real.stat()
    except OSError:
        return [str(path), None]
    return [str(real), stat.st_size, stat.st_mtime_ns]


# --- the store -------------------------------------------------------------------------------


class RunCache:
    """Entries on disk under `root`, one file per key."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or cache_root()

    def _file(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def lookup(self, key: str, blocks: list[Block]) -> CachedRun | None:
        """The entry for `key`, only if it is whole, its own and about these very blocks."""
        try:
            data = json.loads(self._file(key).read_text(encoding="utf-8"))
            entry = _entry_from(data)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if entry.key != key or [ident for ident, _ in entry.block_seconds] != [b.id for b in blocks]:
            return None
        return entry

    def store(self, entry: CachedRun) -> None:
        """Write atomically: a temporary file in the same folder, then one rename."""
        target = self._file(entry.key)
        target.parent.mkdir(parents=True, exist_ok=True)
        body = asdict(entry)
        body["format"] = FORMAT
        body["checksum"] = _checksum(body)
        fd, tmp = tempfile.mkstemp(prefix=f".{entry.key[:12]}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(body, handle, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def new_entry(
    key: str, engine_version: str, engine_source: str, seconds: float, block_seconds: list[tuple[str, float]]
) -> CachedRun:
    verified_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return CachedRun(key, verified_at, engine_version, engine_source, seconds, tuple(block_seconds))


def _checksum(body: JsonData) -> str:
    content = {k: v for k, v in body.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _entry_from(data: object) -> CachedRun:
    """Parse an entry (whatever JSON the file held: a list or a string too); raises ValueError
    for anything not exactly as written by store()."""
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("checksum") != _checksum(data):
        raise ValueError("not a valid cache entry")
    blocks = tuple((str(ident), float(seconds)) for ident, seconds in data["block_seconds"])
    return CachedRun(
        key=str(data["key"]),
        verified_at=str(data["verified_at"]),
        engine_version=str(data["engine_version"]),
        engine_source=str(data["engine_source"]),
        seconds=float(data["seconds"]),
        block_seconds=blocks,
    )
