"""Page-wide bindings: a recorded volatile value stands for one real value everywhere on the
page, and the other way round (a bijection). Also relations (data-same-as), pinned command
values, and how `written` keeps bound values on divergence."""

from __future__ import annotations

from docsexec.compare import PageComparator
from test_compare_samples import CONTAINER_IP_ADDR, HOST_IP_ADDR, NEXT_RUN, PING, rerun


def test_consistent_values_across_outputs_match():
    cmp = PageComparator()
    assert cmp.compare(["172.17.0.3"], ["172.18.0.7"]).matched  # docker inspect -f ...IPAddress
    assert cmp.compare(PING, rerun(PING, NEXT_RUN)).matched  # ping reaches that address


def test_one_recorded_value_meeting_two_real_values_fails():
    cmp = PageComparator()
    assert cmp.compare(["172.17.0.3"], ["172.18.0.7"]).matched
    result = cmp.compare(
        ["PING 172.17.0.3 (172.17.0.3): 56 data bytes"], ["PING 172.18.0.9 (172.18.0.9): 56 data bytes"]
    )
    assert not result.matched
    assert result.notes == [
        "line 1: recorded 172.17.0.3 stood for 172.18.0.7 earlier on this page, but here the output has 172.18.0.9"
    ]


def test_two_recorded_values_meeting_one_real_value_fails():
    cmp = PageComparator()
    assert cmp.compare(["dx-c1 172.17.0.2/16"], ["dx-c1 172.18.0.2/16"]).matched
    result = cmp.compare(["dx-c2 172.17.0.3/16"], ["dx-c2 172.18.0.2/16"])
    assert not result.matched
    assert "172.18.0.2 in the output was recorded as 172.17.0.2 earlier on this page" in result.notes[0]


def test_bijection_is_checked_within_one_output():
    assert not PageComparator().compare(["a 172.17.0.2", "b 172.17.0.2"], ["a 10.0.0.1", "b 10.0.0.2"]).matched
    assert not PageComparator().compare(["a 172.17.0.2", "b 172.17.0.3"], ["a 10.0.0.1", "b 10.0.0.1"]).matched
    assert PageComparator().compare(["a 172.17.0.2", "b 172.17.0.2"], ["a 10.0.0.1", "b 10.0.0.1"]).matched


def test_classes_bind_separately():
    # the same digits as an ifindex and inside an address are different things
    assert (
        PageComparator()
        .compare(["17: eth0@if18: <UP>", "x 172.17.0.17"], ["5: eth0@if6: <UP>", "x 172.17.0.17"])
        .matched
    )


def test_full_id_binds_its_short_form():
    cmp = PageComparator()
    full, real_full = "ba38ffbab8f9c0c5f8b4f7a0b3f4449eac1e3a260f4d144d32efa60c7c16ae43", "0fe5a20f26a3" + "7" * 52
    assert cmp.compare([full], [real_full]).matched  # docker network create
    assert cmp.compare(
        ["ba38ffbab8f9   dx-net1   bridge    local"], ["0fe5a20f26a3   dx-net1   bridge    local"]
    ).matched
    assert not cmp.compare(
        ["ba38ffbab8f9   dx-net2   bridge    local"], ["1234567890ab   dx-net2   bridge    local"]
    ).matched


def test_bridge_name_is_bound_to_the_network_id():
    cmp = PageComparator()
    assert cmp.compare(
        ["593a73561f37   dx-sub    bridge    local"], ["4bf5f577018b   dx-sub    bridge    local"]
    ).matched
    assert cmp.compare(
        ["43: br-593a73561f37    inet 10.210.0.254/24"], ["9: br-4bf5f577018b    inet 10.210.0.254/24"]
    ).matched
    assert not cmp.compare(
        ["-A FORWARD -i br-593a73561f37 -j ACCEPT"], ["-A FORWARD -i br-98b701c6531c -j ACCEPT"]
    ).matched


def test_container_and_host_sides_of_a_veth_pair_stay_paired():
    cmp = PageComparator()
    container = rerun(CONTAINER_IP_ADDR, NEXT_RUN)
    assert cmp.compare(CONTAINER_IP_ADDR, container).matched
    assert cmp.compare(HOST_IP_ADDR, rerun(HOST_IP_ADDR, NEXT_RUN)).matched
    # a host whose veth points at another interface index breaks the pair
    cmp = PageComparator()
    assert cmp.compare(CONTAINER_IP_ADDR, container).matched
    wrong = [line.replace("@if41", "@if43") for line in rerun(HOST_IP_ADDR, NEXT_RUN)]
    result = cmp.compare(HOST_IP_ADDR, wrong)
    assert not result.matched
    assert any("recorded 17 stood for 41" in note for note in result.notes)


def test_bindings_of_a_diverged_output_are_kept_for_later_outputs():
    cmp = PageComparator()
    result = cmp.compare(
        ["inet 172.17.0.2/16 scope global eth0", "Error: gone"],
        ["inet 172.18.0.5/16 scope global eth0", "Error: changed"],
    )
    assert not result.matched
    assert not cmp.compare(["172.17.0.2"], ["172.18.0.6"]).matched


