"""The shared-engine guard's reading of a page's commands, and its per-engine lock (no engine
needed; the same guard against a real engine is tested in test_safety_shared.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from docsexec.engine.caller import CONTAINER, IMAGE, NETWORK, VOLUME, EngineLock, lock_path, plan_page, simple_commands
from docsexec.errors import EnvironmentProblem
from docsexec.model import Block, BlockOptions, Command


def plan_of(*texts: str):
    commands = tuple(Command(text=t, line=10 + i, source=(f"$ {t}",)) for i, t in enumerate(texts))
    block = Block(
        path=Path("p.md"),
        options=BlockOptions(id="b"),
        fence_line=9,
        body_start=9,
        body_end=9 + len(texts),
        indent="",
        fence="```",
        commands=commands,
    )
    return plan_page([block])


def mentions(*texts: str) -> set[tuple[str, str, bool]]:
    return {(m.kind, m.name, m.creates) for m in plan_of(*texts).mentions}


@pytest.mark.parametrize(
    "text,expected",
    [
        ("docker run -d --name=mybox busybox sleep 1d", {(CONTAINER, "mybox", True)}),
        ("docker run -d --name mybox busybox", {(CONTAINER, "mybox", True)}),
        ("docker run -dit --name web -p 8080:80 busybox sh -c 'echo --name not-this'", {(CONTAINER, "web", True)}),
        ("docker container create --name c1 busybox", {(CONTAINER, "c1", True)}),
        ("sudo docker run --rm -it --name=c2 busybox", {(CONTAINER, "c2", True)}),
        ("docker -H unix:///x.sock run --name c3 busybox", {(CONTAINER, "c3", True)}),
        (
            "docker run -v data:/data -v /host:/h --mount type=volume,src=v2,dst=/x busybox",
            {(VOLUME, "data", True), (VOLUME, "v2", True)},
        ),
        ("docker network create -d bridge --subnet 10.1.0.0/24 --internal mynet", {(NETWORK, "mynet", True)}),
        (
            "docker network create --attachable -o com.docker.network.bridge.name=br0 net2 2>/dev/null",
            {(NETWORK, "net2", True)},
        ),
        (
            "docker volume create myvol && docker volume create --name=old",
            {(VOLUME, "myvol", True), (VOLUME, "old", True)},
        ),
        (
            "docker stop a b; docker kill c | cat",
            {(CONTAINER, "a", False), (CONTAINER, "b", False), (CONTAINER, "c", False)},
        ),
        ("docker rm -f box", {(CONTAINER, "box", False)}),
        ("docker exec -it -e A=1 mybox ip addr", {(CONTAINER, "mybox", False)}),
        ("docker network connect --alias x mynet box", {(CONTAINER, "box", False)}),
        ("docker network disconnect bridge box", {(CONTAINER, "box", False)}),
        ("docker network rm n1 n2", {(NETWORK, "n1", False), (NETWORK, "n2", False)}),
        ("docker volume rm -f v1", {(VOLUME, "v1", False)}),
        ("docker rename old new", {(CONTAINER, "old", False), (CONTAINER, "new", True)}),
        ("docker rmi busybox", {(IMAGE, "busybox", False)}),
        ("docker cp ./f box:/tmp/", {(CONTAINER, "box", False)}),
        ("docker ps; docker network ls; docker inspect mybox; docker logs mybox", set()),
        ("echo docker run --name no", set()),
        ('docker run --name $NAME busybox; docker rm -f "$CID"', set()),  # built at run time: unknown
        ("docker run --name 'unclosed busybox", set()),
        ("docker network create \\\n  --subnet 10.2.0.0/16 \\\n  multi", {(NETWORK, "multi", True)}),
    ],
)
def test_the_names_a_command_creates_or_acts_on(text, expected):
    assert mentions(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "docker network prune -f",
        "docker system prune -af",
        "docker container prune",
        "docker volume prune -f",
        "docker swarm init",
        "docker swarm leave --force",
        "docker rm -f $(docker ps -aq)",
        "docker stop `docker ps -q`",
        "docker network rm $(docker network ls -q)",
    ],
)
def test_engine_wide_commands_are_forbidden(text):
    assert plan_of(text).forbidden


def test_simple_commands_split_at_shell_operators():
    assert simple_commands("A=1 docker ps && docker run x | grep y; echo $(docker ps -q) 2>&1 >/dev/null") == [
        ["A=1", "docker", "ps"],
        ["docker", "run", "x"],
        ["grep", "y"],
        ["echo", "$"],
        ["docker", "ps", "-q"],
    ]


def test_the_lock_refuses_a_second_holder_and_is_removed_on_release():
    ident = f"test-{os.getpid()}"
    first, second = EngineLock(ident), EngineLock(ident)
    first.acquire()
    try:
        first.write({"state": "running", "pid": os.getpid(), "page": "a.md"})
        with pytest.raises(EnvironmentProblem, match=rf"another docsexec run \(pid {os.getpid()}, page a.md\)"):
            second.acquire()
    finally:
        first.release()
    assert not lock_path(ident).exists()
    second.acquire()
    assert second.previous is None
    second.release()
    assert not lock_path(ident).exists()
