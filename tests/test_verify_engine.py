"""The whole loop on the real engine: a private dockerd per page, a pty shell, compare, write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_docsexec
from safety_support import own_sandboxes

pytestmark = [pytest.mark.engine, pytest.mark.usefixtures("engine_ready")]

# Outputs are left empty on purpose: `update` fills them from a real run (never by hand).
PAGE = """# A page

Some text.

```console {#hello .docsexec}
$ echo hello
$ docker run --rm busybox echo from-a-container
```

1. In a list:

    ```console {#fails .docsexec data-exit="1"}
    $ docker network rm nosuchnet
    ```
"""


def write(tmp_path: Path, text: str, name: str = "page.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def verified(tmp_path_factory) -> str:
    """The page after one real `update`: its outputs are what the engine printed."""
    page = write(tmp_path_factory.mktemp("verified"), PAGE)
    done = run_docsexec("update", str(page))
    assert done.returncode == 0, done.stdout + done.stderr
    text = page.read_text(encoding="utf-8")
    assert "hello\n$ docker run" in text and "from-a-container\n```" in text
    assert "    Error response from daemon: network nosuchnet not found\n" in text
    return text


def test_a_true_page_passes_and_the_report_names_the_engine(tmp_path, verified):
    page = write(tmp_path, verified)
    report = tmp_path / "report.json"
    with own_sandboxes() as made:
        done = run_docsexec("check", str(page), "--report", str(report))
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(report.read_text())
    [entry] = data["pages"]
    assert entry["engine_source"] == "debian-forky" and entry["engine_version"].startswith("28.5.")  # auto: forky first
    assert [b["status"] for b in entry["blocks"]] == ["ok", "ok"]
    assert made.left() == []


def test_one_edited_output_line_fails_with_its_file_and_line(tmp_path, verified):
    page = write(tmp_path, verified.replace("from-a-container\n```", "from-the-container\n```"))
    before = page.read_bytes()
    done = run_docsexec("check", str(page))
    assert done.returncode == 1
    assert f"--- {page}:9 [hello]" in done.stdout  # line 9: after the 4-line provenance header
    assert "-from-the-container" in done.stdout and "+from-a-container" in done.stdout
    assert page.read_bytes() == before, "check must never write"


def test_an_unexpected_exit_code_is_a_divergence(tmp_path, verified):
    page = write(tmp_path, verified.replace(' data-exit="1"', ""))
    done = run_docsexec("check", str(page))
    assert done.returncode == 1
    assert f"{page}:19 [fails]: exit code 1, the page expects 0" in done.stdout


def test_a_hanging_command_is_stopped_by_the_timeout_and_cleaned_up(tmp_path):
    page = write(
        tmp_path,
        '```console {#hang .docsexec data-timeout="2"}\n$ sleep 1000\n```\n\n```console {#after .docsexec}\n$ echo after\nafter\n```\n',
    )
    with own_sandboxes() as made:
        done = run_docsexec("check", str(page))
    assert done.returncode == 1
    assert f"{page}:2: timed out after 2 s: sleep 1000" in done.stdout
    assert "[after]" in done.stdout and "not run" in done.stdout
    assert made.left() == []


def test_an_interactive_container_session_runs_under_a_pty(tmp_path):
    page = write(
        tmp_path,
        '```console {#it .docsexec data-prompt="/ # "}\n$ docker run -it --name=mybox busybox\n/ # echo inside\n/ # exit\n```\n',
    )
    done = run_docsexec("update", str(page))
    assert done.returncode == 0, done.stdout + done.stderr
    text = page.read_text()
    # Like Docker Hub's image, the shell goes straight to its prompt: no banner.
    assert "$ docker run -it --name=mybox busybox\n/ # echo inside\ninside\n/ # exit\n```" in text


def test_update_fills_outputs_then_is_idempotent(tmp_path):
    page = write(
        tmp_path, "Text\n\n```console {#net .docsexec}\n$ docker network ls --format '{{.Name}} {{.Driver}}'\n```\n"
    )
    first = run_docsexec("update", str(page))
    assert first.returncode == 0, first.stdout + first.stderr
    filled = page.read_bytes()
    assert b"bridge bridge\nhost host\nnone null\n```" in filled
    second = run_docsexec("update", str(page))
    assert second.returncode == 0
    assert page.read_bytes() == filled
    assert run_docsexec("check", str(page)).returncode == 0


def test_bad_input_stops_before_any_engine_starts(tmp_path):
    page = write(tmp_path, "```console {#a .docsexec}\n$ true\n")
    done = run_docsexec("check", str(page))
    assert done.returncode == 2
    assert done.stderr.strip() == f"docsexec: {page}:1: unterminated fence: no closing ``` for this tagged block"


def test_an_edit_made_while_the_page_runs_is_never_overwritten(tmp_path):
    """update writes only if the page on disk is still the one it ran; else exit 2, no write."""
    import subprocess
    import sys
    import time

    page = write(tmp_path, "```console {#slow .docsexec}\n$ sleep 3; echo done\n```\n")
    child = subprocess.Popen(
        [sys.executable, "-m", "docsexec", "update", str(page)],
        cwd=page.parent,  # outside this project: the page's one engine (pages/config.py)
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.5)
    edited = page.read_text() + "\nA sentence the author added meanwhile.\n"
    page.write_text(edited)
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == 2
    assert f"{page}:1: the page changed on disk while it ran" in stderr
    assert page.read_text() == edited
