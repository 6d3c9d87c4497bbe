"""Cleanup, always: whatever ends a run (a failing block, a timeout, Ctrl-C, SIGTERM, even a
signal that lands while the sandbox is still starting), every daemon, namespace, mount,
cgroup, container and folder the run created is gone when docsexec exits. After SIGKILL, the
next run (or `docsexec engine reap`) removes what the killed run left, and only that.

All tests drive the real CLI in a child process with real signals against real engines.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from conftest import run_docsexec
from docsexec.engine.installed import find_engine
from docsexec.engine.sandbox import layout
from docsexec.engine.sandbox.sandbox import Sandbox
from engine_fixtures import run as run_in
from engine_fixtures import traces
from safety_support import (
    Run,
    left_by,
    no_run_outlives_its_test,  # noqa: F401 - autouse: no docsexec child outlives its test
    own_sandbox_dirs,
    processes_matching,
    write_page,
)

pytestmark = [pytest.mark.engine, pytest.mark.usefixtures("engine_ready")]

SLEEP = "sleep 987"  # a command line no other test or program uses, so its process is ours
LONG_PAGE = f"""# Long

```console {{#first .docsexec}}
$ docker run -d --name keeper busybox sleep 1d >/dev/null
$ echo started
started
```

```console {{#long .docsexec}}
$ {SLEEP}
```
"""
CLEANUP_LIMIT = 10.0  # seconds from the signal to a clean exit (measured: ~0.4 s)


@pytest.fixture
def runs():
    """Every Run a test makes; killed at the end whatever happened, then checked clean."""
    made: list[Run] = []
    yield made
    for run in made:
        run.kill()


def sleeping(run: Run) -> bool:
    return bool(processes_matching(SLEEP)) and bool(run.sids)


def test_a_failing_block_still_tears_everything_down(tmp_path, runs):
    page = write_page(
        tmp_path,
        "fails.md",
        """# Fails

```console {#net .docsexec}
$ docker network create pagenet >/dev/null
$ docker run -d --name box --network pagenet busybox sleep 1d >/dev/null
$ docker network rm nosuchnet
```

