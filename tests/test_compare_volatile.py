"""Volatile classes: each one found where it should be, never where it should not, and
matched across runs; with `data-volatile` turning classes off."""

from __future__ import annotations

import pytest

from docsexec.compare import PageComparator
from docsexec.compare.volatile import ALL_CLASS_NAMES, find_tokens


def compare(expected, actual, options=None):
    return PageComparator().compare(expected, actual, options)


def classes_in(line: str) -> list[tuple[str, str]]:
    return [(t.cls.name, t.value) for t in find_tokens(line, ALL_CLASS_NAMES)]


# (class, recorded line, the same line on another run)
RERUNS = [
    (
        "id",
        "4b3e7302489a0ec41796c29aea74dadea358ebb54156055c082fee3da68f7848",
        "77aa0cd1b2e34f56a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4",
    ),
    ("id", "d1d8e01c550f   bridge    bridge    local", "9a0c3b1d55e2   bridge    bridge    local"),
    (
        "id",
        "Digest: sha256:5acba83a746c7608ed544dc1533b87c737a0b0fb730301639a0179f9344b1678",
        "Digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ),
    (
        "bridge",
        "5: br-7a90a431cd30: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500",
        "5: br-0f3c2b1a9d8e: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500",
    ),
    (
        "swarm-id",
        "Swarm initialized: current node (svi05aovbeycfsxsvsiprj9y4) is now a manager.",
        "Swarm initialized: current node (k2l3m4n5o6p7q8r9s0t1u2v3w) is now a manager.",
    ),
    (
        "swarm-token",
        "    docker swarm join --token SWMTKN-1-1dib8o6xhxhcp73b9hotroi42ma1agzmoxwwv5388bf9ibb7al-5pa0ovvm5x8irzt0lela0u2j7 198.51.100.10:2377",
        "    docker swarm join --token SWMTKN-1-4a6nourqzjbm46k8vs1g29mnvz2kt414es7w18d96nlaqpqzpk-4o65nvvk8waenirtlvfwox828 198.51.100.10:2377",
    ),
    (
        "mac",
        "    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff",
        "    link/ether 5a:0f:c3:aa:19:e0 brd ff:ff:ff:ff:ff:ff",
    ),
    ("mac", "docker0\t\t8000.0242eb138857\tno\t\tveth6bd0b70", "docker0\t\t8000.024211880057\tno\t\tveth6bd0b70"),
    (
        "ipv4",
        "    inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0",
        "    inet 172.18.0.12/16 brd 172.18.255.255 scope global eth0",
    ),
    ("ipv4", '"Subnet": "172.17.0.0/16",', '"Subnet": "192.168.16.0/16",'),
    ("ipv6", "    inet6 fe80::42:acff:fe11:2/64 scope link", "    inet6 fe80::5c0f:c3ff:feaa:19e0/64 scope link"),
    ("ipv6", "dx-v6a 172.24.0.2/16 fd00:db8::2/64", "dx-v6a 172.24.0.2/16 fd00:db8::3/64"),
    ("port", "80/tcp -> 0.0.0.0:32769", "80/tcp -> 0.0.0.0:49153"),
    ("port", "80/tcp -> [::]:32768", "80/tcp -> [::]:49154"),
    (
        "port",
        "614bb8498c45   busybox   0.0.0.0:32768->80/tcp, :::32768->80/tcp   dx-web5",
        "614bb8498c45   busybox   0.0.0.0:49153->80/tcp, :::49153->80/tcp   dx-web5",
    ),
    (
        "veth",
        "18: veth8c57a51@if17: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500",
        "42: veth3f0e2b9@if41: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500",
    ),
    (
        "ifindex",
        "17: eth0@if18: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue",
        "41: eth0@if42: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue",
    ),
    (
        "ifindex",
        "25: eth0    inet 172.17.0.4/16 brd 172.17.255.255 scope global eth0",
        "31: eth0    inet 172.17.0.4/16 brd 172.17.255.255 scope global eth0",
    ),
    ("timestamp", '"Created": "2023-11-14T14:49:54.711635237+08:00",', '"Created": "2026-11-27T23:20:33.398599732Z",'),
    ("timestamp", "dx-a 2023-11-14 14:49:54 +0800 CST", "dx-a 2026-11-27 23:20:33 +0000 UTC"),
    (
        "ping-time",
        "64 bytes from 172.17.0.5: seq=0 ttl=64 time=0.334 ms",
        "64 bytes from 172.17.0.5: seq=0 ttl=64 time=12.5 ms",
    ),
    ("ping-time", "round-trip min/avg/max = 0.071/0.082/0.093 ms", "round-trip min/avg/max = 1.1/2.25/3.0 ms"),
    ("ping-time", "rtt min/avg/max/mdev = 0.050/0.060/0.070/0.010 ms", "rtt min/avg/max/mdev = 0.1/0.2/0.3/0.04 ms"),
    (
        "ping-time",
        "2 packets transmitted, 2 received, 0% packet loss, time 1001ms",
        "2 packets transmitted, 2 received, 0% packet loss, time 1002ms",
    ),
    ("lifetime", "       valid_lft 82207sec preferred_lft 82207sec", "       valid_lft 81126sec preferred_lft 1sec"),
    (
        "age",
        "614bb8498c45   busybox   2 seconds ago   Up 1 second   dx-a",
        "614bb8498c45   busybox   About a minute ago   Up Less than a second   dx-a",
    ),
    ("age", "Exited (0) 5 seconds ago", "Exited (0) 2 hours ago"),
    ("duration", "real\t0m 5.00s", "real\t0m 10.09s"),
    (
        "size",
        "busybox   latest    beae173ccac6   2 years ago   1.24MB",
        "busybox   latest    beae173ccac6   3 weeks ago   4.26MB",
    ),
    (
        "pid",
        'LISTEN 0 4096 127.0.0.1:8080 0.0.0.0:* users:(("docker-proxy",pid=12759,fd=4))',
        'LISTEN 0 4096 127.0.0.1:8080 0.0.0.0:* users:(("docker-proxy",pid=301,fd=4))',
    ),
]


@pytest.mark.parametrize("cls,recorded,real", RERUNS, ids=[f"{c}-{k}" for k, (c, _, _) in enumerate(RERUNS)])
def test_class_matches_another_run(cls, recorded, real):
    assert cls in [name for name, _ in classes_in(recorded)]
    result = compare([recorded], [real])
    assert result.matched, result.notes
    assert result.normalised == [recorded]


@pytest.mark.parametrize("cls,recorded,real", RERUNS, ids=[f"{c}-{k}" for k, (c, _, _) in enumerate(RERUNS)])
def test_class_can_be_turned_off(cls, recorded, real):
    result = compare([recorded], [real], {"volatile": f"-{cls}"})
    assert not result.matched


@pytest.mark.parametrize(
    "line",
    [
        "Error response from daemon: network with name dx-net1 already exists",
        "the container was added to the network bad cafe deadbeef facade",
        "decadeaccede",  # 12 hex letters, no digit: a word, not an ID
        "123456789012",  # 12 digits, no letter: a number, not an ID
        "ping: bad address 'dx-b'",
        "nameserver 127.0.0.11",
        "options ndots:0",
        "link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
        "inet 127.0.0.1/8 scope host lo",
        "inet6 ::1/128 scope host",
        "80/tcp -> 0.0.0.0:8080",  # a port chosen by the author stays literal
        "valid_lft forever preferred_lft forever",
        "3 packets transmitted, 3 packets received, 0% packet loss",
        "busybox 1.35.0 (Debian static)",
        '"FinishedAt": "0001-01-01T00:00:00Z",',
        "default via 172.17.0.1 dev eth0",  # only the address, not 'eth0'
        "12:34:56 up 3 days",
        "mtu 1500 qdisc noqueue state UP qlen 1000",
        "dx-vethA@dx-vethB: <BROADCAST,MULTICAST,UP>",
    ],
)
def test_no_false_volatiles(line):
    found = classes_in(line)
    assert all(name == "ipv4" for name, _ in found), found
    if line.startswith("default via"):
        assert found == [("ipv4", "172.17.0.1")]


def test_constants_must_match_literally():
    assert not compare(["inet 127.0.0.1/8 scope host lo"], ["inet 127.0.0.2/8 scope host lo"]).matched
    assert not compare(["nameserver 127.0.0.11"], ["nameserver 10.0.0.11"]).matched
    assert not compare(
        ["link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff"], ["link/ether 02:42:ac:11:00:02 brd 02:42:ac:11:00:03"]
    ).matched
    assert not compare(['"FinishedAt": "0001-01-01T00:00:00Z"'], ['"FinishedAt": "2026-01-01T00:00:00Z"']).matched
    # and a real value where the page recorded a constant is not accepted either
    assert not compare(["link/ether 00:00:00:00:00:00"], ["link/ether 02:42:ac:11:00:02"]).matched


def test_prefix_length_and_forever_stay_literal():
    assert not compare(["inet 172.17.0.2/16 brd"], ["inet 172.17.0.2/20 brd"]).matched
    assert not compare(["valid_lft forever preferred_lft forever"], ["valid_lft 3600sec preferred_lft 3600sec"]).matched


@pytest.mark.parametrize(
    "recorded,real",
    [
        (
            "17: eth0@if18: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500",
            "17: eth1@if18: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500",
        ),
        ("ping: bad address 'dx-b'", "ping: bad address 'dx-c'"),
        ("d1d8e01c550f   bridge    bridge    local", "d1d8e01c550f   bridge    macvlan   local"),
        (
            "3 packets transmitted, 3 packets received, 0% packet loss",
            "3 packets transmitted, 0 packets received, 100% packet loss",
        ),
        (
            "64 bytes from 172.17.0.5: seq=0 ttl=64 time=0.334 ms",
            "64 bytes from 172.17.0.5: seq=0 ttl=63 time=0.334 ms",
        ),
        ("Exited (0) 5 seconds ago", "Exited (137) 5 seconds ago"),
        ("Up 3 seconds", "Restarting 3 seconds"),
    ],
)
def test_non_volatile_changes_are_caught(recorded, real):
    assert not compare([recorded], [real]).matched


def test_free_classes_bind_nothing():
    cmp = PageComparator()
    assert cmp.compare(["time=0.334 ms", "time=0.334 ms"], ["time=1.0 ms", "time=2.0 ms"]).matched
    assert cmp.compare(["valid_lft 82207sec"], ["valid_lft 5sec"]).matched
    assert cmp.bindings.pairs() == []


def test_free_value_must_still_have_the_shape_of_its_class():
    assert not compare(["time=0.334 ms"], ["time=slow ms"]).matched
    assert not compare(["2 seconds ago"], ["soon ago"]).matched


def test_volatile_option_none_then_add_one():
    line, real = "inet 172.17.0.2/16 time=0.3 ms", "inet 172.17.0.3/16 time=0.9 ms"
    assert not compare([line], [real], {"volatile": "none"}).matched
    assert not compare([line], [real], {"volatile": "none +ping-time"}).matched
    assert compare([line], [real], {"volatile": "none +ping-time +ipv4"}).matched
    assert compare([line], [real], {"volatile": "none ipv4,ping-time"}).matched


TOKEN_A = "SWMTKN-1-1dib8o6xhxhcp73b9hotroi42ma1agzmoxwwv5388bf9ibb7al-5pa0ovvm5x8irzt0lela0u2j7"
TOKEN_B = "SWMTKN-1-4a6nourqzjbm46k8vs1g29mnvz2kt414es7w18d96nlaqpqzpk-4o65nvvk8waenirtlvfwox828"


def test_a_swarm_token_is_one_value_and_its_secret_is_no_swarm_id():
    """The 25-character secret at the token's end has the shape of a swarm ID: it is part of
    the token, not a value of its own."""
    assert classes_in(f"    docker swarm join --token {TOKEN_A} 198.51.100.10:2377") == [
        ("swarm-token", TOKEN_A),
        ("ipv4", "198.51.100.10"),
    ]


def test_a_swarm_token_is_bound_across_the_page():
    """The token `swarm init` printed must be the one `join-token` prints later in the run."""
    recorded = [f"--token {TOKEN_A}", TOKEN_A]
    assert compare(recorded, [f"--token {TOKEN_B}", TOKEN_B]).matched
    assert not compare(recorded, [f"--token {TOKEN_B}", TOKEN_A]).matched
