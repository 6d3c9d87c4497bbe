"""Fixtures and helpers for tests that need a real engine (imported by test modules, so that
tests/conftest.py stays with its owner).

The `engine` fixture installs (or finds in the cache) the engine once per session. When no
engine can be installed or started the tests FAIL: a skipped engine test would let a broken
machine look green.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from docsexec.engine.install.provision import install_engine
from docsexec.engine.installed import EngineInstall
from docsexec.engine.sandbox import layout
from docsexec.engine.sandbox.mounts import mounts_under
from docsexec.engine.sandbox.procs import all_pids, cmdline
from docsexec.engine.sandbox.sandbox import Sandbox
from docsexec.errors import EnvironmentProblem


@pytest.fixture(scope="session")
def engine() -> EngineInstall:
    if os.geteuid() != 0:
        pytest.fail("engine tests need root (network namespaces, dockerd)")
    try:
        return install_engine(log=lambda line: None)
    except EnvironmentProblem as exc:
        pytest.fail(f"no engine can be installed: {exc}")


@pytest.fixture
def sandbox(engine: EngineInstall):
    box = Sandbox("pytest", engine)
    try:
        box.start()
    except EnvironmentProblem as exc:
        pytest.fail(f"sandbox did not start: {exc}")
    try:
        yield box
    finally:
        box.stop()


@pytest.fixture
def visible_tmp() -> Path:
    """A scratch folder the sandbox can see: its /tmp is private (pytest's tmp_path is not
    visible inside), so tools a test hands to the engine live under /var/tmp."""
    folder = Path(tempfile.mkdtemp(prefix="docsexec-test-", dir="/var/tmp"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(box: Sandbox, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """argv inside the sandbox's namespace with its client environment, as a page would."""
    env = dict(os.environ, **box.env())
    return subprocess.run(box.wrap(list(argv)), env=env, capture_output=True, text=True, timeout=timeout)


def traces(sid: str) -> list[str]:
    """Everything of sandbox `sid` still on the machine; [] after a complete teardown."""
    root = layout.root_dir(sid)
    found = [f"process {pid}: {cmdline(pid)}" for pid in all_pids() if str(root) + "/" in cmdline(pid)]
    if root.exists():
        found.append(f"root {root}")
    found += [f"netns {name}" for name in layout.netns_names(sid) if (layout.NETNS_DIR / name).exists()]
    found += [f"mount {m}" for m in mounts_under(root)]
    found += [f"cgroup {d}" for d in layout.cgroup_dirs(sid)]
    return found


def docker0_address(box: Sandbox) -> str:
    done = run(box, "ip", "-4", "-o", "addr", "show", "docker0")
    assert done.returncode == 0, done.stderr
    return done.stdout.split()[3]


def fake_dockerd(folder: Path, text: str, code: int) -> Path:
    """A 'dockerd' that prints text and exits, to exercise the start-failure path."""
    path = folder / "dockerd"
    path.write_text(f"#!/bin/sh\necho '{text}'\nexit {code}\n")
    path.chmod(0o755)
    return path
