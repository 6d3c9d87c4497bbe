"""JSON outputs compared as data: key order, subsets, ID-keyed maps, elisions, write-back."""

from __future__ import annotations

import json

from docsexec.compare import PageComparator
from test_compare_samples import NETWORK_INSPECT, NEXT_RUN, rerun

OLD_CONTAINER = "4b3e7302489a0ec41796c29aea74dadea358ebb54156055c082fee3da68f7848"
NEW_CONTAINER = NEXT_RUN[OLD_CONTAINER]


def doc(lines):
    return json.loads("\n".join(lines))


def dump(value, indent=4):
    return json.dumps(value, indent=indent).splitlines()


def next_run(new_key=False):
    """The network inspect of another run: new IDs and addresses, keys in another order and,
    with `new_key`, a key the recording never had (as a newer engine prints it)."""
    value = doc(rerun(NETWORK_INSPECT, NEXT_RUN))
    net = dict(reversed(list(value[0].items())))
    value[0] = {"EnableIPv4": True, **net} if new_key else net
    return value


def test_same_data_other_run_matches_and_writes_recording():
    result = PageComparator().compare(NETWORK_INSPECT, dump(next_run()))
    assert result.matched, result.notes
    assert result.normalised == NETWORK_INSPECT
    assert result.literal == dump(next_run())  # update writes this run, byte for byte
    assert result.refusal is None


def test_compact_single_line_json():
    recorded = ['[{"Subnet":"10.210.0.0/24","IPRange":"10.210.0.128/25","Gateway":"10.210.0.254"}]']
    real = ['[{"Gateway":"10.211.0.254","Subnet":"10.211.0.0/24","IPRange":"10.211.0.128/25"}]']
    assert PageComparator().compare(recorded, real).matched
    real_bad = ['[{"Gateway":"10.211.0.254","Subnet":"10.211.0.0/25","IPRange":"10.211.0.128/25"}]']
    assert not PageComparator().compare(recorded, real_bad).matched


def test_a_recorded_subset_needs_its_elision_marked():
    recorded = ["[", "    {", '        "Name": "bridge",', '        "Driver": "bridge"', "    }", "]"]
    unmarked = PageComparator().compare(recorded, dump(next_run()))
    assert not unmarked.matched
    assert unmarked.notes[0].startswith("$[0]: keys not recorded (and no `...` marks an omission):")
    assert unmarked.refusal is not None and "without a `...` line" in unmarked.refusal
    marked = ["[", "    {", '        "Name": "bridge",', "        ...", '        "Driver": "bridge"', "    }", "]"]
    result = PageComparator().compare(marked, dump(next_run(new_key=True)))
    assert result.matched, result.notes
    real = dump(next_run(new_key=True))
    # literal: the run's own lines, in its order, one `...` per run of keys left out
    kept = [line for line in real if line.startswith(('        "Name"', '        "Driver"'))]
    assert [line for line in result.literal if line.strip() != "..."] == ["[", "    {", *kept, "    }", "]"]
    assert result.literal.count("        ...") >= 1
    again = PageComparator().compare(result.literal, real)
    assert again.matched and again.literal == result.literal  # idempotent


def test_key_recorded_but_missing_is_a_divergence():
    real = next_run()
    del real[0]["Internal"]
    result = PageComparator().compare(NETWORK_INSPECT, dump(real))
    assert not result.matched
    assert result.notes == ["$[0]: key 'Internal' is missing from the output"]
    assert '        "Internal": false,' not in result.normalised


def test_strict_json_rejects_unrecorded_keys():
    result = PageComparator().compare(NETWORK_INSPECT, dump(next_run(new_key=True)), {"json": "strict"})
    assert not result.matched
    assert result.notes == ["$[0]: keys not recorded (and no `...` marks an omission): 'EnableIPv4'"]
    assert '        "EnableIPv4": true' in result.normalised


def test_json_off_compares_text():
    result = PageComparator().compare(NETWORK_INSPECT, dump(next_run()), {"json": "off"})
    assert not result.matched


