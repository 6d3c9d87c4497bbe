"""Tables (`docker ps`, `docker network ls`, `docker images`): compared cell by cell so a
volatile value of another length, which re-pads the columns, is not a divergence."""

from __future__ import annotations

from docsexec.compare import PageComparator
from test_compare_samples import DOCKER_PS, NETWORK_LS

PS_LATER = [
    "CONTAINER ID   IMAGE     COMMAND       CREATED              STATUS              PORTS     NAMES",
    '8db6f739d1fb   busybox   "sleep 900"   About a minute ago   Up About a minute             dx-a',
]


def test_repadded_row_matches_and_writes_recording():
    result = PageComparator().compare(DOCKER_PS, PS_LATER)
    assert result.matched and result.normalised == DOCKER_PS


def test_cells_still_compared_literally():
    changed = [PS_LATER[0], PS_LATER[1].replace("dx-a", "dx-b")]
    assert not PageComparator().compare(DOCKER_PS, changed).matched
    moved = [PS_LATER[0], PS_LATER[1].replace('"sleep 900"', '"sleep 901"')]
    assert not PageComparator().compare(DOCKER_PS, moved).matched


def test_cell_count_must_agree():
    with_port = [PS_LATER[0], PS_LATER[1].replace("             dx-a", "   80/tcp    dx-a")]
    assert not PageComparator().compare(DOCKER_PS, with_port).matched


def test_table_exact_option_requires_same_spacing():
    assert not PageComparator().compare(DOCKER_PS, PS_LATER, {"table": "exact"}).matched
    assert PageComparator().compare(DOCKER_PS, list(DOCKER_PS), {"table": "exact"}).matched


def test_single_spaces_are_not_cell_separators():
    assert (
        not PageComparator().compare(["default via 172.17.0.1 dev eth0"], ["default  via 172.17.0.1 dev eth0"]).matched
    )


def test_network_ls_driver_change_is_caught_and_written_with_real_spacing():
    real = [
        "NETWORK ID     NAME             DRIVER    SCOPE",
        "a1a1e01c550f   bridge           bridge    local",
        "b2b2b4c0a8ea   custom_network   macvlan   local",
        "c3c3e01c550f   host             host      local",
        "d4d4e01c550f   none             null      local",
    ]
    result = PageComparator().compare(NETWORK_LS, real)
    assert not result.matched
    assert result.notes == ["line 3: 'bridge' became 'macvlan'"]
    assert result.normalised == [*NETWORK_LS[:2], "0994c160a8ea   custom_network   macvlan   local", *NETWORK_LS[3:]]


def test_diverged_table_keeps_matching_rows_aligned_with_real_columns():
    real = [*PS_LATER, '3c74c9d622ac   busybox   "sleep 900"   About a minute ago   Up About a minute             dx-b']
    result = PageComparator().compare(DOCKER_PS, real)
    assert not result.matched
    assert result.normalised == [
        "CONTAINER ID   IMAGE     COMMAND       CREATED              STATUS              PORTS     NAMES",
        '614bb8498c45   busybox   "sleep 900"   2 seconds ago        Up 1 second                   dx-a',
        '3c74c9d622ac   busybox   "sleep 900"   About a minute ago   Up About a minute             dx-b',
    ]
