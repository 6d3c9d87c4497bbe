"""data-host, the option that runs a block on the LAN peer: validation, inheritance by a
continued session, and the refusal of `--engine shared` (which has no LAN peer), all without
an engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_docsexec
from docsexec.engine.backends import environment_gate
from docsexec.errors import EXIT_BAD_INPUT, EXIT_ENVIRONMENT, BadInput, EnvironmentProblem
from docsexec.model import EngineMode
from docsexec.page import Page
from docsexec.scan.fences import scan_page

P = Path("page.md")
PEER_SESSION = '```console {#a .docsexec data-host="lan-peer" data-prompt="/ # "}\n$ sh\n```\n'


def scan(text: str):
    return scan_page(Page.parse(P, text))


def test_a_block_runs_on_the_page_host_unless_it_says_lan_peer():
    text = (
        "```console {#a .docsexec}\n$ true\n```\n"
        '```console {#b .docsexec data-host="docker-host"}\n$ true\n```\n'
        '```console {#c .docsexec data-host="lan-peer"}\n$ true\n```\n'
    )
    a, b, c = scan(text)
    assert (a.options.host, a.options.on_peer) == (None, False)
    assert (b.options.host, b.options.on_peer) == ("docker-host", False)
    assert (c.options.host, c.options.on_peer) == ("lan-peer", True)


@pytest.mark.parametrize("value", ["lan_peer", "LAN-PEER", "peer", "", "docker-host lan-peer"])
def test_an_unknown_host_is_a_one_line_error_with_file_and_line(value):
    with pytest.raises(BadInput) as info:
        scan(f'# T\n\n```console {{#a .docsexec data-host="{value}"}}\n$ true\n```\n')
    message = str(info.value)
    assert message == f"page.md:3: data-host={value!r}: expected docker-host or lan-peer"


def test_a_continued_session_stays_on_the_host_it_started_on():
    [_, b] = scan(PEER_SESSION + '```console {#b .docsexec data-continue="a"}\n/ # exit\n```\n')
    assert b.options.on_peer, "the continued program runs on the LAN peer: so does the block that continues it"
    with pytest.raises(BadInput) as info:
        scan(PEER_SESSION + '```console {#b .docsexec data-continue="a" data-host="docker-host"}\n/ # exit\n```\n')
    assert str(info.value) == "page.md:4: data-host='docker-host': the program it continues runs on lan-peer"


def test_the_cli_refuses_an_unknown_host_with_exit_2(tmp_path):
    page = tmp_path / "bad.md"
    page.write_text('# Bad\n\n```console {#a .docsexec data-host="lanpeer"}\n$ true\n```\n')
    done = run_docsexec("check", str(page))
    assert done.returncode == EXIT_BAD_INPUT, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"docsexec: {page}:3: data-host='lanpeer': expected docker-host or lan-peer"
    ]


def test_shared_mode_refuses_a_page_with_a_peer_block_before_anything_runs():
    blocks = scan(
        '# T\n\n```console {#here .docsexec}\n$ true\n```\n\n```console {#there .docsexec data-host="lan-peer"}\n$ true\n```\n'
    )
    with pytest.raises(EnvironmentProblem) as info:
        environment_gate(EngineMode.SHARED, [blocks])
    assert info.value.exit_code == EXIT_ENVIRONMENT
    assert info.value.one_line() == str(info.value)
    assert str(info.value).startswith(
        'page.md:7 [there]: data-host="lan-peer" needs the sandbox\'s LAN peer, which --engine shared does not have'
    )


def test_the_cli_in_shared_mode_refuses_it_with_exit_3(tmp_path):
    page = tmp_path / "peer.md"
    page.write_text('# Peer\n\n```console {#there .docsexec data-host="lan-peer"}\n$ hostname\n```\n')
    done = run_docsexec("check", str(page), "--engine", "shared")
    assert done.returncode == EXIT_ENVIRONMENT, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f'docsexec: {page}:3 [there]: data-host="lan-peer" needs the sandbox\'s LAN peer'), line


# --- data-peer-engine: the LAN peer's own engine --------------------------------------------------

PEER_START = '```console {#start .docsexec data-host="lan-peer" data-peer-engine="start"}\n$ docker version\n```\n'


def test_the_peer_engine_is_asked_for_by_one_peer_block():
    [block] = scan(PEER_START)
    assert block.options.peer_engine and block.options.on_peer
    [plain] = scan('```console {#a .docsexec data-host="lan-peer"}\n$ true\n```\n')
    assert not plain.options.peer_engine


@pytest.mark.parametrize(
    ("attrs", "words"),
    [
        ('data-host="lan-peer" data-peer-engine="yes"', "data-peer-engine='yes': expected 'start'"),
        ('data-peer-engine="start"', 'data-peer-engine needs data-host="lan-peer"'),
        ('data-host="docker-host" data-peer-engine="start"', 'data-peer-engine needs data-host="lan-peer"'),
    ],
)
def test_a_malformed_peer_engine_option_is_a_one_line_error(attrs, words):
    with pytest.raises(BadInput) as info:
        scan(f"# T\n\n```console {{#a .docsexec {attrs}}}\n$ true\n```\n")
    assert str(info.value).startswith("page.md:3: ") and words in str(info.value), str(info.value)


def test_the_peer_engine_is_started_once_per_page():
    with pytest.raises(BadInput) as info:
        scan(PEER_START + "\n" + PEER_START.replace("#start", "#again"))
    assert (
        str(info.value)
        == "page.md:5: data-peer-engine: the LAN peer's engine is started once per page, by 'start' (line 1)"
    )


def test_per_engine_variants_of_the_starting_block_count_as_one():
    trixie = PEER_START.replace("#start", "#start-trixie").replace(
        "data-peer-engine", 'data-engine="debian-trixie" data-peer-engine'
    )
    forky = PEER_START.replace("data-peer-engine", 'data-engine="debian-forky" data-peer-engine')
    assert [b.id for b in scan(forky + "\n" + trixie)] == ["start", "start-trixie"]