def test_id_keyed_map_matches_through_bindings():
    cmp = PageComparator()
    assert cmp.compare([OLD_CONTAINER], [NEW_CONTAINER]).matched  # docker run -d printed it
    assert cmp.compare(NETWORK_INSPECT, dump(next_run())).matched
    # the map holds another container than the one run earlier: caught
    cmp = PageComparator()
    assert cmp.compare([OLD_CONTAINER], ["0" * 12 + "a" * 52]).matched
    result = cmp.compare(NETWORK_INSPECT, dump(next_run()))
    assert not result.matched
    assert any("Containers" in note for note in result.notes)


def test_id_keyed_map_with_two_entries_pairs_by_content():
    recorded = {
        "Containers": {
            "0623" + "a1" * 30: {"Name": "dx-c2", "IPv4Address": "172.19.0.3/16"},
            "8db6" + "b2" * 30: {"Name": "dx-c1", "IPv4Address": "172.19.0.2/16"},
        }
    }
    real = {
        "Containers": {
            "1111" + "c3" * 30: {"Name": "dx-c1", "IPv4Address": "172.20.0.2/16"},
            "2222" + "d4" * 30: {"Name": "dx-c2", "IPv4Address": "172.20.0.3/16"},
        }
    }
    assert PageComparator().compare(dump(recorded), dump(real)).matched
    real["Containers"]["2222" + "d4" * 30]["Name"] = "dx-c3"
    result = PageComparator().compare(dump(recorded), dump(real))
    assert not result.matched


def test_values_use_the_same_bindings_as_text():
    cmp = PageComparator()
    assert cmp.compare(NETWORK_INSPECT, dump(next_run())).matched
    assert cmp.compare(
        ["PING 172.17.0.2 (172.17.0.2): 56 data bytes"], ["PING 172.18.0.2 (172.18.0.2): 56 data bytes"]
    ).matched
    assert not cmp.compare(
        ["PING 172.17.0.2 (172.17.0.2): 56 data bytes"], ["PING 172.18.0.3 (172.18.0.3): 56 data bytes"]
    ).matched


def test_scalars_and_types():
    assert not PageComparator().compare(['{"EnableIPv6": false}'], ['{"EnableIPv6": true}']).matched
    assert not PageComparator().compare(['{"Options": null}'], ['{"Options": {}}']).matched
    assert not PageComparator().compare(['{"IPPrefixLen": 16}'], ['{"IPPrefixLen": "16"}']).matched
    assert PageComparator().compare(['{"State": {"Pid": 4242}}'], ['{"State": {"Pid": 777}}']).matched
    assert (
        not PageComparator()
        .compare(['{"State": {"Pid": 4242}}'], ['{"State": {"Pid": 777}}'], {"volatile": "-pid"})
        .matched
    )


def test_host_port_in_json_is_an_ephemeral_port():
    recorded = ['{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"32768"},{"HostIp":"::","HostPort":"32768"}]}']
    real = ['{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"49153"},{"HostIp":"::","HostPort":"49153"}]}']
    assert PageComparator().compare(recorded, real).matched
    split = ['{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"49153"},{"HostIp":"::","HostPort":"49154"}]}']
    assert not PageComparator().compare(recorded, split).matched  # one recorded port, two real
    chosen = ['{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}]}']
    assert not PageComparator().compare(chosen, ['{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8081"}]}']).matched


def test_lists_are_ordered():
    assert not PageComparator().compare(['["dx-search", "33f783b67cf7"]'], ['["33f783b67cf7", "dx-search"]']).matched
    assert not PageComparator().compare(['["a", "b"]'], ['["a", "b", "c"]']).matched


def test_lists_of_named_objects_match_by_name():
    recorded = [{"Name": "dx-a", "Id": "1" * 12 + "a" * 52}, {"Name": "dx-b", "Id": "2" * 12 + "b" * 52}]
    real = [{"Name": "dx-b", "Id": "3" * 12 + "c" * 52}, {"Name": "dx-a", "Id": "4" * 12 + "d" * 52}]
    assert PageComparator().compare(dump(recorded), dump(real)).matched
    assert not PageComparator().compare(dump(recorded), dump(real[:1])).matched


