"""The busybox image built like Docker Hub's: no banner, the pages' applets, built once.

The recipe's pure parts (config editing, .dsc parsing) are tested alone; everything else
runs the real build, the real binary and a real engine. The rebuild test goes through the
whole rebuild (unpack, configure, binary checks, install) in a scratch cache seeded with the
machine's downloaded source, so it needs no network and never touches the shared cache's
build; only `make` itself is replaced by a copy of the machine's built binary, since the
real compile (one to four minutes on two cores) already ran in the set-up, and
`bench/busybox_build.py` measures the compile and its reproducibility.
"""

from __future__ import annotations

import os
import re
import shutil
import tarfile
import time
from pathlib import Path

import pexpect
import pytest

from docsexec.engine.install import busybox_build, images
from docsexec.engine.install.provision import busybox_rootfs_tar, install_engine
from docsexec.engine.installed import cache_dir
from docsexec.errors import EXIT_ENVIRONMENT, EnvironmentProblem
from docsexec.scan.keys import parse_keys

try:
    from engine_fixtures import engine, run, sandbox
except ImportError:  # tests/ collected as a package
    from tests.engine_fixtures import engine, run, sandbox  # noqa: F401

DOCS = Path(__file__).resolve().parent.parent / "docs"
ASH_BUILTINS = {"exit", "echo", "cd", "export", "set", "true", "false", "read", "exec", "type"}
OFFICIAL_CMD_ENV = '["sh"] ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]'


# --- the recipe's pure parts ------------------------------------------------------------------


def test_edited_config_sets_and_unsets_the_official_settings():
    text = "CONFIG_STATIC=n\n# CONFIG_AR is not set\nCONFIG_FEATURE_SYNC_FANCY=y\nCONFIG_PING=y\n"
    config = busybox_build.parse_config(busybox_build.edited_config(text))
    assert config["CONFIG_STATIC"] == "y" and config["CONFIG_AR"] == "y" and config["CONFIG_PING"] == "y"
    assert "CONFIG_FEATURE_SYNC_FANCY" not in config
    assert busybox_build.config_problems(config) == ["CONFIG_FEATURE_SH_EXTRA_QUIET is unset, expected y"]


def test_debians_rescue_configuration_would_be_refused():
    config = {**busybox_build.CONFIG_SET, "CONFIG_FEATURE_SH_STANDALONE": "y"}
    problems = busybox_build.config_problems(config)
    assert "CONFIG_FEATURE_SH_EXTRA_QUIET is unset, expected y" in problems
    assert "CONFIG_FEATURE_SH_STANDALONE is y, expected unset" in problems


def test_dsc_checksums_are_read_from_their_section(tmp_path):
    dsc = tmp_path / "busybox_1.37.0-6.dsc"
    dsc.write_text(
        "Format: 3.0 (quilt)\nVersion: 1:1.37.0-6\nChecksums-Sha256:\n"
        " aa11 2565764 busybox_1.37.0.orig.tar.bz2\n bb22 65032 busybox_1.37.0-6.debian.tar.xz\n"
        "Files:\n 0f 1 other\n"
    )
    assert busybox_build.dsc_field(dsc, "Version") == "1:1.37.0-6"
    assert busybox_build.dsc_checksums(dsc) == {
        "busybox_1.37.0.orig.tar.bz2": "aa11",
        "busybox_1.37.0-6.debian.tar.xz": "bb22",
    }


# --- the built binary -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(engine):
    found = busybox_build.cached(cache_dir())
    assert found is not None, "install_engine() left no intact busybox build in the cache"
    return found


@pytest.mark.engine
def test_the_built_binary_is_static_and_has_no_banner(built):
    assert busybox_build.is_static_elf(built.binary)
    assert not busybox_build.is_static_elf(Path(shutil.which("python3")).resolve())
    assert not busybox_build.prints_banner(built.binary)


@pytest.mark.engine
def test_the_banner_check_sees_debians_banner():
    """The check that passes above fails on Debian's busybox-static (when it is installed)."""
    debian = images.BUSYBOX.resolve()
    if not debian.exists():
        pytest.fail(f"{images.BUSYBOX} (busybox-static) is needed to show the banner check can fail")
    assert busybox_build.prints_banner(debian)


def page_applets() -> set[str]:
    """First words of what the pages type at busybox's prompt or run with `docker exec`."""
    words = set()
    for page in DOCS.rglob("*.md"):
        for line in page.read_text().splitlines():
            if parse_keys(line.removeprefix("/ # ")) is not None:
                continue  # a line of keys (<CTRL-p><CTRL-q>) types no command
            typed = re.match(r"^/ # (\S+)", line)
            execd = re.match(r"^\$ docker exec (?:-\w+ )*\S+ (\S+)", line)
            words.update(m.group(1) for m in (typed, execd) if m)
    return words - ASH_BUILTINS


@pytest.mark.engine
def test_the_applets_include_what_the_pages_use(built):
    have = set(busybox_build.applets(built.binary))
    used = page_applets()
    assert {"ip", "ping"} <= used, used  # the scan found the pages' commands
    assert used <= have, sorted(used - have)
    assert set(busybox_build.REQUIRED_APPLETS) <= have
    assert {"nslookup", "httpd", "nc", "wget", "route", "hostname", "ifconfig", "ar"} <= have