```console {#after .docsexec}
$ echo after
after
```
""",
    )
    run = Run("check", str(page))
    runs.append(run)
    assert run.finish() == 1, run.stdout + run.stderr
    assert f"{page}:3 [net]" in run.stdout and "network nosuchnet not found" in run.stdout
    assert run.sids, "the run's sandbox was never seen"
    assert left_by(run.sids) == []


@pytest.mark.parametrize(
    "sig,group",
    [(signal.SIGINT, True), (signal.SIGTERM, False), (signal.SIGHUP, False)],
    ids=["ctrl-c-to-the-process-group", "sigterm", "sighup"],
)
def test_a_stop_signal_mid_page_tears_everything_down_at_once(tmp_path, runs, sig, group):
    page = write_page(tmp_path, "long.md", LONG_PAGE)
    run = Run("check", str(page))
    runs.append(run)
    run.wait_for(lambda: sleeping(run), what="the page's sleep")
    sent = run.signal(sig, group=group)
    code = run.finish()
    seconds = time.monotonic() - sent
    assert code == 128 + sig, run.stderr
    assert run.stderr.strip().endswith("docsexec: interrupted; engines were torn down")
    assert left_by(run.sids) == []
    assert processes_matching(SLEEP) == []
    assert seconds < CLEANUP_LIMIT
    print(f"{signal.Signals(sig).name}: clean exit {seconds:.2f} s after the signal")


def test_more_ctrl_c_during_teardown_do_not_cut_it_short(tmp_path, runs):
    page = write_page(tmp_path, "long.md", LONG_PAGE)
    run = Run("check", str(page))
    runs.append(run)
    run.wait_for(lambda: sleeping(run), what="the page's sleep")
    run.signal(signal.SIGINT, group=True)
    for _ in range(15):  # an impatient user: Ctrl-C every 20 ms while docsexec cleans up
        time.sleep(0.02)
        if run.proc.poll() is not None:
            break
        run.signal(signal.SIGINT, group=True)
    assert run.finish() == 130, run.stderr
    assert left_by(run.sids) == []


def _phase_reached(run: Run, phase: str) -> bool:
    """The sandbox of `run` has got as far as `phase` of its start (and no further is needed)."""
    dirs = own_sandbox_dirs(run)
    if not dirs:
        return False
    root = dirs[0]
    if phase == "root":
        return True
    if phase == "containerd":
        return (root / "containerd.pid").exists()
    if phase == "dockerd":
        return (root / "dockerd.pid").exists() or any("dockerd" in _cmd(p) for p in _children(run.pid))
    if phase == "image-import":
        # the page client (forky's docker, by its full path) imports the busybox image
        return any(_cmd(p).split(" ", 1)[0].endswith("/docker") and " import " in _cmd(p) for p in _children(run.pid))
    raise AssertionError(phase)


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found.append(int(entry))
    return found


def _cmd(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.parametrize("phase", ["root", "containerd", "dockerd", "image-import"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_the_sandbox_starts_leaves_nothing(tmp_path, runs, phase, sig):
    page = write_page(tmp_path, "starting.md", LONG_PAGE)
    run = Run("check", str(page))
    runs.append(run)
    run.wait_for(lambda: _phase_reached(run, phase), what=f"sandbox start phase {phase}")
    run.signal(sig, group=sig == signal.SIGINT)
    assert not processes_matching(SLEEP), "the signal came too late: the page was already running"
    assert run.finish() == 128 + sig, run.stderr
    assert "[first] ran" not in run.stderr
    assert left_by(run.sids) == []


@pytest.mark.serial
def test_after_sigkill_engine_reap_removes_the_killed_run_and_only_it(tmp_path, runs):
    engine = find_engine()
    assert engine is not None
    other = Sandbox("another-live-run", engine)  # a live run's sandbox that must survive
    other.start()
    try:
        page = write_page(tmp_path, "killed.md", LONG_PAGE)
        run = Run("check", str(page))
        runs.append(run)
        run.wait_for(lambda: sleeping(run), what="the page's sleep")
        run.signal(signal.SIGKILL)
        assert run.finish() == -signal.SIGKILL
        [sid] = run.sids
        assert traces(sid), "SIGKILL should have left the sandbox for the reaper"

        reaped = run_docsexec("engine", "reap")
        assert reaped.returncode == 0, reaped.stderr
        assert f"reaped {sid}" in reaped.stdout.splitlines()
        assert other.id not in reaped.stdout
        assert left_by({sid}) == []
        assert processes_matching(SLEEP) == []
        # The other run's engine is untouched: still answering, with its container.
        done = run_in(other, "docker", "info", "--format", "{{.ID}}")
        assert done.returncode == 0 and done.stdout.strip(), done.stderr
        assert layout.netns_path(other.id).exists()
    finally:
        other.stop()
    assert traces(other.id) == []


def test_after_sigkill_the_next_run_reaps_the_killed_one(tmp_path, runs):
    page = write_page(tmp_path, "killed.md", LONG_PAGE)
    killed = Run("check", str(page))
    runs.append(killed)
    killed.wait_for(lambda: sleeping(killed), what="the page's sleep")
    killed.signal(signal.SIGKILL)
    killed.finish()
    [sid] = killed.sids
    assert traces(sid)

    quick = write_page(tmp_path, "quick.md", "```console {#q .docsexec}\n$ echo q\nq\n```\n")
    following = Run("check", str(quick))
    runs.append(following)
    assert following.finish() == 0, following.stdout + following.stderr
    assert left_by({sid}) == [], "the next run's sandbox start did not reap the killed run"
    assert left_by(following.sids) == []
