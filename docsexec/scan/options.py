"""Fence info strings: which fences are tagged, and their validated options.

The syntax is the one pymdownx.superfences renders (Material for MkDocs), so the same
attributes that drive docsexec end up in the HTML:

    ```console {#bridge-ip-addr .docsexec data-exit="1" data-prompt="/ # "}

Only fences carrying the class `.docsexec` run. Everything else is rejected loudly with the
page and line, because a silently ignored option is a check that silently does not happen.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import BadInput, UsageError
from ..model import (
    DEFAULT_COMPARE,
    ENGINE_SOURCES,
    KNOWN_OPTIONS,
    MODE_CHOICES,
    SETUP_CLASS,
    VOLATILE_CLASS_NAMES,
    BlockOptions,
    CompareOptions,
)

TAG_CLASS = "docsexec"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
RUNNER_OPTIONS = {
    "data-exit",
    "data-timeout",
    "data-prompt",
    "data-shown-prompt",
    "data-continue",
    "data-same-as",
    "data-same-interfaces-as",
    "data-engine",
    "data-engine-diff",
    "data-host",
    "data-peer-engine",
    "data-daemon",
    "data-only-on",
}
# Where a block runs (data-host): the page's host, or the LAN peer, the other machine on the
# sandbox's simulated LAN (docsexec/engine/sandbox/peer.py). The page's host is the default.
HOST = "docker-host"
LAN_PEER = "lan-peer"
HOSTS = (HOST, LAN_PEER)
PEER_ENGINE = "start"  # data-peer-engine="start": the LAN peer's own engine starts before this block
DAEMON_RESTART = "restart"  # data-daemon="restart": the page's dockerd restarts before this block
_LANG_AND_ATTRS = re.compile(r"^\s*(?P<lang>[\w#.+-]*)\s*(?:\{(?P<attrs>.*)\})?\s*$")


def is_tagged(info: str) -> bool:
    """True when the fence asks to be run: its attribute list holds the class `.docsexec`."""
    attrs = _attribute_text(info)
    return attrs is not None and re.search(rf"(?:^|\s)\.{TAG_CLASS}(?:\s|$)", attrs) is not None


def looks_like_a_mistyped_tag(info: str) -> bool:
    """`docsexec` written somewhere other than as a class: almost surely an author's slip."""
    return TAG_CLASS in info and not is_tagged(info)


def parse_fence_options(info: str, path: Path, line: int) -> BlockOptions:
    """Validate a tagged fence's attributes into BlockOptions, or raise BadInput."""
    attrs = _attribute_text(info)
    if attrs is None:
        raise BadInput(path, line, f"malformed fence attributes {info.strip()!r}: expected {{#id .docsexec ...}}")
    tokens = _split_attributes(attrs, path, line)
    if _language(info, tokens) != "console":
        raise BadInput(
            path, line, "a tagged block must be a console transcript: start the fence with ```console {#id .docsexec}"
        )
    ident: str | None = None
    classes: list[str] = []
    values: dict[str, str] = {}
    for token in tokens:
        if token.startswith("#"):
            if ident is not None:
                raise BadInput(path, line, f"two ids on one fence: #{ident} and {token}")
            ident = token[1:]
        elif token.startswith("."):
            if token[1:] != "console":
                classes.append(_class(token[1:], path, line))
        elif "=" in token:
            key, value = token.split("=", 1)
            if key in values:
                raise BadInput(path, line, f"option {key} given twice")
            values[key] = value
        else:
            raise BadInput(path, line, f'malformed fence attribute {token!r}: use #id, .class or data-key="value"')
    if ident is None:
        raise BadInput(path, line, "tagged block has no id: add #some-id to the attribute list")
    if not ID_PATTERN.match(ident):
        raise BadInput(path, line, f"block id {ident!r} must be lowercase letters, digits and '-'")
    return _build_options(ident, tuple(classes), values, path, line)


SETUP_HOW = (
    "mark a set-up block with the class .setup, and write just above it the sentence of what a reader does"
    " instead on a real machine"
)


