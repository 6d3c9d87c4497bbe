"""Running a page against the caller's own engine (`--engine shared`) without harming it.

The caller's engine may hold their own containers, networks and volumes. Before a page runs,
the guard reads the page's commands for the names it will create (`docker run/create --name`,
`docker network create`, `docker volume create`, named volumes in `-v`/`--mount`) and the names
it will stop, change or remove (`docker rm/stop/kill/exec/...`, `docker network rm`, ...), and
refuses the page (exit 3, one line) when any of them already exists there, or when the page
uses an engine-wide command (`prune`, `swarm`) that could hit objects it did not create.

While the page runs, an exclusive lock keyed by the engine's ID (`docker info`'s ID) keeps a
second docsexec run off the same engine: the second run refuses at once (exit 3) rather than
waiting, so a CI job never hangs behind a stuck one. The lock file also holds a journal: what
existed before the page started. Afterwards the guard removes what the page created: every
container, network, volume and image tag that is there now and was not before (the ID diff),
plus the declared names, containers first (`rm -f -v`), then networks, volumes and tags. It
never removes, stops or changes anything that was there before the page started.

A run killed with SIGKILL cannot clean up; the next shared run on that engine finds its
journal still marked running and names what may have been left, without removing anything
it cannot prove the killed page created (the user may have made objects since).

The command parsing is best effort: names built at run time (`$NAME`, `$(...)`) cannot be
known in advance. The ID diff afterwards does not depend on parsing.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

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


# --- the guard ------------------------------------------------------------------------------------

def _stderr(text: str) -> None:
    print(f"docsexec: {text}", file=sys.stderr, flush=True)


class SharedGuard:
    """begin() before the page's shell starts, end() after it has exited (always)."""

    def __init__(self, blocks: Sequence[Block], env: Mapping[str, str], log: Log = _stderr) -> None:
        self.blocks = list(blocks)
        self.path = self.blocks[0].path if self.blocks else Path("(page)")
        self.docker = Docker(env)
        self.log = log
        self.plan = plan_page(self.blocks)
        self.engine_id = ""
        self.before: Inventory | None = None
        self.removed: list[str] = []
        self.problems: list[str] = []
        self._lock: EngineLock | None = None
        self._workdir: Path | None = None

    # -- before --

    def begin(self, workdir: Path | None = None) -> None:
        """Lock the engine, check the page's names, record what exists. Raises
        EnvironmentProblem (and holds nothing) when the page must not run here."""
        self._workdir = workdir
        try:
            self._refuse_forbidden()
            self.engine_id = self._engine_id()
            self._lock = EngineLock(self.engine_id)
            self._lock.acquire()
            self._report_killed_run()
            before = Inventory.read(self.docker)
            self._refuse_clashes(before)
            self.before = before
            self._lock.write(self._journal("running"))
        except BaseException:
            self._release()
            raise

    def _engine_id(self) -> str:
        done = self.docker.run("info", "--format", "{{.ID}}")
        ident = done.stdout.strip()
        if done.returncode != 0 or not ident:
            raise EnvironmentProblem(f"cannot reach the shared Docker engine: {_last_line(done.stderr)}")
        return ident

    def _refuse_forbidden(self) -> None:
        if self.plan.forbidden:
            line, why = self.plan.forbidden[0]
            raise EnvironmentProblem(f"{self.path}:{line}: refusing to run on the shared engine: {why}; run this page in its own sandbox (without --engine shared)")

    def _refuse_clashes(self, before: Inventory) -> None:
        """Refuse if a name the page creates exists, or the page would stop, change or remove an
        object it does not create itself."""
        clashes: list[Mention] = []
        seen: set[tuple[str, str]] = set()
        for mention in self.plan.mentions:
            key = (mention.kind, mention.name)
            if key in seen:
                continue
            if not mention.creates and mention.name in self.plan.created(mention.kind):
                continue  # acting on an object the page itself creates
            exists = (_image_exists(self.docker, mention.name) if mention.kind == IMAGE
                      else mention.name in before.names(mention.kind))
            if exists:
                seen.add(key)
                clashes.append(mention)
        if not clashes:
            return
        listed = ", ".join(f"{m.kind} {m.name} (line {m.line}: {'created' if m.creates else 'changed or removed'} by the page)" for m in clashes)
        raise EnvironmentProblem(
            f"{self.path}:{clashes[0].line}: refusing to run on the shared engine: it already has {listed}; "
            "docsexec never touches objects it did not create: remove or rename them there, or run without --engine shared"
        )

    def _report_killed_run(self) -> None:
        """A journal still marked running belongs to a run that was killed (its lock is free)."""
        journal = self._lock.previous if self._lock else None
        if not journal or journal.get("state") != "running":
            return
        workdir = journal.get("workdir")
        if workdir and Path(workdir).name.startswith(LOCK_PREFIX) and Path(workdir).is_dir():
            shutil.rmtree(workdir, ignore_errors=True)  # the killed run's own scratch folder
        try:
            left = Inventory.read(self.docker).new_since(Inventory.from_json(journal.get("before", {}))).describe()
        except EnvironmentProblem:
            left = []
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(journal.get("started", 0))))
        self.log(f"warning: an earlier run on this shared engine (pid {journal.get('pid')}, page {journal.get('page')}, "
                 f"started {when}) was killed before it could clean up"
                 + (f"; created since and possibly left by it: {', '.join(left)} (not removed: remove them yourself if they are not yours)" if left else ""))

    def _journal(self, state: str) -> dict:
        return {"state": state, "pid": os.getpid(), "page": str(self.path), "started": time.time(),
                "engine": self.engine_id, "workdir": str(self._workdir or ""),
                "before": self.before.to_json() if self.before else {}}

    # -- after --

    def end(self) -> None:
        """Remove what the page created, then release the engine. Never raises for a failed
        removal (it is logged): this runs while an error or Ctrl-C may be unwinding."""
        try:
            if self.before is not None:
                self._clean_up(self.before)
        finally:
            self._release()

    def _clean_up(self, before: Inventory) -> None:
        try:
            now = Inventory.read(self.docker)
        except EnvironmentProblem as exc:
            self._problem(f"cannot list the shared engine's objects to clean up: {exc.one_line()}")
            return
        created = now.new_since(before)
        for name in self.plan.created(CONTAINER):  # by name too: same set unless the diff missed one
            for ident, names in now.containers.items():
                if name in names.split(",") and ident not in before.containers:
                    created.containers[ident] = names
        self._remove(CONTAINER, ["rm", "-f", "-v"], sorted(created.containers), created.containers)
        for ident in created.networks:
            if self.docker.run("network", "rm", ident).returncode != 0:
                self._free_network(ident, before)
        self._remove(NETWORK, ["network", "rm"], sorted(created.networks), created.networks)
        self._remove(VOLUME, ["volume", "rm", "-f"], sorted(created.volumes), {})
        self._remove(IMAGE, ["rmi"], sorted(created.images), {})
        self._verify_gone(created)

    def _remove(self, kind: str, argv: list[str], targets: list[str], names: Mapping[str, str]) -> None:
        for target in targets:
            done = self.docker.run(*argv, target)
            label = (names.get(target) or target[:12]) if names else target
            if done.returncode == 0 or "No such" in done.stderr or "not found" in done.stderr:
                self.removed.append(f"{kind} {label}")
            else:
                self._problem(f"could not remove {kind} {label}: {_last_line(done.stderr)}")

    def _free_network(self, ident: str, before: Inventory) -> None:
        """A network the page made may still hold an endpoint of a container that existed
        before (connected at run time): disconnect it, so the container is as it was."""
        done = self.docker.run("network", "inspect", "--format", "{{range $k, $v := .Containers}}{{$k}} {{end}}", ident)
        for container in done.stdout.split():
            if container in before.containers:
                self.docker.run("network", "disconnect", "-f", ident, container)

    def _verify_gone(self, created: Inventory) -> None:
        try:
            now = Inventory.read(self.docker)
        except EnvironmentProblem:
            return
        left = Inventory(
            {i: n for i, n in now.containers.items() if i in created.containers},
            {i: n for i, n in now.networks.items() if i in created.networks},
            now.volumes & created.volumes,
            now.images & created.images,
        ).describe()
        if left:
            self._problem("still on the shared engine after cleanup: " + ", ".join(left))

    def _problem(self, text: str) -> None:
        self.problems.append(text)
        self.log(f"warning: {self.path}: {text}")

    def _release(self) -> None:
        if self._lock is not None:
            lock, self._lock = self._lock, None
            lock.release()


