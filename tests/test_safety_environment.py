"""Environment problems: exit 3 and ONE line naming what is missing, before any page starts.
Never a silent skip: a machine that cannot verify pages must not pass as verified.

Each problem is made real rather than mocked: an engine cache that is empty, a run as the
`nobody` user (setpriv), a PATH without the docker client, a DOCKER_HOST nobody listens on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import REPO, docsexec_cwd
from public_install import base_interpreter, make_public_install

PAGE = "# T\n\n```console {#a .docsexec}\n$ echo a\na\n```\n"


@pytest.fixture
def public_page():
    """A page in a folder any user can read (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="docsexec-safety-"))
    try:
        folder.chmod(0o755)
        page = folder / "page.md"
        page.write_text(PAGE, encoding="utf-8")
        page.chmod(0o644)
        yield page
    finally:
        shutil.rmtree(folder)


@pytest.fixture(scope="module")
def public_install():
    """docsexec installed where `nobody` can read it, wherever this clone is (issue 17)."""
    folder = make_public_install(REPO)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


def docsexec(*args: str, env: dict[str, str], prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "docsexec", *args],
        cwd=docsexec_cwd(args),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")


def docsexec_as_nobody(*args: str, install: Path) -> subprocess.CompletedProcess[str]:
    """Run docsexec as `nobody` from an installation nobody can read, in a folder nobody can
    enter, as a real non-root user would (not from the clone, which may be private)."""
    assert shutil.which("setpriv"), "setpriv (util-linux) is needed to run as nobody"
    env = dict(os.environ, HOME="/", PYTHONPATH=str(install))
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [*NOBODY, base_interpreter(), "-s", "-m", "docsexec", *args],
        cwd=install,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_environment_problem(done: subprocess.CompletedProcess[str], words: str, page: Path) -> None:
    assert done.returncode == 3, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("docsexec: ") and words in lines[0], done.stderr
    assert done.stdout == ""
    assert page.read_text(encoding="utf-8") == PAGE


def path_with_only(tmp_path: Path, *tools: str) -> str:
    """A PATH holding just these tools (symlinks), so nothing else is found on it."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in tools:
        found = shutil.which(tool)
        assert found, f"{tool} is needed to set up this test"
        (folder / tool).symlink_to(found)
    return str(folder)


@pytest.mark.parametrize("choice", ["auto", "debian-trixie", "debian-bookworm"])
def test_no_engine_can_be_started(tmp_path, public_page, choice):
    empty = tmp_path / "empty-cache"
    empty.mkdir()
    env = dict(
        os.environ,
        DOCSEXEC_CACHE=str(empty),
        DOCSEXEC_ENGINE=choice,
        PATH=path_with_only(tmp_path, "docker", "ip", "nsenter"),
    )  # no system dockerd either
    for command in ("check", "update"):
        done = docsexec(command, str(public_page), env=env)
        assert_environment_problem(done, "no Docker engine installed", public_page)
    assert list(empty.iterdir()) == []


def test_not_root(public_page, public_install):
    for command in ("check", "update"):
        done = docsexec_as_nobody(command, str(public_page), install=public_install)
        assert_environment_problem(done, "needs root", public_page)


def test_public_install_is_what_nobody_runs(public_page, public_install):
    """The copy really is the one imported (not the clone's files), and nobody can read it."""
    done = docsexec_as_nobody("list", str(public_page), install=public_install)
    assert done.returncode == 0, done.stderr
    probe = subprocess.run(
        [*NOBODY, base_interpreter(), "-s", "-c", "import docsexec; print(docsexec.__file__)"],
        cwd=public_install,
        env=dict(os.environ, PYTHONPATH=str(public_install)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.stdout.strip() == str(public_install / "docsexec" / "__init__.py"), probe.stderr


def test_docker_client_missing(tmp_path, public_page):
    # Only the shared engine needs the machine's client: a sandbox gives the page forky's
    # docker-cli (installed with the engines), so pages never depend on the machine's client.
    env = dict(os.environ, PATH=path_with_only(tmp_path, "ip", "nsenter", "bash"))
    for engine in ("shared",):
        done = docsexec("check", "--engine", engine, str(public_page), env=env)
        assert_environment_problem(done, "docker client is not on PATH", public_page)


def test_shared_engine_that_does_not_answer(tmp_path, public_page):
    env = dict(os.environ, DOCKER_HOST=f"unix://{tmp_path}/nobody-listens.sock")
    done = docsexec("check", "--engine", "shared", str(public_page), env=env)
    assert_environment_problem(done, "cannot reach the shared Docker engine", public_page)


def test_engine_install_without_root_says_so(public_page, public_install):
    """`engine install` as nobody: exit 3 and one line, not a traceback."""
    done = docsexec_as_nobody("engine", "install", install=public_install)
    assert_environment_problem(done, "needs root", public_page)
