"""`--engine shared` is safe for the engine it borrows.

"The user's engine" here is a real engine: a Sandbox started by the test itself, whose socket
is handed to docsexec as DOCKER_HOST, holding the user's own objects (a running `mybox`, a
stopped container, a network with mybox attached, a volume). Every test then checks that
those objects are exactly as they were: same IDs, mybox still running and not restarted,
and nothing else left on the engine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from docsexec.engine.caller import Docker, Inventory, lock_path
from safety_support import (
    Run,
    no_run_outlives_its_test,  # noqa: F401 - autouse: no docsexec child outlives its test
    processes_matching,
    write_page,
)

pytestmark = [pytest.mark.engine, pytest.mark.usefixtures("engine_ready")]


class UserEngine:
    def __init__(self, box) -> None:
        self.box = box
        self.env = dict(os.environ, DOCKER_HOST=box.docker_host, DOCKER_CONFIG=str(box.root / "client"))

    def docker(self, *args: str) -> str:
        done = subprocess.run(["docker", *args], env=self.env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"docker {' '.join(args)}: {done.stderr}"
        return done.stdout.strip()

    def inventory(self) -> Inventory:
        return Inventory.read(Docker(self.env))

    def state(self) -> dict:
        inventory = self.inventory()
        mybox = json.loads(self.docker("inspect", "mybox"))[0]
        return {
            "inventory": inventory.to_json(),
            "mybox": (mybox["Id"], mybox["State"]["Running"], mybox["State"]["StartedAt"], mybox["RestartCount"]),
            "mybox-networks": sorted(mybox["NetworkSettings"]["Networks"]),
            "userstopped": json.loads(self.docker("inspect", "userstopped"))[0]["State"]["Status"],
        }


@pytest.fixture(scope="module")
def user(engine_ready):
    from docsexec.engine.installed import find_engine
    from docsexec.engine.sandbox.sandbox import Sandbox

    box = Sandbox("users-engine", find_engine())
    box.start()
    try:
        engine = UserEngine(box)
        engine.docker("network", "create", "usernet")
        engine.docker("volume", "create", "uservol")
        engine.docker(
            "run", "-d", "--name", "mybox", "--network", "usernet", "-v", "uservol:/data", "busybox", "sleep", "1d"
        )
        engine.docker("create", "--name", "userstopped", "busybox")
        engine.baseline = engine.state()
        yield engine
    finally:
        box.stop()


@pytest.fixture
def untouched(user):
    """After the test: the user's engine is exactly as before, whatever the test did."""
    yield user
    assert user.state() == user.baseline


def shared(user: UserEngine, *args: str) -> Run:
    return Run(*args, "--engine", "shared", env=user.env)


