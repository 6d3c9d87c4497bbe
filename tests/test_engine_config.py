"""Engine configurations: a page writes /etc/docker/daemon.json as a reader does, restarts its
engine (`data-daemon="restart"`), and names the engines it needs (`docsexec-engines`).

Without an engine: the option and the front matter are validated with file:line, the
variants a page runs per engine follow its needs, and `--engine shared` refuses such a page
(never the caller's configuration). Against a real engine: the page's /etc/docker is the
engine's own configuration and never the machine's, a restart applies it (docker0 moves to
the `bip` written), the daemon's refusal is shown by `dockerd --validate`, a daemon.json the
engine will not start with fails the page with dockerd's words, and nothing is left behind.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from conftest import REPO, run_docsexec
from docsexec.engine.backends import environment_gate
from docsexec.errors import EXIT_BAD_INPUT, EXIT_DIVERGED, BadInput, EnvironmentProblem
from docsexec.model import EngineMode
from docsexec.page import Page
from docsexec.scan.fences import scan_page
from docsexec.scan.variants import select
from safety_support import own_sandboxes

P = Path("page.md")


def scan(text: str):
    return scan_page(Page.parse(P, text))


# --- data-daemon="restart" ----------------------------------------------------------------------


def test_a_block_restarts_the_engine_only_when_it_says_so():
    a, b = scan(
        '```console {#a .docsexec}\n$ true\n```\n```console {#b .docsexec data-daemon="restart"}\n$ true\n```\n'
    )
    assert (a.options.daemon_restart, b.options.daemon_restart) == (False, True)


@pytest.mark.parametrize("value", ["reload", "Restart", "", "start"])
def test_an_unknown_daemon_action_is_a_one_line_error_with_file_and_line(value):
    with pytest.raises(BadInput) as info:
        scan(f'# T\n\n```console {{#a .docsexec data-daemon="{value}"}}\n$ true\n```\n')
    assert str(info.value) == (
        f"page.md:3: data-daemon={value!r}: expected 'restart' (the page's dockerd restarts before this block)"
    )


def test_the_lan_peers_engine_is_not_restarted_by_a_page():
    with pytest.raises(BadInput) as info:
        scan('```console {#a .docsexec data-host="lan-peer" data-daemon="restart"}\n$ true\n```\n')
    assert "cannot be on a lan-peer block" in str(info.value) and str(info.value).startswith("page.md:1:")


def test_shared_mode_never_restarts_the_callers_engine():
    blocks = scan('# T\n\n```console {#a .docsexec data-daemon="restart"}\n$ true\n```\n')
    with pytest.raises(EnvironmentProblem) as info:
        environment_gate(EngineMode.SHARED, [blocks])
    assert str(info.value).startswith('page.md:3 [a]: data-daemon="restart" restarts the page\'s engine')
    assert "never touches your engine's configuration" in str(info.value)


# --- docsexec-engines: the engines a page needs ---------------------------------------------------

NEEDS = """---
docsexec-engines: [upstream-29]
---

```console {#everywhere .docsexec data-engine="upstream-29 debian-forky debian-trixie"}
$ echo refused or not
```

```console {#only-29 .docsexec}
$ echo the feature
```

```console {#tabbed .docsexec data-engine="upstream-29"}
$ echo new
```

