"""Volatile value classes: the parts of real output that change on every run.

A recorded page cannot contain the container ID or the veth name a future run will get, so
those values are recognised by class and compared by *binding* (see bindings.py) instead of
literally. Each class is narrow on purpose: anything not recognised here is compared
literally, which is what lets the comparator catch real changes (an interface name, an error
word, a driver name, an exit code) instead of waving them through.

A class is *bound* when a recorded value stands for one real value everywhere on the page
(IDs, addresses); it is *free* when any value of the right shape is accepted (ping times,
ages, sizes): those differ on every run and carry no identity worth checking.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..model import VOLATILE_CLASS_NAMES
from . import ipaddr


def _always(_: str) -> bool:
    return True


def _never(_: str) -> bool:
    return False


@dataclass(frozen=True)
class VolatileClass:
    """One kind of run-dependent value.

    `detect` finds it in a line (the named group `v` is the value; text around `v` is
    context that stays literal). `value_re` is what the real output must contain in the same
    place; it is looser than `detect` where a real value may legitimately look odd (a
    12-hex ID made only of digits). `constant` marks well-known values of the same shape
    (`00:00:00:00:00:00`, `127.0.0.1`) that must stay literal: they never change, so
    comparing them literally is free extra checking.
    """

    name: str
    bound: bool
    namespace: str
    detect: tuple[re.Pattern[str], ...]
    value_re: str
    description: str
    example: str
    valid: Callable[[str], bool] = _always
    actual_ok: Callable[[str], bool] = _always
    constant: Callable[[str], bool] = _never

    def accepts_actual(self, value: str) -> bool:
        """Whether a real value may stand where this class was recorded."""
        return re.fullmatch(self.value_re, value) is not None and self.actual_ok(value) and not self.constant(value)


@dataclass(frozen=True)
class Token:
    """A volatile value found in a line: the span of group `v`."""

    cls: VolatileClass
    start: int
    end: int
    value: str


@dataclass(frozen=True)
class Slot:
    """A volatile value as recorded in the page, at one place in a line: the real output must
    put a value of the same class there, and (for a bound class) the one it stands for."""

    cls: VolatileClass
    recorded: str


# --- validity helpers -------------------------------------------------------------------


def _has_digit_and_letter(v: str) -> bool:
    return any(c.isdigit() for c in v) and any(c.isalpha() for c in v)


def _ipv4_ok(v: str) -> bool:
    return all(int(p) <= 255 and (p == "0" or not p.startswith("0")) for p in v.split("."))


def _ipv4_constant(v: str) -> bool:
    first = v.split(".")[0]
    return v == "0.0.0.0" or first in ("127", "255")


def _ipv6_ok(v: str) -> bool:
    if v.count(":") < 2:
        return False
    try:
        ipaddress.IPv6Address(v)
    except ValueError:
        return False
    return True


_IPV6_CONSTANTS = frozenset({"::", "::1", "fe80::", "ff00::", "ff02::1", "ff02::2"})
_MAC_CONSTANTS = frozenset({"00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"})
_TIME_CONSTANTS = frozenset({"0001-01-01T00:00:00Z"})


def _port_ok(v: str) -> bool:
    return 32768 <= int(v) <= 65535


def _c(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, flags)


_AGE = (
    r"(?:\d+|an?|About an?|Less than an?) "
    r"(?:second|minute|hour|day|week|month|year)s?"
)
_TS_RFC3339 = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})"
_TS_GO = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? [+-]\d{4}(?: [A-Z]{2,5})?"
_NUM = r"\d+(?:\.\d+)?"

# Order matters: when two classes find overlapping values, the earlier start wins, then the
# earlier class in this tuple (a bridge name before the bare hex inside it).
CLASSES: tuple[VolatileClass, ...] = (
    VolatileClass(
        name="timestamp",
        bound=True,
        namespace="timestamp",
        detect=(
            _c(rf"(?<![\w.:-])(?P<v>{_TS_RFC3339})(?![\w:])"),
            _c(rf"(?<![\w.:-])(?P<v>{_TS_GO})(?![\w:])"),
        ),
        value_re=rf"{_TS_RFC3339}|{_TS_GO}",
        description="RFC 3339 times as in `docker inspect` (`Created`), and Go's default "
        "time format as in `docker ps --format '{{.CreatedAt}}'`. The zero time "
        "`0001-01-01T00:00:00Z` stays literal.",
        example='"Created": "2023-11-14T14:49:54.711635237+08:00"',
        constant=lambda v: v in _TIME_CONSTANTS,
    ),
    VolatileClass(
        name="mac",
        bound=True,
        namespace="mac",
        detect=(
            _c(r"(?<![\w:])(?P<v>[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5})(?![\w:])"),
            _c(r"(?<=[0-9a-f]{4}\.)(?P<v>[0-9a-f]{12})(?!\w)"),  # brctl bridge id 8000.<mac>
        ),
        value_re=r"[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}|[0-9a-f]{12}",
        description="MAC addresses, and the MAC part of a bridge id in `brctl show` "
        "(`8000.0242eb138857`). `00:00:00:00:00:00` and `ff:ff:ff:ff:ff:ff` stay literal.",
        example="link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff",
        constant=lambda v: v.lower() in _MAC_CONSTANTS,
    ),
    VolatileClass(
        name="bridge",
        bound=True,
        namespace="id",
        detect=(_c(r"(?<![\w-])br-(?P<v>[0-9a-f]{12})(?!\w)"),),
        value_re=r"[0-9a-f]{12}",
        description="Linux bridge names of user-defined networks, `br-` plus the first 12 hex "
        "digits of the network ID. Bound together with `id`, so `br-7a90a431cd30` must be the "
        "network whose ID starts with `7a90a431cd30`.",
        example="5: br-7a90a431cd30: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500",
    ),
    VolatileClass(
        name="id",
        bound=True,
        namespace="id",
        detect=(_c(r"(?<![\w.-])(?P<v>[0-9a-f]{64}|[0-9a-f]{12})(?!\w)"),),
        value_re=r"[0-9a-f]{64}|[0-9a-f]{12}",
        description="Container, network, endpoint, image and layer IDs and `sha256:` digests: "
        "exactly 64 or exactly 12 lowercase hex digits containing both digits and letters (so "
        "words like `added` or `cafe` never count). A full ID also binds its 12-digit short "
        "form, so the ID `docker run -d` printed must be the one `docker ps` lists and the "
        "container's hostname.",
        example="4b3e7302489a0ec41796c29aea74dadea358ebb54156055c082fee3da68f7848",
        valid=_has_digit_and_letter,
    ),
    VolatileClass(
        name="swarm-token",
        bound=True,
        namespace="swarm-token",
        detect=(_c(r"(?<![\w-])(?P<v>SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25})(?![\w-])"),),
        value_re=r"SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}",
        description="Swarm join tokens: `SWMTKN-1-`, the digest of the swarm's root CA "
        "(50 lowercase letters and digits), `-` and the secret (25).",
        example="docker swarm join --token SWMTKN-1-1dib8o6xhxhcp73b9hotroi42ma1agzmoxwwv5388bf9ibb7al-5pa0ovvm5x8irzt0lela0u2j7 198.51.100.10:2377",
    ),
    VolatileClass(
        name="swarm-id",
        bound=True,
        namespace="swarm-id",
        detect=(_c(r"(?<![\w-])(?P<v>[0-9a-z]{25})(?![\w-])"),),
        value_re=r"[0-9a-z]{25}",
        description="Swarm object IDs (nodes, services, overlay networks): 25 lowercase "
        "letters and digits, containing both.",
        example="Swarm initialized: current node (svi05aovbeycfsxsvsiprj9y4) is now a manager.",
        valid=_has_digit_and_letter,
    ),
    VolatileClass(
        name="ipv6",
        bound=True,
        namespace="ipv6",
        detect=(_c(r"(?<![\w:.])(?P<v>[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7})(?![\w:])"),),
        value_re=r"[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}",
        description="IPv6 addresses and subnets (the `/64` after it stays literal). `::`, "
        "`::1`, `fe80::`, `ff00::`, `ff02::1` and `ff02::2` stay literal.",
        example="inet6 fe80::42:acff:fe11:2/64 scope link",
        valid=_ipv6_ok,
        actual_ok=_ipv6_ok,
        constant=lambda v: v.lower() in _IPV6_CONSTANTS,
    ),
    VolatileClass(
        name="ipv4",
        bound=True,
        namespace="ipv4",
        detect=(_c(r"(?<![\w.])(?P<v>\d{1,3}(?:\.\d{1,3}){3})(?!\w|\.\d)"),),
        value_re=r"\d{1,3}(?:\.\d{1,3}){3}",
        description="IPv4 addresses and subnets (the `/16` after it stays literal, so a "
        "changed prefix length is caught). `0.0.0.0`, `127.x.x.x` (including Docker's "
        "embedded DNS `127.0.0.11`) and `255.x.x.x` netmasks stay literal.",
        example="inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0",
        valid=_ipv4_ok,
        actual_ok=_ipv4_ok,
        constant=_ipv4_constant,
    ),
    VolatileClass(
        name="port",
        bound=True,
        namespace="port",
        detect=(_c(r"(?:(?<=\d:)|(?<=\]:)|(?<=:::))(?P<v>\d{5})(?!\d)"),),
        value_re=r"\d{5}",
        description="Ephemeral host ports (32768-65535) that `-P` or `-p 127.0.0.1::80` "
        'picks, written after an address and a colon (or as `"HostPort"` in JSON). Ports '
        "you choose below 32768 stay literal.",
        example="80/tcp -> 0.0.0.0:32769",
        valid=_port_ok,
        actual_ok=_port_ok,
    ),
    VolatileClass(
        name="veth",
        bound=True,
        namespace="veth",
        detect=(_c(r"(?<![\w-])(?P<v>veth[0-9a-f]{7})(?!\w)"),),
        value_re=r"veth[0-9a-f]{7}",
        description="Host-side ends of veth pairs, `veth` plus 7 hex digits.",
        example="18: veth8c57a51@if17: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500",
    ),
    VolatileClass(
        name="ifindex",
        bound=True,
        namespace="ifindex",
        detect=(
            ipaddr.header_regex(index_group="v"),
            _c(r"(?<=@if)(?P<v>\d+)(?!\w)"),
        ),
        value_re=r"\d+",
        description="Interface indexes: the number that starts an `ip addr`/`ip link` "
        "stanza and the peer index after `@if`. Bound, so `17: eth0@if18` in the container "
        "and `18: veth8c57a51@if17` on the host stay a pair.",
        example="17: eth0@if18: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500",
    ),
    VolatileClass(
        name="netnsid",
        bound=True,
        namespace="netnsid",
        detect=(_c(r"(?<=\blink-netnsid )(?P<v>\d+)(?!\w)"),),
        value_re=r"\d+",
        description="The id under which the host names a veth peer's network namespace "
        "(`link-netnsid 0`). The kernel hands these out lazily, in an order that depends on "
        "timing, so the number is bound: the same container namespace keeps one id on a page.",
        example="link/ether 8e:b0:6e:10:fa:7b brd ff:ff:ff:ff:ff:ff link-netnsid 0",
    ),
    VolatileClass(
        name="ping-time",
        bound=False,
        namespace="ping-time",
        detect=(
            _c(rf"(?<=time=)(?P<v>{_NUM})(?= ?ms\b)"),
            _c(rf"(?<=min/avg/max = )(?P<v>{_NUM}/{_NUM}/{_NUM})(?= ms\b)"),
            _c(rf"(?<=min/avg/max/mdev = )(?P<v>{_NUM}/{_NUM}/{_NUM}/{_NUM})(?= ms\b)"),
            _c(r"(?<=, time )(?P<v>\d+)(?=ms\b)"),
        ),
        value_re=rf"{_NUM}(?:/{_NUM})*",
        description="Round-trip times of `ping` (`time=0.123 ms`) and its statistics line. "
        "Free. Packet counts and loss percentages stay literal.",
        example="round-trip min/avg/max = 0.071/0.082/0.093 ms",
    ),
    VolatileClass(
        name="lifetime",
        bound=False,
        namespace="lifetime",
        detect=(_c(r"(?<=_lft )(?P<v>\d+sec)\b"),),
        value_re=r"\d+sec",
        description="Address lifetimes in `ip addr` (`valid_lft 82207sec`). Free. `forever` "
        "is not volatile: a lifetime that becomes finite, or the reverse, is caught.",
        example="valid_lft 82207sec preferred_lft 82207sec",
    ),
    VolatileClass(
        name="age",
        bound=False,
        namespace="age",
        detect=(
            _c(rf"(?<![\w])(?P<v>{_AGE})(?= ago\b)"),
            _c(rf"(?<=\bUp )(?P<v>{_AGE})\b"),
        ),
        value_re=_AGE,
        description="Ages and uptimes in `docker ps`/`docker images` tables: the text before "
        "`ago` and after `Up`. Free.",
        example="Up 3 seconds / Exited (0) About a minute ago",
    ),
    VolatileClass(
        name="duration",
        bound=False,
        namespace="duration",
        detect=(_c(r"^(?:real|user|sys)\s+(?P<v>\d+m ?\d+\.\d+s)$"),),
        value_re=r"\d+m ?\d+\.\d+s",
        description="Times printed by the shell's `time` (`real\t0m 5.00s`). Free.",
        example="real\t0m 5.00s",
    ),
    VolatileClass(
        name="size",
        bound=False,
        namespace="size",
        detect=(_c(r"(?<![\w.])(?P<v>\d+(?:\.\d+)?(?:B|kB|KB|MB|GB|TB|KiB|MiB|GiB))(?!\w)"),),
        value_re=r"\d+(?:\.\d+)?(?:B|kB|KB|MB|GB|TB|KiB|MiB|GiB)",
        description="Sizes with a unit, as in the SIZE column of `docker images`/`docker ps -s`. Free.",
        example="busybox   latest    beae173ccac6   2 years ago   1.24MB",
    ),
    VolatileClass(
        name="pid",
        bound=False,
        namespace="pid",
        detect=(_c(r"(?<=\bpid=)(?P<v>\d+)\b"),),
        value_re=r"\d+",
        description="Process IDs written as `pid=N` (as `ss -p` prints them), and the "
        '`"Pid"` number in `docker inspect`. Free.',
        example='users:(("docker-proxy",pid=12759,fd=4))',
    ),
)

BY_NAME: dict[str, VolatileClass] = {c.name: c for c in CLASSES}
ALL_CLASS_NAMES: frozenset[str] = frozenset(BY_NAME)
if ALL_CLASS_NAMES != VOLATILE_CLASS_NAMES:  # the names authors may write are the model's
    raise ImportError(
        f"compare/volatile.py and model.VOLATILE_CLASS_NAMES disagree: {sorted(ALL_CLASS_NAMES ^ VOLATILE_CLASS_NAMES)}"
    )


def find_tokens(line: str, enabled: Iterable[str]) -> list[Token]:
    """All volatile values in `line`, left to right, without overlaps.

    Overlaps are resolved by earliest start, then class order, so each character belongs to
    at most one token and the result is deterministic.
    """
    names = set(enabled)
    found: list[tuple[int, int, Token]] = []
    for rank, cls in enumerate(CLASSES):
        if cls.name not in names:
            continue
        for rx in cls.detect:
            for m in rx.finditer(line):
                value = m.group("v")
                if cls.valid(value) and not cls.constant(value):
                    found.append((m.start("v"), rank, Token(cls, m.start("v"), m.end("v"), value)))
    found.sort(key=lambda t: (t[0], t[1]))
    tokens: list[Token] = []
    end = 0
    for start, _, tok in found:
        if start >= end:
            tokens.append(tok)
            end = tok.end
    return tokens
