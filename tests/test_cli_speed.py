"""The speed options on the command line: bad values are one-line usage errors (exit 2), and
every option is documented in the README and the contributor guide."""

from __future__ import annotations

import pytest

from conftest import REPO, run_docsexec
from docsexec.faces.cli import build_parser

SPEED_OPTIONS = ("-j", "--no-cache", "--shard", "--shard-times")


@pytest.mark.parametrize(
    "args,message",
    [
        (["-j", "0"], "-j '0': give a whole number of pages"),
        (["-j", "two"], "-j 'two'"),
        (["--shard", "3/2"], "--shard '3/2': write K/N with 1 <= K <= N"),
        (["--shard-times", "x.json"], "--shard-times needs --shard K/N"),
        (["--shard", "1/2", "--shard-times", "no-such.json"], "--shard-times no-such.json: no such file"),
    ],
)
def test_bad_speed_options_are_usage_errors(args, message):
    done = run_docsexec("check", "docs/modes/none.md", *args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_every_speed_option_and_the_merge_command_are_documented():
    readme = (REPO / "README.md").read_text()
    guide = (REPO / "docs" / "contributing" / "index.md").read_text()
    check = build_parser()._subparsers._group_actions[0].choices["check"]
    flags = {flag for action in check._actions for flag in action.option_strings}
    assert set(SPEED_OPTIONS) <= flags
    for option in SPEED_OPTIONS:
        assert f"`{option}" in readme and f"`{option}" in guide, option
    for text in (readme, guide):
        assert "docsexec report merge" in text and "DOCSEXEC_RUN_CACHE" in readme
