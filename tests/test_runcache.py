"""The cache of verified runs: a hit needs every input unchanged; a damaged entry is never trusted.

No engine needed: keys and entries are computed from pages and from what identifies the
engine, the image, the machine's tools and docsexec's own source.
"""

from __future__ import annotations

import json
import multiprocessing
from dataclasses import replace
from pathlib import Path

import pytest

from docsexec.page import Page
from docsexec.pages import runcache
from docsexec.pages.runcache import RunCache, new_entry, run_key
from docsexec.scan.fences import scan_page

PAGE = """# P

```console {#greet .docsexec}
$ echo hello
hello
```

```console {#fail .docsexec data-exit="1"}
$ false
```
"""
ENGINE = {"source": "debian-trixie", "version": "26.1.5+dfsg1", "dockerd": ["/x/dockerd", 1, 2]}
SETTINGS = {"engine": "sandbox", "default_timeout": 60.0}


def key_of(text: str = PAGE, settings: dict = SETTINGS, engine: dict = ENGINE) -> str:
    page = Page.parse(Path("p.md"), text)
    return run_key(page, scan_page(page), settings, engine)


def blocks_of(text: str = PAGE):
    page = Page.parse(Path("p.md"), text)
    return scan_page(page)


def entry_for(key: str, ids=("greet", "fail")):
    return new_entry(key, "26.1.5+dfsg1", "debian-trixie", 1.5, [(i, 0.5) for i in ids])


def test_the_same_inputs_give_the_same_key_and_a_hit(tmp_path):
    cache = RunCache(tmp_path)
    key = key_of()
    assert key == key_of()
    assert cache.lookup(key, blocks_of()) is None
    cache.store(entry_for(key))
    hit = cache.lookup(key, blocks_of())
    assert hit is not None and hit.engine_version == "26.1.5+dfsg1"
    assert hit.describe().startswith("cached, verified on 26.1.5+dfsg1 (debian-trixie) at ")


@pytest.mark.parametrize(
    "change",
    [
        ("a command", lambda t: t.replace("$ echo hello", "$ echo hullo")),
        ("a recorded output", lambda t: t.replace("\nhello\n", "\nhullo\n")),
        ("an option", lambda t: t.replace('data-exit="1"', 'data-exit="1" data-timeout="5"')),
        ("a block id", lambda t: t.replace("#greet", "#greeting")),
        ("block order", lambda t: "# P\n\n" + "\n".join(reversed(t.removeprefix("# P\n\n").split("\n\n")))),
    ],
    ids=lambda c: c[0] if isinstance(c, tuple) else c,
)
def test_a_change_of_the_page_blocks_misses(change):
    _, edit = change
    assert key_of(edit(PAGE)) != key_of()


def test_prose_outside_blocks_does_not_change_the_key():
    assert key_of(PAGE.replace("# P", "# A new title\n\nMore prose.")) == key_of()


@pytest.mark.parametrize(
    "field,value", [("source", "debian-forky"), ("version", "28.5.2+dfsg1"), ("dockerd", ["/x/dockerd", 1, 3])]
)
def test_a_change_of_the_engine_misses(field, value):
    assert key_of(engine={**ENGINE, field: value}) != key_of()


def test_the_engine_identity_covers_the_page_client_and_compose(tmp_path):
    """A page's shell runs forky's `docker` (and its compose plugin) whatever the engine: a
    new client must not let an old pass stand."""
    from docsexec.engine import installed

    client, plugins = tmp_path / "client", tmp_path / "plugins"
    client.mkdir(), plugins.mkdir()
    (client / "docker").write_text("client 1")
    (plugins / "docker-compose").write_text("compose 1")
    engine = installed.EngineInstall(tmp_path / "dockerd", (), "26.1.5+dfsg1", "debian-trixie", client, plugins)
    first = runcache.engine_identity(engine)
    assert first == runcache.engine_identity(engine)
    (client / "docker").write_text("client 2, longer")
    second = runcache.engine_identity(engine)
    (plugins / "docker-compose").write_text("compose 2, longer")
    third = runcache.engine_identity(engine)
    assert first != second != third
    assert key_of(engine=first) != key_of(engine=second) != key_of(engine=third)