def _class(name: str, path: Path, line: int) -> str:
    """A class as written; one that looks like `.setup` but is not would leave a set-up block
    shown to readers as a step of the lesson."""
    if name in (TAG_CLASS, SETUP_CLASS):
        return name
    if difflib.get_close_matches(name.lower(), [SETUP_CLASS], n=1, cutoff=0.6) or "setup" in name.lower().replace(
        "-", ""
    ):
        raise BadInput(path, line, f"unknown class .{name} (did you mean .{SETUP_CLASS}?): {SETUP_HOW}")
    return name


def _build_options(ident: str, classes: tuple[str, ...], values: dict[str, str], path: Path, line: int) -> BlockOptions:
    for key in values:
        if not key:
            raise BadInput(path, line, "an attribute has '=' but no name: write data-name=\"value\"")
        if not key.startswith("data-"):
            raise BadInput(path, line, f"unknown option {key!r}: options are data-* attributes (data-{key}?)")
        if key in ("data-setup", "data-set-up"):
            raise BadInput(path, line, f"{key} is not an option: {SETUP_HOW}")
    compare = {key[len("data-") :]: value for key, value in values.items() if key not in RUNNER_OPTIONS}
    problems = validate_compare_options(compare)
    if problems:
        raise BadInput(path, line, problems[0])
    return BlockOptions(
        id=ident,
        exit_codes=_exit_codes(values.get("data-exit"), path, line),
        timeout=_timeout(values.get("data-timeout"), path, line),
        prompt=_prompt(values.get("data-prompt"), path, line),
        shown_prompt=_shown_prompt(values, path, line),
        continues=_continues(values.get("data-continue"), path, line),
        same_as=_relation("data-same-as", values.get("data-same-as"), path, line),
        same_interfaces_as=_relation("data-same-interfaces-as", values.get("data-same-interfaces-as"), path, line),
        compare=compare,
        classes=classes,
        engines=_engines(values.get("data-engine"), path, line),
        engine_diff=_engine_diff(values.get("data-engine-diff"), path, line),
        matching=compare_options(compare),
        host=_host(values.get("data-host"), path, line),
        peer_engine=_peer_engine(values, path, line),
        daemon_restart=_daemon_restart(values, path, line),
        only_on=_only_on(values, path, line),
    )


def _host(raw: str | None, path: Path, line: int) -> str | None:
    """A misspelt host must not quietly run the block on docker-host instead."""
    if raw is not None and raw not in HOSTS:
        raise BadInput(path, line, f"data-host={raw!r}: expected {' or '.join(HOSTS)}")
    return raw


def _flag(values: dict[str, str], key: str, value: str, meaning: str, path: Path, line: int) -> bool:
    """Whether an option that takes one value is given; any other value is bad input."""
    raw = values.get(key)
    if raw is not None and raw != value:
        raise BadInput(path, line, f"{key}={raw!r}: expected {value!r} ({meaning})")
    return raw is not None


def _peer_engine(values: dict[str, str], path: Path, line: int) -> bool:
    """Opt-in: only a page that says so pays for (and shows) a second engine, on the peer."""
    if not _flag(values, "data-peer-engine", PEER_ENGINE, "the LAN peer's engine starts before this block", path, line):
        return False
    if values.get("data-host") != LAN_PEER:
        raise BadInput(
            path, line, f'data-peer-engine needs data-host="{LAN_PEER}": the engine it starts is the LAN peer\'s'
        )
    return True


def _daemon_restart(values: dict[str, str], path: Path, line: int) -> bool:
    """The page's engine restarts, as `systemctl restart docker` would, reading the
    /etc/docker/daemon.json the page wrote: docker-host's engine only."""
    if not _flag(values, "data-daemon", DAEMON_RESTART, "the page's dockerd restarts before this block", path, line):
        return False
    if values.get("data-host") == LAN_PEER:
        raise BadInput(path, line, "data-daemon restarts docker-host's engine: it cannot be on a lan-peer block")
    return True


