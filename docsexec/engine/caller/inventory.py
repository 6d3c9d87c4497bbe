"""The engine's objects: their kinds, the docker client pointed at the shared engine, and an
Inventory of what the engine holds at one moment.

Every other part of shared mode compares inventories (before and after a page) or asks the
engine through this one client, so the engine is read in one way everywhere.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...errors import EnvironmentProblem

DOCKER_TIMEOUT = 60.0

CONTAINER, NETWORK, VOLUME, IMAGE = "container", "network", "volume", "image"


class Docker:
    """The docker client against the shared engine, with the page's own client settings.

    Each call runs in a session of its own, so a Ctrl-C typed while docsexec cleans up does not
    kill the cleanup's own `docker rm`."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = dict(env)

    def run(self, *args: str, timeout: float = DOCKER_TIMEOUT) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                ["docker", *args],
                env=self.env,
                capture_output=True,
                text=True,
                timeout=timeout,
                start_new_session=True,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return subprocess.CompletedProcess(["docker", *args], 125, "", f"{type(exc).__name__}: {exc}")

    def lines(self, *args: str) -> list[str]:
        done = self.run(*args)
        if done.returncode != 0:
            raise EnvironmentProblem(f"shared engine: `docker {' '.join(args)}` failed: {_last_line(done.stderr)}")
        return [line for line in done.stdout.splitlines() if line.strip()]


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


@dataclass
class Inventory:
    """Everything of interest on an engine at one moment."""

    containers: dict[str, str] = field(default_factory=dict)  # full id -> name
    networks: dict[str, str] = field(default_factory=dict)  # full id -> name
    volumes: set[str] = field(default_factory=set)  # names (volumes have no ids)
    images: set[str] = field(default_factory=set)  # repo:tag references

    @classmethod
    def read(cls, docker: Docker) -> Inventory:
        found = cls()
        for line in docker.lines("ps", "-a", "--no-trunc", "--format", "{{.ID}}\t{{.Names}}"):
            ident, _, name = line.partition("\t")
            found.containers[ident] = name
        for line in docker.lines("network", "ls", "--no-trunc", "--format", "{{.ID}}\t{{.Name}}"):
            ident, _, name = line.partition("\t")
            found.networks[ident] = name
        found.volumes = set(docker.lines("volume", "ls", "--format", "{{.Name}}"))
        found.images = {
            ref for ref in docker.lines("image", "ls", "--format", "{{.Repository}}:{{.Tag}}") if "<none>" not in ref
        }
        return found

    def names(self, kind: str) -> set[str]:
        if kind == CONTAINER:
            return {n for name in self.containers.values() for n in name.split(",")}
        if kind == NETWORK:
            return set(self.networks.values())
        if kind == VOLUME:
            return set(self.volumes)
        return set(self.images)

    def to_json(self) -> dict[str, Any]:
        return {
            "containers": self.containers,
            "networks": self.networks,
            "volumes": sorted(self.volumes),
            "images": sorted(self.images),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Inventory:
        return cls(
            dict(data.get("containers", {})),
            dict(data.get("networks", {})),
            set(data.get("volumes", [])),
            set(data.get("images", [])),
        )

    def new_since(self, before: Inventory) -> Inventory:
        return Inventory(
            {i: n for i, n in self.containers.items() if i not in before.containers},
            {i: n for i, n in self.networks.items() if i not in before.networks},
            self.volumes - before.volumes,
            self.images - before.images,
        )

    def describe(self) -> list[str]:
        return (
            [f"container {n or i[:12]}" for i, n in sorted(self.containers.items())]
            + [f"network {n}" for n in sorted(self.networks.values())]
            + [f"volume {n}" for n in sorted(self.volumes)]
            + [f"image {n}" for n in sorted(self.images)]
        )


def _image_exists(docker: Docker, ref: str) -> bool:
    return docker.run("image", "inspect", "--format", "{{.Id}}", ref).returncode == 0
