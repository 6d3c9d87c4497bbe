"""Properties: a page compared with its own text always matches and is written back byte
for byte; `normalised` after a divergence always matches the output it came from (so
`update` followed by `check` passes); a consistent renaming of volatile values matches."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from docsexec.compare import PageComparator

# Characters that exercise every class and the elision syntax, plus arbitrary text.
_PIECES = st.sampled_from(
    [
        " ",
        "  ",
        "   ",
        "\t",
        ":",
        ".",
        "/",
        "@if",
        "-",
        "[..]",
        "...",
        "{",
        "}",
        "[",
        "]",
        '"',
        ",",
        "eth0",
        "veth8c57a51",
        "br-7a90a431cd30",
        "172.17.0.2",
        "172.17.0.2/16",
        "10.0.0.1",
        "127.0.0.11",
        "02:42:ac:11:00:02",
        "fe80::42:acff:fe11:2",
        "::1",
        "4b3e7302489a",
        "d1d8e01c550f",
        "4b3e7302489a0ec41796c29aea74dadea358ebb54156055c082fee3da68f7848",
        "17: ",
        "time=0.3 ms",
        "2 seconds ago",
        "Up 3 seconds",
        "valid_lft 82207sec",
        "1.24MB",
        "pid=12",
        "0.0.0.0:32768",
        "2023-11-14T14:49:54.711635237+08:00",
        "svi05aovbeycfsxsvsiprj9y4",
        "a",
        "b",
        "0",
        "9",
        "f",
    ]
)
_LINE = st.one_of(
    st.lists(_PIECES, max_size=8).map("".join),
    st.text(max_size=30).map(lambda s: s.replace("\n", " ").replace("\r", " ")),
)
_TEXT = st.lists(_LINE, max_size=12)


def _real(lines: list[str]) -> list[str]:
    """What the runner hands over: no trailing whitespace."""
    return [line.rstrip() for line in lines]


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_text_matches_itself_and_is_written_back_unchanged(lines):
    result = PageComparator().compare(lines, _real(lines))
    assert result.matched, result.notes
    assert result.normalised == lines


_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), _LINE),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(_LINE, children, max_size=4),
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(_JSON, st.sampled_from([None, 2, 4]))
def test_json_matches_itself(value, indent):
    lines = json.dumps(value, indent=indent).splitlines()
    result = PageComparator().compare(lines, lines)
    assert result.matched, result.notes
    assert result.normalised == lines


_POOL = [
    "17: eth0@if18: <UP> mtu 1500",
    "    inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0",
    "    inet 172.17.0.3/16 brd 172.17.255.255 scope global eth0",
    "64 bytes from 172.17.0.3: seq=0 ttl=64 time=0.334 ms",
    "d1d8e01c550f   bridge    bridge    local",
    "d1d8e01c550f   dx-net    bridge    local",
    "ea6e8c7b7b95   host      host      local",
    "link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff",
    "ping: bad address 'dx-b'",
    "...",
    "[..] ttl=64 [..]",
    "",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_POOL), max_size=8), st.lists(st.sampled_from(_POOL), max_size=8))
def test_written_after_divergence_matches_what_was_seen(recorded, real):
    real = [line for line in real if line not in ("...", "[..] ttl=64 [..]")]
    result = PageComparator().compare(recorded, real)
    again = PageComparator().compare(result.normalised, real)
    assert again.matched, (result.normalised, again.notes)
    if result.matched:
        assert result.normalised == recorded


_IPS = st.lists(st.integers(2, 250), min_size=3, max_size=3, unique=True)


@settings(max_examples=200, deadline=None)
@given(_IPS, _IPS, st.lists(st.integers(0, 2), min_size=1, max_size=6))
def test_consistent_renaming_matches_and_inconsistent_does_not(old, new, picks):
    recorded = [f"64 bytes from 172.17.0.{old[k]}: seq={n} ttl=64 time=0.1 ms" for n, k in enumerate(picks)]
    real = [f"64 bytes from 172.18.1.{new[k]}: seq={n} ttl=64 time=9.9 ms" for n, k in enumerate(picks)]
    assert PageComparator().compare(recorded, real).matched
    if len(set(picks)) > 1:  # merge two real addresses into one: a bijection violation
        merged = [line.replace(f"172.18.1.{new[picks[0]]}:", f"172.18.1.{new[picks[-1]]}:") for line in real]
        if merged != real:
            assert not PageComparator().compare(recorded, merged).matched
