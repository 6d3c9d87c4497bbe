"""Running a page against the caller's own engine (`--engine shared`) without harming it.

The caller's engine may hold their own containers, networks and volumes. Before a page runs
(and once more for all pages before the first one starts), the guard reads the page's commands
for the names it will create (`docker run/create --name`, `docker network create`, `docker
volume create`, named volumes in `-v`/`--mount`, `docker rename`'s new name) and the names it
will stop, change or remove (`docker rm/stop/kill/start/exec/cp/...`, `docker network rm`,
`docker network connect/disconnect`'s container, `docker volume rm`, `docker rmi`), and refuses
the page (exit 3, one line) when any of them already exists there, or when the page uses an
engine-wide command (`prune`, `swarm init/join/leave`, `docker rm $(docker ps -aq)`).

One run per engine: an exclusive flock on /tmp/docsexec-shared-<engine ID>.lock (the ID of
`docker info`) keeps a second docsexec run off the same engine. The second run refuses at once
(exit 3, naming the holder's pid and page) rather than waiting, so a CI job never hangs behind
a stuck one. The lock file's content is the holder's journal.

What the page creates is known exactly: the page's docker client talks to the engine through
a relay (ApiRelay, a unix socket in the run's own folder) that passes every byte on unchanged
and notes the IDs in the engine's answers to create calls. Afterwards the guard removes those
objects (containers `rm -f -v` first, then networks, volumes incl. named volumes the page's
containers mount, image tags), and only if they did not exist before the page started. An
object someone else created on the engine while the page ran is kept and reported. Nothing
that existed before is ever stopped, changed or removed by docsexec itself.

A run killed with SIGKILL cannot clean up; its journal (written as each object appears) still
says "running", so the next shared run on that engine removes what the killed page created.
When the engine is not reached over a unix socket (tcp://, ssh://) there is no relay: every
object created during the run is removed (the ID diff), with a warning.

The command parsing is best effort: names built at run time (`$NAME`, `$(...)`) cannot be
known in advance; cleanup does not depend on parsing.
"""

from __future__ import annotations

import json
import os
import re
import select
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

from .blocks import Block
from .errors import EnvironmentProblem

Log = Callable[[str], None]
LOCK_DIR = Path("/tmp")
LOCK_PREFIX = "docsexec-shared-"
DOCKER_TIMEOUT = 60.0

CONTAINER, NETWORK, VOLUME, IMAGE = "container", "network", "volume", "image"

# --- reading a page's commands ----------------------------------------------------------------

_WRAPPERS = {"sudo", "env", "time", "command", "exec", "nohup", "timeout", "nice"}
_GLOBAL_VALUE_OPTIONS = {"-H", "--host", "-c", "--context", "--config", "-l", "--log-level",
                         "--tlscacert", "--tlscert", "--tlskey"}
_MANAGEMENT = {"container", "network", "volume", "image", "system", "swarm", "builder", "plugin",
               "node", "service", "stack", "secret", "config", "buildx", "compose", "context",
               "manifest", "trust"}
_VOLUME_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_PLAIN_NAME = re.compile(r"^/?[A-Za-z0-9][A-Za-z0-9_.:/@-]*$")
_RUN_BOOLS = {"-d", "--detach", "--disable-content-trust", "--help", "--init", "-i", "--interactive",
              "--no-healthcheck", "--oom-kill-disable", "--privileged", "-P", "--publish-all",
              "-q", "--quiet", "--read-only", "--rm", "--sig-proxy", "-t", "--tty", "--use-api-socket"}
