"""Literal recording (write/update.py, compare/*.literal): every output `update` writes is what
one run printed, byte for byte; the author's elisions stay; the stamp names an edited block.

No engine: the verdicts come from the real evaluator fed with outputs a run could print, so
what is written is what `docsexec update` would write.
"""

from __future__ import annotations

from pathlib import Path

from docsexec.compare import PageComparator
from docsexec.compare.evaluate import evaluate_page
from docsexec.model import BlockResult, BlockVerdict, CommandResult, PageRun, Status
from docsexec.page import Page
from docsexec.scan.fences import scan_file, scan_page
from docsexec.verify import settle
from docsexec.write import provenance, stamp
from docsexec.write.update import Target, update_page

PRIMARY = Target(source="debian-forky", primary="debian-forky", version="28.5.2")
SECONDARY = Target(source="debian-trixie", primary="debian-forky", version="26.1.5")
RUN_A = "d30a4eb45dc6719ba83e6886825e4a52cea4f3dd51c4f2440579363246d5569d"
RUN_B = "bdffef25ffcbea317a797083fa6e14e1b0f8db9de32344908501ba78f744e146"

PAGE = """# Literal

```console {{#run .docsexec}}
$ docker run -d --name box busybox sleep 60
{cid}
```

```console {{#mac .docsexec}}
$ docker inspect --format '{{{{.Id}}}} {{{{.NetworkSettings.Networks.bridge.MacAddress}}}}' box
{cid} {mac}
```
"""


def page_file(tmp_path: Path, cid: str, mac: str) -> Path:
    path = tmp_path / "page.md"
    path.write_text(PAGE.format(cid=cid, mac=mac), encoding="utf-8")
    return path


def run(
    path: Path, outputs: dict[str, list[list[str]]], primary: str | None = "debian-forky"
) -> tuple[Page, list[BlockVerdict]]:
    """The page judged on a run that printed `outputs` (block id -> one list of lines per command)."""
    page, blocks = scan_file(path)
    results = [BlockResult(b, [CommandResult(lines, exit_code=0) for lines in outputs[b.id]]) for b in blocks]
    return page, evaluate_page(PageRun(results=results), primary)


def outputs_of(cid: str, mac: str) -> dict[str, list[list[str]]]:
    return {"run": [[cid]], "mac": [[f"{cid} {mac}"]]}


def test_a_stand_in_from_an_earlier_run_is_rewritten_with_this_runs_values(tmp_path: Path) -> None:
    path = page_file(tmp_path, RUN_A, "02:42:ac:11:00:02")  # an IP-derived MAC left by an older engine's run
    page, verdicts = run(path, outputs_of(RUN_B, "52:a0:e9:3c:11:7f"))
    assert all(v.status is Status.OK for v in verdicts)  # check binds volatile values: it passes
    written = update_page(page, verdicts, PRIMARY)  # but the page's stamp vouches for nothing yet
    text = path.read_text(encoding="utf-8")
    assert written.updated == {"run", "mac"} and written.page_changed
    assert RUN_A not in text and "02:42:ac:11:00:02" not in text
    assert f"\n{RUN_B}\n" in text and f"\n{RUN_B} 52:a0:e9:3c:11:7f\n" in text
    assert [settle(v, written).status for v in verdicts] == [Status.UPDATED, Status.UPDATED]


def test_a_page_that_matched_a_run_with_a_current_stamp_writes_nothing(tmp_path: Path) -> None:
    path = page_file(tmp_path, RUN_A, "02:42:ac:11:00:02")
    update_page(*run(path, outputs_of(RUN_B, "52:a0:e9:3c:11:7f")), PRIMARY)
    before = path.read_bytes()
    page, verdicts = run(path, outputs_of(RUN_A, "9e:11:22:33:44:55"))  # a re-run: other values, same behaviour
    assert all(v.status is Status.OK for v in verdicts)
    written = update_page(page, verdicts, PRIMARY)
    assert not written.page_changed and written.updated == set() and path.read_bytes() == before