def test_elision_lines_inside_json():
    recorded = [
        "[",
        "    {",
        '        "Name": "bridge",',
        "        ...",
        '        "Containers": {',
        "            ...",
        "        },",
        "        ...",
        "    }",
        "]",
    ]
    result = PageComparator().compare(recorded, dump(next_run()))
    assert result.matched and result.normalised == recorded


def test_elision_in_a_list_allows_more_elements():
    recorded = ["[", '    "dx-search",', "    ...", "]"]
    assert PageComparator().compare(recorded, ['["dx-search", "33f783b67cf7"]']).matched
    assert not PageComparator().compare(recorded, ['["33f783b67cf7"]']).matched


def test_inline_elision_in_a_json_string():
    assert (
        PageComparator()
        .compare(
            ['{"HostnamePath": "/var/lib/docker/containers/[..]/hostname"}'],
            ['{"HostnamePath": "/srv/docker/containers/x/hostname"}'],
        )
        .matched
        is False
    )
    assert (
        PageComparator()
        .compare(
            ['{"HostnamePath": "/var/lib/docker/containers/[..]/hostname"}'],
            ['{"HostnamePath": "/var/lib/docker/containers/x/hostname"}'],
        )
        .matched
    )


def test_written_keeps_recorded_layout_and_changes_only_divergent_leaves():
    real = next_run()
    real[0]["Driver"] = "macvlan"
    real[0]["Containers"][NEW_CONTAINER]["Name"] = "other"
    result = PageComparator().compare(NETWORK_INSPECT, dump(real))
    assert not result.matched
    assert result.notes == [
        "$[0].Driver: 'bridge' became 'macvlan'",
        "$[0].Containers['4b3e7302489a…'].Name: 'mybox' became 'other'",
    ]
    expected = [
        line.replace('"Driver": "bridge"', '"Driver": "macvlan"').replace('"mybox"', '"other"')
        for line in NETWORK_INSPECT
    ]
    assert result.normalised == expected  # same IDs and addresses as the page, same layout, no new keys


def test_written_for_a_subset_stays_a_subset():
    recorded = dump(
        [{"Name": "bridge", "Driver": "bridge", "IPAM": {"Config": [{"Subnet": "172.17.0.0/16"}]}}], indent=2
    )
    real = next_run()
    real[0]["IPAM"]["Config"][0]["Subnet"] = "172.18.0.0/20"
    result = PageComparator().compare(recorded, dump(real))
    assert not result.matched
    assert result.normalised == dump(
        [{"Name": "bridge", "Driver": "bridge", "IPAM": {"Config": [{"Subnet": "172.17.0.0/20"}]}}], indent=2
    )


def test_not_json_on_one_side_falls_back_to_lines():
    recorded = ["[]", "Error response from daemon: network dx-nonexistent not found"]
    assert PageComparator().compare(recorded, list(recorded)).matched
    result = PageComparator().compare(["[]"], ["[]", "Error response from daemon: network dx-x not found"])
    assert not result.matched