def _only_on(values: dict[str, str], path: Path, line: int) -> tuple[str, ...]:
    """data-only-on="upstream-29 debian-forky": a step for a feature the other engines lack,
    run (and checked) only on these. Not a variant: a variant's engines run it in its place."""
    names = _engines(values.get("data-only-on"), path, line, "data-only-on")
    if names and "data-engine" in values:
        raise BadInput(path, line, "data-only-on and data-engine together: a variant already runs only on its engines")
    return names


def _engines(raw: str | None, path: Path, line: int, key: str = "data-engine") -> tuple[str, ...]:
    """data-engine="debian-forky debian-trixie": the engines a variant holds, its owner first
    (and data-only-on's list: the same names, each once)."""
    if raw is None:
        return ()
    names = tuple(raw.split())
    bad = [name for name in names if name not in ENGINE_SOURCES]
    if not names or bad or len(set(names)) != len(names):
        raise BadInput(path, line, f"{key}={raw!r}: expected one or more of {', '.join(ENGINE_SOURCES)}, each once")
    return names


def _engine_diff(raw: str | None, path: Path, line: int) -> str | None:
    from .variants import DIFF_MODES

    if raw is not None and raw not in DIFF_MODES:
        raise BadInput(path, line, f"data-engine-diff={raw!r}: expected {' or '.join(DIFF_MODES)}")
    return raw


def _exit_codes(raw: str | None, path: Path, line: int) -> tuple[int, ...] | None:
    if raw is None:
        return None
    parts = raw.split()
    if not parts or not all(p.isdigit() and int(p) <= 255 for p in parts):
        raise BadInput(
            path, line, f'data-exit={raw!r}: expected exit codes 0-255, one per command, e.g. data-exit="1" or "1 0"'
        )
    return tuple(int(p) for p in parts)


def _timeout(raw: str | None, path: Path, line: int) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise BadInput(path, line, f"data-timeout={raw!r}: expected seconds between 0 and 3600")
    return value


def _prompt(raw: str | None, path: Path, line: int, key: str = "data-prompt") -> str | None:
    if raw is None:
        return None
    if not raw.strip():
        raise BadInput(path, line, f'{key} is empty: give the program\'s prompt, e.g. {key}="/ # "')
    if raw.startswith("$ "):
        raise BadInput(path, line, f"{key} must differ from the shell prompt '$ '")
    return raw


def _shown_prompt(values: dict[str, str], path: Path, line: int) -> str | None:
    """How the page writes the program's prompt: `# ` for busybox's `/ # `, as docs often do."""
    raw = values.get("data-shown-prompt")
    if raw is None:
        return None
    if "data-prompt" not in values and "data-continue" not in values:
        raise BadInput(
            path,
            line,
            'data-shown-prompt needs data-prompt: the prompt the program really prints, e.g. data-prompt="/ # " data-shown-prompt="# "',
        )
    return _prompt(raw, path, line, key="data-shown-prompt")


def _continues(raw: str | None, path: Path, line: int) -> str | None:
    if raw is None:
        return None
    if not ID_PATTERN.match(raw):
        raise BadInput(
            path,
            line,
            f"data-continue={raw!r}: expected the id of the earlier block whose program this block continues",
        )
    return raw


def _relation(key: str, raw: str | None, path: Path, line: int) -> str | None:
    if raw is None:
        return None
    ident, colon, stanza = raw.partition(":")
    if not ID_PATTERN.match(ident) or (colon and not stanza.strip()):
        raise BadInput(path, line, f"{key}={raw!r}: expected a block id, optionally ':name' of an interface stanza")
    return raw


def _language(info: str, tokens: list[str]) -> str:
    """The fence language as superfences sees it: the word before `{`, else the first class."""
    match = _LANG_AND_ATTRS.match(info)
    lang = match.group("lang") if match else ""
    if lang:
        return lang.lstrip(".")
    first_class = next((t for t in tokens if t.startswith(".")), "")
    return first_class[1:]


def _attribute_text(info: str) -> str | None:
    match = _LANG_AND_ATTRS.match(info)
    if not match:
        return None
    return match.group("attrs")