def test_one_divergence_rewrites_every_output_of_the_run(tmp_path: Path) -> None:
    path = page_file(tmp_path, RUN_A, "02:42:ac:11:00:02")
    update_page(*run(path, outputs_of(RUN_A, "02:42:ac:11:00:02")), PRIMARY)
    outputs = {"run": [[RUN_B]], "mac": [[f"{RUN_B} 52:a0:e9:3c:11:7f", "a new line"]]}
    page, verdicts = run(path, outputs)
    assert [v.status for v in verdicts] == [Status.OK, Status.DIVERGED]
    update_page(page, verdicts, PRIMARY)
    text = path.read_text(encoding="utf-8")
    assert RUN_A not in text and f"\n{RUN_B}\n$" not in text and f"\n{RUN_B}\n```" in text


def test_a_hand_edited_volatile_value_fails_the_stamp_naming_the_block(tmp_path: Path) -> None:
    path = page_file(tmp_path, RUN_A, "02:42:ac:11:00:02")
    update_page(*run(path, outputs_of(RUN_B, "52:a0:e9:3c:11:7f")), PRIMARY)
    path.write_text(
        path.read_text(encoding="utf-8").replace("52:a0:e9:3c:11:7f", "52:a0:e9:3c:11:70"), encoding="utf-8"
    )
    page = Page.read(path)
    record = provenance.read(page)
    problem = stamp.gate_problem(path, page, scan_page(page), record, ("debian-forky",))
    assert problem is not None and problem.startswith(f"{path}:12 [mac]: the block is not what its last verified run")
    assert problem.endswith(f"run `docsexec update {path}`")
    # check still passes it: the edited MAC is a volatile value, bound like any other
    assert all(v.status is Status.OK for v in run(path, outputs_of(RUN_A, "9e:11:22:33:44:55"))[1])


ABRIDGED = """# Abridged

```console {#inspect .docsexec}
$ docker inspect box
...
            "Networks": {
                "bridge": {
                    "IPPrefixLen": 16,
                    "MacAddress": "02:42:ac:11:00:02",
...
```
"""


def inspect_output(prefix: int, mac: str) -> list[str]:
    return [
        "[",
        "    {",
        '        "Id": "' + RUN_B + '",',
        '        "NetworkSettings": {',
        '            "Networks": {',
        '                "bridge": {',
        f'                    "IPPrefixLen": {prefix},',
        f'                    "MacAddress": "{mac}",',
        '                    "DriverOpts": null',
        "                }",
        "            }",
        "        }",
        "    }",
        "]",
    ]


def test_an_authors_abridgment_keeps_its_fragment_with_the_runs_values(tmp_path: Path) -> None:
    path = tmp_path / "page.md"
    path.write_text(ABRIDGED, encoding="utf-8")
    page, verdicts = run(path, {"inspect": [inspect_output(24, "52:a0:e9:3c:11:7f")]})
    assert verdicts[0].status is Status.DIVERGED  # 16 became 24
    written = update_page(page, verdicts, PRIMARY)
    assert written.updated == {"inspect"} and written.refused == {}
    body = list(scan_page(Page.read(path))[0].body)
    assert body == [
        "$ docker inspect box",
        "...",
        '            "Networks": {',
        '                "bridge": {',
        '                    "IPPrefixLen": 24,',
        '                    "MacAddress": "52:a0:e9:3c:11:7f",',
        "...",
    ]
    # and check still compares the fragment
    assert run(path, {"inspect": [inspect_output(24, "9e:11:22:33:44:55")]})[1][0].status is Status.OK
    assert run(path, {"inspect": [inspect_output(20, "9e:11:22:33:44:55")]})[1][0].status is Status.DIVERGED


