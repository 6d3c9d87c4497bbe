"""Reading a page's commands: what a page will create, and what existing objects it would
stop, change or remove, as far as its command lines tell (`plan_page`).

The guard checks this plan against the shared engine before the page runs, so a page that
would touch the caller's own objects, or run an engine-wide command, is refused up front.
Best effort by design: names built at run time cannot be known; cleanup never relies on it.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

from ...model import Block
from .inventory import CONTAINER, IMAGE, NETWORK, VOLUME

_WRAPPERS = {"sudo", "env", "time", "command", "exec", "nohup", "timeout", "nice"}
_GLOBAL_VALUE_OPTIONS = {
    "-H",
    "--host",
    "-c",
    "--context",
    "--config",
    "-l",
    "--log-level",
    "--tlscacert",
    "--tlscert",
    "--tlskey",
}
_MANAGEMENT = {
    "container",
    "network",
    "volume",
    "image",
    "system",
    "swarm",
    "builder",
    "plugin",
    "node",
    "service",
    "stack",
    "secret",
    "config",
    "buildx",
    "compose",
    "context",
    "manifest",
    "trust",
}
_VOLUME_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_PLAIN_NAME = re.compile(r"^/?[A-Za-z0-9][A-Za-z0-9_.:/@-]*$")
_RUN_BOOLS = {
    "-d",
    "--detach",
    "--disable-content-trust",
    "--help",
    "--init",
    "-i",
    "--interactive",
    "--no-healthcheck",
    "--oom-kill-disable",
    "--privileged",
    "-P",
    "--publish-all",
    "-q",
    "--quiet",
    "--read-only",
    "--rm",
    "--sig-proxy",
    "-t",
    "--tty",
    "--use-api-socket",
}
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
    ("network", "create"): (
        {"--attachable", "--config-only", "--ingress", "--internal", "--ipv4", "--ipv6", "--help"},
        True,
    ),
    ("network", "rm"): ({"-f", "--force", "--help"}, True),
    ("network", "disconnect"): ({"-f", "--force", "--help"}, True),
    ("volume", "rm"): ({"-f", "--force", "--help"}, True),
    ("image", "rm"): ({"-f", "--force", "--no-prune", "--help"}, True),
}
_ALIASES: dict[tuple[str, ...], tuple[str, ...]] = {
    **{
        (verb,): ("container", verb)
        for verb in (
            "run",
            "create",
            "exec",
            "start",
            "stop",
            "restart",
            "kill",
            "rm",
            "pause",
            "unpause",
            "rename",
            "update",
            "attach",
            "cp",
        )
    },
    ("rmi",): ("image", "rm"),
    ("container", "remove"): ("container", "rm"),
    ("network", "remove"): ("network", "rm"),
    ("volume", "remove"): ("volume", "rm"),
    ("image", "remove"): ("image", "rm"),
}
_DESTRUCTIVE = {("container", v) for v in ("rm", "stop", "kill", "restart", "pause", "update")} | {
    ("network", "rm"),
    ("volume", "rm"),
    ("image", "rm"),
    ("network", "disconnect"),
}
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
                _subcommand(_docker_args(w) or [])[0] in _DESTRUCTIVE for w in simple_commands(command.text)
            ):
                plan.forbidden.append(
                    (
                        command.line,
                        "a command that acts on every object `docker ... -q` lists changes objects of the shared engine that the page did not create",
                    )
                )
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
            return words[index + 1 :]
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
    return _ALIASES.get(path, path), args[index + len(path) :]


def split_options(
    args: Sequence[str], bools: set[str], interspersed: bool
) -> tuple[list[tuple[str, str | None]], list[str]]:
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
        split = _long_option if arg.startswith("--") else _short_cluster
        index = split(arg, args, index, bools, options)
    return options, positional


def _long_option(
    arg: str, args: Sequence[str], index: int, bools: set[str], options: list[tuple[str, str | None]]
) -> int:
    """`--name=value`, a boolean `--name`, or `--name value`; the index after what it used."""
    name, eq, value = arg.partition("=")
    if eq:
        options.append((name, value))
    elif name in bools:
        options.append((name, None))
    else:
        options.append((name, args[index] if index < len(args) else ""))
        index += 1
    return index


def _short_cluster(
    arg: str, args: Sequence[str], index: int, bools: set[str], options: list[tuple[str, str | None]]
) -> int:
    """`-abc`: boolean letters until one that takes a value (the rest of the cluster, or the
    next argument); the index after what it used."""
    cluster = arg[1:]
    for position, letter in enumerate(cluster):
        name = "-" + letter
        if name in bools:
            options.append((name, None))
            continue
        value = cluster[position + 1 :].removeprefix("=")
        if not value:
            value = args[index] if index < len(args) else ""
            index += 1
        options.append((name, value))
        break
    return index


def _static(name: str) -> bool:
    """A name written out in full (not built by the shell at run time)."""
    return bool(name) and _PLAIN_NAME.match(name) is not None


def _plan_command(words: list[str], line: int, plan: Plan) -> None:
    """Add to the plan what one simple command does, if it runs the docker client."""
    args = _docker_args(words)
    if not args:
        return
    path, rest = _subcommand(args)
    if not path:
        return
    if path[-1] == "prune" or (path[0] == "swarm" and path[-1] in ("init", "join", "leave", "update")):
        plan.forbidden.append(
            (line, f"`docker {' '.join(path)}` changes objects of the shared engine that the page did not create")
        )
        return
    bools, interspersed = _SYNTAX.get(path, (set(), True))
    options, positional = split_options(rest, bools, interspersed)
    for kind, name, creates in _named_objects(path, options, positional):
        name = name.lstrip("/") if kind == CONTAINER else name
        if _static(name):
            plan.mentions.append(Mention(kind, name, line, creates))


_Named: TypeAlias = list[tuple[str, str, bool]]  # (kind, name, whether the command creates it)
_REMOVES: dict[tuple[str, ...], str] = {("network", "rm"): NETWORK, ("volume", "rm"): VOLUME, ("image", "rm"): IMAGE}


def _named_objects(path: tuple[str, ...], options: list[tuple[str, str | None]], positional: list[str]) -> _Named:
    """The objects a docker subcommand names: the ones it creates, and existing ones it changes."""
    if path in (("container", "run"), ("container", "create")):
        return _created_by_run(options)
    if path == ("network", "create"):
        return [(NETWORK, name, True) for name in positional[:1]]
    if path == ("volume", "create"):
        return [(VOLUME, name, True) for name in [v for o, v in options if o == "--name" and v] + positional[:1]]
    if path == ("container", "rename"):
        return [(CONTAINER, positional[0], False), (CONTAINER, positional[1], True)] if len(positional) >= 2 else []
    if path == ("container", "exec"):
        return [(CONTAINER, name, False) for name in positional[:1]]
    if path == ("container", "cp"):
        target = positional[-1] if len(positional) >= 2 else ""
        return [(CONTAINER, target.split(":", 1)[0], False)] if ":" in target else []
    if path[0] == "container" and path[-1] in _CONTAINER_TARGETS:
        return [(CONTAINER, name, False) for name in positional]
    if path in (("network", "connect"), ("network", "disconnect")):
        return (
            [(CONTAINER, positional[1], False)] if len(positional) >= 2 else []
        )  # the network is only used; the container changes
    removed = _REMOVES.get(path)
    return [(removed, name, False) for name in positional] if removed else []


def _created_by_run(options: list[tuple[str, str | None]]) -> _Named:
    """What `docker run` or `docker create` creates: the named container and named volumes."""
    found: _Named = []
    for option, value in options:
        if not value:
            continue
        if option == "--name":
            found.append((CONTAINER, value, True))
        elif option in ("-v", "--volume") and ":" in value:
            source = value.split(":", 1)[0]
            if _VOLUME_NAME.match(source):
                found.append((VOLUME, source, True))
        elif option == "--mount":
            fields = dict(part.partition("=")[::2] for part in value.split(","))
            source = fields.get("source") or fields.get("src") or ""
            if fields.get("type", "volume") == "volume" and _VOLUME_NAME.match(source):
                found.append((VOLUME, source, True))
    return found
