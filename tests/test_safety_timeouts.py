"""Hanging commands are stopped by the timeout, reported with file:line, make the run exit 1,
and the page's engine is still torn down completely.

Three ways a page hangs for real: `ping` without -c (inside the page's own container, at its
own loopback: nothing leaves the machine), `docker run -it busybox` with no input lines (the
container's shell waits at its prompt), and a plain `sleep 1003`. The per-block
`data-timeout` and the run's `--timeout` both apply.
"""

from __future__ import annotations

import time

import pytest

from safety_support import (
    Run,
    left_by,
    no_run_outlives_its_test,  # noqa: F401 - autouse: no docsexec child outlives its test
    processes_matching,
    write_page,
)

pytestmark = [pytest.mark.engine, pytest.mark.usefixtures("engine_ready")]

AFTER = """
```console {#after .docsexec}
$ echo after
after
```
"""
PAGES = {
    "ping.md": (
        """# Ping

```console {#start .docsexec}
$ docker run -d --name pinger busybox sleep 1d >/dev/null
```

```console {#ping .docsexec data-timeout="2"}
$ docker exec pinger ping 127.0.0.1
```
"""
        + AFTER,
        8,
        "docker exec pinger ping 127.0.0.1",
        2,
    ),
    "interactive.md": (
        """# Interactive, but nothing typed

```console {#it .docsexec data-timeout="2"}
$ docker run -it busybox
```
"""
        + AFTER,
        4,
        "docker run -it busybox",
        2,
    ),
    "sleep.md": (
        """# Sleep

```console {#sleep .docsexec}
$ sleep 1003
```
"""
        + AFTER,
        4,
        "sleep 1003",
        3,
    ),  # the run's --timeout 3
}


@pytest.fixture(scope="module")
def timed_out(tmp_path_factory, engine_ready):
    """One `check` of the three pages, with the run's default timeout at 3 s."""
    folder = tmp_path_factory.mktemp("hang")
    paths = [write_page(folder, name, text) for name, (text, *_rest) in PAGES.items()]
    run = Run("check", "--timeout", "3", *map(str, paths))
    begun = time.monotonic()
    try:
        code = run.finish(timeout=180)
    finally:
        run.kill()
    return folder, run, code, time.monotonic() - begun


def test_each_hanging_command_is_stopped_and_reported_with_file_and_line(timed_out):
    folder, run, code, seconds = timed_out
    assert code == 1, run.stdout + run.stderr
    for name, (_text, line, command, limit) in PAGES.items():
        page = folder / name
        assert f"{page}:{line}: timed out after {limit:g} s: {command}" in run.stdout, run.stdout
        assert f"--- {page}:" in run.stdout
        # The page stopped at the hang: the next block did not run in a confused shell.
        assert "not run: an earlier command timed out" in run.stdout.split(str(page), 1)[1]
    print(f"three hanging pages checked in {seconds:.1f} s")


def test_the_engines_of_timed_out_pages_are_gone(timed_out):
    _folder, run, _code, _seconds = timed_out
    assert len(run.sids) == 3, run.sids
    assert left_by(run.sids) == []
    assert (
        processes_matching("sleep 1003") == []
    )  # the page shell and its sleep sit outside the sandbox cgroup: checked by name


def test_a_timeout_in_update_writes_nothing(tmp_path):
    text = PAGES["sleep.md"][0]
    page = write_page(tmp_path, "sleep.md", text)
    before = page.stat().st_mtime_ns
    run = Run("update", "--timeout", "2", str(page))
    try:
        assert run.finish() == 1
    finally:
        run.kill()
    assert page.read_text(encoding="utf-8") == text and page.stat().st_mtime_ns == before
    assert left_by(run.sids) == []