# Subcommand -> (boolean options, whether options may follow positional arguments).
# Any other option takes a value. Options of `run`, `create` and `exec` end at the first
# positional argument: what follows is the container's own command line.
_SYNTAX: dict[tuple[str, ...], tuple[set[str], bool]] = {
    ("container", "run"): (_RUN_BOOLS, False),
    ("container", "create"): (_RUN_BOOLS, False),
    ("container", "exec"): ({"-d", "--detach", "-i", "--interactive", "--privileged", "-t", "--tty", "--help"}, False),
    ("container", "start"): ({"-a", "--attach", "-i", "--interactive", "--help"}, True),
    ("container", "rm"): ({"-f", "--force", "-l", "--link", "-v", "--volumes", "--help"}, True),
    ("container", "cp"): ({"-a", "--archive", "-L", "--follow-link", "-q", "--quiet", "--help"}, True),
    ("container", "attach"): ({"--no-stdin", "--sig-proxy", "--help"}, True),
    ("network", "create"): ({"--attachable", "--config-only", "--ingress", "--internal", "--ipv4", "--ipv6", "--help"}, True),
    ("network", "rm"): ({"-f", "--force", "--help"}, True),
    ("network", "disconnect"): ({"-f", "--force", "--help"}, True),
    ("volume", "rm"): ({"-f", "--force", "--help"}, True),
    ("image", "rm"): ({"-f", "--force", "--no-prune", "--help"}, True),
}
_ALIASES = {
    **{(verb,): ("container", verb) for verb in ("run", "create", "exec", "start", "stop", "restart",
                                                "kill", "rm", "pause", "unpause", "rename", "update",
                                                "attach", "cp")},
    ("rmi",): ("image", "rm"),
    ("container", "remove"): ("container", "rm"), ("network", "remove"): ("network", "rm"),
    ("volume", "remove"): ("volume", "rm"), ("image", "remove"): ("image", "rm"),
}
_DESTRUCTIVE = {("container", v) for v in ("rm", "stop", "kill", "restart", "pause", "update")} | {
    ("network", "rm"), ("volume", "rm"), ("image", "rm"), ("network", "disconnect")}
# `$(docker ps -q)` and the like: every object of the engine, the user's included.
_LIST_ALL = re.compile(r"(\$\(|`)\s*docker\s+(ps|images|(container|network|volume|image)\s+ls)\b[^)`]*\s-[a-z]*q")
# Commands whose positional arguments are containers the page changes (stop, remove, ...).
_CONTAINER_TARGETS = {"start", "stop", "restart", "kill", "rm", "pause", "unpause", "update", "attach"}


@dataclass(frozen=True)
class Mention:
    """A name a page's command creates, or an existing object it would stop, change or remove."""

    kind: str  # container | network | volume | image
    name: str
    line: int
    creates: bool


@dataclass
class Plan:
    """What a page will do to an engine, as far as its command lines tell."""

    mentions: list[Mention] = field(default_factory=list)
    forbidden: list[tuple[int, str]] = field(default_factory=list)  # (line, why)

    def created(self, kind: str) -> set[str]:
        return {m.name for m in self.mentions if m.kind == kind and m.creates}


def plan_page(blocks: Sequence[Block]) -> Plan:
    plan = Plan()
    for block in blocks:
        for command in block.commands:
            for words in simple_commands(command.text):
                _plan_command(words, command.line, plan)
            if _LIST_ALL.search(command.text) and any(
                    _subcommand(_docker_args(w) or [])[0] in _DESTRUCTIVE for w in simple_commands(command.text)):
                plan.forbidden.append((command.line, "a command that acts on every object `docker ... -q` lists changes objects of the shared engine that the page did not create"))
    return plan


def simple_commands(text: str) -> list[list[str]]:
    """The words of each simple command in a shell line (split at ; && || | & ( ) and newlines);
    redirections are dropped. Never raises: unbalanced quotes fall back to whitespace."""
    text = text.replace("\\\r\n", " ").replace("\\\n", " ").replace("`", " ; ").replace("\n", " ; ")
    try:
        lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = ""
        tokens = list(lexer)
    except ValueError:
        tokens = text.split()
    commands: list[list[str]] = []
    current: list[str] = []
    skip_next = False
    for token in tokens:
        if skip_next:
            skip_next = False
            continue
        if token and set(token) <= set("<>&") and ("<" in token or ">" in token):
            if current and current[-1].isdigit():
                current.pop()  # the fd of 2>/dev/null
            skip_next = token not in ("<>&",)
            continue
        if token and set(token) <= set("();|&"):
            if current:
                commands.append(current)
            current = []
            continue
        current.append(token)
    if current:
        commands.append(current)
    return commands


