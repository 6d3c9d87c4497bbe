"""The site's own verified pages against a simulated next run: every volatile value replaced
consistently across the page (as a new engine run would) must match block by block, and
breaking one relation between outputs must not."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from docsexec.compare import PageComparator
from docsexec.compare.volatile import ALL_CLASS_NAMES, find_tokens

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "contributing" not in p.parts)


def _outputs(path: Path) -> list[tuple[list[str], dict[str, str], frozenset[str]]]:
    """(recorded output, comparator options, the block's volatile classes) of every command of
    the page, in order. A class the block turns off (`data-volatile="-ipv4"`, addresses pinned
    by `--subnet`) is literal: a next run prints the same value there, so it is not renamed."""
    from docsexec.scan.fences import scan_file
    from docsexec.scan.transcript import recorded_outputs

    _, blocks = scan_file(path)
    return [
        (list(region), block.options.compare, frozenset(block.options.matching.classes))
        for block in blocks
        for c in block.commands
        for region in recorded_outputs(c)
    ]


class NextRun:
    """A consistent, random renaming of the volatile values of one page."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.names: dict[tuple[str, str], str] = {}
        self.used: set[tuple[str, str]] = set()

    def hex(self, n: int) -> str:
        while True:
            value = "".join(self.rng.choice("0123456789abcdef") for _ in range(n))
            if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
                return value

    def fresh(self, cls: str, value: str) -> str:
        r = self.rng
        if cls in ("id", "bridge"):
            if len(value) == 12:
                longer = [v for (c, k), v in self.names.items() if c == "id" and len(k) == 64 and k[:12] == value]
                return longer[0][:12] if longer else self.hex(12)
            short = self.names.get(("id", value[:12]))
            return short + self.hex(52) if short else self.hex(64)
        return {
            "mac": lambda: ":".join(["5a"] + [f"{r.randrange(256):02x}" for _ in range(5)]),
            "ipv4": lambda: f"10.{r.randrange(1, 250)}.{r.randrange(250)}.{r.randrange(1, 250)}",
            "ipv6": lambda: f"fd00:{r.randrange(1, 9999):x}::{r.randrange(1, 9999):x}",
            "ifindex": lambda: str(r.randrange(100, 999)),
            "netnsid": lambda: str(r.randrange(1, 99)),
            "veth": lambda: "veth" + "".join(r.choice("0123456789abcdef") for _ in range(7)),
            "port": lambda: str(r.randrange(40000, 60000)),
            "swarm-id": lambda: self.hex(24) + "z",
            "swarm-token": lambda: "SWMTKN-1-" + self.hex(49) + "z-" + self.hex(24) + "y",
            "timestamp": lambda: (
                f"2030-01-0{r.randrange(1, 9)}T0{r.randrange(9)}:1{r.randrange(9)}:2{r.randrange(9)}.{r.randrange(10**9):09d}Z"
            ),
            "ping-time": lambda: "/".join(f"{r.random() * 9:.3f}" for _ in value.split("/")),
            "lifetime": lambda: f"{r.randrange(1, 99999)}sec",
            "age": lambda: r.choice(["About a minute", "3 seconds", "Less than a second", "2 hours"]),
            "duration": lambda: f"0m {r.random() * 9:.2f}s",
            "size": lambda: f"{r.random() * 99:.1f}MB",
            "pid": lambda: str(r.randrange(2, 99999)),
        }[cls]()

    def name(self, cls: str, namespace: str, bound: bool, value: str) -> str:
        if not bound:
            return self.fresh(cls, value)
        key = ("id" if namespace == "id" else cls, value)
        if key not in self.names:
            new = self.fresh(cls, value)
            while (key[0], new) in self.used:
                new = self.fresh(cls, value)
            self.names[key] = new
            self.used.add((key[0], new))
        return self.names[key]

    def line(self, line: str, classes: frozenset[str] = frozenset(ALL_CLASS_NAMES)) -> str:
        out, last = [], 0
        for tok in find_tokens(line, classes):
            out += [line[last : tok.start], self.name(tok.cls.name, tok.cls.namespace, tok.cls.bound, tok.value)]
            last = tok.end
        return "".join([*out, line[last:]])


@pytest.mark.parametrize("path", _pages(), ids=lambda p: str(p.relative_to(DOCS)))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_page_matches_a_consistent_next_run(path, seed):
    outputs = _outputs(path)
    run = NextRun(seed)
    cmp = PageComparator()
    for recorded, options, classes in outputs:
        real = [run.line(line, classes).rstrip() for line in recorded]
        result = cmp.compare(recorded, real, options)
        assert result.matched, (recorded, real, result.notes)
        assert result.normalised == recorded


def _recorded_ipv4(path: Path) -> list[str]:
    return sorted(
        {
            tok.value
            for recorded, _, classes in _outputs(path)
            for line in recorded
            for tok in find_tokens(line, classes)
            if tok.cls.name == "ipv4"
        }
    )


def _pages_with_two_addresses() -> list[Path]:
    return [p for p in _pages() if len(_recorded_ipv4(p)) >= 2]


def test_most_pages_show_at_least_two_addresses():
    assert len(_pages_with_two_addresses()) >= 4


@pytest.mark.parametrize("path", _pages_with_two_addresses(), ids=lambda p: str(p.relative_to(DOCS)))
def test_page_with_two_bound_values_merged_fails(path):
    outputs = _outputs(path)
    run = NextRun(7)
    addresses = _recorded_ipv4(path)
    # the next run gives two different recorded addresses the same real address
    run.names[("ipv4", addresses[1])] = run.name("ipv4", "ipv4", True, addresses[0])
    cmp = PageComparator()
    results = [
        cmp.compare(recorded, [run.line(line, classes) for line in recorded], options)
        for recorded, options, classes in outputs
    ]
    assert not all(r.matched for r in results)