```console {#tabbed-trixie .docsexec data-engine="debian-trixie"}
$ echo old
```
"""


def ids(blocks):
    return [block.id for block in blocks]


def test_a_page_runs_whole_on_the_engines_it_needs_and_only_its_variants_elsewhere():
    blocks = scan(NEEDS)
    primary = "upstream-29"
    assert ids(select(blocks, "upstream-29", primary)) == ["everywhere", "only-29", "tabbed"]
    assert ids(select(blocks, "debian-forky", primary)) == ["everywhere"], "no variant of its own: not run"
    assert ids(select(blocks, "debian-trixie", primary)) == ["everywhere", "tabbed-trixie"]


def test_a_page_that_names_no_engines_runs_everywhere_as_before():
    blocks = scan(NEEDS.replace("docsexec-engines: [upstream-29]\n", "title: x\n"))
    assert ids(select(blocks, "debian-forky", "upstream-29")) == ["everywhere", "only-29", "tabbed"]


@pytest.mark.parametrize("value", ["[]", "[upstream-30]", "upstream-29", "[upstream-29, upstream-29]"])
def test_a_bad_engine_list_is_a_one_line_error_with_file_and_line(value):
    with pytest.raises(BadInput) as info:
        scan(f"---\ntitle: x\ndocsexec-engines: {value}\n---\n\n```console {{#a .docsexec}}\n$ true\n```\n")
    assert str(info.value).startswith("page.md:3: docsexec-engines: expected a list such as [upstream-29]")


def test_the_cli_refuses_a_bad_engine_list_with_exit_2(tmp_path):
    page = tmp_path / "bad.md"
    page.write_text("---\ndocsexec-engines: [docker-30]\n---\n\n```console {#a .docsexec}\n$ true\n```\n")
    done = run_docsexec("check", str(page))
    assert done.returncode == EXIT_BAD_INPUT, done.stderr
    assert done.stderr.strip().startswith(f"docsexec: {page}:2: docsexec-engines: expected a list")


# --- against a real engine ------------------------------------------------------------------------

PAGE = textwrap.dedent(
    """\
    # Settings

    ```console {#conf .docsexec}
    $ cat /etc/docker/daemon.json
    {}
    $ echo '{"bip": "10.123.0.1/24"}' > /etc/docker/daemon.json
    $ dockerd --validate
    configuration OK
    ```

    ```console {#only-etc-docker .docsexec data-exit="1"}
    $ touch /etc/docsexec-probe
    touch: cannot touch '/etc/docsexec-probe': Read-only file system
    ```

    ```console {#moved .docsexec data-daemon="restart"}
    $ ip -4 -o addr show docker0 | awk '{print $4}'
    10.123.0.1/24
    ```

    ```console {#refused .docsexec data-exit="0 1"}
    $ echo '{"no-such-key": 1}' > /etc/docker/daemon.json
    $ dockerd --validate
    unable to configure the Docker daemon with file /etc/docker/daemon.json: the following directives don't match any configuration option: no-such-key
    ```
    """
)


@pytest.mark.engine
def test_a_page_configures_and_restarts_its_own_engine_and_leaves_nothing(tmp_path):
    machine = Path("/etc/docker/daemon.json")
    before = machine.read_bytes() if machine.exists() else None
    page = tmp_path / "settings.md"
    page.write_text(PAGE)
    with own_sandboxes() as made:
        done = run_docsexec(
            "check", str(page), "--no-cache", "--engine-source", "upstream-29", "--report", str(tmp_path / "r.json")
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert made.left() == []
    [result] = json.loads((tmp_path / "r.json").read_text())["pages"]
    assert result["daemon_settings"] == [{"block": "moved", "daemon_json": '{"bip": "10.123.0.1/24"}\n'}]
    assert (machine.read_bytes() if machine.exists() else None) == before, "the machine's daemon.json is never touched"


@pytest.mark.engine
def test_a_daemon_json_the_engine_refuses_fails_the_page_with_dockerds_words(tmp_path):
    page = tmp_path / "refused.md"
    page.write_text(
        PAGE.replace('{"bip": "10.123.0.1/24"}', '{"bip": "not-an-address"}')
        .replace("configuration OK\n", "")
        .replace("$ dockerd --validate\n```", "```", 1)
    )
    with own_sandboxes() as made:
        done = run_docsexec("check", str(page), "--no-cache", "--engine-source", "upstream-29")
    assert done.returncode == EXIT_DIVERGED, done.stdout + done.stderr
    assert f"{page}:14 [moved]: dockerd did not start again with this daemon.json" in done.stdout + done.stderr
    assert "not-an-address" in done.stdout + done.stderr, "dockerd's own reason is shown"
    assert made.left() == []


# --- data-only-on: one step for the engines that have the feature ---------------------------------

ONLY = """# T

```console {#all .docsexec}
$ echo everywhere
```

