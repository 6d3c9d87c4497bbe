"""Comparator options: the scanner validates them (file:line) before any run."""

from __future__ import annotations

import pytest

from docsexec.compare import PageComparator
from docsexec.errors import UsageError
from docsexec.model import KNOWN_OPTIONS
from docsexec.scan.options import validate_compare_options as validate_options


def test_known_options():
    assert {"volatile", "json", "table", "order", "elisions"} == KNOWN_OPTIONS


@pytest.mark.parametrize(
    "options",
    [
        None,
        {},
        {"volatile": "-ipv4 -mac"},
        {"volatile": "none +ping-time"},
        {"volatile": "all,-id"},
        {"json": "strict", "table": "exact", "order": "any", "elisions": "off"},
    ],
)
def test_valid_options(options):
    assert validate_options(options) == []


def test_unknown_key_is_reported_with_a_suggestion():
    errors = validate_options({"volatle": "-ipv4"})
    assert len(errors) == 1
    assert errors[0].startswith("unknown option data-volatle (did you mean data-volatile?)")


def test_unknown_class_is_reported():
    errors = validate_options({"volatile": "-ip4 -mac"})
    assert len(errors) == 1 and "unknown class 'ip4' (did you mean 'ipv4'?)" in errors[0]


def test_bad_choice_value():
    assert validate_options({"json": "yes"}) == ["data-json: 'yes' is not one of 'auto', 'off', 'strict'"]
    assert validate_options({"order": "random"}) == ["data-order: 'random' is not one of 'fixed', 'any'"]


def test_runner_options_are_not_ours():
    assert validate_options({"exit": "1"})[0].startswith("unknown option data-exit")


def test_compare_refuses_invalid_options():
    with pytest.raises(UsageError, match="data-volatle"):
        PageComparator().compare(["a"], ["a"], {"volatle": "x"})


def test_order_any():
    recorded = ["Deleted Networks:", "dx-prune2", "dx-prune1"]
    real = ["dx-prune1", "Deleted Networks:", "dx-prune2"]
    assert not PageComparator().compare(recorded, real).matched
    result = PageComparator().compare(recorded, real, {"order": "any"})
    assert result.matched and result.normalised == recorded
    result = PageComparator().compare(recorded, [*real, "dx-prune3"], {"order": "any"})
    assert not result.matched and result.notes == ["output line 4: new line 'dx-prune3'"]
    assert PageComparator().compare([*recorded, "..."], [*real, "dx-prune3"], {"order": "any"}).matched


def test_order_any_with_bindings_backtracks():
    cmp = PageComparator()
    assert cmp.compare(["172.17.0.2"], ["172.21.0.3"]).matched
    # round robin: answers in another order; the bound one must pair with its own line
    recorded = ["Address: 172.17.0.3", "Address: 172.17.0.2"]
    assert cmp.compare(recorded, ["Address: 172.21.0.3", "Address: 172.21.0.2"], {"order": "any"}).matched
