"""The pytest plugin: blocks are items named page.md::block-id; failures show file:line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_docsexec

pytestmark = [pytest.mark.engine, pytest.mark.usefixtures("engine_ready")]

PAGE = "# P\n\n```console {#greet .docsexec}\n$ echo hello\n```\n\n```console {#net .docsexec}\n$ docker network ls --format '{{.Name}}'\n```\n"


def pytest_run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--docsexec", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("plugin")
    (folder / "page.md").write_text(PAGE, encoding="utf-8")
    (folder / "notes.md").write_text("# no tagged blocks here\n", encoding="utf-8")
    assert run_docsexec("update", str(folder / "page.md")).returncode == 0
    return folder


def test_items_are_named_page_and_block_id(folder):
    done = pytest_run(folder, "--collect-only", "-q")
    assert "page.md::greet" in done.stdout and "page.md::net" in done.stdout
    assert "notes.md" not in done.stdout


def test_a_true_page_passes_as_pytest_items(folder):
    done = pytest_run(folder, "-q")
    assert done.returncode == 0, done.stdout
    assert "2 passed" in done.stdout


def test_an_edited_output_fails_with_its_file_and_line(folder, tmp_path):
    (tmp_path / "page.md").write_text(
        (folder / "page.md").read_text().replace("\nhello\n", "\nhullo\n"), encoding="utf-8"
    )
    done = pytest_run(tmp_path, "-q")
    assert done.returncode == 1
    assert "1 failed, 1 passed" in done.stdout
    assert "--- page.md:7 [greet]" in done.stdout
    assert "-hullo" in done.stdout and "+hello" in done.stdout