```console {#newer .docsexec data-only-on="upstream-29 debian-forky"}
$ echo 28.2 and later
```
"""


def test_a_step_only_some_engines_have_is_skipped_on_the_others_and_said_so():
    from docsexec.scan.variants import unchecked

    blocks = scan(ONLY)
    assert ids(select(blocks, "upstream-29", "upstream-29")) == ["all", "newer"]
    assert ids(select(blocks, "debian-trixie", "upstream-29")) == ["all"]
    assert unchecked(blocks, ["upstream-29", "debian-trixie"], "upstream-29") == []
    [item] = unchecked(blocks, ["debian-trixie"], "upstream-29")
    assert (item.block.id, item.reason) == (
        "newer",
        "a step only runs on upstream-29 and debian-forky, not an engine of this run",
    )
    left = unchecked(scan(NEEDS), ["debian-forky"], "upstream-29")
    assert [(item.block.id, item.reason) for item in left] == [
        ("only-29", "a page only runs on upstream-29, not an engine of this run"),
        ("tabbed", "a tab of upstream-29, not an engine of this run"),
        ("tabbed-trixie", "a tab of debian-trixie, not an engine of this run"),
    ]


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ('data-only-on=""', "data-only-on='': expected one or more of"),
        ('data-only-on="debian-sid"', "data-only-on='debian-sid': expected one or more of"),
        (
            'data-only-on="upstream-29" data-engine="upstream-29"',
            "data-only-on and data-engine together: a variant already runs only on its engines",
        ),
    ],
)
def test_a_bad_only_on_is_a_one_line_error_with_file_and_line(attrs, message):
    with pytest.raises(BadInput) as info:
        scan(f"# T\n\n```console {{#a .docsexec {attrs}}}\n$ true\n```\n")
    assert str(info.value).startswith(f"page.md:3: {message}")


# --- an older engine's refusal: its tab gets its own data-exit --------------------------------------


def test_an_engine_that_exits_otherwise_gets_a_tab_with_its_own_exit_codes():
    from docsexec.scan.regions import regions
    from docsexec.write.groups import moved
    from docsexec.write.tabs import Variant, rewrite_group

    order = ("upstream-29", "debian-forky", "debian-trixie")
    shared = [Variant(order, ("$ dockerd --validate", "configuration OK"), (0,))]
    refused = moved(shared, "debian-trixie", ["$ dockerd --validate", "unable to configure"], order, (), (1,))
    assert refused == [
        Variant(order[:2], ("$ dockerd --validate", "configuration OK"), (0,)),
        Variant(("debian-trixie",), ("$ dockerd --validate", "unable to configure"), (1,)),
    ]
    same_words_other_status = moved(
        shared, "debian-trixie", ["$ dockerd --validate", "configuration OK"], order, (), (1,)
    )
    assert len(same_words_other_status) == 2, "a different status never joins a variant that exits 0"
    page = Page.parse(P, "# P\n\n```console {#v .docsexec}\n$ dockerd --validate\nconfiguration OK\n```\n")
    [block] = scan_page(page)
    labels = {order[:2]: "Engines 29.7 and 28.5", ("debian-trixie",): "Engine 26.1"}
    tabbed = scan_page(rewrite_group(page, regions(page, [block])[0], block, refused, labels))
    assert [(b.id, b.options.engines, b.options.exit_codes) for b in tabbed] == [
        ("v", order[:2], None),
        ("v-trixie", ("debian-trixie",), (1,)),
    ]


@pytest.mark.engine
def test_update_records_an_older_engines_refusal_as_a_tab_with_its_exit_codes(tmp_path):
    page = tmp_path / "refusal.md"
    page.write_text(
        "# Refusal\n\n```console {#v .docsexec}\n"
        "$ echo '{\"allow-direct-routing\": true}' > /etc/docker/daemon.json\n$ dockerd --validate\n```\n"
    )
    with own_sandboxes() as made:
        done = run_docsexec("update", str(page), "-j3", cwd=REPO)  # the repository's three engines
        assert done.returncode == 0, done.stdout + done.stderr
        again = run_docsexec("check", str(page), "--no-cache", "-j3", cwd=REPO)
    assert again.returncode == 0, again.stdout + again.stderr
    assert made.left() == []
    blocks = scan_page(Page.read(page))
    assert [(b.id, b.options.engines, b.options.exit_codes) for b in blocks] == [
        ("v", ("upstream-29", "debian-forky"), None),
        ("v-trixie", ("debian-trixie",), (0, 1)),
    ]
    assert blocks[0].body[-1] == "configuration OK"
    assert blocks[1].body[-1].endswith("don't match any configuration option: allow-direct-routing")


def test_the_site_names_the_engines_of_a_step_only_some_run():
    from docsexec.faces.markdown_ext import labelled_only_on
    from docsexec.write import provenance

    text = (
        "---\ndocsexec: {date: 2026-12-06, engines: [upstream-29 29.7.2 a, debian-forky 28.5.2+dfsg4 b]}\n---\n" + ONLY
    )
    page = Page.parse(P, text)
    record = provenance.read(page)
    assert record is not None
    body = text.split("---\n", 2)[2].splitlines()  # what the build hands over: no front matter
    out = labelled_only_on(body, scan_page(page), record)
    assert [line for line in out if "only-on" in line] == [
        '```console {#newer .docsexec data-only-on="upstream-29 debian-forky" data-only-on-label="29.7 and 28.5"}'
    ]


def test_a_translation_runs_on_the_engines_its_source_page_names(tmp_path):
    from docsexec.model import Mode
    from docsexec.verify import verify_translation

    source = tmp_path / "page.md"
    source.write_text("---\ndocsexec-engines: [upstream-29]\n---\n\n# P\n\n```console {#a .docsexec}\n$ true\n```\n")
    twin = tmp_path / "page.zh.md"
    twin.write_text("# 页\n\n```console {#a .docsexec}\n$ true\n```\n")
    report = verify_translation(twin, mode=Mode.CHECK)[0]
    assert report.error is not None and report.error.startswith(f"{twin}:1: docsexec-engines differs from")
    verify_translation(twin, mode=Mode.UPDATE)[0]
    assert twin.read_text().startswith("---\ndocsexec-engines: [upstream-29]\n---\n")
    assert verify_translation(twin, mode=Mode.CHECK)[0].ok


def test_a_variant_group_without_the_primarys_is_bad_input_not_a_wrong_run():
    blocks = scan(
        '# T\n\n```console {#v .docsexec data-engine="upstream-29"}\n$ true\n```\n\n'
        '```console {#v-older .docsexec data-engine="debian-forky debian-trixie"}\n$ false\n```\n'
    )
    with pytest.raises(BadInput) as info:
        select(blocks, "upstream-29", "upstream-29")
    assert str(info.value).startswith(
        "page.md:7: data-engine=\"debian-forky debian-trixie\": no variant of block 'v-older'"
    )


def test_on_a_limited_page_a_block_every_engine_prints_alike_keeps_its_engines():
    from docsexec.scan.regions import regions
    from docsexec.write.tabs import Variant, rewrite_group

    order = ("upstream-29", "debian-forky", "debian-trixie")
    text = NEEDS.split("```console {#only-29")[0]
    page = Page.parse(P, text)
    [block] = scan_page(page)
    rewritten = rewrite_group(page, regions(page, [block])[0], block, [Variant(order, block.body)], {})
    [again] = scan_page(rewritten)
    assert again.options.engines == order, "untagged, it would no longer run on 28.5 and 26.1"
    assert ids(select([again], "debian-trixie", "upstream-29")) == ["everywhere"]


def test_a_limited_pages_badge_names_the_engines_it_runs_whole_on(tmp_path):
    from docsexec.faces.markdown_ext import CURRENT_SOURCE, Source, makeExtension

    docs = tmp_path / "docs"
    docs.mkdir()
    page = docs / "p.md"
    stamp = "docsexec: {date: 2026-12-06, engines: [upstream-29 29.7.2 0123456789ab, debian-forky 28.5.2+dfsg4 0123456789ab]}"
    page.write_text(
        f"---\ndocsexec-engines: [upstream-29]\n{stamp}\n---\n# P\n\n```console {{#a .docsexec}}\n$ true\n```\n"
    )
    import markdown

    md = markdown.Markdown(extensions=[makeExtension(gate=False)])
    token = CURRENT_SOURCE.set(Source(path=page, docs_dir=docs))
    try:
        html = md.convert("# P\n\n```console {#a .docsexec}\n$ true\n```\n")
    finally:
        CURRENT_SOURCE.reset(token)
    assert "Verified on Docker Engine 29.7.2 \u00b7 2026-12-06" in html