# The attribute forms pages write (#id, .class, key="value" without quotes or backslashes in
# it, key=value): split by one regex, as shlex would split them; anything else goes to shlex.
_PLAIN_TOKEN = r'(?:[#.][^\s"\'\\]+|[\w-]+="[^"\\]*"|[\w-]+=[^\s"\'\\]*)'
_PLAIN_ATTRS = re.compile(rf"\s*(?:{_PLAIN_TOKEN}(?:\s+|$))*")
_TOKEN = re.compile(_PLAIN_TOKEN)


def _split_attributes(attrs: str, path: Path, line: int) -> list[str]:
    if _PLAIN_ATTRS.fullmatch(attrs):
        return [token.replace('"', "") for token in _TOKEN.findall(attrs)]
    lexer = shlex.shlex(attrs, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError as exc:
        raise BadInput(path, line, f"malformed fence attributes: {exc}") from exc


# --- the comparator's options ------------------------------------------------------------------
# Every knob that loosens or tightens matching is a visible attribute on the block, so a reader
# of the Markdown source can see what was not compared literally. Unknown keys and values are
# errors, never ignored: a typo such as `data-volatle="-ipv4"` must not silently leave IPv4
# addresses volatile.


def validate_compare_options(options: Mapping[str, str] | None) -> list[str]:
    """Error messages for unknown keys or bad values (keys without `data-`); empty when all is well."""
    errors: list[str] = []
    for key, value in (options or {}).items():
        if key == "volatile":
            errors.extend(_volatile_errors(value))
        elif key in MODE_CHOICES:
            if value not in MODE_CHOICES[key]:
                allowed = ", ".join(repr(c) for c in MODE_CHOICES[key])
                errors.append(f"data-{key}: {value!r} is not one of {allowed}")
        else:
            hint = difflib.get_close_matches(key, sorted(KNOWN_OPTIONS), n=1)
            known = ", ".join(f"data-{k}" for k in sorted(KNOWN_OPTIONS))
            errors.append(
                f"unknown option data-{key}"
                + (f" (did you mean data-{hint[0]}?)" if hint else "")
                + f"; comparator options are: {known}"
            )
    return errors


def compare_options(options: Mapping[str, str] | None) -> CompareOptions:
    """A block's comparator attributes as CompareOptions; UsageError if invalid (a page's
    blocks are validated before this, with file and line: parse_fence_options)."""
    if not options:
        return DEFAULT_COMPARE
    errors = validate_compare_options(options)
    if errors:
        raise UsageError("; ".join(errors))
    return CompareOptions(
        classes=_parse_volatile(options.get("volatile", "")),
        json=_choice(options, "json", DEFAULT_COMPARE.json),
        table=_choice(options, "table", DEFAULT_COMPARE.table),
        order=_choice(options, "order", DEFAULT_COMPARE.order),
        elisions=options.get("elisions", "on") == "on",
    )


def _choice(options: Mapping[str, str], key: str, default: Any) -> Any:
    """The validated value of a mode option (one of MODE_CHOICES[key]), else the default."""
    return options.get(key, default)


def _volatile_items(value: str) -> list[str]:
    return [item for item in re.split(r"[\s,]+", value.strip()) if item]


def _volatile_errors(value: str) -> list[str]:
    errors = []
    for item in _volatile_items(value):
        name = item.lstrip("+-")
        if name in ("all", "none") and item == name:
            continue
        if name not in VOLATILE_CLASS_NAMES:
            hint = difflib.get_close_matches(name, sorted(VOLATILE_CLASS_NAMES), n=1)
            known = ", ".join(sorted(VOLATILE_CLASS_NAMES))
            errors.append(
                f"data-volatile: unknown class {name!r}"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
                + f"; known classes: {known}; also 'all' and 'none'"
            )
    return errors


def _parse_volatile(value: str) -> frozenset[str]:
    enabled = set(VOLATILE_CLASS_NAMES)
    for item in _volatile_items(value):
        if item == "all":
            enabled = set(VOLATILE_CLASS_NAMES)
        elif item == "none":
            enabled = set()
        elif item.startswith("-"):
            enabled.discard(item[1:])
        else:
            enabled.add(item.lstrip("+"))
    return frozenset(enabled)
