"""The command lines and configuration of a sandbox's containerd and dockerd.

Why a module of their own: a sandbox may run two engines, the page host's and the LAN peer's
(peer.py), which differ only in where their files, socket, cgroups and containerd namespaces
are; both must keep every setting that makes a page's engine private and quiet.
"""

from __future__ import annotations

from pathlib import Path

from ..installed import EngineInstall
from . import contain


def write_host_files(root: Path, engine: EngineInstall, containerd_toml: str, hostname: str) -> None:
    """The files a host's engine and client start from, in its root (whose `etc` and `client`
    folders exist): /etc's stand-ins (bound over /etc inside, contain.py), the client's
    plugins (`docker compose`: found in DOCKER_CONFIG/cli-plugins), an empty daemon.json and
    containerd's configuration (containerd_config, for the root it will have). The
    daemon.json is in etc/docker/, which is bound over /etc/docker inside (contain.py): a
    page writes /etc/docker/daemon.json as a reader does, and the engine reads that file
    when it restarts (Sandbox.restart_engine)."""
    for name, text in contain.etc_files(hostname).items():
        (root / "etc" / name).write_text(text)
        (root / "etc" / name).chmod(0o644)
    if engine.cli_plugins is not None:
        (root / "client" / "cli-plugins").symlink_to(engine.cli_plugins)
    daemon_json(root).parent.mkdir(mode=0o755)
    daemon_json(root).write_text("{}\n")
    (root / "containerd.toml").write_text(containerd_toml)


def daemon_json(root: Path) -> Path:
    """The engine's configuration file: /etc/docker/daemon.json as the page sees it."""
    return root / "etc" / "docker" / "daemon.json"


def containerd_config(root: Path, socket: Path) -> str:
    """Everything under the root; no CRI, no debug socket, and /etc/containerd ignored."""
    return (
        "version = 2\n"
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
        f'root = "{root}/data/containerd"\n'
        f'state = "{root}/exec/containerd"\n'
        "[grpc]\n"
        f'  address = "{socket}"\n'
    )


def containerd_argv(containerd: str, root: Path) -> list[str]:
    """containerd with the configuration write_host_files put in `root`."""
    return [containerd, "--config", str(root / "containerd.toml")]


def dockerd_argv(
    engine: EngineInstall, root: Path, host: str, containerd: Path, cgroup_parent: str, name: str
) -> list[str]:
    """dockerd with its data, exec state and pidfile under `root`, listening only on `host`,
    containers below `cgroup_parent`, its own containerd namespaces (`name`)."""
    return [
        str(engine.dockerd),
        "--config-file",
        str(daemon_json(root)),  # the sandbox's /etc/docker/daemon.json, never the machine's
        "--containerd",
        str(containerd),
        "--data-root",
        str(root / "data"),
        "--exec-root",
        str(root / "exec"),
        "--pidfile",
        str(root / "exec" / "dockerd.pid"),  # its pid inside; ours: dockerd.pid
        "--host",
        host,
        "--cgroup-parent",
        cgroup_parent,
        "--exec-opt",
        "native.cgroupdriver=cgroupfs",  # the parent is a path, not a systemd slice
        # Own containerd namespaces: safe even if dockerd finds a system containerd to share.
        "--containerd-namespace",
        name,
        "--containerd-plugins-namespace",
        f"{name}-plugins",
        "--dns",
        "127.0.0.1",  # a failing lookup fails locally, never leaves the machine
        "--dns-opt",
        "timeout:1",
        "--dns-opt",
        "attempts:1",
        "--shutdown-timeout",
        "2",
    ]
