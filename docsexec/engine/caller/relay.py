"""What the page itself creates: ApiRelay, a unix socket in front of the engine that passes
every byte on unchanged and notes the IDs in the engine's answers to create calls.

Cleanup then removes exactly the page's own objects, never one someone else made on the
engine meanwhile. engine_socket says whether the engine can be relayed at all (unix socket).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

from .inventory import CONTAINER, IMAGE, NETWORK, VOLUME, Docker

_API_VERSION = re.compile(r"^/v[0-9.]+(?=/)")
_TAG_PATH = re.compile(r"^/images/(?P<name>.+)/tag$")
_LOADED = re.compile(rb"Loaded image: ([^\s\\\"]+)")
_HEAD_LIMIT = 1 << 16
_KEEP_LIMIT = 4 << 20


def normal_ref(repo: str, tag: str = "") -> str:
    """An image reference as `docker image ls` shows it: busybox:latest, not docker.io/library/busybox."""
    for prefix in ("docker.io/library/", "index.docker.io/library/", "docker.io/", "index.docker.io/"):
        if repo.startswith(prefix):
            repo = repo[len(prefix) :]
            break
    if not tag:
        last = repo.rsplit("/", 1)[-1]
        if ":" in last:
            repo, tag = repo.rsplit(":", 1)
    return f"{repo}:{tag or 'latest'}"


class ApiRelay:
    """A unix socket the page's docker client talks to instead of the engine's; every byte is
    passed through unchanged (hijacked `-it` streams included), and the IDs in the engine's
    answers to create calls are noted. So afterwards docsexec knows exactly what this page
    created, and never mistakes an object someone else made on the engine meanwhile for one.

    Each request gets its own connection (`Connection: close` is added, except to upgrades),
    so every request head is seen; nothing else is changed."""

    def __init__(self, upstream: str, path: Path, on_create: Callable[[str, str], None]) -> None:
        self.upstream = upstream  # the engine's socket, a filesystem path
        self.path = path
        self.created: dict[str, set[str]] = {CONTAINER: set(), NETWORK: set(), VOLUME: set(), IMAGE: set()}
        self._on_create = on_create
        self._mutex = threading.Lock()
        self._server: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._closing = threading.Event()

    @property
    def docker_host(self) -> str:
        return f"unix://{self.path}"

    def start(self) -> None:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(self.path))
        os.chmod(self.path, 0o600)
        server.listen(64)
        server.settimeout(0.1)
        self._server = server
        self._spawn(self._accept)

    def stop(self) -> None:
        self._closing.set()
        with self._mutex:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(timeout=2)
        if self._server is not None:
            self._server.close()
        self.path.unlink(missing_ok=True)

    def _spawn(self, target: Callable[..., object], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name="docsexec-api-relay")
        with self._mutex:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _accept(self) -> None:
        assert self._server is not None
        while not self._closing.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            self._spawn(self._relay, client)

    def _relay(self, client: socket.socket) -> None:
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with self._mutex:
            self._open.update((client, upstream))
        try:
            head, rest = _read_head(client)
            if not head:
                return
            upstream.connect(self.upstream)
            method, target, upgrade = _request_line(head)
            upstream.sendall((head if upgrade else _closing_head(head)) + rest)
            keep = method == "POST" and _creates(target)
            answer = _pipe(client, upstream, keep)
            if keep:
                self._note(target, answer)
        except OSError:
            pass
        finally:
            with self._mutex:
                self._open.difference_update((client, upstream))
            client.close()
            upstream.close()

    def _note(self, target: str, answer: bytes) -> None:
        path, _, query = target.partition("?")
        path = _API_VERSION.sub("", path)
        params = parse_qs(query)
        found: list[tuple[str, str]] = []
        if path in ("/containers/create", "/networks/create", "/volumes/create"):
            data = _response_json(answer)
            key = "Name" if path == "/volumes/create" else "Id"
            kind = {"/containers/create": CONTAINER, "/networks/create": NETWORK, "/volumes/create": VOLUME}[path]
            if isinstance(data, dict) and isinstance(data.get(key), str):
                found.append((kind, data[key]))
        elif path == "/images/create":
            repo = (params.get("fromImage") or params.get("repo") or [""])[0]
            if repo and "@" not in repo:
                found.append((IMAGE, normal_ref(repo, (params.get("tag") or [""])[0])))
        elif _TAG_PATH.match(path) or path == "/commit":
            repo = (params.get("repo") or [""])[0]
            if repo:
                found.append((IMAGE, normal_ref(repo, (params.get("tag") or [""])[0])))
        elif path == "/build":
            found += [(IMAGE, normal_ref(ref)) for ref in params.get("t", [])]
        elif path == "/images/load":
            found += [(IMAGE, normal_ref(ref.decode(errors="replace"))) for ref in _LOADED.findall(answer)]
        for kind, ident in found:
            with self._mutex:
                self.created[kind].add(ident)
            self._on_create(kind, ident)


_CREATING = {
    "/containers/create",
    "/networks/create",
    "/volumes/create",
    "/images/create",
    "/commit",
    "/build",
    "/images/load",
}


def _creates(target: str) -> bool:
    path = _API_VERSION.sub("", target.partition("?")[0])
    return path in _CREATING or _TAG_PATH.match(path) is not None


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b"", b""
        data += chunk
        if len(data) > _HEAD_LIMIT:
            return data, b""  # not a request head we understand: passed on as it is
    head, _, rest = data.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", rest


def _request_line(head: bytes) -> tuple[str, str, bool]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    method, target = (parts[0], parts[1]) if len(parts) >= 2 else ("", "")
    fields = [line.partition(":") for line in lines[1:] if ":" in line]
    headers = {name.strip().lower(): value.strip().lower() for name, _, value in fields}
    return method, target, "upgrade" in headers.get("connection", "") or "upgrade" in headers


def _closing_head(head: bytes) -> bytes:
    lines = [line for line in head[:-4].split(b"\r\n") if not line.lower().startswith(b"connection:")]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n"


def _pipe(client: socket.socket, upstream: socket.socket, keep: bool) -> bytes:
    """Pass bytes both ways until the engine's side ends; returns what the engine sent (when
    keep, up to a limit). A half-close by the client (stdin ended) is passed on as one."""
    kept = bytearray()
    reading = [client, upstream]
    while upstream in reading:
        ready, _, _ = select.select(reading, [], [])
        for sock in ready:
            data = sock.recv(65536)
            if sock is client:
                if data:
                    upstream.sendall(data)
                else:
                    reading.remove(client)
                    upstream.shutdown(socket.SHUT_WR)
            else:
                if not data:
                    reading.remove(upstream)
                    break
                if keep and len(kept) < _KEEP_LIMIT:
                    kept += data
                client.sendall(data)
    return bytes(kept)


def _response_json(answer: bytes) -> object:
    head, _, body = answer.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None
    if not 200 <= status < 300:
        return None
    if b"transfer-encoding: chunked" in head.lower():
        body = _dechunk(body)
    try:
        return json.loads(body)
    except ValueError:
        return None


def _dechunk(body: bytes) -> bytes:
    out = bytearray()
    while body:
        size_line, _, body = body.partition(b"\r\n")
        try:
            size = int(size_line.split(b";")[0], 16)
        except ValueError:
            break
        if size == 0:
            break
        out += body[:size]
        body = body[size + 2 :]
    return bytes(out)


def engine_socket(docker: Docker) -> str | None:
    """The filesystem path of the engine's unix socket, or None when it is reached otherwise
    (tcp, ssh): what DOCKER_HOST, DOCKER_CONTEXT or the current context point at."""
    done = docker.run("context", "inspect", "--format", "{{.Endpoints.docker.Host}}")
    host = done.stdout.strip() if done.returncode == 0 else ""
    if not host:
        host = docker.env.get("DOCKER_HOST") or (
            "" if docker.env.get("DOCKER_CONTEXT") else "unix:///var/run/docker.sock"
        )
    return host[len("unix://") :] if host.startswith("unix://") else None