def _docker_args(words: list[str]) -> list[str] | None:
    """The arguments after `docker` if this simple command runs the docker client."""
    for index, word in enumerate(words):
        if os.path.basename(word) == "docker":
            return words[index + 1:]
        if word in _WRAPPERS or "=" in word or word.startswith("-") or word.replace(".", "").isdigit():
            continue
        return None
    return None


def _subcommand(args: list[str]) -> tuple[tuple[str, ...], list[str]]:
    """(("network", "create"), rest) from the client's arguments, global options skipped."""
    index = 0
    while index < len(args) and args[index].startswith("-"):
        option = args[index]
        index += 2 if option in _GLOBAL_VALUE_OPTIONS else 1
    if index >= len(args):
        return (), []
    first = args[index]
    if first in _MANAGEMENT and index + 1 < len(args):
        path: tuple[str, ...] = (first, args[index + 1])
    else:
        path = (first,)
    return _ALIASES.get(path, path), args[index + len(path):]


def split_options(args: Sequence[str], bools: set[str], interspersed: bool) -> tuple[list[tuple[str, str | None]], list[str]]:
    """Cobra-style options: --opt=value, --opt value, -abc clusters, `--` ends options."""
    options: list[tuple[str, str | None]] = []
    positional: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            positional.extend(args[index:])
            break
        if not arg.startswith("-") or arg == "-":
            positional.append(arg)
            if not interspersed:
                positional.extend(args[index:])
                break
            continue
        if arg.startswith("--"):
            name, eq, value = arg.partition("=")
            if eq:
                options.append((name, value))
            elif name in bools:
                options.append((name, None))
            else:
                options.append((name, args[index] if index < len(args) else ""))
                index += 1
            continue
        cluster = arg[1:]
        for position, letter in enumerate(cluster):
            name = "-" + letter
            if name in bools:
                options.append((name, None))
                continue
            value = cluster[position + 1:].removeprefix("=")
            if not value:
                value = args[index] if index < len(args) else ""
                index += 1
            options.append((name, value))
            break
    return options, positional


def _static(name: str) -> bool:
    """A name written out in full (not built by the shell at run time)."""
    return bool(name) and _PLAIN_NAME.match(name) is not None


def _plan_command(words: list[str], line: int, plan: Plan) -> None:
    args = _docker_args(words)
    if not args:
        return
    path, rest = _subcommand(args)
    if not path:
        return
    if path[-1] == "prune" or path[0] == "swarm" and path[-1] in ("init", "join", "leave", "update"):
        plan.forbidden.append((line, f"`docker {' '.join(path)}` changes objects of the shared engine that the page did not create"))
        return
    bools, interspersed = _SYNTAX.get(path, (set(), True))
    options, positional = split_options(rest, bools, interspersed)

    def add(kind: str, name: str, creates: bool) -> None:
        name = name.lstrip("/") if kind == CONTAINER else name
        if _static(name):
            plan.mentions.append(Mention(kind, name, line, creates))

    if path in (("container", "run"), ("container", "create")):
        for option, value in options:
            if option == "--name" and value:
                add(CONTAINER, value, True)
            elif option in ("-v", "--volume") and value and ":" in value:
                source = value.split(":", 1)[0]
                if _VOLUME_NAME.match(source):
                    add(VOLUME, source, True)
            elif option == "--mount" and value:
                fields = dict(part.partition("=")[::2] for part in value.split(","))
                source = fields.get("source") or fields.get("src") or ""
                if fields.get("type", "volume") == "volume" and _VOLUME_NAME.match(source):
                    add(VOLUME, source, True)
    elif path == ("network", "create") and positional:
        add(NETWORK, positional[0], True)
    elif path == ("volume", "create"):
        names = [v for o, v in options if o == "--name" and v] + positional[:1]
        for name in names:
            add(VOLUME, name, True)
    elif path == ("container", "rename") and len(positional) >= 2:
        add(CONTAINER, positional[0], False)
        add(CONTAINER, positional[1], True)
    elif path == ("container", "exec") and positional:
        add(CONTAINER, positional[0], False)
    elif path == ("container", "cp") and len(positional) >= 2:
        target = positional[-1]
        if ":" in target:
            add(CONTAINER, target.split(":", 1)[0], False)
    elif path[0] == "container" and path[-1] in _CONTAINER_TARGETS:
        for name in positional:
            add(CONTAINER, name, False)
    elif path in (("network", "connect"), ("network", "disconnect")) and len(positional) >= 2:
        add(CONTAINER, positional[1], False)  # the network is only used; the container changes
    elif path == ("network", "rm"):
        for name in positional:
            add(NETWORK, name, False)
    elif path == ("volume", "rm"):
        for name in positional:
            add(VOLUME, name, False)
    elif path == ("image", "rm"):
        for name in positional:
            add(IMAGE, name, False)


