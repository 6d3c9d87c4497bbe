"""Hostile pages: a page can only touch its own sandbox (docsexec/engine/sandbox/contain.py, cgroups.py).

Each page is run through the real CLI against a real engine, as a contributor would run a page
from a pull request. Checked: writes outside the sandbox fail with a read-only error that the
recorded output shows, a process of the machine cannot be seen or killed, the hostname is the
documented one, a fork bomb, a memory hog and an endless page are each stopped by a limit and
reported as one line naming the page (exit 1), and afterwards nothing of the sandbox is left
(process, namespace, mount, cgroup, folder) while the machine is exactly as it was.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

import pytest

from docsexec.engine.sandbox import contain, layout
from docsexec.engine.sandbox.limits import MEMORY_ENV, SECONDS_ENV, TASKS_ENV
from engine_fixtures import engine, sandbox  # noqa: F401 - fixtures
from safety_support import (
    Run,
    left_by,
    no_run_outlives_its_test,  # noqa: F401 - autouse: no docsexec child outlives its test
    processes_matching,
    write_page,
)

pytestmark = [pytest.mark.engine, pytest.mark.usefixtures("engine_ready")]
REPO = Path(__file__).resolve().parent.parent
PROOF = Path("/root/escape-proof")
WATCHED = ("/etc/hosts", "/etc/hostname", "/etc/passwd")


def digest(paths: tuple[str, ...]) -> dict[str, str]:
    return {p: hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths}


@pytest.fixture
def machine_process():
    """A process of the machine (outside any sandbox) that a page will try to kill."""
    proc = subprocess.Popen(["sleep", "1011"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


HOSTILE = """# A page that tries to leave its sandbox

```console {{#writes .docsexec data-exit="1 1 1 1 1 1"}}
$ touch /root/escape-proof
$ echo owned >> /etc/hosts
$ rm -f /etc/hostname
$ touch /var/tmp/escape-proof
$ touch /sys/escape-proof
$ echo $(cat /proc/sys/vm/swappiness) > /proc/sys/vm/swappiness
```

```console {{#own .docsexec}}
$ touch /tmp/mine /run/mine "$HOME/mine" && echo written
```

```console {{#who .docsexec}}
$ hostname
$ cat /etc/hostname
```

```console {{#processes .docsexec}}
$ ps -e -o comm= | sort -u
```

```console {{#kill .docsexec data-exit="1"}}
$ kill -9 {pid}
```

```console {{#limits .docsexec data-exit="1 1"}}
$ echo 100000 > /sys/fs/cgroup/pids/{cgroup}/pids.max
$ echo $$ > /sys/fs/cgroup/memory/cgroup.procs
```
"""


def test_a_hostile_page_leaves_the_machine_as_it_was(tmp_path, machine_process):
    before = digest(WATCHED)
    page = write_page(
        tmp_path, "hostile.md", HOSTILE.format(pid=machine_process.pid, cgroup="docsexec-$(basename $(dirname $PWD))")
    )
    run = Run("update", str(page))
    assert run.finish() == 0, run.stdout + run.stderr
    text = page.read_text(encoding="utf-8")
    assert "touch: cannot touch '/root/escape-proof': Read-only file system" in text
    assert "bash: /etc/hosts: Read-only file system" in text
    assert "rm: cannot remove '/etc/hostname': Read-only file system" in text
    assert "touch: cannot touch '/var/tmp/escape-proof': Read-only file system" in text
    assert "touch: cannot touch '/sys/escape-proof': Read-only file system" in text
    assert "bash: /proc/sys/vm/swappiness: Read-only file system" in text  # the kernel's settings
    assert "&& echo written\nwritten\n" in text  # its own /tmp, /run and folder are writable
    assert f"$ hostname\n{contain.HOSTNAME}\n$ cat /etc/hostname\n{contain.HOSTNAME}\n" in text
    listed = text.split("$ ps -e -o comm= | sort -u\n", 1)[1].split("```", 1)[0].split()
    assert set(listed) <= {"bash", "containerd", "dockerd", "ps", "sort", contain.INIT_NAME}, listed
    assert {"bash", "containerd", "dockerd", "ps", contain.INIT_NAME} <= set(listed), listed
    assert f"bash: kill: ({machine_process.pid}) - No such process" in text
    assert "pids.max: Read-only file system" in text and "cgroup.procs: Read-only file system" in text
    # The machine: the file never appeared, /etc unchanged, its process still running.
    assert not PROOF.exists() and not Path("/var/tmp/escape-proof").exists()
    assert not Path("/tmp/mine").exists() and not Path("/run/mine").exists()  # private ones
    assert digest(WATCHED) == before
    assert machine_process.poll() is None
    assert left_by(run.sids) == []


def test_the_page_shell_keeps_what_lessons_need_and_drops_the_rest(sandbox):  # noqa: F811 - the fixture
    """`docker inspect` gives a pid the page can nsenter and move an interface into (a later
    lesson wires a --network none container by hand); the shell keeps CAP_SYS_ADMIN and
    CAP_NET_ADMIN for that, but has no capability to load modules or set the clock."""
    script = (
        "docker run -d --name lonely --network none busybox sleep 600 >/dev/null && "
        "pid=$(docker inspect -f '{{.State.Pid}}' lonely) && "
        "ip link add veth-host type veth peer name veth-box && ip link set veth-box netns $pid && "
        "nsenter -t $pid -n ip -o link show veth-box | cut -d: -f2 && "
        "ln -s /proc/$pid/ns/net /var/run/netns/lonely && ip netns exec lonely ip link set veth-box name eth1 && "
        "ip netns exec lonely ip -o link show eth1 | cut -d: -f2 && "
        "grep CapBnd /proc/self/status && ls /run/docsexec && hostname"
    )
    env = dict(os.environ, **sandbox.env())
    done = subprocess.run(
        sandbox.wrap_shell(["bash", "-c", script]), env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.split("\n")
    assert lines[0].strip().startswith("veth-box@"), done.stdout
    assert lines[1].strip().startswith("eth1@"), done.stdout  # the classic `ip netns exec` recipe
    bounding = int(lines[2].split()[1], 16)
    for cap, number in (("sys_admin", 21), ("net_admin", 12)):
        assert bounding >> number & 1, f"the page's shell lost {cap}"
    for cap, number in (("sys_module", 16), ("sys_time", 25), ("sys_rawio", 17)):
        assert not bounding >> number & 1, f"the page's shell still has {cap}"
    assert lines[3:5] == [sandbox.id, contain.HOSTNAME], "other sandboxes' roots must not be visible"


BOMB = """# A fork bomb

