"""Two engines per page: forky's Engine 28.5 (primary) and trixie's 26.1, each page run on a
fresh private engine of each; per-engine variants as content tabs; reports name the engine.

The engine tests start real daemons (and one downloads forky's packages from Debian's
registry into an empty cache); they fail, never skip, when that cannot be done.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from conftest import REPO, run_docsexec
from docsexec.page import Page
from docsexec.pages.config import configured_engines
from docsexec.scan import variants
from docsexec.scan.fences import scan_page
from docsexec.scan.regions import regions
from docsexec.write import provenance
from docsexec.write.groups import moved
from docsexec.write.tabs import Variant, rewrite_group
from safety_support import own_sandboxes

ENGINES = '[tool.docsexec]\nengines = ["debian-forky", "debian-trixie"]\n'
# Outputs left empty: `update` fills them from real runs. `ver` prints the server's version, so
# it really differs between the engines; `same` prints the same on both.
PAGE = """# Two engines

```console {#same .docsexec}
$ docker run --rm busybox echo same-everywhere
```

1. A step:

    ```console {#ver .docsexec}
    $ docker version --format '{{.Server.Version}}'
    ```
"""


def project(folder: Path, page: str = PAGE) -> Path:
    """A project with the site's two engines configured and one page in docs/."""
    (folder / "pyproject.toml").write_text(ENGINES, encoding="utf-8")
    (folder / "docs").mkdir()
    path = folder / "docs" / "page.md"
    path.write_text(page, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> str:
    """The page after one real `update` on both engines."""
    page = project(tmp_path_factory.mktemp("engines"))
    done = run_docsexec("update", str(page), cwd=page.parents[1])
    assert done.returncode == 0, done.stdout + done.stderr
    return page.read_text(encoding="utf-8")


# --- engines and recording ----------------------------------------------------------------------


@pytest.mark.engine
@pytest.mark.usefixtures("engine_ready")
def test_update_on_two_engines_shares_equal_outputs_and_tabs_different_ones(recorded):
    page = Page.parse(Path("page.md"), recorded)
    blocks = {b.id: b for b in scan_page(page)}
    assert set(blocks) == {"same", "ver", "ver-trixie"}
    assert blocks["same"].options.engine is None  # one output: identical on both engines
    assert (blocks["ver"].options.engine, blocks["ver-trixie"].options.engine) == ("debian-forky", "debian-trixie")
    assert '    === "Engine 28.5"' in recorded and '    === "Engine 26.1"' in recorded  # inside the list item
    assert "        28.5.2" in recorded and "        26.1.5" in recorded
    record = provenance.read(page)
    assert [r.source for r in record.records] == ["debian-forky", "debian-trixie"]
    assert record.records[0].version.startswith("28.5.") and record.records[1].version.startswith("26.1.")


@pytest.mark.engine
@pytest.mark.usefixtures("engine_ready")
def test_plain_check_runs_every_page_on_both_engines_in_one_report(tmp_path, recorded):
    page = project(tmp_path, recorded)
    report, junit = tmp_path / "check.json", tmp_path / "junit.xml"
    with own_sandboxes() as made:
        done = run_docsexec("check", str(page), "--report", str(report), "--junit", str(junit), cwd=page.parents[1])
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(report.read_text())
    assert [(p["engine_source"], p["engine_version"][:4]) for p in data["pages"]] == [
        ("debian-forky", "28.5"),
        ("debian-trixie", "26.1"),
    ]
    assert [e["source"] for e in data["engines"]] == ["debian-forky", "debian-trixie"]
    assert data["unchecked"] == [] and "not checked" not in done.stderr  # every tab ran on its engine
    assert [[b["id"] for b in p["blocks"]] for p in data["pages"]] == [["same", "ver"], ["same", "ver-trixie"]]
    suites = ElementTree.parse(junit).getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == [f"{page} [debian-forky]", f"{page} [debian-trixie]"]
    assert suites[1].find("properties/property[@name='engine_source']").get("value") == "debian-trixie"
    assert made.left() == []


@pytest.mark.engine
@pytest.mark.usefixtures("engine_ready")
@pytest.mark.parametrize("edited, failing", [("26.1.5", "debian-trixie"), ("28.5.2", "debian-forky")])
def test_an_edited_variant_is_caught_on_its_engine_only(tmp_path, recorded, edited, failing):
    page = project(tmp_path, recorded.replace(f"        {edited}", "        99.9.9"))
    report = tmp_path / "check.json"
    done = run_docsexec("check", str(page), "--report", str(report), cwd=page.parents[1])
    assert done.returncode == 1
    results = {p["engine_source"]: p for p in json.loads(report.read_text())["pages"]}
    assert {s for s, p in results.items() if any(b["status"] != "ok" for b in p["blocks"])} == {failing}
    assert f"=== {page} on {failing}" in done.stdout and "-99.9.9" in done.stdout


@pytest.mark.engine
@pytest.mark.usefixtures("engine_ready")
def test_a_pytest_item_of_a_tab_no_engine_of_the_session_runs_skips_and_says_why(tmp_path, recorded):
    """Under DOCSEXEC_ENGINE, the item of another engine's tab is unchecked: it skips with the
    reason the command line's summary gives, instead of reporting (and passing on) the verdict
    of the engine's own tab with the same id. Its edited output is therefore not passed."""
    page = project(tmp_path, recorded.replace("        28.5.2", "        99.9.9"))
    (tmp_path / "pytest.ini").write_text("[pytest]\ndocsexec_paths = docs\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", str(page)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DOCSEXEC_ENGINE": "debian-trixie", "PYTHONPATH": str(REPO)},
    )
    line = next(b.fence_line for b in scan_page(Page.read(page)) if b.options.engines == ("debian-forky",))
    assert "2 passed, 1 skipped" in done.stdout, done.stdout + done.stderr
    assert f"page.md:{line} [ver] unchecked: a tab of debian-forky, not an engine of this run" in done.stdout


@pytest.mark.engine
@pytest.mark.usefixtures("engine_ready")
def test_engine_source_restricts_a_run_to_one_engine(tmp_path, recorded):
    page = project(tmp_path, recorded)
    report = tmp_path / "check.json"
    junit = tmp_path / "junit.xml"
    done = run_docsexec(
        "check",
        str(page),
        "--engine-source",
        "debian-trixie",
        "--report",
        str(report),
        "--junit",
        str(junit),
        cwd=page.parents[1],
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(report.read_text())
    assert [p["engine_source"] for p in data["pages"]] == ["debian-trixie"]
    # forky's tab of `ver` ran nowhere: the summary, the JSON and the JUnit report say so
    assert [(u["file"], u["id"], u["reason"]) for u in data["unchecked"]] == [
        (str(page), "ver", "a tab of debian-forky, not an engine of this run")
    ]
    assert (
        "docsexec: 1 block(s) of 1 page(s) not checked by this run: tabs of engines not in it (debian-forky: 1)"
        in done.stderr
    )
    suite = ElementTree.parse(junit).getroot().findall("testsuite")[-1]
    assert (suite.get("name"), suite.get("skipped")) == ("unchecked by this run", "1")
    assert suite.find("testcase/skipped").get("message") == "a tab of debian-forky, not an engine of this run"
    env = dict(os.environ, DOCSEXEC_ENGINE="debian-forky")
    done = subprocess.run(
        [*run_docsexec_argv(), "check", str(page), "--report", str(report)],
        env=env,
        capture_output=True,
        text=True,
        cwd=page.parents[1],
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(report.read_text())
    assert [p["engine_version"][:4] for p in data["pages"]] == ["28.5"]
    assert [u["id"] for u in data["unchecked"]] == [
        "ver-trixie"
    ] and "1 block(s) of 1 page(s) not checked" in done.stderr


@pytest.mark.engine
@pytest.mark.usefixtures("engine_ready")
def test_a_copy_of_a_page_outside_docs_runs_on_the_engines_of_the_project(tmp_path):
    """The engines are those of the project the command runs in, wherever the page is: a copy
    of bridge.md outside docs/ with one word of its Engine 26.1 tab changed fails on 26.1, as
    it does inside docs/ (it used to run on the primary engine only, and pass)."""
    text = (REPO / "docs/modes/bridge.md").read_text(encoding="utf-8")
    at = text.index("scope host lo", text.index("{#mybox-ip-addr-trixie"))
    copy = tmp_path / "bridge.md"
    copy.write_text(text[:at] + "scope site lo" + text[at + len("scope host lo") :], encoding="utf-8")
    report = tmp_path / "check.json"
    done = run_docsexec("check", str(copy), "--report", str(report), cwd=REPO)  # the repository's engines
    assert done.returncode == 1, done.stdout + done.stderr
    data = json.loads(report.read_text())
    assert [p["engine_source"] for p in data["pages"]] == list(configured_engines(REPO))
    failing = {p["engine_source"]: [b["id"] for b in p["blocks"] if b["status"] != "ok"] for p in data["pages"]}
    assert {s: ids for s, ids in failing.items() if ids} == {"debian-trixie": ["mybox-ip-addr-trixie"]}
    assert data["unchecked"] == [] and "not checked" not in done.stderr


def run_docsexec_argv() -> list[str]:
    import sys

    return [sys.executable, "-m", "docsexec"]


@pytest.mark.engine
@pytest.mark.usefixtures("engine_ready")
def test_a_block_that_must_not_differ_fails_instead_of_getting_tabs(tmp_path):
    page = project(tmp_path, PAGE.replace("{#ver .docsexec}", '{#ver .docsexec data-engine-diff="error"}'))
    done = run_docsexec("update", str(page), cwd=page.parents[1])
    assert done.returncode == 1
    assert 'output differs on debian-trixie and data-engine-diff="error" forbids per-engine variants' in done.stdout
    assert "===" not in page.read_text()
    assert "    28.5.2+dfsg4\n" in page.read_text()  # the primary's output was recorded


@pytest.mark.engine
@pytest.mark.usefixtures("engine_ready")
def test_each_engine_has_its_own_page_client_with_forkys_compose(tmp_path):
    page = project(
        tmp_path,
        "# C\n\n```console {#client .docsexec}\n$ command -v docker\n"
        "$ docker version --format '{{.Client.Version}}'\n$ docker compose version\n```\n",
    )
    done = run_docsexec("update", str(page), cwd=page.parents[1])
    assert done.returncode == 0, done.stdout + done.stderr
    text = page.read_text()
    assert "/engines/debian-forky/client/docker\n" in text and "/engines/debian-trixie/client/docker\n" in text
    assert "28.5.2+dfsg4\n" in text and "26.1.5+dfsg1\n" in text  # forky's docker-cli, trixie's
    assert text.count("Docker Compose version 2.40.") == 2  # forky's plugin with either client


# --- provisioning: a real download into an empty cache ------------------------------------------


@pytest.mark.engine
def test_forky_is_provisioned_into_a_fresh_cache_without_touching_the_host(tmp_path):
    from docsexec.engine import installed

    assert os.geteuid() == 0, "provisioning needs root (apt-get, dockerd --version)"
    apt_before = sorted(str(p) for p in Path("/etc/apt").rglob("*"))
    cache = tmp_path / "cache"
    env = dict(os.environ, DOCSEXEC_CACHE=str(cache))
    code = (
        "from docsexec.engine.install import provision; e = provision.install_debian('debian-forky', print); "
        "print('VERSION', e.version, e.client_dir, e.cli_plugins)"
    )
    done = subprocess.run([*run_docsexec_argv()[:1], "-c", code], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "VERSION 28.5." in done.stdout
    marker = json.loads((cache / "engines/debian-forky/install.json").read_text())
    assert marker["source"] == "debian-forky" and marker["version"].startswith("28.5.")
    tree = cache / "engines/debian-forky"
    for tool in (
        "usr/sbin/dockerd",
        "usr/bin/containerd",
        "usr/bin/containerd-shim-runc-v2",
        "usr/sbin/docker-proxy",
        "usr/bin/docker-init",
        "client/docker",
        "usr/libexec/docker/cli-plugins/docker-compose",
    ):
        assert os.access(tree / tool, os.X_OK), tool
    assert not (tree / "usr/bin/docker").exists()  # the client is set aside, alone, in client/
    assert subprocess.run([str(tree / "client/docker"), "--version"], capture_output=True, text=True).stdout.startswith(
        "Docker version 28.5."
    )
    assert sorted(str(p) for p in Path("/etc/apt").rglob("*")) == apt_before  # no source, no pin on the host
    assert installed.RELEASES["debian-forky"].scratch


# --- no engine: selection, tabs, provenance, configuration -------------------------------------

TABBED = """# P

=== "Engine 28.5"

    ```console {#a .docsexec data-engine="debian-forky"}
    $ echo new
    ```

=== "Engine 26.1"

    ```console {#a-trixie .docsexec data-engine="debian-trixie"}
    $ echo old
    ```

```console {#b .docsexec data-same-as="a"}
$ echo x
```
"""


def test_each_engine_runs_its_own_variant_and_others_fall_back_to_the_primary():
    blocks = scan_page(Page.parse(Path("p.md"), TABBED))

    def ids(source):
        return [b.id for b in variants.select(blocks, source, "debian-forky")]

    assert ids("debian-forky") == ["a", "b"]
    assert ids("debian-trixie") == ["a-trixie", "b"]
    assert ids("system") == ["a", "b"]  # a newer engine is held to the primary's output
    assert variants.base_id(blocks[1]) == "a"


def test_a_split_keeps_the_primary_body_and_the_page_still_parses():
    text = '# P\n\n- item\n\n    ```console {#n .docsexec data-exit="1"}\n    $ false\n    primary\n    ```\n- next\n'
    page = Page.parse(Path("p.md"), text)
    [block] = scan_page(page)
    [region] = regions(page, [block])
    split_variants = [
        Variant(("debian-forky",), ("$ false", "primary")),
        Variant(("debian-trixie",), ("$ false", "other")),
    ]
    labels = {("debian-forky",): "Engine 28.5", ("debian-trixie",): "Engine 26.1"}
    split = rewrite_group(page, region, block, split_variants, labels)
    blocks = scan_page(split)
    assert [(b.id, b.options.engine, b.options.exit_codes) for b in blocks] == [
        ("n", "debian-forky", (1,)),
        ("n-trixie", "debian-trixie", (1,)),
    ]
    assert (
        '    === "Engine 28.5"' in split.lines and "        primary" in split.lines and "        other" in split.lines
    )
    assert split.lines[-1] == "- next"


def test_three_engines_one_tab_per_distinct_output_each_naming_its_engines():
    order = ("upstream-29", "debian-forky", "debian-trixie")
    shared = [Variant(order, ("$ docker network rm n1", "old"))]
    forky = moved(shared, "debian-forky", ["$ docker network rm n1", "new"], order, ())
    assert forky == [
        Variant(("upstream-29", "debian-trixie"), ("$ docker network rm n1", "old")),
        Variant(("debian-forky",), ("$ docker network rm n1", "new")),
    ]
    trixie = moved(forky, "debian-trixie", ["$ docker network rm n1", "new"], order, ())
    assert trixie == [
        Variant(("upstream-29",), ("$ docker network rm n1", "old")),
        Variant(("debian-forky", "debian-trixie"), ("$ docker network rm n1", "new")),
    ]
    assert variants.tab_label("28.5.2+dfsg4", "26.1.5+dfsg1") == "Engines 28.5 and 26.1"
    page = Page.parse(Path("p.md"), "# P\n\n```console {#n .docsexec}\n$ docker network rm n1\nold\n```\n")
    [block] = scan_page(page)
    labels = {("upstream-29",): "Engine 29.7", ("debian-forky", "debian-trixie"): "Engines 28.5 and 26.1"}
    tabbed = scan_page(rewrite_group(page, regions(page, [block])[0], block, trixie, labels))
    assert [(b.id, b.options.engines) for b in tabbed] == [
        ("n", ("upstream-29",)),
        ("n-forky", ("debian-forky", "debian-trixie")),
    ]
    assert [b.id for b in variants.select(tabbed, "debian-trixie", "upstream-29")] == ["n-forky"]
    assert [b.id for b in variants.select(tabbed, "system", "upstream-29")] == ["n"]
    # every engine printing the same again: one plain block
    back = moved(trixie, "debian-forky", ["$ docker network rm n1", "old"], order, ())
    back = moved(back, "debian-trixie", ["$ docker network rm n1", "old"], order, ())
    assert back == [Variant(order, ("$ docker network rm n1", "old"))]


def test_provenance_line_round_trips_and_replaces_one_engine_entry():
    one = provenance.Provenance(
        "2026-12-01",
        (
            provenance.EngineRecord("debian-forky", "28.5.2+dfsg4", "0123456789ab"),
            provenance.EngineRecord("debian-trixie", "26.1.5+dfsg1", "1e10aa"),
        ),
    )
    page = provenance.with_provenance(Page.parse(Path("p.md"), "# P\n"), one)
    assert provenance.read(page) == one
    newer = one.with_record(provenance.EngineRecord("debian-forky", "28.5.3", "ffff"), "2026-12-02")
    assert [r.source for r in newer.records] == ["debian-forky", "debian-trixie"] and newer.date == "2026-12-02"
    old = provenance.Provenance("2026-11-28", (provenance.EngineRecord("", "26.1.5+dfsg1", "cae055c3cc6a"),))
    assert old.with_record(one.records[0], "2026-12-01").records == one.records[:1]  # the unsourced entry goes


def test_a_bad_engine_configuration_is_bad_input_with_file_and_line(tmp_path):
    page = project(tmp_path, "# P\n\n```console {#a .docsexec}\n$ true\n```\n")
    (tmp_path / "pyproject.toml").write_text('[tool.docsexec]\nengines = ["debian-forky", "podman"]\n')
    done = run_docsexec("check", str(page), cwd=page.parents[1])
    assert done.returncode == 2
    assert f"{tmp_path / 'pyproject.toml'}:1: [tool.docsexec] engines: ['podman']" in done.stderr


def test_an_unknown_data_engine_is_bad_input(tmp_path):
    page = project(tmp_path, '# P\n\n```console {#a .docsexec data-engine="debian-sid"}\n$ true\n```\n')
    done = run_docsexec("check", str(page), cwd=page.parents[1])
    assert done.returncode == 2
    assert f"{page}:3: data-engine='debian-sid'" in done.stderr