# --- the engine's objects -----------------------------------------------------------------------

class Docker:
    """The docker client against the shared engine, with the page's own client settings.

    Each call runs in a session of its own, so a Ctrl-C typed while docsexec cleans up does not
    kill the cleanup's own `docker rm`."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = dict(env)

    def run(self, *args: str, timeout: float = DOCKER_TIMEOUT) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(["docker", *args], env=self.env, capture_output=True, text=True,
                                  timeout=timeout, start_new_session=True, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return subprocess.CompletedProcess(["docker", *args], 125, "", f"{type(exc).__name__}: {exc}")

    def lines(self, *args: str) -> list[str]:
        done = self.run(*args)
        if done.returncode != 0:
            raise EnvironmentProblem(f"shared engine: `docker {' '.join(args)}` failed: {_last_line(done.stderr)}")
        return [line for line in done.stdout.splitlines() if line.strip()]


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


@dataclass
class Inventory:
    """Everything of interest on an engine at one moment."""

    containers: dict[str, str] = field(default_factory=dict)  # full id -> name
    networks: dict[str, str] = field(default_factory=dict)  # full id -> name
    volumes: set[str] = field(default_factory=set)  # names (volumes have no ids)
    images: set[str] = field(default_factory=set)  # repo:tag references

    @classmethod
    def read(cls, docker: Docker) -> "Inventory":
        found = cls()
        for line in docker.lines("ps", "-a", "--no-trunc", "--format", "{{.ID}}\t{{.Names}}"):
            ident, _, name = line.partition("\t")
            found.containers[ident] = name
        for line in docker.lines("network", "ls", "--no-trunc", "--format", "{{.ID}}\t{{.Name}}"):
            ident, _, name = line.partition("\t")
            found.networks[ident] = name
        found.volumes = set(docker.lines("volume", "ls", "--format", "{{.Name}}"))
        found.images = {ref for ref in docker.lines("image", "ls", "--format", "{{.Repository}}:{{.Tag}}")
                        if "<none>" not in ref}
        return found

    def names(self, kind: str) -> set[str]:
        if kind == CONTAINER:
            return {n for name in self.containers.values() for n in name.split(",")}
        if kind == NETWORK:
            return set(self.networks.values())
        if kind == VOLUME:
            return set(self.volumes)
        return set(self.images)

    def to_json(self) -> dict:
        return {"containers": self.containers, "networks": self.networks,
                "volumes": sorted(self.volumes), "images": sorted(self.images)}

    @classmethod
    def from_json(cls, data: Mapping) -> "Inventory":
        return cls(dict(data.get("containers", {})), dict(data.get("networks", {})),
                   set(data.get("volumes", [])), set(data.get("images", [])))

    def new_since(self, before: "Inventory") -> "Inventory":
        return Inventory(
            {i: n for i, n in self.containers.items() if i not in before.containers},
            {i: n for i, n in self.networks.items() if i not in before.networks},
            self.volumes - before.volumes,
            self.images - before.images,
        )

    def describe(self) -> list[str]:
        return ([f"container {n or i[:12]}" for i, n in sorted(self.containers.items())]
                + [f"network {n}" for n in sorted(self.networks.values())]
                + [f"volume {n}" for n in sorted(self.volumes)]
                + [f"image {n}" for n in sorted(self.images)])


def _image_exists(docker: Docker, ref: str) -> bool:
    return docker.run("image", "inspect", "--format", "{{.Id}}", ref).returncode == 0


# --- one run at a time per engine --------------------------------------------------------------

def lock_path(engine_id: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", engine_id).strip("-") or "unknown"
    return LOCK_DIR / f"{LOCK_PREFIX}{safe}.lock"


class EngineLock:
    """flock on /tmp/docsexec-shared-<engine id>.lock; its content is the holder's journal.

    Refuses (EnvironmentProblem) instead of waiting when another run holds it. The file is
    unlinked by its holder on release; an acquirer checks it locked the file that is still at
    the path, so a release racing with an acquire can never give two holders."""

    def __init__(self, engine_id: str) -> None:
        self.engine_id = engine_id
        self.path = lock_path(engine_id)
        self._fd: int | None = None
        self.writable = False
        self.previous: dict | None = None  # the journal found on acquiring (a killed run's)

    def acquire(self) -> None:
        import fcntl

        for _ in range(20):
            fd, writable = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_journal(fd)
                os.close(fd)
                who = f"pid {holder.get('pid')}, page {holder.get('page')}" if holder else "another process"
                raise EnvironmentProblem(
                    f"another docsexec run ({who}) is using the shared engine {self.engine_id} "
                    f"(lock {self.path}); runs on one engine never overlap: run again when it has finished"
                ) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path, follow_symlinks=False).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._fd, self.writable = fd, writable
                self.previous = _read_journal(fd)
                return
            os.close(fd)  # the holder released and unlinked it meanwhile: lock the new file
        raise EnvironmentProblem(f"could not lock {self.path}: it keeps being replaced")

    def _open(self) -> tuple[int, bool]:
        flags = os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags | os.O_RDWR, 0o644)
            return fd, True
        except PermissionError:
            pass  # another user's lock file: flock works on a read-only descriptor too
        try:
            return os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC), False
        except OSError as exc:
            raise EnvironmentProblem(f"cannot open the shared-engine lock {self.path}: {exc.strerror}") from exc

    def write(self, journal: Mapping) -> None:
        if self._fd is None or not self.writable:
            return
        data = json.dumps(journal).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)
        os.fsync(self._fd)

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            if self.writable:
                try:
                    os.unlink(self.path)  # while still locked: see the class doc
                except OSError:
                    os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing drops the flock


def _read_journal(fd: int) -> dict | None:
    try:
        data = os.pread(fd, 4 << 20, 0)
        journal = json.loads(data) if data.strip() else None
    except (OSError, ValueError):
        return None
    return journal if isinstance(journal, dict) else None


def engine_id(docker: Docker) -> str:
    done = docker.run("info", "--format", "{{.ID}}")
    ident = done.stdout.strip()
    if done.returncode != 0 or not ident:
        raise EnvironmentProblem(f"cannot reach the shared Docker engine: {_last_line(done.stderr)}")
    return ident


def refuse_forbidden(path: Path, plan: Plan) -> None:
    if plan.forbidden:
        line, why = plan.forbidden[0]
        raise EnvironmentProblem(f"{path}:{line}: refusing to run on the shared engine: {why}; run this page in its own sandbox (without --engine shared)")


def refuse_clashes(path: Path, plan: Plan, existing: Inventory, docker: Docker) -> None:
    """Refuse if a name the page creates exists, or the page would stop, change or remove an
    object that exists and that the page does not create itself."""
    clashes: list[Mention] = []
    seen: set[tuple[str, str]] = set()
    for mention in plan.mentions:
        key = (mention.kind, mention.name)
        if key in seen or (not mention.creates and mention.name in plan.created(mention.kind)):
            continue
        exists = (_image_exists(docker, mention.name) if mention.kind == IMAGE
                  else mention.name in existing.names(mention.kind))
        if exists:
            seen.add(key)
            clashes.append(mention)
    if not clashes:
        return
    listed = ", ".join(f"{m.kind} {m.name} (the page {'creates' if m.creates else 'stops, changes or removes'} it on line {m.line})" for m in clashes)
    raise EnvironmentProblem(
        f"{path}:{clashes[0].line}: refusing to run on the shared engine: it already has {listed}; "
        "docsexec never touches objects it did not create: remove or rename them there, or run without --engine shared"
    )


def precheck(pages: Sequence[Sequence[Block]], env: Mapping[str, str]) -> None:
    """Before any page runs: refuse the whole run if any page would touch what is on the shared
    engine now. (Each page is checked again under the engine's lock right before it runs.)"""
    docker = Docker(env)
    plans = [(blocks[0].path, plan_page(blocks)) for blocks in pages if blocks]
    for path, plan in plans:
        refuse_forbidden(path, plan)
    if plans:
        existing = Inventory.read(docker)
        for path, plan in plans:
            refuse_clashes(path, plan, existing, docker)


# --- what the page itself creates: a relay in front of the engine ------------------------------

_API_VERSION = re.compile(r"^/v[0-9.]+(?=/)")
_TAG_PATH = re.compile(r"^/images/(?P<name>.+)/tag$")
_LOADED = re.compile(rb"Loaded image: ([^\s\\\"]+)")
_HEAD_LIMIT = 1 << 16
_KEEP_LIMIT = 4 << 20


def normal_ref(repo: str, tag: str = "") -> str:
    """An image reference as `docker image ls` shows it: busybox:latest, not docker.io/library/busybox."""
    for prefix in ("docker.io/library/", "index.docker.io/library/", "docker.io/", "index.docker.io/"):
        if repo.startswith(prefix):
            repo = repo[len(prefix):]
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
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in list(self._threads):
            thread.join(timeout=2)
        if self._server is not None:
            self._server.close()
        self.path.unlink(missing_ok=True)

    def _spawn(self, target: Callable, *args: object) -> None:
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


_CREATING = {"/containers/create", "/networks/create", "/volumes/create", "/images/create", "/commit", "/build", "/images/load"}


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
    headers = {l.partition(":")[0].strip().lower(): l.partition(":")[2].strip().lower() for l in lines[1:] if ":" in l}
    return method, target, "upgrade" in headers.get("connection", "") or "upgrade" in headers


def _closing_head(head: bytes) -> bytes:
    lines = [l for l in head[:-4].split(b"\r\n") if not l.lower().startswith(b"connection:")]
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
        body = body[size + 2:]
    return bytes(out)


def engine_socket(docker: Docker) -> str | None:
    """The filesystem path of the engine's unix socket, or None when it is reached otherwise
    (tcp, ssh): what DOCKER_HOST, DOCKER_CONTEXT or the current context point at."""
    done = docker.run("context", "inspect", "--format", "{{.Endpoints.docker.Host}}")
    host = done.stdout.strip() if done.returncode == 0 else ""
    if not host:
        host = docker.env.get("DOCKER_HOST") or ("" if docker.env.get("DOCKER_CONTEXT") else "unix:///var/run/docker.sock")
    return host[len("unix://"):] if host.startswith("unix://") else None


# --- the guard ------------------------------------------------------------------------------------

def _stderr(text: str) -> None:
    print(f"docsexec: {text}", file=sys.stderr, flush=True)


class SharedGuard:
    """begin() before the page's shell starts, end() after it has exited (always).

    While the page runs, its docker client goes through an ApiRelay (see page_env), so the
    guard knows exactly which objects the page created; the journal in the engine's lock file
    lists them as they appear, so even a SIGKILLed run's objects can be removed by the next."""

    def __init__(self, blocks: Sequence[Block], env: Mapping[str, str], log: Log = _stderr) -> None:
        self.blocks = list(blocks)
        self.path = self.blocks[0].path if self.blocks else Path("(page)")
        self.docker = Docker(env)
        self.log = log
        self.plan = plan_page(self.blocks)
        self.engine_id = ""
        self.before: Inventory | None = None
        self.removed: list[str] = []
        self.kept: list[str] = []  # created on the engine during the run, not by the page
        self.problems: list[str] = []
        self.relay: ApiRelay | None = None
        self._lock: EngineLock | None = None
        self._scratch: Path | None = None
        self._started = time.time()
        self._journal_mutex = threading.Lock()

    # -- before --

    def begin(self, scratch: Path) -> None:
        """Lock the engine, check the page's names, record what exists, start the relay (its
        socket goes in `scratch`, a folder of this run's own). Raises EnvironmentProblem (and
        holds nothing) when the page must not run here."""
        self._scratch = scratch
        try:
            refuse_forbidden(self.path, self.plan)
            self.engine_id = engine_id(self.docker)
            self._lock = EngineLock(self.engine_id)
            self._lock.acquire()
            self._clean_after_killed_run()
            before = Inventory.read(self.docker)
            refuse_clashes(self.path, self.plan, before, self.docker)
            self.before = before
            self._start_relay(scratch)
            self._write_journal("running")
        except BaseException:
            self._stop_relay()
            self._release()
            raise

    def _start_relay(self, scratch: Path) -> None:
        upstream = engine_socket(self.docker)
        if upstream is None:
            self.log(f"warning: {self.path}: the shared engine is not reached over a unix socket, so docsexec "
                     "cannot tell the page's objects from others made meanwhile: it removes every object created during the run")
            return
        self.relay = ApiRelay(upstream, scratch / "docker.sock", lambda kind, ident: self._write_journal("running"))
        self.relay.start()

    def page_env(self, env: Mapping[str, str]) -> dict[str, str]:
        """The page shell's environment: its docker client talks to the relay."""
        env = dict(env)
        if self.relay is not None:
            env["DOCKER_HOST"] = self.relay.docker_host
            env.pop("DOCKER_CONTEXT", None)
        return env

    def _clean_after_killed_run(self) -> None:
        """A journal still marked running belongs to a run that was killed (its lock was free):
        remove what its relay saw it create, and name, without removing, anything else new."""
        journal = self._lock.previous if self._lock else None
        if not journal or journal.get("state") != "running":
            return
        scratch = journal.get("scratch") or ""
        if Path(scratch).name.startswith(SCRATCH_PREFIX) and Path(scratch).is_dir():
            shutil.rmtree(scratch, ignore_errors=True)  # the killed run's own folder
        created = {kind: set(ids) for kind, ids in (journal.get("created") or {}).items()}
        before = Inventory.from_json(journal.get("before", {}))
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(journal.get("started", 0))))
        said = (f"warning: an earlier run on this shared engine (pid {journal.get('pid')}, page {journal.get('page')}, "
                f"started {when}) was killed before it could clean up")
        if not journal.get("relay"):  # nothing proves which new objects were that page's
            try:
                new = Inventory.read(self.docker).new_since(before).describe()
            except EnvironmentProblem:
                new = []
            self.log(said + (f"; created since, possibly by it, and kept: {', '.join(new)}" if new else ""))
            return
        killed = Cleanup(self.docker, before, created, lambda text: self.log(f"warning: {text}"))
        killed.run()
        self.log(said + f"; removed what it created: {', '.join(killed.removed) or 'nothing left'}"
                 + (f"; created since by others, kept: {', '.join(killed.kept)}" if killed.kept else ""))

    def _write_journal(self, state: str) -> None:
        if self._lock is None:
            return
        with self._journal_mutex:
            created = {k: sorted(v) for k, v in self.relay.created.items()} if self.relay else {}
            self._lock.write({
                "state": state, "pid": os.getpid(), "page": str(self.path), "started": self._started,
                "engine": self.engine_id, "scratch": str(self._scratch or ""), "relay": self.relay is not None,
                "before": self.before.to_json() if self.before else {}, "created": created,
            })

    # -- after --

    def end(self) -> None:
        """Remove what the page created, then release the engine. Never raises for a failed
        removal (it is logged): this runs while an error or Ctrl-C may be unwinding."""
        try:
            self._stop_relay()
            if self.before is not None:
                created = {k: set(v) for k, v in self.relay.created.items()} if self.relay else None
                cleanup = Cleanup(self.docker, self.before, created, self._problem_log)
                cleanup.run()
                self.removed, self.kept, self.problems = cleanup.removed, cleanup.kept, cleanup.problems
                if cleanup.kept:
                    self.log(f"warning: {self.path}: created on the shared engine while the page ran, but not by the page, so kept: {', '.join(cleanup.kept)}")
        finally:
            self._release()

    def _problem_log(self, text: str) -> None:
        self.log(f"warning: {self.path}: {text}")

    def _stop_relay(self) -> None:
        if self.relay is not None:
            self.relay.stop()

    def _release(self) -> None:
        with self._journal_mutex:
            lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()


