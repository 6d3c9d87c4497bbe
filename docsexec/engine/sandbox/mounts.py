"""Unmounting what a dockerd left under its root (overlay, shm, nsfs, its private bind mounts).

A mount left behind keeps disk, namespaces and file handles alive, and would make a later
`rm -rf` of the root walk into a mounted file system; so the root is only removed once no
mount remains below it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
from collections.abc import Callable
from pathlib import Path

MNT_DETACH = 2
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def mount_points() -> list[str]:
    """Every mount point of our mount namespace, in mount order (duplicates kept)."""
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        if len(fields) > 4:
            points.append(_unescape(fields[4]))
    return points


def mounts_under(root: Path) -> list[str]:
    """Mount points at or below root, deepest first (so children go before parents)."""
    top = str(root).rstrip("/")
    found = [p for p in mount_points() if p == top or p.startswith(top + "/")]
    return sorted(found, key=lambda p: p.count("/"), reverse=True)


def umount(path: str) -> str | None:
    """Unmount one point; lazily if busy. Returns an error text, or None on success."""
    raw = os.fsencode(path)
    if _libc.umount2(raw, 0) == 0:
        return None
    if _libc.umount2(raw, MNT_DETACH) == 0:
        return None
    err = ctypes.get_errno()
    return f"umount {path}: {os.strerror(err)}"


def umount_all_under(root: Path, log: Callable[[str], None]) -> list[str]:
    """Unmount everything below root (stacked mounts too); returns mount points still there."""
    if not root.exists():
        return []
    problems: list[str] = []
    for _ in range(5):
        points = mounts_under(root)
        if not points:
            return []
        problems = [p for p in map(umount, points) if p]
    for problem in problems:
        log(f"warning: {problem}")
    return mounts_under(root)


def mount_table() -> list[tuple[str, str, str]]:
    """(mount point, file system type, super options) of every mount in our mount namespace."""
    table = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        head, _, tail = line.partition(" - ")
        fields, rest = head.split(), tail.split()
        if len(fields) > 4 and len(rest) >= 3:
            table.append((_unescape(fields[4]), rest[0], rest[2]))
    return table
