"""Interactive sessions on the real engine: `docker attach` to a running busybox shell, typed
inputs, the detach keys, a session continued in a later fence, and the author's layout.

Outputs are left empty on purpose: `update` fills them from a real run (never by hand)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_docsexec
from safety_support import own_sandboxes

pytestmark = [pytest.mark.engine, pytest.mark.usefixtures("engine_ready")]

ATTACH = """# Attach and detach

```console {#start .docsexec}
$ docker run -dit --name box1 busybox
$ docker run -dit --name box2 busybox
$ docker inspect -f '{{.NetworkSettings.IPAddress}}' box2
```

```console {#attach .docsexec data-prompt="/ # " data-shown-prompt="# "}
$ docker attach box1
# ip addr show
# ping -c 2 172.17.0.3
```

Prose between two steps of one session.

```console {#detach .docsexec data-continue="attach" data-exit="1 0"}
# ping -c 1 172.17.0.3
# <CTRL-p><CTRL-q>
$ docker inspect -f '{{.State.Running}}' box1
```
"""


def write(tmp_path: Path, text: str, name: str = "page.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


@pytest.fixture(scope="module")
def attached(tmp_path_factory) -> str:
    """The attach page after one real `update`."""
    page = write(tmp_path_factory.mktemp("attach"), ATTACH)
    done = run_docsexec("update", str(page))
    assert done.returncode == 0, done.stdout + done.stderr
    return page.read_text(encoding="utf-8")


def test_update_gives_each_input_its_own_output(attached):
    ip_addr = between(attached, "# ip addr show\n", "# ping -c 2")
    assert "inet 172.17.0.2/16" in ip_addr and "ping" not in ip_addr.lower()
    two = between(attached, "# ping -c 2 172.17.0.3\n", "```")
    assert two.startswith("PING 172.17.0.3") and "2 packets transmitted, 2 packets received" in two
    one = between(attached, "# ping -c 1 172.17.0.3\n", "# <CTRL-p><CTRL-q>")
    assert "1 packets transmitted, 1 packets received" in one
    assert between(attached, "# <CTRL-p><CTRL-q>\n", "$ docker inspect") == "read escape sequence\n"
    assert between(attached, "{{.State.Running}}' box1\n", "```") == "true\n"  # detached, still running
    session = attached.split('data-shown-prompt="# "}\n', 1)[1]
    assert "/ # " not in session  # the page's own prompt, as written


def test_the_attached_page_passes_check_again_and_again(tmp_path, attached):
    page = write(tmp_path, attached)
    with own_sandboxes() as made:
        for _ in range(3):
            done = run_docsexec("check", str(page))
            assert done.returncode == 0, done.stdout + done.stderr
    assert len(made.sids) == 3 and made.left() == []


def test_a_misattributed_transcript_is_refused_by_check(tmp_path, attached):
    # what the old session wrote: the next input's echo inside this input's output
    wrong = attached.replace("# ping -c 2 172.17.0.3\n", "ping -c 2 172.17.0.3\n# ping -c 2 172.17.0.3\n", 1)
    page = write(tmp_path, wrong)
    done = run_docsexec("check", str(page))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "holds 'ping -c 2 172.17.0.3', the input typed at line" in done.stdout
    assert "output attributed to the wrong input" in done.stdout


def test_a_session_left_at_its_prompt_is_an_error_not_a_transcript(tmp_path):
    text = ATTACH.split("Prose between")[0]  # no block continues the attached shell
    page = write(tmp_path, text)
    done = run_docsexec("update", str(page))
    assert done.returncode == 1
    assert f"{page}:12: the program still waits at its prompt '/ # ' after input 'ping -c 2 172.17.0.3'" in done.stdout
    assert page.read_text(encoding="utf-8").count("PING") == 0, "a refused session is never written"


KEYS = """```console {#keys .docsexec data-prompt="/ # " data-exit="130"}
$ docker run -it --name keybox busybox
/ # <CTRL-c>
/ # <CTRL-d>
```
"""


def test_ctrl_c_and_ctrl_d_at_the_prompt(tmp_path):
    page = write(tmp_path, KEYS)
    done = run_docsexec("update", str(page))
    assert done.returncode == 0, done.stdout + done.stderr
    text = page.read_text(encoding="utf-8")
    # ^C is the key's echo, not output; busybox 1.37's ash (Docker Hub's) then prints an
    # empty line of its own before the next prompt, which is output.
    assert "/ # <CTRL-c>\n\n/ # <CTRL-d>\n```" in text
    assert run_docsexec("check", str(page)).returncode == 0


BLANK_STYLE = """```console {#blank-style .docsexec}
$ echo first

stale

$ docker run --rm busybox echo from-a-container

$ docker network create mynet

$ true
```
"""


def test_a_page_in_the_blank_line_style_keeps_its_blank_lines(tmp_path):
    page = write(tmp_path, BLANK_STYLE)
    done = run_docsexec("update", str(page))
    assert done.returncode == 0, done.stdout + done.stderr
    body = page.read_text(encoding="utf-8").split("```console {#blank-style .docsexec}\n", 1)[1]
    lines = body.split("\n```", 1)[0].splitlines()
    assert lines[:6] == ["$ echo first", "", "first", "", "$ docker run --rm busybox echo from-a-container", ""]
    assert lines[6:8] == ["from-a-container", ""]
    assert (
        lines[8:10] == ["$ docker network create mynet", ""] and len(lines[10]) == 64 and lines[11:] == ["", "$ true"]
    )
    again = page.read_text(encoding="utf-8")
    assert run_docsexec("update", str(page)).returncode == 0
    assert page.read_text(encoding="utf-8") == again, "a second update changes nothing"


ENDED_TOO_SOON = """```console {#opener .docsexec data-prompt="/ # "}
$ docker run -it --name endbox busybox
/ # exit
```

```console {#later .docsexec data-continue="opener"}
/ # ip addr show
```

```console {#after .docsexec}
$ echo the page goes on
the page goes on
```
"""


def test_a_session_that_ends_before_the_block_continuing_it_is_an_error(tmp_path):
    page = write(tmp_path, ENDED_TOO_SOON)
    report = tmp_path / "report.json"
    done = run_docsexec("check", str(page), "--report", str(report))
    assert done.returncode == 1
    assert f"{page}:3: the program ended after input 'exit', before the next input could be typed" in done.stdout
    assert "not run: the block it continues ('opener') did not leave its program open" in done.stdout
    [entry] = json.loads(report.read_text())["pages"]
    assert [b["status"] for b in entry["blocks"]] == ["error", "not-run", "ok"]  # the shell came back: the page goes on