```console {#bomb .docsexec data-timeout="30"}
$ bomb() { bomb | bomb & }; bomb
$ sleep 2
```
"""
HOG = """# A memory hog

```console {#hog .docsexec}
$ python3 -c "chunks = [bytearray(64 << 20) for _ in range(64)]"
```
"""
ENDLESS = """# A page that never ends

```console {#endless .docsexec data-timeout="100"}
$ sleep 1012
```
"""
LIMITS = {TASKS_ENV: "400", MEMORY_ENV: "400", SECONDS_ENV: "12"}


@pytest.mark.parametrize(
    "name,text,limit",
    [
        ("bomb.md", BOMB, "process limit (400 tasks)"),
        ("hog.md", HOG, "memory limit (400 MiB)"),
        ("endless.md", ENDLESS, "wall-clock limit (12 s)"),
    ],
    ids=["fork-bomb", "memory-hog", "wall-clock"],
)
def test_a_page_that_hits_a_limit_fails_alone_and_leaves_nothing(tmp_path, name, text, limit):
    page = write_page(tmp_path, name, text)
    run = Run("check", "-q", str(page), env=dict(os.environ, **LIMITS))
    code = run.finish(timeout=120)
    assert code == 1, run.stdout + run.stderr
    assert run.stderr.splitlines() == [
        f"docsexec: {page}: stopped by the sandbox's {limit}; everything the page started was removed"
    ], run.stderr
    assert run.sids and left_by(run.sids) == []
    assert processes_matching("sleep 1012") == []
    for sid in run.sids:
        assert not list(layout.CGROUP_DIR.glob(f"*/{layout.PREFIX}{sid}")), "cgroups left"


def test_the_documented_hostname_is_the_sandboxs():
    """The contributor guide and the README name the hostname pages see."""
    for doc in (REPO / "docs/contributing/index.md", REPO / "README.md"):
        assert re.search(rf"`{contain.HOSTNAME}`", doc.read_text(encoding="utf-8")), doc


KILL_ALL = """# A page that signals every process it can

```console {#kill-all .docsexec}
$ kill -9 -1; sleep 0.5
$ ps -e -o comm=
```
"""


def test_kill_minus_one_ends_only_the_page(tmp_path, machine_process):
    """`kill -9 -1` signals every process the sender can see but itself: inside the sandbox
    that is only the page's engine (pid 1 ignores it), never a process of the machine."""
    page = write_page(tmp_path, "kill-all.md", KILL_ALL)
    run = Run("update", str(page))
    assert run.finish() == 0, run.stdout + run.stderr
    assert "$ ps -e -o comm=\n" + "\n".join([contain.INIT_NAME, "bash", "ps"]) + "\n```" in page.read_text(
        encoding="utf-8"
    )
    assert machine_process.poll() is None
    assert run.sids and left_by(run.sids) == []