def test_json_lines_compare_per_line_as_data():
    recorded = [
        '{"Driver":"bridge","ID":"d1d8e01c550f","Name":"bridge","Scope":"local"}',
        '{"Driver":"host","ID":"ea6e8c7b7b95","Name":"host","Scope":"local"}',
    ]
    real = [
        '{"CreatedAt":"2026-11-27 23:20:33.3 +0000 UTC","Driver":"bridge","ID":"9a0c3b1d55e2","IPv6":"false","Name":"bridge","Scope":"local"}',
        '{"CreatedAt":"2026-11-27 23:20:33.3 +0000 UTC","Driver":"host","ID":"77aa0cd1b2e3","IPv6":"false","Name":"host","Scope":"local"}',
    ]
    assert not PageComparator().compare(recorded, real).matched  # a line cannot mark an omission
    recorded = [line.replace("9a0c3b1d55e2", "d1d8e01c550f").replace("77aa0cd1b2e3", "ea6e8c7b7b95") for line in real]
    result = PageComparator().compare(recorded, real)
    assert result.matched and result.normalised == recorded and result.literal == real
    assert PageComparator().compare(recorded, real, {"json": "strict"}).matched
    reordered = [
        recorded[0].replace('"Driver":"bridge","ID":"d1d8e01c550f"', '"ID":"d1d8e01c550f","Driver":"bridge"'),
        recorded[1],
    ]
    assert PageComparator().compare(reordered, real).matched
    assert not PageComparator().compare(reordered, real, {"json": "off"}).matched
    wrong = [real[0], real[1].replace('"Driver":"host"', '"Driver":"null"')]
    assert not PageComparator().compare(recorded, wrong).matched
    same_id = [real[0], real[1].replace("77aa0cd1b2e3", "9a0c3b1d55e2")]
    assert not PageComparator().compare(recorded, same_id).matched  # bijection still holds


def test_json_lines_follow_the_document_rules_id_keyed_maps_included():
    # One matcher for documents and lines: a map keyed by container IDs on one line is
    # matched through the page bindings, like the same map in a whole document.
    line = json.dumps({"Containers": {OLD_CONTAINER: {"Name": "mybox"}}, "Driver": "bridge"})
    real = json.dumps({"Containers": {NEW_CONTAINER: {"Name": "mybox"}}, "Driver": "bridge"})
    cmp = PageComparator()
    assert cmp.compare([OLD_CONTAINER], [NEW_CONTAINER]).matched
    result = cmp.compare(["networks:", line, "done"], ["networks:", real, "done"])
    assert result.matched and result.normalised == ["networks:", line, "done"]
    # the same recorded ID standing for another container on the next line: caught
    other = "0" * 12 + "a" * 52
    cmp = PageComparator()
    assert cmp.compare([OLD_CONTAINER], [NEW_CONTAINER]).matched
    clash = real.replace(NEW_CONTAINER, other)
    result = cmp.compare(["networks:", line], ["networks:", clash])
    assert not result.matched
    assert any("line 2" in note for note in result.notes)


def test_json_lines_named_lists_and_strict_keys_as_in_documents():
    recorded = json.dumps({"Mounts": [{"Name": "a", "RW": True}, {"Name": "b", "RW": False}]})
    reordered = json.dumps({"Mounts": [{"Name": "b", "RW": False}, {"Name": "a", "RW": True}]})
    assert PageComparator().compare(["x", recorded], ["x", reordered]).matched
    flipped = reordered.replace("false", "true")
    assert not PageComparator().compare(["x", recorded], ["x", flipped]).matched
    extra = json.dumps({"Mounts": [{"Name": "b", "RW": False}, {"Name": "a", "RW": True, "Mode": ""}]})
    assert not PageComparator().compare(["x", recorded], ["x", extra]).matched  # no `...` on one line
    assert not PageComparator().compare(["x", recorded], ["x", extra], {"json": "strict"}).matched


def test_a_long_key_that_names_the_value_is_never_cut():
    from docsexec.compare import PageComparator

    recorded = ['{"Options": {"com.docker.network.bridge.name": "docker0"}}']
    real = ['{"Options": {"com.docker.network.bridge.name": "br0"}}']
    result = PageComparator().compare(recorded, real)
    assert not result.matched
    assert any("$.Options['com.docker.network.bridge.name']" in note for note in result.notes), result.notes


def test_an_added_line_has_one_wording():
    from docsexec.compare import PageComparator

    blank = PageComparator().compare(["a", "", "c"], ["a", "b", "c"])
    extra = PageComparator().compare(["a", "c"], ["a", "b", "c"])
    assert any("new line 'b'" in n for n in blank.notes), blank.notes
    assert any("new line 'b'" in n for n in extra.notes), extra.notes