def test_written_keeps_recorded_values_that_are_bound():
    cmp = PageComparator()
    assert cmp.compare(["172.17.0.2"], ["172.18.0.2"]).matched
    result = cmp.compare(
        ["PING 172.17.0.2 (172.17.0.2): 56 data bytes", "64 bytes from 172.17.0.2: seq=0 ttl=64 time=0.3 ms"],
        [
            "PING 172.18.0.2 (172.18.0.2): 56 data bytes",
            "64 bytes from 172.18.0.2: seq=0 ttl=64 time=0.9 ms",
            "extra 172.18.0.9",
        ],
    )
    assert not result.matched
    assert result.normalised == [
        "PING 172.17.0.2 (172.17.0.2): 56 data bytes",
        "64 bytes from 172.17.0.2: seq=0 ttl=64 time=0.3 ms",
        "extra 172.18.0.9",  # a new, unbound value is written as it really is
    ]


def test_a_changed_line_keeps_its_recorded_values_and_their_bindings():
    cmp = PageComparator()
    result = cmp.compare(
        ["17: eth0@if18: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue"],
        ["41: eth0@if42: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP"],
    )
    assert not result.matched
    assert result.normalised == ["17: eth0@if18: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP"]
    # so the host side, recorded with the same numbers, still matches afterwards
    assert cmp.compare(["18: veth8c57a51@if17: <UP>"], ["42: veth3f0e2b9@if41: <UP>"]).matched


def test_relation_whole_output():
    cmp = PageComparator()
    host_real = rerun(HOST_IP_ADDR, NEXT_RUN)
    assert cmp.compare(HOST_IP_ADDR, host_real).matched
    # docker run --network host ... ip addr: the same interfaces (lifetimes have moved on)
    in_container = [line.replace("82207sec", "81126sec") for line in host_real]
    assert cmp.compare_relation(HOST_IP_ADDR, in_container).matched
    changed = [line.replace("docker0", "docker1") for line in in_container]
    assert not cmp.compare_relation(HOST_IP_ADDR, changed).matched


def test_relation_stanza():
    cmp = PageComparator()
    target_real = rerun(CONTAINER_IP_ADDR, NEXT_RUN)
    assert cmp.compare(CONTAINER_IP_ADDR, target_real).matched
    joined = ["1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000", *target_real[4:]]
    assert cmp.compare_relation(CONTAINER_IP_ADDR, joined, stanza="eth0").matched
    other = [line.replace("172.18.0.2/16", "172.18.0.3/16") for line in joined]
    result = cmp.compare_relation(CONTAINER_IP_ADDR, other, stanza="eth0")
    assert not result.matched and "recorded 172.17.0.2 stood for 172.18.0.2" in result.notes[0]


def test_relation_stanza_missing():
    cmp = PageComparator()
    result = cmp.compare_relation(CONTAINER_IP_ADDR, ["1: lo: <LOOPBACK> mtu 65536"], stanza="eth0")
    assert not result.matched and result.notes == ["stanza 'eth0' is not in this block's output"]
    result = cmp.compare_relation(CONTAINER_IP_ADDR, CONTAINER_IP_ADDR, stanza="eth9")
    assert not result.matched and result.notes == ["stanza 'eth9' is not in the referenced output"]


def test_note_command_pins_typed_values():
    cmp = PageComparator()
    cmp.note_command("docker run -d --name dx-s1 --network dx-sub --ip 10.210.0.10 busybox sleep 900")
    assert not cmp.compare(
        ["10.210.0.0/24 dev eth0 scope link  src 10.210.0.10"], ["10.210.0.0/24 dev eth0 scope link  src 10.210.0.2"]
    ).matched
    cmp = PageComparator()
    cmp.note_command("docker exec dx-a ping -c1 172.17.0.5")
    assert cmp.compare(
        ["PING 172.17.0.5 (172.17.0.5): 56 data bytes"], ["PING 172.17.0.5 (172.17.0.5): 56 data bytes"]
    ).matched
    cmp.note_command("docker run --ip 10.1.0.9 busybox", {"volatile": "-ipv4"})  # class off: nothing pinned
    assert cmp.compare(["10.1.0.9"], ["10.1.0.8"]).matched


def test_netnsid_is_bound_across_the_page():
    """The kernel numbers peer namespaces lazily: 0 on one run, 1 on another, but one
    container's namespace keeps one number on a page."""
    from docsexec.compare import PageComparator

    line = "    link/ether 0e:b5:f8:15:c4:87 brd ff:ff:ff:ff:ff:ff link-netnsid {}"
    same = PageComparator()
    assert same.compare([line.format(0)], [line.format(1)]).matched
    assert same.compare([line.format(0)], [line.format(1)]).matched
    split = PageComparator()
    assert split.compare([line.format(0)], [line.format(1)]).matched
    assert not split.compare([line.format(0)], [line.format(2)]).matched


def test_a_conflict_with_a_value_from_an_unrecorded_output_says_so():
    cmp = PageComparator()
    assert not cmp.compare([], ["172.18.0.7"]).matched  # the page records nothing here
    result = cmp.compare(
        ["PING 172.18.0.7 (172.18.0.7): 56 data bytes"], ["PING 172.18.0.9 (172.18.0.9): 56 data bytes"]
    )
    assert not result.matched
    assert "in an output the page does not record" in result.notes[0]


def test_a_conflict_with_a_recorded_value_does_not_mention_unrecorded_outputs():
    cmp = PageComparator()
    assert cmp.compare(["172.17.0.3"], ["172.18.0.7"]).matched
    result = cmp.compare(
        ["PING 172.17.0.3 (172.17.0.3): 56 data bytes"], ["PING 172.18.0.9 (172.18.0.9): 56 data bytes"]
    )
    assert "does not record" not in result.notes[0]