REFUSED = {
    "creates-mybox": ("docker run -d --name=mybox busybox sleep 1d", "container mybox"),
    "creates-usernet": ("docker network create usernet", "network usernet"),
    "creates-uservol": ("docker volume create uservol", "volume uservol"),
    "mounts-uservol": ("docker run --rm -v uservol:/data busybox touch /data/x", "volume uservol"),
    "stops-mybox": ("docker stop mybox", "container mybox"),
    "execs-in-mybox": ("docker exec mybox rm -rf /data", "container mybox"),
    "disconnects-mybox": ("docker network disconnect usernet mybox", "container mybox"),
    "removes-userstopped": ("docker rm -f userstopped", "container userstopped"),
    "removes-usernet": ("docker network rm usernet", "network usernet"),
    "removes-busybox": ("docker rmi busybox", "image busybox"),
    "prunes": ("docker container prune -f", "prune"),
    "removes-everything": ("docker rm -f $(docker ps -aq)", "every object"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_page_that_would_touch_the_users_objects_is_refused_before_anything_runs(tmp_path, untouched, case):
    command, words = REFUSED[case]
    page = write_page(
        tmp_path,
        "page.md",
        f"""# Page

```console {{#canary .docsexec}}
$ docker run -d --name canary busybox sleep 1d >/dev/null
```

Later on:

```console {{#touch .docsexec data-exit="0"}}
$ {command}
```
""",
    )
    run = shared(untouched, "check", str(page))
    assert run.finish() == 3, run.stdout + run.stderr
    [line] = run.stderr.splitlines()  # refused up front: not even a progress line
    assert line.startswith(f"docsexec: {page}:10: refusing to run on the shared engine"), line
    assert words in line
    assert run.stdout == ""
    assert not lock_path(json.loads(untouched.docker("info", "--format", "{{json .ID}}"))).exists()


OWN_OBJECTS = """# A page that makes its own things

```console {#make .docsexec}
$ docker network create pagenet >/dev/null
$ docker volume create pagevol >/dev/null
$ docker run -d --name pagebox --network pagenet -v pagevol:/data busybox sleep 1d >/dev/null
$ docker network connect usernet pagebox
$ docker run -d busybox sleep 1d >/dev/null
$ docker run -d -v /anonymous busybox sleep 1d >/dev/null
$ docker create --name made busybox >/dev/null
$ docker tag busybox pageimage:1
$ docker ps -a --filter name=pagebox --filter name=made --format '{{.Names}}' | sort
made
pagebox
```
"""


def test_a_page_with_its_own_objects_runs_and_afterwards_only_the_users_remain(tmp_path, untouched):
    page = write_page(tmp_path, "own.md", OWN_OBJECTS)
    run = shared(untouched, "check", str(page))
    assert run.finish() == 0, run.stdout + run.stderr
    assert "warning" not in run.stderr


def test_a_hanging_interactive_container_times_out_and_is_removed(tmp_path, untouched):
    page = write_page(
        tmp_path, "hang.md", '```console {#it .docsexec data-timeout="2"}\n$ docker run -it busybox\n```\n'
    )
    run = shared(untouched, "check", str(page))
    assert run.finish() == 1
    assert f"{page}:2: timed out after 2 s: docker run -it busybox" in run.stdout


HOLDER = """# Holds the engine

```console {#hold .docsexec}
$ docker run -d --name holder busybox sleep 1d >/dev/null
$ sleep 985
```
"""


@pytest.mark.parametrize("sig,group", [(signal.SIGINT, True), (signal.SIGTERM, False)], ids=["ctrl-c", "sigterm"])
def test_a_second_run_on_the_same_engine_is_refused_and_a_stopped_run_cleans_up(tmp_path, untouched, sig, group):
    first = shared(untouched, "check", str(write_page(tmp_path, "hold.md", HOLDER)))
    try:
        first.wait_for(lambda: bool(processes_matching("sleep 985")), what="the first run's sleep")
        second = shared(
            untouched, "check", str(write_page(tmp_path, "other.md", "```console {#o .docsexec}\n$ echo o\no\n```\n"))
        )
        assert second.finish() == 3
        assert f"another docsexec run (pid {first.pid}, page " in second.stderr
        assert "holder" in untouched.docker("ps", "--format", "{{.Names}}").split()
        first.signal(sig, group=group)
        assert first.finish() == 128 + sig, first.stderr
    finally:
        first.kill()
    assert "holder" not in untouched.docker("ps", "-a", "--format", "{{.Names}}").split()
    third = shared(untouched, "check", str(tmp_path / "other.md"))
    assert third.finish() == 0, third.stdout + third.stderr


def test_after_sigkill_the_next_run_removes_what_the_killed_page_created_and_only_that(tmp_path, untouched):
    """The killed run's relay wrote each object the page created into the engine's journal as
    it appeared; the next run on that engine removes exactly those (and the killed run's
    folder), and keeps what the user created meanwhile."""
    killed = shared(untouched, "check", str(write_page(tmp_path, "hold.md", HOLDER)))
    killed.wait_for(lambda: bool(processes_matching("sleep 985")), what="the page's sleep")
    journal = json.loads(lock_path(json.loads(untouched.docker("info", "--format", "{{json .ID}}"))).read_text())
    scratch = Path(journal["scratch"])
    holder = untouched.docker("inspect", "--format", "{{.Id}}", "holder")
    assert scratch.is_dir() and journal["pid"] == killed.pid and journal["created"]["container"] == [holder]
    killed.signal(signal.SIGKILL)
    killed.finish()
    assert "holder" in untouched.docker("ps", "--format", "{{.Names}}").split()  # SIGKILL: nobody cleaned up
    meanwhile = untouched.docker("run", "-d", "--name", "meanwhile", "busybox", "sleep", "1d")
    try:
        next_run = shared(
            untouched, "check", str(write_page(tmp_path, "other.md", "```console {#o .docsexec}\n$ echo o\no\n```\n"))
        )
        assert next_run.finish() == 0, next_run.stdout + next_run.stderr
        assert f"(pid {killed.pid}, page {tmp_path / 'hold.md'}" in next_run.stderr
        assert "removed what it created: container holder" in next_run.stderr
        assert "kept: container meanwhile" in next_run.stderr
        assert "holder" not in untouched.docker("ps", "-a", "--format", "{{.Names}}").split()
        assert untouched.docker("inspect", "--format", "{{.Id}}", "meanwhile") == meanwhile
        assert not scratch.exists()  # the killed run's own folder
        again = shared(untouched, "check", str(tmp_path / "other.md"))
        assert again.finish() == 0 and "killed" not in again.stderr  # reported once
    finally:
        untouched.docker("rm", "-f", "meanwhile")


def test_the_check_is_repeated_under_the_lock_right_before_each_page(tmp_path, untouched):
    """Page 2 is fine when the run starts; while page 1 runs, the user creates `late`, which
    page 2 would create too: page 2 is refused when its turn comes, and `late` is kept."""
    first = write_page(tmp_path, "1-first.md", "```console {#wait .docsexec}\n$ sleep 984\n```\n")
    second = write_page(
        tmp_path, "2-second.md", "```console {#late .docsexec}\n$ docker run -d --name late busybox sleep 1d\n```\n"
    )
    run = shared(untouched, "check", "--timeout", "4", str(first), str(second))
    try:
        run.wait_for(lambda: bool(processes_matching("sleep 984")), what="page 1's sleep")
        late = untouched.docker("run", "-d", "--name", "late", "busybox", "sleep", "1d")
        assert run.finish() == 3, run.stdout + run.stderr
        assert run.stderr.splitlines()[-1].startswith(
            f"docsexec: {second}:2: refusing to run on the shared engine: it already has container late"
        )
        assert untouched.docker("inspect", "--format", "{{.Id}} {{.State.Running}}", "late") == f"{late} true"
    finally:
        run.kill()
        untouched.docker("rm", "-f", "late")