@pytest.mark.engine
def test_the_rootfs_hard_links_every_applet_in_bin_like_busybox_install(built):
    with tarfile.open(busybox_rootfs_tar()) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert members["bin/busybox"].isfile() and members["bin/busybox"].size == built.binary.stat().st_size
    for applet in busybox_build.applets(built.binary):
        if applet != "busybox":
            assert members[f"bin/{applet}"].islnk() and members[f"bin/{applet}"].linkname == "bin/busybox"
    assert members["usr/bin/env"].issym() and members["usr/bin/env"].linkname == "../../bin/env"
    assert {"etc/passwd", "etc/group", "tmp", "proc", "sys", "dev", "root"} <= members.keys()


# --- in a real engine -------------------------------------------------------------------------


@pytest.mark.engine
def test_docker_run_it_busybox_goes_straight_to_the_prompt(sandbox):
    env = {**os.environ, **sandbox.env()}
    argv = sandbox.wrap(["docker", "run", "-it", "--rm", "busybox"])
    child = pexpect.spawn(argv[0], argv[1:], env=env, encoding="utf-8", timeout=30, dimensions=(24, 120))
    try:
        child.expect_exact("/ # ")
        before = child.before
        child.sendline("echo inside-$((6*7))")
        child.expect_exact("inside-42")
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert before.strip() == "", f"printed before the first prompt: {before!r}"


@pytest.mark.engine
def test_the_image_has_docker_hubs_cmd_and_path(sandbox):
    done = run(
        sandbox, "docker", "image", "inspect", "busybox", "--format", "{{json .Config.Cmd}} {{json .Config.Env}}"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == OFFICIAL_CMD_ENV
    listed = run(sandbox, "docker", "run", "--rm", "busybox", "sh", "-c", "ls -i /bin/sh /bin/ping /bin/busybox; env")
    inodes = {
        line.split()[0] for line in listed.stdout.splitlines() if line.strip().endswith(("sh", "ping", "busybox"))
    }
    assert len(inodes) == 1, listed.stdout  # one file, hard-linked
    assert "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" in listed.stdout


# --- the cache --------------------------------------------------------------------------------


@pytest.mark.engine
def test_a_second_setup_builds_nothing(engine, built):
    before = built.binary.stat().st_mtime_ns
    lines: list[str] = []
    install_engine(log=lines.append)
    assert not [line for line in lines if line.startswith(("busybox:", "$ apt-get"))], lines
    assert built.binary.stat().st_mtime_ns == before
    assert busybox_build.cached(cache_dir()) == built


@pytest.mark.engine
def test_a_corrupt_cached_binary_is_rebuilt_from_the_cached_source(tmp_path, built, monkeypatch):
    scratch = tmp_path / "cache"
    shutil.copytree(cache_dir() / "busybox" / "source", scratch / "busybox" / "source")
    shutil.copytree(built.binary.parent, busybox_build.build_dir(scratch))
    assert busybox_build.cached(scratch) is not None
    damaged = busybox_build.build_dir(scratch) / "busybox"
    damaged.write_bytes(damaged.read_bytes()[:4096])  # a truncated copy
    assert busybox_build.cached(scratch) is None
    compiled: list[Path] = []

    def make_copies_the_built_binary(tree: Path, jobs: int, cache: Path) -> Path:
        assert (tree / ".config").is_file() and cache == scratch  # configured, in the scratch cache
        compiled.append(tree)
        shutil.copy2(built.binary, tree / "busybox")
        return tree / "busybox"

    monkeypatch.setattr(busybox_build, "compile_tree", make_copies_the_built_binary)
    lines: list[str] = []
    rebuilt = busybox_build.ensure_built(scratch, lines.append)
    assert len(compiled) == 1
    assert any(line.startswith("busybox: building") for line in lines), lines
    assert not any(line.startswith("$ apt-get") for line in lines), lines  # source came from the cache
    assert rebuilt.sha256 == built.sha256 and busybox_build.cached(scratch) == rebuilt
    begun = time.monotonic()
    assert busybox_build.ensure_built(scratch, lines.append) == rebuilt
    assert time.monotonic() - begun < 1.0


def test_a_build_that_cannot_work_is_one_environment_line(tmp_path, monkeypatch):
    folder = tmp_path / "busybox" / "source"
    folder.mkdir(parents=True)
    source = cache_dir() / "busybox" / "source"
    if not source.is_dir():
        pytest.fail(f"{source} is missing: run `docsexec engine install` first")
    for path in source.iterdir():
        shutil.copy(path, folder / path.name)
    monkeypatch.setattr(busybox_build, "DEBIAN_PATCHES", ("no-such.patch",))
    with pytest.raises(EnvironmentProblem) as caught:
        busybox_build.ensure_built(tmp_path, lambda line: None)
    assert caught.value.exit_code == EXIT_ENVIRONMENT
    message = str(caught.value)
    assert "\n" not in message and message.startswith("busybox build: unpacking Debian's patches failed"), message
    assert busybox_build.cached(tmp_path) is None


def test_a_compiler_error_is_one_line_naming_the_broken_file(tmp_path, monkeypatch):
    folder = tmp_path / "busybox" / "source"
    shutil.copytree(cache_dir() / "busybox" / "source", folder)
    broken = {**busybox_build.CONFIG_SET, "CONFIG_EXTRA_CFLAGS": '"-include /nonexistent/docsexec.h"'}
    monkeypatch.setattr(busybox_build, "CONFIG_SET", broken)
    with pytest.raises(EnvironmentProblem) as caught:
        busybox_build.ensure_built(tmp_path, lambda line: None)
    message = str(caught.value)
    assert caught.value.exit_code == EXIT_ENVIRONMENT and "\n" not in message
    assert message.startswith("busybox build: make failed (exit 2): "), message
    assert "/nonexistent/docsexec.h" in message and "last-build.log" in message
    assert busybox_build.cached(tmp_path) is None