def test_a_fragment_the_output_no_longer_has_is_refused_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "page.md"
    path.write_text(ABRIDGED, encoding="utf-8")
    before = path.read_bytes()
    output = [line for line in inspect_output(16, "52:a0:e9:3c:11:7f") if "MacAddress" not in line]
    page, verdicts = run(path, {"inspect": [output]})
    written = update_page(page, verdicts, PRIMARY)
    reason = written.refused["inspect"]
    assert reason.startswith(f"{path}:4 [inspect]: line 5 of the abridged output") and "no longer printed" in reason
    assert not written.page_changed and path.read_bytes() == before


UNMARKED = """# Unmarked

```console {#net .docsexec}
$ docker network inspect --format '{{json .}}' n1 | jq
{
  "Name": "n1",
  "Driver": "bridge"
}
```
"""


def test_an_unmarked_json_subset_is_refused_by_check_and_update(tmp_path: Path) -> None:
    path = tmp_path / "page.md"
    path.write_text(UNMARKED, encoding="utf-8")
    real = ["{", '  "Name": "n1",', '  "EnableIPv4": true,', '  "Driver": "bridge"', "}"]
    page, verdicts = run(path, {"net": [real]})
    assert verdicts[0].status is Status.DIVERGED  # check
    assert any("no `...` marks an omission" in p for p in verdicts[0].problems)
    written = update_page(page, verdicts, PRIMARY)  # update
    assert "without a `...` line" in written.refused["net"] and not written.page_changed
    marked = UNMARKED.replace('  "Name": "n1",\n', '  "Name": "n1",\n  ...\n')
    path.write_text(marked, encoding="utf-8")
    page, verdicts = run(path, {"net": [real]})
    assert verdicts[0].status is Status.OK
    update_page(page, verdicts, PRIMARY)
    assert list(scan_page(Page.read(path))[0].body[1:]) == [
        "{",
        '  "Name": "n1",',
        "  ...",
        '  "Driver": "bridge"',
        "}",
    ]


TABS = """# Tabs

```console {{#run .docsexec}}
$ docker run -d --name box busybox sleep 60
{cid}
```

=== "Engine 28.5"

    ```console {{#mac .docsexec data-engine="debian-forky"}}
    $ docker inspect --format '{{{{.Id}}}}' box
    {cid}
    ```

=== "Engine 26.1"

    ```console {{#mac-trixie .docsexec data-engine="debian-trixie"}}
    $ docker inspect --format '{{{{.Id}}}}' box
    {other} (26.1)
    ```
"""


def test_another_engines_tab_holds_its_own_run_and_is_checked_in_its_own_scope(tmp_path: Path) -> None:
    path = tmp_path / "page.md"
    path.write_text(TABS.format(cid=RUN_A, other=RUN_B), encoding="utf-8")  # the 26.1 tab: another run's ID
    _, blocks = scan_file(path)
    chosen = [b for b in blocks if b.id != "mac"]
    fresh = "0" * 12 + "a" * 52
    results = [
        BlockResult(chosen[0], [CommandResult([fresh])]),
        BlockResult(chosen[1], [CommandResult([f"{fresh} (26.1)"])]),
    ]
    assert all(v.status is Status.OK for v in evaluate_page(PageRun(results=results), "debian-forky"))
    # in one scope the two recorded IDs could not both stand for the one real ID
    assert not all(v.status is Status.OK for v in evaluate_page(PageRun(results=results)))


def test_literal_text_keeps_inline_elisions_and_nothing_else() -> None:
    result = PageComparator().compare(
        ["eth0@if[..]: <BROADCAST> mtu 1500", "link/ether 02:42:ac:11:00:02"],
        ["eth0@if9: <BROADCAST> mtu 1500", "link/ether 52:a0:e9:3c:11:7f"],
    )
    assert result.matched and result.literal == ["eth0@if[..]: <BROADCAST> mtu 1500", "link/ether 52:a0:e9:3c:11:7f"]
    moved = PageComparator().compare(["a", "...", "carrier at 16 Mbit/s"], ["a", "b", "b2", "carrier at 24 Mbit/s"])
    assert not moved.matched and moved.literal == ["a", "...", "carrier at 24 Mbit/s"] and moved.refusal is None
