"""`--shard K/N`: every page in exactly one shard, the same split on every machine, balanced."""

from __future__ import annotations

import json
from itertools import permutations
from pathlib import Path

import pytest

from docsexec.errors import UsageError
from docsexec.pages.shards import Shard, parse_shard, recorded_times, select

PAGES = [(Path(f"docs/p{i}.md"), n) for i, n in enumerate([16, 18, 14, 1, 8, 2, 3, 5, 9])]
TIMES = {
    "docs/p0.md": 14.0,
    "docs/p1.md": 6.0,
    "docs/p2.md": 26.0,
    "docs/p3.md": 2.0,
    "docs/p4.md": 4.0,
    "docs/p5.md": 2.0,
    "docs/p6.md": 3.0,
}


@pytest.mark.parametrize("count", [1, 2, 3, 4, 9, 12])
def test_shards_are_disjoint_complete_and_keep_page_order(count):
    parts = [select(PAGES, Shard(k, count), TIMES) for k in range(1, count + 1)]
    every = [p for part in parts for p in part]
    assert sorted(every) == sorted(p for p, _ in PAGES) and len(every) == len(set(every))
    order = [p for p, _ in PAGES]
    for part in parts:
        assert part == sorted(part, key=order.index)


def test_the_split_is_deterministic_and_does_not_depend_on_dict_order():
    first = [select(PAGES, Shard(k, 3), TIMES) for k in (1, 2, 3)]
    for shuffled in list(permutations(TIMES.items()))[:50]:
        assert [select(PAGES, Shard(k, 3), dict(shuffled)) for k in (1, 2, 3)] == first


def test_shards_are_balanced_by_recorded_time():
    times = {str(p): t for p, t in zip((p for p, _ in PAGES), [30, 10, 10, 10, 10, 5, 5, 5, 5], strict=True)}
    loads = [sum(times[str(p)] for p in select(PAGES, Shard(k, 2), times)) for k in (1, 2)]
    assert loads == [45, 45]


def test_pages_without_a_recorded_time_are_weighed_by_their_commands():
    parts = [select(PAGES, Shard(k, 2), {}) for k in (1, 2)]
    commands = dict(PAGES)
    loads = sorted(sum(commands[p] for p in part) for part in parts)
    assert loads[1] - loads[0] <= max(commands.values())


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0", "-1/2", ""])
def test_a_bad_shard_is_a_usage_error(text):
    with pytest.raises(UsageError, match="--shard"):
        parse_shard(text)


def test_times_come_from_a_json_report(tmp_path):
    report = tmp_path / "r.json"
    report.write_text(json.dumps({"pages": [{"file": "./docs/a.md", "seconds": 3.5}]}))
    assert recorded_times(report) == {"docs/a.md": 3.5}
    with pytest.raises(UsageError, match="no such file"):
        recorded_times(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(UsageError, match="not a docsexec JSON report"):
        recorded_times(tmp_path / "bad.json")


def test_a_pages_weight_is_the_sum_of_its_engines_runs(tmp_path):
    report = tmp_path / "r.json"
    runs = [("docs/a.md", "forky", 10.0), ("docs/a.md", "trixie", 12.0), ("docs/b.md", "forky", 5.0)]
    report.write_text(json.dumps({"pages": [{"file": f, "engine_source": e, "seconds": s} for f, e, s in runs]}))
    assert recorded_times(report) == {"docs/a.md": 22.0, "docs/b.md": 5.0}


def test_a_cached_entry_measured_no_run_and_is_not_a_time(tmp_path):
    report = tmp_path / "r.json"
    entries = [
        {"file": "docs/a.md", "seconds": 0.01, "cached": {"note": "verified before"}},
        {"file": "docs/b.md", "seconds": 4.0, "cached": None},
    ]
    report.write_text(json.dumps({"pages": entries}))
    assert recorded_times(report) == {"docs/b.md": 4.0}


@pytest.mark.parametrize("seconds", ["NaN", "Infinity", "-1"])
def test_a_time_that_is_not_a_duration_is_a_corrupt_report(tmp_path, seconds):
    report = tmp_path / "r.json"
    report.write_text('{"pages": [{"file": "docs/a.md", "seconds": ' + seconds + "}]}")
    with pytest.raises(UsageError, match="not a docsexec JSON report"):
        recorded_times(report)


def _times_file(folder: Path, seconds: dict[str, float]) -> None:
    (folder / ".ci").mkdir()
    entries = [{"file": f, "seconds": s, "cached": None} for f, s in seconds.items()]
    (folder / ".ci" / "page-times.json").write_text(json.dumps({"pages": entries}))


def _jobs(names: list[str], folder: Path) -> list:
    from docsexec.pages.jobs import Job

    return [Job(i, folder / name if i % 2 else Path(name), None, None) for i, name in enumerate(names)]  # type: ignore[arg-type]


def test_parallel_runs_start_the_longest_pages_first_and_unknown_ones_as_the_mean(tmp_path, monkeypatch):
    from docsexec.pages.jobs import heaviest_first

    monkeypatch.chdir(tmp_path)
    _times_file(tmp_path, {"docs/a.md": 5.0, "docs/b.md": 40.0, "docs/c.md": 1.0, "docs/d.md": 30.0})
    names = ["docs/a.md", "docs/b.md", "docs/c.md", "docs/new.md", "docs/d.md", "docs/b.md"]
    started = [job.index for job in heaviest_first(_jobs(names, tmp_path))]
    # b (40, both runs, in their own order), d (30), new (the mean, 19), a (5), c (1)
    assert started == [1, 5, 4, 3, 0, 2]


def test_a_damaged_times_file_leaves_the_order_as_it_is(tmp_path, monkeypatch):
    from docsexec.pages.jobs import heaviest_first

    monkeypatch.chdir(tmp_path)
    (tmp_path / ".ci").mkdir()
    (tmp_path / ".ci" / "page-times.json").write_text("{not json")
    jobs = _jobs(["docs/a.md", "docs/b.md"], tmp_path)
    assert heaviest_first(jobs) == jobs
