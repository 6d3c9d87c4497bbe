"""Author elisions: `...` lines (a proper alignment, not greedy) and `[..]` inside lines."""

from __future__ import annotations

from docsexec.compare import PageComparator


def compare(expected, actual, options=None):
    return PageComparator().compare(expected, actual, options)


def test_literal_match_writes_expected_byte_for_byte():
    expected = ["NETWORK ID     NAME      DRIVER    SCOPE", "  trailing  "]
    result = compare(expected, ["NETWORK ID     NAME      DRIVER    SCOPE", "  trailing"])
    assert result.matched and result.normalised == expected and result.notes == []


def test_literal_difference_is_caught_and_explained():
    result = compare(["ping: bad address 'dx-b'"], ["ping: unknown host 'dx-b'"])
    assert not result.matched
    assert result.normalised == ["ping: unknown host 'dx-b'"]
    assert result.notes == ["line 1: 'bad address' became 'unknown host'"]


def test_elision_spans_several_lines():
    assert compare(["A", "...", "C"], ["A", "B1", "B2", "C"]).matched


def test_elision_spans_zero_lines():
    assert compare(["A", "...", "C"], ["A", "C"]).matched


def test_elision_alignment_is_not_greedy():
    # The first C is not the anchor: the recorded C must be the last line.
    assert compare(["A", "...", "C"], ["A", "B1", "C", "B2", "C"]).matched


def test_elision_needs_its_anchors():
    result = compare(["A", "...", "C"], ["A", "B1", "C", "B2", "D"])
    assert not result.matched
    assert result.normalised == ["A", "...", "C", "B2", "D"]


def test_leading_and_trailing_elisions():
    assert compare(["...", "B", "..."], ["A", "B", "C"]).matched
    assert compare(["..."], []).matched
    assert compare(["..."], ["x", "y"]).matched
    assert not compare(["...", "B", "..."], ["A", "C"]).matched


def test_two_elisions_backtrack():
    expected = ["A", "...", "X", "Y", "...", "Z"]
    actual = ["A", "X", "q", "X", "Y", "r", "Z"]
    assert compare(expected, actual).matched


def test_inline_elision():
    expected = ["Unable to find image '[..]' locally", "Status: [..]"]
    actual = ["Unable to find image 'busybox:latest' locally", "Status: Downloaded newer image for busybox:latest"]
    result = compare(expected, actual)
    assert result.matched and result.normalised == expected


def test_inline_elision_keeps_surrounding_text_checked():
    assert not compare(["PING [..] (172.17.0.5): 56 data bytes"], ["PING dx-b (172.17.0.5): 64 data bytes"]).matched


def test_diverged_output_keeps_elisions_that_still_match():
    expected = ["Unable to find image '[..]' locally", "...", "/ # ip addr", "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536"]
    actual = [
        "Unable to find image 'busybox:latest' locally",
        "latest: Pulling from library/busybox",
        "Digest: sha256:5acba83a746c7608ed544dc1533b87c737a0b0fb730301639a0179f9344b1678",
        "/ # ip addr",
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 1500",
    ]
    result = compare(expected, actual)
    assert not result.matched
    assert result.normalised == [*expected[:3], "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 1500"]
    assert result.notes == ["line 4: '65536' became '1500'"]


def test_missing_and_new_lines_are_noted():
    result = compare(["a", "b", "c"], ["a", "c", "d"])
    assert not result.matched
    assert result.normalised == ["a", "c", "d"]
    assert any("line 2: missing" in n for n in result.notes)
    assert any("new line 'd'" in n for n in result.notes)


def test_elisions_off_makes_dots_literal():
    assert not compare(["..."], ["x"], {"elisions": "off"}).matched
    assert compare(["..."], ["..."], {"elisions": "off"}).matched
    assert not compare(["a[..]"], ["abc"], {"elisions": "off"}).matched
