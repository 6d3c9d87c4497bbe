"""Translations share their source page's blocks (compare/ and write/translation.py, through verify.verify_translation): compared, never run; synced by update."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_docsexec
from docsexec.errors import BadInput
from docsexec.model import Mode
from docsexec.scan.translations import source_of, split_translations, with_translations
from docsexec.verify import verify_translation
from docsexec.write.translation import mark
from safety_support import own_sandboxes

SOURCE = """---
docsexec: {engine: 26.1.5+dfsg1, date: 2026-12-01, blocks: 0123456789ab}
---

# Greetings

Say hello.

```console {#hello .docsexec}
$ echo hello
hello
```

Then fail.

```console {#fails .docsexec data-exit="1"}
$ false
```
"""

TRANSLATION = """# 问候

打个招呼。

```console {#hello .docsexec}
$ echo hello
hello
```

然后失败。

```console {#fails .docsexec data-exit="1"}
$ false
```
"""


def pages(tmp_path: Path, translation: str = TRANSLATION) -> tuple[Path, Path]:
    """The source page and its translation, marked as translating the source's prose
    (compare/prose.py; tests/test_translation_prose.py tests the marker)."""
    source, twin = tmp_path / "greet.md", tmp_path / "greet.zh.md"
    source.write_text(SOURCE, encoding="utf-8")
    twin.write_text(translation, encoding="utf-8")
    assert mark(twin)[0]
    return source, twin


def test_source_of_knows_translations_by_their_language_suffix(tmp_path):
    assert source_of(Path("docs/modes/bridge.zh.md")) == Path("docs/modes/bridge.md")
    assert source_of(Path("docs/modes/bridge.md")) is None
    assert source_of(Path("docs/user-defined-networks.md")) is None
    assert source_of(Path("docs/cheat.sheet.md")) is None  # not a language


def test_a_source_page_brings_its_translations_along_once(tmp_path):
    source, twin = pages(tmp_path)
    lone = tmp_path / "lone.md"
    lone.write_text("# Lone\n", encoding="utf-8")
    assert with_translations([source, lone]) == [source, lone, twin]
    assert with_translations([twin, source]) == [twin, source]  # named already: not twice
    assert with_translations([twin]) == [twin]


def test_a_translation_without_its_source_is_bad_input(tmp_path):
    orphan = tmp_path / "orphan.zh.md"
    orphan.write_text(TRANSLATION, encoding="utf-8")
    with pytest.raises(BadInput, match="without its source page"):
        split_translations([orphan])
    done = run_docsexec("check", str(orphan))
    assert done.returncode == 2
    assert done.stderr.strip().startswith(f"docsexec: {orphan}:1: translation without its source page")


def test_identical_blocks_pass_without_any_engine(tmp_path):
    _, twin = pages(tmp_path)
    done = run_docsexec("check", str(twin))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "starting a private engine" not in done.stderr


def test_an_edited_output_fails_check_with_file_and_line(tmp_path):
    _, twin = pages(tmp_path, TRANSLATION.replace("hello\n```", "hallo\n```"))
    done = run_docsexec("check", str(twin))
    assert done.returncode == 1
    assert f"{twin}:9 [hello]: differs from its source {tmp_path / 'greet.md'}:9 [hello]" in done.stdout
    assert "-hallo" in done.stdout and "+hello" in done.stdout
    assert twin.read_text(encoding="utf-8").endswith(
        TRANSLATION.replace("hello\n```", "hallo\n```")
    )  # check never writes


def test_a_deleted_block_fails_check_naming_where_it_belongs(tmp_path):
    without = TRANSLATION[: TRANSLATION.index("然后失败")]
    _, twin = pages(tmp_path, without)
    done = run_docsexec("check", str(twin))
    assert done.returncode == 1
    assert (
        f"{twin}:12: block 'fails' of {tmp_path / 'greet.md'}:16 [fails] is missing from the translation (it belongs after block 'hello')"
        in done.stdout
    )


def test_an_extra_block_and_changed_options_fail_check(tmp_path):
    extra = TRANSLATION.replace('data-exit="1"', 'data-exit="2"') + "\n```console {#mine .docsexec}\n$ echo mine\n```\n"
    _, twin = pages(tmp_path, extra)
    report = verify_translation(twin, mode=Mode.CHECK)[0]
    problems = [p for v in report.verdicts for p in v.problems]
    assert any("[fails]: options differ from its source" in p for p in problems)
    assert any("[mine]: no block with this id in the source page" in p for p in problems)
    assert not report.ok and not report.page_changed
    # update copies the source's fence line (options are the source's), never removes a block
    report = verify_translation(twin, mode=Mode.UPDATE)[0]
    problems = [p for v in report.verdicts for p in v.problems]
    assert not any("options differ" in p for p in problems)
    assert any("[mine]: no block with this id in the source page" in p for p in problems)
    assert not report.ok and 'data-exit="1"' in twin.read_text(encoding="utf-8")


def test_update_copies_outputs_and_provenance_then_changes_nothing(tmp_path):
    _, twin = pages(tmp_path, TRANSLATION.replace("$ echo hello\nhello\n", "$ echo hello\n"))
    first = run_docsexec("update", str(twin))
    assert first.returncode == 0, first.stdout + first.stderr
    text = twin.read_text(encoding="utf-8")
    assert text.startswith("---\ndocsexec-translation: {source: greet.md, sections: [h1 ")
    assert "\ndocsexec: {engine: 26.1.5+dfsg1, date: 2026-12-01, blocks: 0123456789ab}\n---\n" in text
    assert "$ echo hello\nhello\n```" in text and "打个招呼。" in text
    second = run_docsexec("update", str(twin))
    assert second.returncode == 0 and twin.read_text(encoding="utf-8") == text


@pytest.mark.engine
@pytest.mark.usefixtures("engine_ready")
def test_updating_the_source_alone_runs_it_once_and_fills_its_translation(tmp_path):
    source, twin = tmp_path / "run.md", tmp_path / "run.zh.md"
    source.write_text(
        "# Run\n\n```console {#where .docsexec}\n$ docker run --rm busybox echo from-a-container\n```\n",
        encoding="utf-8",
    )
    twin.write_text(
        "# 运行\n\n```console {#where .docsexec}\n$ docker run --rm busybox echo from-a-container\n```\n",
        encoding="utf-8",
    )
    assert mark(twin)[0]  # its prose translates the source's (compare/prose.py)
    with own_sandboxes() as made:
        done = run_docsexec("update", str(source))  # the translation beside it comes along
        assert done.returncode == 0, done.stdout + done.stderr
        assert (
            done.stderr.count("starting a private") == 1
        )  # one engine (no configuration here); the translation never runs
        assert f"updated {twin}:7 [where] (from its source page)" in done.stdout
        assert "from-a-container\n```" in twin.read_text(encoding="utf-8")
        assert run_docsexec("check", str(twin)).returncode == 0
    assert made.left() == []


def test_pytest_items_of_a_translation_compare_and_catch_a_deleted_block(tmp_path):
    """Through the pytest plugin: a translation's items never start an engine; a deleted
    block fails the page's `(source blocks)` item, an edited output fails its block's item."""
    import subprocess
    import sys

    _, twin = pages(tmp_path, TRANSLATION[: TRANSLATION.index("然后失败")].replace("hello\n```", "hallo\n```"))
    (tmp_path / "pytest.ini").write_text("[pytest]\ndocsexec_paths = greet.zh.md\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(twin)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "2 failed" in done.stdout, done.stdout
    assert "greet.zh.md:12: block 'fails'" in done.stdout and "is missing from the translation" in done.stdout
    assert "greet.zh.md:9 [hello]: differs from its source" in done.stdout


TABS_SOURCE = SOURCE.replace(
    """```console {#hello .docsexec}
$ echo hello
hello
```""",
    """=== "Engine 28.5"

    ```console {#hello .docsexec data-engine="debian-forky"}
    $ echo hello
    hello
    ```

=== "Engine 26.1"

    ```console {#hello-trixie .docsexec data-engine="debian-trixie"}
    $ echo hello
    hallo
    ```""",
)


def test_update_gives_a_translation_the_per_engine_tabs_of_its_source(tmp_path):
    """When `update` split a source block into per-engine tabs, the translation's copy of that
    block becomes the same tabs; its prose stays; a second update changes nothing."""
    source, twin = pages(tmp_path)
    source.write_text(TABS_SOURCE, encoding="utf-8")
    assert verify_translation(twin, mode=Mode.CHECK)[0].ok is False  # the structure differs
    report = verify_translation(twin, mode=Mode.UPDATE)[0]
    assert report.ok, [p for v in report.verdicts for p in v.problems]
    text = twin.read_text(encoding="utf-8")
    assert (
        '=== "Engine 26.1"\n\n    ```console {#hello-trixie .docsexec data-engine="debian-trixie"}\n    $ echo hello\n    hallo\n'
        in text
    )
    assert "打个招呼。" in text and "然后失败。" in text
    assert verify_translation(twin, mode=Mode.UPDATE)[0].page_changed is False
