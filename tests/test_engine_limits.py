"""How the sandbox reads its limits and tells a page's own limit from a container's
(docsexec/engine/sandbox/limits.py, cgroups.py), on files shaped like the kernel's, v1 and v2 alike:
the project's machines have cgroup v1, GitHub's runners v2, and both must report the same.
The real limits against a real engine are tests/test_safety_contain.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from docsexec.engine.sandbox import cgroups
from docsexec.engine.sandbox.limits import MEMORY_ENV, SECONDS_ENV, TASKS_ENV, Limit, LimitExceeded, Limits
from docsexec.errors import EXIT_DIVERGED, EnvironmentProblem


def group(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("_", ".", 1)).write_text(text)
    return folder


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(MEMORY_ENV, "300")
    monkeypatch.setenv(TASKS_ENV, "50")
    monkeypatch.setenv(SECONDS_ENV, "2.5")
    assert Limits.from_env() == Limits(memory_mib=300, tasks=50, seconds=2.5)
    monkeypatch.setenv(TASKS_ENV, "lots")
    with pytest.raises(EnvironmentProblem, match=TASKS_ENV):
        Limits.from_env()


def test_a_hit_is_one_line_naming_the_page_and_exit_1():
    error = LimitExceeded("docs/x.md", [Limit.MEMORY, Limit.SECONDS], Limits(memory_mib=64, seconds=9))
    assert error.exit_code == EXIT_DIVERGED
    assert (
        error.one_line()
        == str(error)
        == (
            "docs/x.md: stopped by the sandbox's memory limit (64 MiB) and wall-clock limit (9 s); "
            "everything the page started was removed"
        )
    )


def test_tasks_peak_at_the_limit_is_a_hit_on_v1_and_v2(tmp_path):
    assert cgroups._tasks_hit(group(tmp_path / "a", pids_peak="400\n"), False, 400)
    assert not cgroups._tasks_hit(group(tmp_path / "b", pids_peak="399\n"), True, 400)


def test_without_a_peak_v2_reads_the_groups_own_events(tmp_path):
    """A container's --pids-limit raises events in its own group: only the local count of the
    sandbox's group says the page reached its limit."""
    own = group(tmp_path / "own", **{"pids_events.local": "max 3\n", "pids_events": "max 3\n"})
    container = group(tmp_path / "ctr", **{"pids_events.local": "max 0\n", "pids_events": "max 7\n"})
    assert cgroups._tasks_hit(own, True, 400) and not cgroups._tasks_hit(container, True, 400)
    assert not cgroups._tasks_hit(own, False, 400), "v1 events count in the forking group: not used"


def test_memory_v1_needs_the_tops_failures_and_a_kill_below(tmp_path):
    top = group(
        tmp_path / "top",
        memory_failcnt="12\n",
        **{"memory_oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"},
    )
    assert not cgroups._memory_hit(top, False)
    group(top / "box" / "c1", memory_oom_control="oom_kill_disable 0\nunder_oom 0\noom_kill 1\n")
    assert cgroups._memory_hit(top, False)
    (top / "memory.failcnt").write_text("0\n")  # a container's own -m limit, not the page's
    assert not cgroups._memory_hit(top, False)


def test_memory_v2_counts_only_the_tops_own_oom(tmp_path):
    own = group(tmp_path / "own", **{"memory_events.local": "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n"})
    below = group(
        tmp_path / "below",
        **{
            "memory_events.local": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n",
            "memory_events": "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n",
        },
    )
    assert cgroups._memory_hit(own, True) and not cgroups._memory_hit(below, True)
