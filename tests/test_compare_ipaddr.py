"""The `ip addr` model (docsexec/compare/ipaddr.py): headers, and what relations, stanzas and
the ifindex volatile class read from them."""

from __future__ import annotations

from docsexec.compare.ipaddr import Header, interface_facts, parse_header, select_stanza
from docsexec.compare.volatile import find_tokens

BUSYBOX = [
    "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000",
    "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
    "    inet 127.0.0.1/8 scope host lo",
    "       valid_lft forever preferred_lft forever",
    "17: eth0@if18: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue",
    "    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff",
    "    inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0",
    "       valid_lft forever preferred_lft forever",
]
IPROUTE2_ETH0 = [
    "17: eth0@if18: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default",
    "    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0",
    "    inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0",
    "       valid_lft forever preferred_lft forever",
    "    inet6 fe80::42:acff:fe11:2/64 scope link",
    "       valid_lft forever preferred_lft forever",
]


def test_a_stanza_header_gives_index_name_and_peer() -> None:
    assert parse_header("17: eth0@if18: <BROADCAST,UP> mtu 1500") == Header("17", "eth0", "if18", one_line=False)
    assert parse_header("5: br-7a90a431cd30: <NO-CARRIER>") == Header("5", "br-7a90a431cd30", None, one_line=False)
    assert parse_header("4: eth0.50@eth0: <UP>") == Header("4", "eth0.50", "eth0", one_line=False)


def test_an_ip_o_record_is_a_one_line_header() -> None:
    assert parse_header("25: eth0    inet 172.17.0.4/16 scope global eth0") == Header("25", "eth0", None, one_line=True)


def test_lines_that_are_not_headers() -> None:
    for line in (
        "    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff",
        "    inet 172.17.0.2/16 scope global eth0",
        "17:eth0: <UP>",  # iproute2 and busybox always put a space after the index
        "eth0: <UP>",
        "1: eth0",  # a name must end with ':' or white space, not the line
        "PING 10.0.0.2 (10.0.0.2): 56 data bytes",
    ):
        assert parse_header(line) is None, line


def test_the_ifindex_class_is_the_header_index_and_the_peer_index() -> None:
    tokens = find_tokens("17: eth0@if18: <BROADCAST,UP> mtu 1500", {"ifindex"})
    assert [(t.value, t.start) for t in tokens] == [("17", 0), ("18", 11)]
    assert find_tokens("    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff", {"ifindex"}) == []
    assert find_tokens("1: eth0", {"ifindex"}) == []


def test_stanza_selection_uses_the_header_name_not_a_mention() -> None:
    lines = ["5: veth1@if4: <UP> master docker0 state UP", "    link/ether a", "6: docker0: <UP>", "    inet x"]
    assert select_stanza(lines, "docker0") == lines[2:]
    assert select_stanza(lines, "veth1") == lines[:2]
    assert select_stanza(["3: veth0@if2: <UP>", "    x"], "eth0") == []


def test_interface_facts_agree_between_busybox_and_iproute2() -> None:
    facts = interface_facts(BUSYBOX, "eth0")
    assert facts == ["eth0 link=02:42:ac:11:00:02 inet=172.17.0.2/16"]
    assert interface_facts(IPROUTE2_ETH0) == [
        "eth0 link=02:42:ac:11:00:02 inet=172.17.0.2/16 inet6=fe80::42:acff:fe11:2/64"
    ]


def test_interface_facts_list_every_interface_in_order() -> None:
    assert interface_facts(BUSYBOX) == [
        "lo link=00:00:00:00:00:00 inet=127.0.0.1/8",
        "eth0 link=02:42:ac:11:00:02 inet=172.17.0.2/16",
    ]


def test_interface_facts_skip_text_before_the_first_header_and_ip_o_records() -> None:
    lines = ["    inet 10.0.0.1/24 scope global x", "2: eth0    inet 10.0.0.2/24 scope global eth0", *BUSYBOX[4:6]]
    assert interface_facts(lines) == ["eth0 link=02:42:ac:11:00:02"]
    assert interface_facts(BUSYBOX, "eth1") == []
