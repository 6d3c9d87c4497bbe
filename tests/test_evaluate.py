"""The evaluator on its own: verdicts from given run results, no engine, no shell.

Each page here is scanned for real; the run results are what a run could have produced.
The evaluator must say OK only when every recorded output, exit code and relation holds, and
name the page line of whatever does not.
"""

from __future__ import annotations

from pathlib import Path

from docsexec.compare.evaluate import evaluate_page
from docsexec.model import (
    BlockProblem,
    BlockResult,
    BlockVerdict,
    CommandResult,
    InputResult,
    PageRun,
    Status,
)
from docsexec.page import Page
from docsexec.scan.fences import scan_page

PATH = Path("docs/p.md")


def blocks_of(text: str) -> dict[str, object]:
    return {block.id: block for block in scan_page(Page.parse(PATH, text))}


def ran(*outputs: list[str], code: int | None = 0) -> list[CommandResult]:
    return [CommandResult(output=list(out), exit_code=code) for out in outputs]


def verdicts(text: str, *results: tuple[str, list[CommandResult], BlockProblem | None]) -> dict[str, BlockVerdict]:
    by_id = blocks_of(text)
    run = PageRun(results=[BlockResult(by_id[ident], commands, problem) for ident, commands, problem in results])  # type: ignore[arg-type]
    return {verdict.block.id: verdict for verdict in evaluate_page(run)}


TWO = """# Two blocks

```console {#a .docsexec}
$ echo hello
hello
```

```console {#b .docsexec data-exit="1"}
$ false
```
"""


def test_outputs_and_exit_codes_that_hold_are_ok_with_nothing_to_write():
    found = verdicts(TWO, ("a", ran(["hello"]), None), ("b", ran([], code=1), None))
    assert [v.status for v in found.values()] == [Status.OK, Status.OK]
    assert all(v.problems == [] and v.normalised is None and v.fixable for v in found.values())


def test_a_different_output_diverges_names_its_line_and_carries_the_body_to_write():
    found = verdicts(TWO, ("a", ran(["goodbye"]), None), ("b", ran([], code=1), None))
    a = found["a"]
    assert a.status is Status.DIVERGED and a.fixable
    assert a.problems and all(p.startswith("docs/p.md:4 [a]: ") for p in a.problems)
    assert a.normalised == ["$ echo hello", "goodbye"]
    assert found["b"].status is Status.OK


def test_a_wrong_exit_code_diverges_and_update_cannot_fix_it():
    found = verdicts(TWO, ("a", ran(["hello"]), None), ("b", ran([], code=0), None))
    b = found["b"]
    assert b.status is Status.DIVERGED and not b.fixable and b.normalised is None
    assert b.problems == ["docs/p.md:9 [b]: exit code 0, the page expects 1"]


def test_a_block_not_run_is_not_run_and_one_that_failed_is_an_error():
    stopped = "docs/p.md:4: timed out after 60 s: echo hello"
    found = verdicts(
        TWO,
        ("a", [CommandResult(output=["hel"], exit_code=None, timed_out=True)], BlockProblem.failed(stopped)),
        ("b", [], BlockProblem.not_run("an earlier command timed out (docs/p.md:4)")),
    )
    a, b = found["a"], found["b"]
    assert a.status is Status.ERROR and not a.fixable and a.normalised is None  # a half output is never written
    assert a.problems[-1] == stopped
    assert b.status is Status.NOT_RUN and not b.fixable
    assert b.problems == ["docs/p.md:8 [b]: not run: an earlier command timed out (docs/p.md:4)"]
    assert not any(v.status.passing for v in found.values())


HOST = [
    "1: lo: <LOOPBACK,UP> mtu 65536",
    "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
    "    inet 127.0.0.1/8 scope host lo",
    "2: eth0@if9: <BROADCAST,UP> mtu 1500",
    "    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff",
    "    inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0",
]
BUSYBOX_ETH0 = [  # busybox's `ip addr show eth0`: another format, the same facts as the host's eth0
    "9: eth0@if10: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue",
    "    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff",
    "    inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0",
    "       valid_lft forever preferred_lft forever",
]
ETH0_LISTING = "\n".join(BUSYBOX_ETH0)
LISTING = "\n".join(HOST)
RELATED = f"""# Relations

```console {{#host .docsexec}}
$ ip addr
{LISTING}
```

```console {{#same .docsexec data-same-as="host"}}
$ ip addr
{LISTING}
```

```console {{#eth .docsexec data-same-interfaces-as="host:eth0"}}
$ ip addr show eth0
{ETH0_LISTING}
```
"""
SAME_FENCE, ETH_FENCE = 13, 23


