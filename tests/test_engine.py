"""The engine provisioning and the per-page sandbox, against a real dockerd.

These tests start real daemons in private network namespaces; all traffic stays between the
sandbox's own containers. They fail (never skip) when no engine can be installed or started.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from docsexec.engine.install.provision import install_engine
from docsexec.engine.installed import find_engine, is_modern
from docsexec.engine.sandbox import layout
from docsexec.engine.sandbox.owner import Owner, owner_alive, pid_start_time
from docsexec.engine.sandbox.reaper import engine_status, is_stale, reap_stale
from docsexec.engine.sandbox.sandbox import Sandbox
from docsexec.errors import EnvironmentProblem

try:
    from engine_fixtures import docker0_address, engine, fake_dockerd, run, sandbox, traces, visible_tmp
except ImportError:  # tests/ collected as a package
    from tests.engine_fixtures import docker0_address, engine, fake_dockerd, run, sandbox, traces, visible_tmp  # noqa: F401

pytestmark = pytest.mark.engine


# --- provisioning -----------------------------------------------------------------------------


def test_install_second_call_is_fast_and_same(engine):
    lines: list[str] = []
    begun = time.monotonic()
    again = install_engine(log=lines.append)
    elapsed = time.monotonic() - begun
    assert elapsed < 1.0, f"second install took {elapsed:.2f} s: {lines}"
    assert again == engine
    assert not any(line.startswith("$ apt-get") for line in lines), lines
    assert find_engine() == engine


# (the busybox image's own tests are in test_engine_busybox.py)


# --- one sandbox ------------------------------------------------------------------------------


def test_sandbox_engine_answers_and_runs_busybox(engine, sandbox):
    version = run(sandbox, "docker", "version", "--format", "{{.Server.Version}}")
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == sandbox.server_version == engine.version
    done = run(sandbox, "docker", "run", "--rm", "busybox", "true")
    assert done.returncode == 0, done.stderr


def test_sandbox_host_side_is_the_namespace(sandbox):
    addr = run(sandbox, "ip", "addr")
    assert "docker0" in addr.stdout and "inet 172.17.0.1/16" in addr.stdout
    routes = run(sandbox, "ip", "route")
    assert "default" not in routes.stdout, "the sandbox namespace must have no way off the machine"


def test_host_network_containers_live_in_the_sandbox_namespace(sandbox):
    """--network host must mean the sandbox's namespace (containerd and shims run in it),
    never the machine's own interfaces: its eth0 is the sandbox's simulated card."""
    done = run(sandbox, "docker", "run", "--rm", "--network", "host", "busybox", "ip", "-o", "link")
    names = {line.split(":")[1].strip().split("@")[0] for line in done.stdout.splitlines()}
    assert names == {"lo", "eth0", "docker0"}, done.stdout + done.stderr
    addrs = run(sandbox, "docker", "run", "--rm", "--network", "host", "busybox", "ip", "-o", "-4", "addr")
    assert sorted(line.split()[3] for line in addrs.stdout.splitlines()) == [
        "127.0.0.1/8",
        "172.17.0.1/16",
        "198.51.100.10/24",
    ], addrs.stdout + addrs.stderr


def test_client_env_is_private(sandbox):
    env = sandbox.env()
    assert env["DOCKER_HOST"] == sandbox.docker_host and len(sandbox.docker_host) < 100
    config = Path(env["DOCKER_CONFIG"])
    # Nothing of the user's: only the link to the page client's plugins (docker compose).
    assert config.is_dir() and [p.name for p in config.iterdir()] == (
        ["cli-plugins"] if sandbox.engine.cli_plugins else []
    )
    if sandbox.engine.cli_plugins:
        assert (config / "cli-plugins").resolve() == sandbox.engine.cli_plugins.resolve()
    first = sandbox.engine.client_dir or (sandbox.engine.bin_dirs[0] if sandbox.engine.bin_dirs else None)
    assert env["PATH"].startswith(str(first)) if first else True  # the page client (forky's docker-cli) first


def test_failing_name_lookup_is_local_and_quick(sandbox):
    assert run(sandbox, "docker", "network", "create", "lookups").returncode == 0
    begun = time.monotonic()
    done = run(sandbox, "docker", "run", "--rm", "--network", "lookups", "busybox", "ping", "-c1", "nosuchbox")
    assert done.returncode != 0 and "bad address" in done.stderr
    assert time.monotonic() - begun < 5


def test_stop_removes_everything(engine):
    box = Sandbox("stop-test", engine)
    box.start()
    # A running sh ignores SIGTERM: without rm -f first, dockerd's shutdown would wait ~10 s.
    assert (
        run(
            box, "docker", "run", "-d", "--name", "stubborn", "busybox", "sh", "-c", "trap '' TERM; sleep 1000"
        ).returncode
        == 0
    )
    assert run(box, "docker", "network", "create", "extra").returncode == 0
    assert traces(box.id), "a running sandbox must have traces (sanity check of the probe)"
    begun = time.monotonic()
    box.stop()
    assert time.monotonic() - begun < 8
    assert traces(box.id) == []
    box.stop()  # idempotent


def test_start_failure_cleans_up_and_shows_the_log(engine, visible_tmp):
    broken = replace(engine, dockerd=fake_dockerd(visible_tmp, "fake dockerd says no", 7))
    box = Sandbox("broken", broken)
    with pytest.raises(EnvironmentProblem) as caught:
        box.start(timeout=10)
    assert "code 7" in caught.value.one_line()
    assert "fake dockerd says no" in str(caught.value)
    assert traces(box.id) == []
    box.stop()


# --- several sandboxes ------------------------------------------------------------------------


def test_two_sandboxes_side_by_side_get_the_same_addresses(engine):
    with Sandbox("left", engine) as left, Sandbox("right", engine) as right:
        assert docker0_address(left) == docker0_address(right) == "172.17.0.1/16"
        ips = []
        for box in (left, right):
            assert run(box, "docker", "run", "-d", "--name", "box", "busybox", "sleep", "1000").returncode == 0
            inspect = run(box, "docker", "inspect", "-f", "{{.NetworkSettings.IPAddress}}", "box")
            ips.append(inspect.stdout.strip())
        assert ips == ["172.17.0.2", "172.17.0.2"]
    assert traces(left.id) == [] and traces(right.id) == []


CHILD = textwrap.dedent("""
    import os, subprocess, sys, time
    from docsexec.engine.installed import find_engine
    from docsexec.engine.sandbox.sandbox import Sandbox
    box = Sandbox("doomed", find_engine())
    box.start()
    env = dict(os.environ, **box.env())
    subprocess.run(["docker", "run", "-d", "busybox", "sleep", "1000"], env=env, check=True, capture_output=True)
    print(box.id, flush=True)
    time.sleep(1000)
