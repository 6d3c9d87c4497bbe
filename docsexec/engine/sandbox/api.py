"""The few Docker Engine API calls the sandbox itself needs, over the daemon's unix socket.

Kept to the standard library so that start-up polling and teardown work the same whatever
client library or CLI version is installed, and so a hung daemon costs a bounded timeout.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = str(path)

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class ApiError(Exception):
    """The daemon could not be reached or answered with an error status."""


def request(sock: Path, method: str, url: str, timeout: float = 5.0) -> Any:
    """One request; returns decoded JSON (or text). Raises ApiError on any failure."""
    conn = _UnixConnection(sock, timeout)
    try:
        conn.request(method, url)
        resp = conn.getresponse()
        body = resp.read()
    except (OSError, http.client.HTTPException) as exc:
        raise ApiError(f"{method} {url}: {exc}") from exc
    finally:
        conn.close()
    if resp.status >= 400:
        raise ApiError(f"{method} {url}: HTTP {resp.status} {body[:200]!r}")
    if resp.getheader("Content-Type", "").startswith("application/json") and body:
        return json.loads(body)
    return body.decode(errors="replace")


def can_connect(sock: Path) -> bool:
    """True once something accepts connections on the unix socket (containerd's readiness)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(str(sock))
        except OSError:
            return False
    return True


def ping(sock: Path) -> bool:
    try:
        return bool(request(sock, "GET", "/_ping", timeout=1.0) == "OK")
    except ApiError:
        return False


def server_version(sock: Path) -> str:
    return str(request(sock, "GET", "/version")["Version"])


def remove_everything(sock: Path, log: Callable[[str], None]) -> None:
    """Leave a swarm and force-remove all containers, so dockerd then stops at once
    (a running `sh` ignores SIGTERM and would hold the daemon's shutdown for ~10 s)."""
    info = request(sock, "GET", "/info")
    if (info.get("Swarm") or {}).get("LocalNodeState") not in (None, "", "inactive"):
        request(sock, "POST", "/swarm/leave?force=1", timeout=20)
        log("left the swarm")
    for container in request(sock, "GET", "/containers/json?all=1"):
        try:
            request(sock, "DELETE", f"/containers/{container['Id']}?force=1&v=1", timeout=20)
        except ApiError as exc:
            log(f"warning: {exc}")