def test_relations_hold_when_the_output_equals_the_recorded_reference():
    found = verdicts(RELATED, ("host", ran(HOST), None), ("same", ran(HOST), None), ("eth", ran(BUSYBOX_ETH0), None))
    assert [v.status for v in found.values()] == [Status.OK] * 3, [v.problems for v in found.values()]


def test_a_relation_that_no_longer_holds_is_a_divergence_update_cannot_fix():
    # `same` recorded the host's listing; the page's host now prints another address, and so
    # does `same`: its own output matches what it records only after binding, but not the
    # host's recorded listing, which it must equal.
    moved = [line.replace("172.17.0.2", "172.17.0.9") for line in HOST]
    found = verdicts(RELATED, ("host", ran(HOST), None), ("same", ran(moved), None), ("eth", ran(BUSYBOX_ETH0), None))
    same = found["same"]
    assert same.status is Status.DIVERGED and not same.fixable
    assert f"docs/p.md:{SAME_FENCE} [same]: output differs from block 'host', which it must equal" in same.problems


def test_an_interface_relation_compares_only_the_named_stanza():
    lo_changed = [line.replace("127.0.0.1/8", "127.0.0.2/8") for line in HOST]
    # the reference's lo stanza differs from the real one, but the relation names eth0 only
    found = verdicts(
        RELATED, ("host", ran(lo_changed), None), ("same", ran(lo_changed), None), ("eth", ran(BUSYBOX_ETH0), None)
    )
    assert found["eth"].status is Status.OK, found["eth"].problems
    other = [line.replace("02:42:ac:11:00:02", "02:42:ac:11:00:03") for line in BUSYBOX_ETH0]
    found = verdicts(RELATED, ("host", ran(HOST), None), ("same", ran(HOST), None), ("eth", ran(other), None))
    eth = found["eth"]
    assert eth.status is Status.DIVERGED and not eth.fixable
    assert (
        f"docs/p.md:{ETH_FENCE} [eth]: interfaces differs from block 'host:eth0', which it must equal" in eth.problems
    )


INTERACTIVE = """# Inputs

```console {#box .docsexec data-prompt="/ # "}
$ docker run -it busybox
/ # echo in
in
/ # exit
```
"""


def test_each_input_output_is_compared_and_a_difference_names_the_input_line():
    block_outputs = [CommandResult(output=[], inputs=[InputResult(["out"]), InputResult([])], exit_code=0)]
    box = verdicts(INTERACTIVE, ("box", block_outputs, None))["box"]
    assert box.status is Status.DIVERGED
    assert box.problems and box.problems[0].startswith("docs/p.md:5 [box]: ")
    assert box.normalised == ["$ docker run -it busybox", "/ # echo in", "out", "/ # exit"]
    same = [CommandResult(output=[], inputs=[InputResult(["in"]), InputResult([])], exit_code=0)]
    assert verdicts(INTERACTIVE, ("box", same, None))["box"].status is Status.OK


def test_volatile_values_bind_across_the_page_not_per_block():
    text = """# Ids

```console {#run .docsexec}
$ docker run -d busybox sleep 9
0123456789ab0123456789ab0123456789ab0123456789ab0123456789abcdef
```

```console {#ps .docsexec}
$ docker ps -q
0123456789ab
```
"""
    real = "fedcba987654fedcba987654fedcba987654fedcba987654fedcba9876543210"
    found = verdicts(text, ("run", ran([real]), None), ("ps", ran([real[:12]]), None))
    assert [v.status for v in found.values()] == [Status.OK, Status.OK]
    found = verdicts(text, ("run", ran([real]), None), ("ps", ran(["aaaaaaaaaaaa"]), None))
    assert found["ps"].status is Status.DIVERGED  # another container than the one `run` started