""")


@pytest.mark.serial
def test_reaper_cleans_up_after_a_killed_run_and_spares_live_ones(engine, sandbox):
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    try:
        sid = child.stdout.readline().strip()
        assert layout.ID_RE.match(sid), f"child did not report a sandbox id: {sid!r}"
        assert not is_stale(sid)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert is_stale(sid) and traces(sid)
    reaped = reap_stale(log=lambda line: None)
    assert sid in reaped
    assert sandbox.id not in reaped
    assert traces(sid) == []
    assert run(sandbox, "docker", "run", "--rm", "busybox", "true").returncode == 0


def test_engine_status_lists_live_sandboxes(engine, sandbox):
    status = engine_status()
    assert status["installed"] and status["version"] == engine.version
    mine = [box for box in status["sandboxes"] if box["id"] == sandbox.id]
    assert mine and mine[0]["owner_alive"] and mine[0]["label"] == "pytest"
    json.dumps(status)  # serialisable for `docsexec engine status --json`


def test_engine_cli_status(engine):
    done = subprocess.run([sys.executable, "-m", "docsexec", "engine", "status"], capture_output=True, text=True)
    assert done.returncode == 0 and engine.version in done.stdout


# --- owner records (no engine needed, but cheap) --------------------------------------------


def test_owner_alive_checks_the_start_time():
    me = os.getpid()
    start = pid_start_time(me)
    assert owner_alive(Owner(me, start, "x", 0.0))
    assert not owner_alive(Owner(me, start + 1, "x", 0.0)), "a reused pid is not the owner"
    dead = subprocess.Popen(["true"])
    dead.wait()
    assert not owner_alive(Owner(dead.pid, 1, "x", 0.0))


# --- choices and fallbacks --------------------------------------------------------------------


def test_a_dockerd_on_path_is_used_as_a_system_engine(engine, visible_tmp, monkeypatch):
    tmp_path = visible_tmp
    """What a CI runner with its own docker looks like: dockerd and containerd on PATH."""
    for folder in engine.bin_dirs:
        for tool in folder.iterdir():
            (tmp_path / tool.name).symlink_to(tool)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    monkeypatch.delenv("DOCSEXEC_ENGINE", raising=False)
    assert (find_engine().source == "system") == is_modern(engine.version)
    monkeypatch.setenv("DOCSEXEC_ENGINE", "system")
    system = find_engine()
    assert system is not None and system.source == "system" and system.bin_dirs == ()
    assert system.version == engine.version
    with Sandbox("system", system) as box:
        assert run(box, "docker", "run", "--rm", "busybox", "true").returncode == 0
    assert traces(box.id) == []


def test_forky_and_trixie_failures_fall_back_to_bookworm(monkeypatch):
    from docsexec.engine import installed
    from docsexec.engine.install import provision

    fake = installed.EngineInstall(Path("/x/dockerd"), (), "20.10.24+dfsg1", "debian-bookworm")

    def install_debian(source, log):
        if source in ("debian-forky", "debian-trixie"):
            raise EnvironmentProblem(f"{source.removeprefix('debian-')} unavailable")
        return fake

    monkeypatch.delenv("DOCSEXEC_ENGINE", raising=False)
    monkeypatch.setattr(provision, "install_debian", install_debian)
    lines: list[str] = []
    assert provision._install(lines.append, fallback=None) == fake
    assert any("forky unavailable" in line for line in lines) and any("trixie unavailable" in line for line in lines)
    old_system = replace(fake, source="system", dockerd=Path("/usr/sbin/dockerd"))
    assert provision._install(lines.append, fallback=old_system) == old_system


def test_only_a_modern_system_engine_beats_the_trixie_one():
    assert is_modern("28.2.2") and is_modern("23.0.0") and is_modern("26.1.5+dfsg1")
    assert not is_modern("20.10.24+dfsg1") and not is_modern("garbage")


def test_unknown_engine_choice_is_an_environment_problem(monkeypatch):
    monkeypatch.setenv("DOCSEXEC_ENGINE", "podman")
    with pytest.raises(EnvironmentProblem):
        find_engine()


def test_interrupted_start_cleans_up_and_reraises(engine, monkeypatch):
    from docsexec.engine.sandbox import sandbox as sandbox_module

    def interrupted(docker_host, client=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(sandbox_module, "import_images", interrupted)
    box = Sandbox("interrupted", engine)
    with pytest.raises(KeyboardInterrupt):
        box.start()
    assert traces(box.id) == []


def test_reaper_removes_orphans_without_owner_records(engine):
    orphan, rootless = "0ff0a000", "0ff0a001"  # ids are 8 hex digits
    assert subprocess.run(["ip", "netns", "add", layout.netns_name(orphan)]).returncode == 0
    layout.root_dir(rootless).mkdir(parents=True)
    (layout.root_dir(rootless) / "dockerd.log").write_text("half-made\n")
    reaped = reap_stale(log=lambda line: None)
    assert {orphan, rootless} <= set(reaped)
    assert traces(orphan) == [] and traces(rootless) == []


@pytest.mark.parametrize("private", ["/tmp", "/run", "/dev/shm"])
def test_an_engine_cached_where_the_sandbox_has_a_private_folder_is_refused_in_one_line(tmp_path, private):
    """DOCSEXEC_CACHE under /tmp (say, a `mktemp -d`) hides the engine from the page's sandbox,
    which mounts a private /tmp: one line says so before anything starts, not `containerd
    exited with code 127`."""
    from docsexec.engine.installed import EngineInstall

    hidden = Path(private) / "docsexec-cache" / "engines" / "debian-forky" / "usr" / "sbin"
    engine = EngineInstall(dockerd=hidden / "dockerd", bin_dirs=(hidden,), version="28.5.2", source="debian-forky")
    sandbox = Sandbox("hidden-cache", engine)
    with pytest.raises(EnvironmentProblem) as caught:
        sandbox.start()
    message = str(caught.value)
    assert "\n" not in message and f"under {private}" in message and "DOCSEXEC_CACHE" in message
    assert not sandbox.root.exists()  # nothing was made


def test_an_engine_outside_the_private_folders_is_not_refused_by_that_check():
    from docsexec.engine.sandbox.contain import hidden_in_sandbox

    assert hidden_in_sandbox(Path("/var/cache/docsexec/engines/x/usr/sbin/dockerd")) is None
    assert hidden_in_sandbox(Path("/var/tmp/cache/dockerd")) is None
    assert hidden_in_sandbox(Path("/tmpfoo/dockerd")) is None
    assert hidden_in_sandbox(Path("/tmp")) == "/tmp"
