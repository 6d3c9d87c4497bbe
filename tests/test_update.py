"""The update step on its own (write/update.py, verify.settle): what it writes into a page and
what it says it wrote, from given verdicts; no engine.

The verdicts come from the real evaluator fed with run results a run could have produced, so
what is written is what `docsexec update` would write.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from docsexec.compare.evaluate import evaluate_page
from docsexec.errors import BadInput
from docsexec.model import BlockResult, BlockVerdict, CommandResult, PageRun, Status
from docsexec.page import Page
from docsexec.scan.fences import scan_file
from docsexec.verify import settle
from docsexec.write import provenance
from docsexec.write.update import Target, update_page

PAGE = """# Update

```console {#kept .docsexec}
$ echo kept
kept
```

```console {#moved .docsexec}
$ echo moved
old
```

```console {#exit .docsexec}
$ false
```
"""
PRIMARY = Target(source="debian-forky", primary="debian-forky", version="28.5.2")


def judged(path: Path, moved: str = "new", exit_code: int = 0) -> tuple[Page, list[BlockVerdict]]:
    page, blocks = scan_file(path)
    outputs = {"kept": ["kept"], "moved": [moved], "exit": []}
    codes = {"kept": 0, "moved": 0, "exit": exit_code}
    run = PageRun(results=[BlockResult(b, [CommandResult(outputs[b.id], exit_code=codes[b.id])]) for b in blocks])
    return page, evaluate_page(run)


@pytest.fixture
def page_file(tmp_path: Path) -> Path:
    path = tmp_path / "page.md"
    path.write_text(PAGE, encoding="utf-8")
    return path


def test_the_primary_engine_writes_divergent_bodies_and_says_which(page_file: Path) -> None:
    page, verdicts = judged(page_file, exit_code=0)  # `exit` exits 0 as the page expects: only `moved` diverges
    written = update_page(page, verdicts, PRIMARY)
    assert written.updated == {"moved"} and written.refused == {} and written.page_changed
    text = page_file.read_text(encoding="utf-8")
    assert "$ echo moved\nnew\n```" in text and "$ echo kept\nkept\n```" in text
    record = provenance.read(Page.read(page_file))
    assert record is not None and record.record("debian-forky") is not None  # the page passes now: stamped
    settled = [settle(v, written) for v in verdicts]
    assert [v.status for v in settled] == [Status.OK, Status.UPDATED, Status.OK]
    assert [v.status for v in verdicts] == [Status.OK, Status.DIVERGED, Status.OK]  # the evaluator's stay as they were


def test_a_wrong_exit_code_is_not_updated_and_the_page_is_not_stamped(page_file: Path) -> None:
    page, verdicts = judged(page_file, exit_code=1)  # `exit` exits 1, the page expects 0
    exit_verdict = next(v for v in verdicts if v.block.id == "exit")
    assert exit_verdict.status is Status.DIVERGED and not exit_verdict.fixable
    written = update_page(page, verdicts, PRIMARY)
    assert written.updated == {"moved"}
    assert provenance.read(Page.read(page_file)) is None  # a page that still fails gets no entry
    assert settle(exit_verdict, written).status is Status.DIVERGED


def test_a_page_that_still_matches_is_not_written_at_all(page_file: Path) -> None:
    page, verdicts = judged(page_file, moved="old", exit_code=0)
    provenance_page = update_page(page, verdicts, PRIMARY)
    assert provenance_page.updated == set() and provenance_page.page_changed  # only the provenance line is new
    again_page, again = judged(page_file, moved="old", exit_code=0)
    before = page_file.read_bytes()
    written = update_page(again_page, again, PRIMARY)
    assert not written.page_changed and written.updated == set()
    assert page_file.read_bytes() == before


def test_another_engine_splits_a_shared_block_into_tabs(page_file: Path) -> None:
    page, verdicts = judged(page_file, exit_code=0)
    other = Target(source="debian-trixie", primary="debian-forky", version="26.1.5")
    written = update_page(page, verdicts, other)
    assert written.updated == {"moved"} and written.page_changed
    text = page_file.read_text(encoding="utf-8")
    assert '=== "Engine 26.1"' in text and '{#moved-trixie .docsexec data-engine="debian-trixie"}' in text
    assert "$ echo moved\nold\n" in text.replace("    ", "")  # the primary's variant keeps its body


def test_a_block_that_forbids_variants_is_refused_with_its_reason(page_file: Path) -> None:
    page_file.write_text(
        PAGE.replace("{#moved .docsexec}", '{#moved .docsexec data-engine-diff="error"}'), encoding="utf-8"
    )
    page, verdicts = judged(page_file, exit_code=0)
    before = page_file.read_bytes()
    written = update_page(page, verdicts, Target(source="debian-trixie", primary="debian-forky", version="26.1.5"))
    reason = f'{page_file}:8 [moved]: output differs on debian-trixie and data-engine-diff="error" forbids per-engine variants'
    assert written.refused == {"moved": reason} and written.updated == set()
    assert not written.page_changed and page_file.read_bytes() == before
    moved = next(v for v in verdicts if v.block.id == "moved")
    settled = settle(moved, written)
    assert settled.status is Status.DIVERGED and not settled.fixable and settled.problems[-1] == reason


def test_a_page_edited_while_it_ran_is_left_alone(page_file: Path) -> None:
    page, verdicts = judged(page_file, exit_code=0)
    page_file.write_text(PAGE + "\nA line added by the author meanwhile.\n", encoding="utf-8")
    with pytest.raises(BadInput, match="the page changed on disk while it ran"):
        update_page(page, verdicts, PRIMARY)
    assert page_file.read_text(encoding="utf-8").endswith("meanwhile.\n")


SHORT_THEN_FULL = """# IDs

```console {#ids .docsexec}
$ docker inspect --format '{{.Config.Hostname}}' box
515635fda442
$ docker inspect --format '{{.Id}}' box
```
"""


def ids_run(path: Path, full_id: str) -> tuple[Page, list[BlockVerdict]]:
    page, blocks = scan_file(path)
    results = [CommandResult([full_id[:12]], exit_code=0), CommandResult([full_id], exit_code=0)]
    return page, evaluate_page(PageRun(results=[BlockResult(blocks[0], results)]))


def test_a_full_id_written_after_its_short_id_is_the_runs_own_and_so_is_the_short_id(tmp_path: Path) -> None:
    path = tmp_path / "ids.md"
    path.write_text(SHORT_THEN_FULL, encoding="utf-8")
    first_run = "d30a4eb45dc6719ba83e6886825e4a52cea4f3dd51c4f2440579363246d5569d"
    page, verdicts = ids_run(path, first_run)
    assert update_page(page, verdicts, PRIMARY).updated == {"ids"}
    text = path.read_text(encoding="utf-8")
    assert "\n" + first_run[:12] + "\n$ docker inspect" in text  # the recorded short ID was the page's, not this run's
    assert "\n" + first_run + "\n```" in text
    assert "515635fda442" not in text
    next_run = "bdffef25ffcbea317a797083fa6e14e1b0f8db9de32344908501ba78f744e146"  # another run, other IDs
    assert [v.status for v in ids_run(path, next_run)[1]] == [Status.OK]
