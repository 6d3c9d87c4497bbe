"""Pages are never damaged: write-back is atomic, untagged pages stay byte for byte, CRLF, BOM
and Chinese text survive an update, an output that contains a fence is written with a longer
fence, and `check` never writes (bytes and mtime compared). End to end through the real CLI
against real engines, plus real signals (SIGKILL, SIGTERM) during `update`.
"""

from __future__ import annotations

import errno
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import run_docsexec
from docsexec.page import Page
from docsexec.scan.fences import scan_file
from safety_support import (
    Run,
    left_by,
    no_run_outlives_its_test,  # noqa: F401 - autouse: no docsexec child outlives its test
    processes_matching,
)

BOM = "\ufeff".encode()
FRONT = re.compile(
    r"^\ufeff?---\r?\ndocsexec: \{date: [0-9-]+, engines: \[[^]]+\](, blocks: \[[0-9a-f, ]+\])?\}\r?\n---\r?\n\r?\n"
)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file of the folder: bytes, mtime (ns) and mode."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_mode) for p in sorted(folder.iterdir())}


# --- without an engine ------------------------------------------------------------------------

UNTAGGED = (
    "\ufeff# 没有可运行的块\r\n\r\n"
    "```console\r\n$ docker ps\r\nCONTAINER ID   IMAGE\r\n```\r\n\r\n"
    "!!! note\r\n    ```console {#not-run}\r\n    $ echo 你好\r\n    ```\r\n\r\n"
    "~~~~ markdown\r\n```console {#shown .docsexec}\r\n$ echo shown, not run\r\n```\r\n~~~~\r\n"
    "trailing spaces   \r\n\ttab line\r\nlone\nnewline in a CRLF page\r\nno final newline"
)