def test_a_change_of_the_settings_misses():
    assert key_of(settings={**SETTINGS, "default_timeout": 30.0}) != key_of()


def test_a_change_of_the_image_tools_or_kernel_misses(monkeypatch):
    before = key_of()
    real = runcache.machine_identity()
    for part, value in (
        ("image", "other-digest"),
        ("kernel", "9.9.9"),
        ("tools", {**real["tools"], "ip": ["/sbin/ip", 1, 1]}),
    ):
        monkeypatch.setattr(
            runcache, "_machine_identity", lambda part=part, value=value: json.dumps({**real, part: value})
        )
        assert key_of() != before, part
    monkeypatch.undo()
    assert key_of() == before


def test_a_change_of_docsexec_itself_misses(monkeypatch):
    before = key_of()
    monkeypatch.setattr(runcache, "docsexec_digest", lambda: "another-docsexec")
    assert key_of() != before


def test_the_docsexec_digest_covers_the_comparator_source():
    package = Path(runcache.__file__).parent.parent
    hashed = runcache.source_files()
    assert package / "compare" / "lines.py" in hashed
    assert package / "pages" / "runcache.py" in hashed and package / "model.py" in hashed
    runcache.docsexec_digest.cache_clear()
    first = runcache.docsexec_digest()
    assert first == runcache.docsexec_digest() and len(first) == 64


def test_the_image_digest_is_a_hash_of_the_rootfs():
    digest = runcache.image_digest()
    assert len(digest.split(":")[0]) == 64


@pytest.mark.parametrize(
    "damage",
    [
        ("truncated", lambda text: text[: len(text) // 2]),
        ("not json", lambda text: "\0\0garbage"),
        ("empty", lambda text: ""),
        (
            "edited verdict data",
            lambda text: text.replace('"engine_version": "26.1.5+dfsg1"', '"engine_version": "99"'),
        ),
        ("checksum removed", lambda text: json.dumps({k: v for k, v in json.loads(text).items() if k != "checksum"})),
        ("a list", lambda text: "[1, 2]"),
    ],
    ids=lambda d: d[0] if isinstance(d, tuple) else d,
)
def test_a_corrupt_entry_is_ignored(tmp_path, damage):
    cache = RunCache(tmp_path)
    key = key_of()
    cache.store(entry_for(key))
    [path] = tmp_path.rglob("*.json")
    path.write_text(damage[1](path.read_text()))
    assert cache.lookup(key, blocks_of()) is None
    cache.store(entry_for(key))  # the next passing run replaces it
    assert cache.lookup(key, blocks_of()) is not None


def test_an_entry_under_another_key_or_for_other_blocks_is_not_trusted(tmp_path):
    cache = RunCache(tmp_path)
    key, other = key_of(), key_of(PAGE.replace("hello", "bye"))
    cache.store(entry_for(other))
    cache._file(key).parent.mkdir(parents=True, exist_ok=True)
    cache._file(key).write_text(cache._file(other).read_text())  # copied: its own key says other
    assert cache.lookup(key, blocks_of()) is None
    cache.store(entry_for(key, ids=("greet",)))
    assert cache.lookup(key, blocks_of()) is None


def _writer(root: str, key: str, rounds: int) -> None:
    cache = RunCache(Path(root))
    for index in range(rounds):
        cache.store(replace(entry_for(key), seconds=float(index)))


def test_concurrent_writers_never_leave_half_an_entry(tmp_path):
    key = key_of()
    blocks = blocks_of()
    writers = [multiprocessing.Process(target=_writer, args=(str(tmp_path), key, 200)) for _ in range(4)]
    for process in writers:
        process.start()
    cache = RunCache(tmp_path)
    seen = 0
    while any(p.is_alive() for p in writers):
        path = cache._file(key)
        if path.exists():
            assert cache.lookup(key, blocks) is not None, "a reader saw a partial entry"
            seen += 1
    for process in writers:
        process.join()
        assert process.exitcode == 0
    assert cache.lookup(key, blocks) is not None
    assert [p.name for p in cache._file(key).parent.iterdir()] == [f"{key}.json"], "temporary files left behind"
    assert seen > 0