SCRATCH_PREFIX = "docsexec-shared-page-"


class Cleanup:
    """Remove what one page created on the shared engine: containers (`rm -f -v`), then
    networks, volumes and image tags. Only objects that did not exist before the page started
    are ever candidates. With the relay's record (`created`), exactly the page's own objects
    and the named volumes its containers mount are removed; anything else new is kept and
    reported. Without it (engine not on a unix socket), every new object is removed."""

    def __init__(self, docker: Docker, before: Inventory, created: Mapping[str, set[str]] | None, log: Log) -> None:
        self.docker, self.before, self.created, self.log = docker, before, created, log
        self.removed: list[str] = []
        self.kept: list[str] = []
        self.problems: list[str] = []

    def run(self) -> None:
        try:
            now = Inventory.read(self.docker)
        except EnvironmentProblem as exc:
            self._problem(f"cannot list the shared engine's objects to clean up: {exc.one_line()}")
            return
        new = now.new_since(self.before)
        if self.created is None:
            target = new
        else:
            containers = {i: n for i, n in new.containers.items() if i in self.created.get(CONTAINER, set())}
            volumes = set(self.created.get(VOLUME, set())) | self._mounted_volumes(containers)
            target = Inventory(
                containers,
                {i: n for i, n in new.networks.items() if i in self.created.get(NETWORK, set())},
                new.volumes & volumes,
                new.images & set(self.created.get(IMAGE, set())),
            )
            self.kept = Inventory(
                {i: n for i, n in new.containers.items() if i not in target.containers},
                {i: n for i, n in new.networks.items() if i not in target.networks},
                new.volumes - target.volumes - self._anonymous(new.volumes),
                new.images - target.images,
            ).describe()
        self._remove(CONTAINER, ["rm", "-f", "-v"], sorted(target.containers), target.containers)
        for ident in sorted(target.networks):
            if self.docker.run("network", "rm", ident).returncode == 0:
                self.removed.append(f"network {target.networks[ident]}")
            else:
                self._free_network(ident)
                self._remove(NETWORK, ["network", "rm"], [ident], target.networks)
        self._remove(VOLUME, ["volume", "rm", "-f"], sorted(target.volumes), {})
        self._remove(IMAGE, ["rmi"], sorted(target.images), {})
        self._verify_gone(target)

    def _mounted_volumes(self, containers: Mapping[str, str]) -> set[str]:
        """Named volumes the page's containers mount (`-v name:/path` creates them implicitly)."""
        if not containers:
            return set()
        done = self.docker.run("inspect", "--format", '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}', *containers)
        return set(done.stdout.split())

    @staticmethod
    def _anonymous(volumes: set[str]) -> set[str]:
        """Anonymous volumes (64 hex digits): removed with their containers by `rm -v`."""
        return {v for v in volumes if re.fullmatch(r"[0-9a-f]{64}", v)}

    def _remove(self, kind: str, argv: list[str], targets: list[str], names: Mapping[str, str]) -> None:
        for target in targets:
            done = self.docker.run(*argv, target)
            label = (names.get(target) or target[:12]) if names else target
            if done.returncode == 0 or "No such" in done.stderr or "not found" in done.stderr:
                self.removed.append(f"{kind} {label}")
            else:
                self._problem(f"could not remove {kind} {label}: {_last_line(done.stderr)}")

    def _free_network(self, ident: str) -> None:
        """A network the page made may still hold an endpoint of a container that existed
        before (connected at run time): disconnect it, so the container is as it was."""
        done = self.docker.run("network", "inspect", "--format", "{{range $k, $v := .Containers}}{{$k}} {{end}}", ident)
        for container in done.stdout.split():
            if container in self.before.containers:
                self.docker.run("network", "disconnect", "-f", ident, container)

    def _verify_gone(self, target: Inventory) -> None:
        try:
            now = Inventory.read(self.docker)
        except EnvironmentProblem:
            return
        left = Inventory(
            {i: n for i, n in now.containers.items() if i in target.containers},
            {i: n for i, n in now.networks.items() if i in target.networks},
            now.volumes & target.volumes,
            now.images & target.images,
        ).describe()
        if left:
            self._problem("still on the shared engine after cleanup: " + ", ".join(left))

    def _problem(self, text: str) -> None:
        self.problems.append(text)
        self.log(text)