def test_update_leaves_a_page_without_tagged_blocks_byte_identical(tmp_path):
    page = tmp_path / "untagged.md"
    page.write_bytes(UNTAGGED.encode("utf-8"))
    os.utime(page, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    before = snapshot(tmp_path)
    done = run_docsexec("update", str(page))
    assert done.returncode == 0, done.stderr
    assert snapshot(tmp_path) == before


def test_an_interrupted_write_leaves_the_old_page_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "p.md"
    path.write_bytes(UNTAGGED.encode("utf-8"))
    path.chmod(0o640)
    before = snapshot(tmp_path)
    page = Page.read(path)
    page.lines[0] = "# changed"

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("docsexec.page.os.fsync", full_disk)
    with pytest.raises(OSError):
        page.write_atomically()
    assert snapshot(tmp_path) == before
    monkeypatch.undo()
    page.write_atomically()
    assert path.read_bytes().startswith(BOM + b"# changed\r\n")
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["p.md"]


def test_readers_only_ever_see_the_old_or_the_new_page(tmp_path):
    """A reader (an editor, MkDocs' file watcher) racing with 300 rewrites never sees a mix."""
    path = tmp_path / "p.md"
    versions = [("A" * 300_000 + "\n").encode(), ("你" * 100_000 + "\n").encode()]
    path.write_bytes(versions[0])
    seen: set[bytes] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            seen.add(path.read_bytes())

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for index in range(300):
            page = Page.parse(path, versions[index % 2].decode())
            page.write_atomically()
    finally:
        stop.set()
        thread.join()
    assert seen <= set(versions) and len(seen) == 2


WRITER = """
import sys
from pathlib import Path
from docsexec.page import Page
path = Path(sys.argv[1])
pages = [Page.parse(path, letter * 2_000_000 + "\\n") for letter in "AB"]
pages[0].write_atomically()
print("writing", flush=True)
i = 1
while True:
    pages[i % 2].write_atomically()
    i += 1
"""
KILLS_INSIDE_A_WRITE = 5
MOST_KILLS = 100


def test_sigkill_during_writes_never_leaves_a_damaged_page(tmp_path):
    """SIGKILL a process that rewrites a 2 MB page in a loop, at random moments, until five
    kills have landed inside a write: between the creation of the write's hidden temporary
    and its rename over the page. Such a kill is seen, not assumed: the killed writer's
    temporary (named with its pid) is still there. Each time, the page is one whole version,
    and after a kill inside a write it is the old one. Fails if too few kills land inside."""
    path = tmp_path / "p.md"
    path.write_text("A" * 2_000_000 + "\n")
    whole = {(letter * 2_000_000 + "\n").encode() for letter in "AB"}
    rng = random.Random(15)
    inside: list[int] = []  # for each kill inside a write, how many bytes its temporary had got
    for _ in range(MOST_KILLS):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
        try:
            assert writer.stdout.readline() == "writing\n", "the writer did not start writing"
            time.sleep(rng.uniform(0, 0.03))
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait()
            writer.stdout.close()
        page = path.read_bytes()
        assert page in whole, f"a damaged page: {len(page)} bytes"
        temporaries = list(tmp_path.glob(f".p.md.{writer.pid}.*.docsexec-tmp"))
        if not temporaries:
            continue  # the kill fell between two writes
        [temporary] = temporaries
        written = temporary.read_bytes()
        assert any(version.startswith(written) for version in whole), "the temporary holds the writer's bytes"
        assert not written or written[:1] != page[:1], "killed inside the write of a version, the page already shows it"
        inside.append(len(written))
        if len(inside) == KILLS_INSIDE_A_WRITE:
            break
    assert len(inside) == KILLS_INSIDE_A_WRITE, f"{len(inside)} of {MOST_KILLS} kills landed inside a write"
    others = [p.name for p in tmp_path.iterdir() if p.name != "p.md"]
    assert all(re.fullmatch(r"\.p\.md\..+\.docsexec-tmp", name) for name in others), others
    print(f"bytes of the temporary at each kill inside a write: {inside}")


# --- against real engines --------------------------------------------------------------------

CHINESE = (
    "# 网络模式\r\n\r\n"
    "容器之间如何通信：先看输出。\r\n\r\n"
    "1. 第一步：\r\n\r\n"
    "    ```console {#zh .docsexec}\r\n"
    "    $ echo 你好，世界\r\n"
    "    $ printf 'tab\\there\\n'\r\n"
    "    ```\r\n\r\n"
    "lone\nnewline stays inside its line\r\n"
    "结尾。\r\n"
)


@pytest.mark.engine
def test_update_keeps_bom_crlf_and_chinese_byte_for_byte(tmp_path, engine_ready):
    page = tmp_path / "zh.md"
    page.write_bytes(BOM + CHINESE.encode("utf-8"))
    done = run_docsexec("update", str(page))
    assert done.returncode == 0, done.stdout + done.stderr
    raw = page.read_bytes()
    assert raw.startswith(BOM)
    assert raw.count(b"\n") == raw.count(b"\r\n") + 1  # CRLF everywhere, the one lone \n kept
    text = raw.decode("utf-8")
    assert FRONT.match(text), text[:200]
    expected = CHINESE.replace(
        "    $ echo 你好，世界\r\n    $ printf 'tab\\there\\n'\r\n",
        "    $ echo 你好，世界\r\n    你好，世界\r\n    $ printf 'tab\\there\\n'\r\n    tab\there\r\n",
    )
    assert FRONT.sub("", text) == expected
    # And a second update of the now true page writes nothing at all.
    before = snapshot(tmp_path)
    again = run_docsexec("update", str(page))
    assert again.returncode == 0, again.stdout + again.stderr
    assert snapshot(tmp_path) == before


FENCED = """# Fences in outputs

1. A Markdown file that shows a fence:

    ```console {#fence .docsexec}
    $ printf '%s\\n' 'before' '```' 'inside' '````' '~~~' 'after'
    ```

Text after the block.

```console {#later .docsexec}
$ echo later
```
"""


@pytest.mark.engine
def test_an_output_with_fences_gets_a_longer_fence_and_the_page_still_parses(tmp_path, engine_ready):
    page = tmp_path / "fenced.md"
    page.write_text(FENCED, encoding="utf-8")
    done = run_docsexec("update", str(page))
    assert done.returncode == 0, done.stdout + done.stderr
    text = page.read_text(encoding="utf-8")
    assert "    `````console {#fence .docsexec}\n" in text and "\n    `````\n\nText after the block." in text
    _, blocks = scan_file(page)
    assert [b.id for b in blocks] == ["fence", "later"]
    assert list(blocks[0].body)[1:] == ["before", "```", "inside", "````", "~~~", "after"]
    assert list(blocks[1].body) == ["$ echo later", "later"]
    check = run_docsexec("check", str(page))
    assert check.returncode == 0, check.stdout + check.stderr
    before = snapshot(tmp_path)
    assert run_docsexec("update", str(page)).returncode == 0
    assert snapshot(tmp_path) == before


DIVERGING = """# Diverging

```console {#wrong .docsexec}
$ echo real
recorded
```

```console {#empty .docsexec}
$ echo 输出
```
"""


@pytest.mark.engine
def test_check_never_writes_even_when_every_block_diverges(tmp_path, engine_ready):
    page = tmp_path / "diverging.md"
    page.write_bytes(BOM + DIVERGING.replace("\n", "\r\n").encode("utf-8"))
    before = snapshot(tmp_path)
    done = run_docsexec("check", str(page))
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"--- {page}:3 [wrong]" in done.stdout and "+real" in done.stdout
    assert snapshot(tmp_path) == before


@pytest.mark.engine
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_update_killed_mid_page_leaves_the_page_untouched(tmp_path, engine_ready, sig):
    """update writes only after the whole page ran: a run stopped half-way writes nothing,
    even though its first block already diverged."""
    page = tmp_path / "stopped.md"
    page.write_text(DIVERGING + "\n```console {#long .docsexec}\n$ sleep 986\n```\n", encoding="utf-8")
    before = snapshot(tmp_path)
    run = Run("update", str(page))
    try:
        run.wait_for(lambda: bool(processes_matching("sleep 986")), what="the page's sleep")
        run.signal(sig)
        run.finish()
    finally:
        run.kill()
    assert snapshot(tmp_path) == before
    if sig == signal.SIGKILL:
        assert run_docsexec("engine", "reap").returncode == 0
    assert left_by(run.sids) == []
