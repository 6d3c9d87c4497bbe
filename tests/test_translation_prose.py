"""Translations that cannot lag (compare/prose.py, scan/sections.py): a translation records a
digest of each section of its English page's prose; `check` fails it, naming file:line of
both pages, once an English section changed, until `docsexec translation mark` re-marks it.
No engine: translations are never run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO, run_docsexec
from docsexec.compare.prose import KEY, stale_problems
from docsexec.page import Page
from docsexec.scan.fences import scan_page
from docsexec.scan.sections import sections

SOURCE = """---
docsexec: {engine: 26.1.5+dfsg1, date: 2026-12-01, blocks: 0123456789ab}
---

# Greetings

Say hello to the
whole world.

```console {#hello .docsexec}
$ echo hello
hello
```

## Then fail

Failing is fine.

```yaml
services: {}
```

```console {#fails .docsexec data-exit="1"}
$ false
```
"""

TRANSLATION = """# 问候

向全世界打个招呼。

```console {#hello .docsexec}
$ echo hello
hello
```

## 然后失败

失败没关系。

```yaml
services: {}
```

```console {#fails .docsexec data-exit="1"}
$ false
```
"""


def pages(tmp_path: Path, *, marked: bool = True) -> tuple[Path, Path]:
    source, twin = tmp_path / "greet.md", tmp_path / "greet.zh.md"
    source.write_text(SOURCE, encoding="utf-8")
    twin.write_text(TRANSLATION, encoding="utf-8")
    if marked:
        done = run_docsexec("translation", "mark", str(twin))
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"marked {twin} as translating {source} (2 sections; marked now: all)" in done.stdout
    return source, twin


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line == text)


def test_mark_writes_one_invisible_front_matter_line_and_check_passes(tmp_path):
    _, twin = pages(tmp_path)
    text = twin.read_text(encoding="utf-8")
    assert text.startswith(f"---\n{KEY}: {{source: greet.md, sections: [h1 ")
    assert text.endswith("\n---\n\n" + TRANSLATION)
    done = run_docsexec("check", str(twin))
    assert done.returncode == 0, done.stdout + done.stderr
    again = run_docsexec("translation", "mark", str(twin))
    assert again.returncode == 0 and "nothing to mark" in again.stdout
    assert twin.read_text(encoding="utf-8") == text


def test_an_edited_english_sentence_fails_check_with_both_places_until_re_marked(tmp_path):
    source, twin = pages(tmp_path)
    edit(source, "Failing is fine.", "Failing is fine, and expected.")
    done = run_docsexec("check", str(twin))
    assert done.returncode == 1, done.stdout + done.stderr
    english, chinese = line_of(source, "## Then fail"), line_of(twin, "## 然后失败")
    assert (
        f"{twin}:{chinese}: '## 然后失败' translates an older version of {source}:{english} '## Then fail': "
        f"bring it up to date, then run `docsexec translation mark {twin}`" in done.stdout
    )
    assert "'# 问候'" not in done.stdout  # the other section is still current: one line per stale section
    # update copies blocks but never marks prose: still stale afterwards
    updated = run_docsexec("update", str(twin))
    assert updated.returncode == 1 and "translates an older version" in updated.stdout
    assert run_docsexec("check", str(twin)).returncode == 1
    edit(twin, "失败没关系。", "失败没关系，这是预期的。")
    chinese = line_of(twin, "## 然后失败")  # update copied the provenance line into the front matter
    remarked = run_docsexec("translation", "mark", str(twin))
    assert remarked.returncode == 0 and f"marked now: :{chinese})" in remarked.stdout
    assert run_docsexec("check", str(twin)).returncode == 0


def test_an_edited_output_or_new_tabs_do_not_make_the_prose_stale(tmp_path):
    source, twin = pages(tmp_path)
    edit(source, "$ echo hello\nhello\n", "$ echo hello\nhello, world\n")
    assert stale_problems(twin) == []
    done = run_docsexec("check", str(twin))
    assert done.returncode == 1 and "[hello]: differs from its source" in done.stdout
    assert "translates an older version" not in done.stdout
    edit(
        source,
        "```console {#hello .docsexec}\n$ echo hello\nhello, world\n```",
        '=== "Engine 28.5"\n\n    ```console {#hello .docsexec data-engine="debian-forky"}\n    $ echo hello\n    hello\n    ```\n\n'
        '=== "Engine 26.1"\n\n    ```console {#hello-trixie .docsexec data-engine="debian-trixie"}\n    $ echo hello\n    hallo\n    ```',
    )
    assert stale_problems(twin) == []
    assert run_docsexec("update", str(twin)).returncode == 0
    assert run_docsexec("check", str(twin)).returncode == 0


def test_rewrapping_does_not_count_but_an_untagged_fence_does(tmp_path):
    source, twin = pages(tmp_path)
    edit(source, "Say hello to the\nwhole world.", "Say hello\n  to the whole world.")
    assert stale_problems(twin) == []
    edit(source, "services: {}", "services: {web: {}}")
    [problem] = stale_problems(twin)
    assert problem.startswith(f"{twin}:{line_of(twin, '## 然后失败')}: ")


def test_a_translation_never_marked_fails(tmp_path):
    source, twin = pages(tmp_path, marked=False)
    done = run_docsexec("check", str(twin))
    assert done.returncode == 1
    assert (
        f"{twin}:1: translation never marked as up to date with {source}: once its prose says what the English "
        f"says, run `docsexec translation mark {twin}`" in done.stdout
    )


def test_a_malformed_or_repeated_marker_is_bad_input_with_its_line(tmp_path):
    _, twin = pages(tmp_path)
    good = twin.read_text(encoding="utf-8")
    edit(twin, "sections: [h1 ", "sections: [hx ")
    done = run_docsexec("check", str(twin))
    assert done.returncode == 2
    assert done.stderr.startswith(f"docsexec: {twin}:2: malformed {KEY} line: expected `{KEY}: {{source: NAME.md")
    twin.write_text(good.replace("source: greet.md", "source: other.md"), encoding="utf-8")
    done = run_docsexec("check", str(twin))
    assert done.returncode == 2 and "names source other.md" in done.stderr
    marker = good.splitlines()[1]
    twin.write_text(good.replace(marker, marker + "\n" + marker), encoding="utf-8")
    done = run_docsexec("check", str(twin))
    assert done.returncode == 2 and f"{twin}:3: a second {KEY} line" in done.stderr
    assert run_docsexec("translation", "mark", str(twin)).returncode == 0  # marking repairs it
    assert twin.read_text(encoding="utf-8") == good


def test_headings_that_differ_fail_check_and_cannot_be_marked(tmp_path):
    source, twin = pages(tmp_path)
    edit(twin, "## 然后失败", "### 然后失败")
    done = run_docsexec("check", str(twin))
    assert done.returncode == 1
    assert (
        f"{twin}:{line_of(twin, '### 然后失败')}: headings differ from the English page's at section 2: "
        f"h3 '### 然后失败' here, {source}:{line_of(source, '## Then fail')} '## Then fail' there" in done.stdout
    )
    refused = run_docsexec("translation", "mark", str(twin))
    assert refused.returncode == 1 and "headings differ" in refused.stdout


def test_marking_an_english_page_marks_its_translations(tmp_path):
    source, twin = pages(tmp_path, marked=False)
    done = run_docsexec("translation", "mark", str(source))
    assert done.returncode == 0 and f"marked {twin}" in done.stdout


def test_a_translation_without_tagged_blocks_is_checked_too(tmp_path):
    source, twin = tmp_path / "about.md", tmp_path / "about.zh.md"
    source.write_text("# About\n\nA site.\n", encoding="utf-8")
    twin.write_text("# 关于\n\n一个网站。\n", encoding="utf-8")
    assert run_docsexec("check", str(twin)).returncode == 1  # never marked
    assert run_docsexec("translation", "mark", str(twin)).returncode == 0
    assert run_docsexec("check", str(twin)).returncode == 0
    edit(source, "A site.", "A small site.")
    done = run_docsexec("check", str(twin))
    assert done.returncode == 1 and f"{source}:1 '# About'" in done.stdout


def test_sections_split_at_headings_outside_fences_with_a_level_0_preamble(tmp_path):
    page = Page.parse(tmp_path / "p.md", "Intro.\n\n# T\n\n```text\n# not a heading\n```\n\n## A\n\n#nohash\n")
    found = sections(page, scan_page(page))
    assert [(s.level, s.line, s.title) for s in found] == [(0, 1, "Intro."), (1, 3, "# T"), (2, 9, "## A")]


def test_the_pytest_item_of_a_stale_translation_fails_with_both_places(tmp_path):
    source, twin = pages(tmp_path)
    edit(source, "Failing is fine.", "Failing is fine, and expected.")
    (tmp_path / "pytest.ini").write_text("[pytest]\ndocsexec_paths = greet.zh.md\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(twin)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},  # this checkout's docsexec, not another installed one
    )
    assert "1 failed, 3 passed" in done.stdout, done.stdout
    assert "greet.zh.md::(translated prose)" in done.stdout
    assert "translates an older version of greet.md:" in done.stdout
