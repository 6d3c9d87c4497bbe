"""select_stanza: one interface's stanza of `ip addr` / `ip link` output."""

from __future__ import annotations

from docsexec.compare import select_stanza
from test_compare_samples import CONTAINER_IP_ADDR, HOST_IP_ADDR


def test_eth0_stanza_of_a_container():
    assert select_stanza(CONTAINER_IP_ADDR, "eth0") == CONTAINER_IP_ADDR[4:]


def test_lo_stanza_stops_at_the_next_unindented_line():
    assert select_stanza(CONTAINER_IP_ADDR, "lo") == CONTAINER_IP_ADDR[:4]


def test_whole_word_only():
    lines = ["3: veth0@if2: <UP>", "    link/ether", "4: eth0.50@eth0: <UP>", "    x", "5: eth0: <UP>", "    y"]
    assert select_stanza(lines, "eth0") == ["5: eth0: <UP>", "    y"]
    assert select_stanza(lines, "eth") == []


def test_interface_named_by_its_own_header_wins_over_a_mention():
    lines = [
        "5: veth1@if4: <UP> mtu 1500 master docker0 state UP",
        "    link/ether a",
        "6: docker0: <UP>",
        "    inet 172.17.0.1/16",
    ]
    assert select_stanza(lines, "docker0") == lines[2:]


def test_host_stanzas_and_one_line_form():
    assert select_stanza(HOST_IP_ADDR, "docker0")[0].startswith("6: docker0:")
    assert len(select_stanza(HOST_IP_ADDR, "docker0")) == 6
    one_line = [
        "1: lo    inet 127.0.0.1/8 scope host lo",
        "25: eth0    inet 172.17.0.4/16 brd 172.17.255.255 scope global eth0",
    ]
    assert select_stanza(one_line, "eth0") == one_line[1:]


def test_missing_stanza_is_empty():
    assert select_stanza(CONTAINER_IP_ADDR, "eth1") == []
    assert select_stanza([], "eth0") == []
