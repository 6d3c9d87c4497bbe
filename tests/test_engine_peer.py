"""The LAN peer (docsexec/engine/sandbox/peer.py), against a real engine: the other machine of the
sandbox's simulated LAN, where a `data-host="lan-peer"` block runs.

Checked here: a sandbox starts no peer until one is asked for; the peer is another host (its
own hostname, processes and files, the far end of eth0, reaching docker-host over the LAN
only), contained like the page's shell (read-only machine, the page's cgroups); a page's
blocks run on both hosts in two shells that share no variables, page by page and in a
journey; and stop(), or a SIGKILL then `docsexec engine reap`, leaves nothing of it.
All traffic stays between the sandbox's two namespaces.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from conftest import run_docsexec
from docsexec.engine.sandbox import layout, nic
from docsexec.engine.sandbox.reaper import is_stale
from docsexec.engine.sandbox.sandbox import Sandbox
from safety_support import own_sandboxes

try:
    from engine_fixtures import engine, run, sandbox, traces
except ImportError:  # tests/ collected as a package
    from tests.engine_fixtures import engine, run, sandbox, traces  # noqa: F401

pytestmark = pytest.mark.engine


def on_peer(box: Sandbox, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """argv on the LAN peer with its shell's client settings, as a peer block would run it."""
    peer = box.peer()
    env = dict(os.environ, **peer.env())
    return subprocess.run(
        peer.wrap(list(argv), cwd=peer.workdir), env=env, capture_output=True, text=True, timeout=timeout
    )


def everything_of(sid: str) -> list[str]:
    """traces() plus the LAN namespace and the peer's pid 1, which traces() does not look at."""
    found = traces(sid)
    found += [f"netns {name}" for name in layout.netns_names(sid) if (layout.NETNS_DIR / name).exists()]
    return found


def test_a_sandbox_starts_no_peer_until_one_is_asked_for(sandbox):
    assert not layout.peer_root(sandbox.id).exists()
    assert not layout.pid_file(sandbox.id, "peer-init").exists()
    lan = subprocess.run(["ip", "netns", "pids", sandbox.lan_netns_name], capture_output=True, text=True)
    assert lan.returncode == 0 and lan.stdout.split() == [], "a process runs in the LAN namespace already"


def test_the_peer_is_another_host_at_the_far_end_of_eth0(sandbox):
    assert on_peer(sandbox, "hostname").stdout == "lan-peer\n"
    assert on_peer(sandbox, "cat", "/etc/hostname").stdout == "lan-peer\n"
    assert run(sandbox, "hostname").stdout == "docker-host\n", "the page's host keeps its own name"
    addresses = on_peer(sandbox, "ip", "-o", "-4", "addr").stdout
    assert [line.split()[1] + " " + line.split()[3] for line in addresses.splitlines()] == [
        "lo 127.0.0.1/8",
        f"{nic.PEER_NAME} {nic.PEER_ADDRESS}",
    ], addresses
    ping = on_peer(sandbox, "ping", "-c1", "-W2", nic.ADDRESS.split("/")[0])
    assert ping.returncode == 0 and "1 received" in ping.stdout, ping.stdout + ping.stderr
    back = run(sandbox, "ping", "-c1", "-W2", nic.PEER_ADDRESS.split("/")[0])
    assert back.returncode == 0 and "1 received" in back.stdout, back.stdout + back.stderr


def test_the_peer_sees_only_its_own_processes_and_files(sandbox):
    names = on_peer(sandbox, "ps", "-e", "-o", "comm=").stdout.split()
    assert names == ["docsexec-init", "ps"], names  # none of docker-host's (dockerd, containerd)
    assert not (layout.root_dir(sandbox.id) / "data").is_relative_to(layout.peer_root(sandbox.id))
    listing = on_peer(sandbox, "ls", str(layout.root_dir(sandbox.id)))
    assert listing.stdout.split() == [layout.PEER_DIR], "docker-host's engine data is not the peer's to see"
    client = on_peer(sandbox, "docker", "version", "--format", "{{.Server.Version}}")
    assert client.returncode != 0 and "Cannot connect to the Docker daemon" in client.stderr, client.stderr


def test_the_peer_is_contained_like_the_page_shell(sandbox):
    touch = on_peer(sandbox, "touch", "/etc/docsexec-peer-was-here")
    assert touch.returncode == 1 and "Read-only file system" in touch.stderr, touch.stderr
    work = on_peer(sandbox, "sh", "-c", "echo ok > here && cat here && pwd")
    assert work.stdout.split() == ["ok", str(layout.peer_root(sandbox.id) / "work")], work.stdout + work.stderr
    groups = on_peer(sandbox, "cat", "/proc/self/cgroup").stdout
    assert f"/docsexec-{sandbox.id}/page" in groups, groups  # the page's limits count the peer too
    assert sandbox.peer() is sandbox.peer(), "one peer per sandbox"


def test_stop_removes_the_peer_and_both_namespaces(engine):
    box = Sandbox("peer-stop", engine)
    box.start()
    try:
        init = box.peer().init_pid
        assert init is not None and os.path.exists(f"/proc/{init}")
    finally:
        box.stop()
    assert not os.path.exists(f"/proc/{init}")
    assert everything_of(box.id) == []


CHILD = textwrap.dedent("""
    import subprocess, time
    from docsexec.engine.installed import find_engine
    from docsexec.engine.sandbox.sandbox import Sandbox
    box = Sandbox("peer-doomed", find_engine())
    box.start()
    peer = box.peer()
    subprocess.Popen(peer.wrap(["sleep", "1001"]))
    print(box.id, peer.init_pid, flush=True)
    time.sleep(1000)
""")


@pytest.mark.serial
def test_after_sigkill_reap_removes_the_peer_too():
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    try:
        sid, init = child.stdout.readline().split()
        assert layout.ID_RE.match(sid), sid
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert is_stale(sid) and os.path.exists(f"/proc/{init}"), "SIGKILL should have left the peer for the reaper"
    reaped = run_docsexec("engine", "reap")
    assert reaped.returncode == 0 and f"reaped {sid}" in reaped.stdout.splitlines(), reaped.stdout + reaped.stderr
    assert not os.path.exists(f"/proc/{init}")
    assert everything_of(sid) == []


PAGE = """# Two hosts

```console {#here .docsexec}
$ hostname
docker-host
$ where=docker-host
```

```console {#there .docsexec data-host="lan-peer"}
$ hostname
lan-peer
$ echo "where=[$where]"
where=[]
$ where=lan-peer
$ ping -c1 -W2 198.51.100.10 | grep -c ' 0% packet loss'
1
```

```console {#here-again .docsexec}
$ echo "where=[$where]"
where=[docker-host]
```
"""


def test_a_page_runs_blocks_on_both_hosts_in_two_shells(tmp_path):
    page = tmp_path / "two-hosts.md"
    page.write_text(PAGE)
    with own_sandboxes() as made:
        done = run_docsexec("check", str(page), "--no-cache")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{page}:9 [there] ran" in done.stderr, done.stderr
    assert made.left() == []


def test_a_journey_runs_peer_blocks_too(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "two-hosts.md").write_text(PAGE)
    # One peer shell for the whole journey: the second page's peer block sees the first's variable.
    (docs / "again.md").write_text(PAGE.replace("# Two hosts", "# Again").replace("where=[]", "where=[lan-peer]"))
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: t\nnav:\n  - two-hosts.md\n  - again.md\n")
    with own_sandboxes() as made:
        done = run_docsexec("check", "--journey", "--config", str(config), str(docs))
    assert done.returncode == 0, done.stdout + done.stderr
    assert made.left() == []


# --- the LAN peer's own engine (data-peer-engine="start") ----------------------------------------


def pids_of(sid: str, *daemons: str) -> dict[str, int]:
    """The daemons' pids from their pidfiles in the sandbox's root."""
    return {d: int(layout.pid_file(sid, d).read_text()) for d in daemons if layout.pid_file(sid, d).exists()}


def test_the_peer_engine_is_a_second_engine_of_the_same_version(sandbox):
    sandbox.peer()
    assert pids_of(sandbox.id, "peer-dockerd", "peer-containerd") == {}, "no engine on the peer until asked for"
    peer = sandbox.start_peer_engine()
    assert peer.server_version == sandbox.server_version
    version = on_peer(sandbox, "docker", "version", "--format", "{{.Server.Version}}")
    assert version.returncode == 0 and version.stdout.strip() == sandbox.server_version, version.stderr
    names = [
        on_peer(sandbox, "docker", "info", "--format", "{{.Name}} {{.ID}}").stdout.split(),
        run(sandbox, "docker", "info", "--format", "{{.Name}} {{.ID}}").stdout.split(),
    ]
    assert [n[0] for n in names] == ["lan-peer", "docker-host"] and names[0][1] != names[1][1], names
    ping = on_peer(sandbox, "docker", "run", "--rm", "busybox", "ping", "-c1", "-W2", "198.51.100.10")
    assert ping.returncode == 0 and "1 packets received" in ping.stdout, ping.stdout + ping.stderr
    assert run(sandbox, "docker", "ps", "-aq").stdout == "", "the peer's containers are not docker-host's"
    assert (layout.peer_root(sandbox.id) / "data" / "containers").is_dir()
    assert sandbox.start_peer_engine() is peer, "started once"


def test_both_engines_write_their_own_var_lib_docker_never_the_machines(sandbox):
    """swarm's tasks write /var/lib/docker whatever --data-root says: each host's is its own."""
    sandbox.start_peer_engine()
    assert run(sandbox, "sh", "-c", "echo host > /var/lib/docker/mark").returncode == 0
    assert on_peer(sandbox, "sh", "-c", "echo peer > /var/lib/docker/mark").returncode == 0
    assert (layout.root_dir(sandbox.id) / "var-lib-docker" / "mark").read_text() == "host\n"
    assert (layout.peer_root(sandbox.id) / "var-lib-docker" / "mark").read_text() == "peer\n"
    assert not os.path.exists("/var/lib/docker/mark")
    touch = run(sandbox, "touch", "/var/lib/docsexec-was-here")
    assert touch.returncode == 1 and "Read-only file system" in touch.stderr, touch.stderr


def test_stop_removes_the_peer_engine_and_its_containers(engine):
    box = Sandbox("peer-engine-stop", engine)
    box.start()
    try:
        box.start_peer_engine()
        assert on_peer(box, "docker", "run", "-d", "busybox", "sleep", "1002").returncode == 0
        pids = pids_of(box.id, "peer-dockerd", "peer-containerd", "peer-init")
        assert len(pids) == 3, pids
    finally:
        box.stop()
    assert [name for name, pid in pids.items() if os.path.exists(f"/proc/{pid}")] == []
    assert everything_of(box.id) == []


ENGINE_PAGE = """# Killed

```console {#start .docsexec data-host="lan-peer" data-peer-engine="start"}
$ docker run -d --name far busybox sleep 1013 >/dev/null && echo started
started
```

```console {#wait .docsexec data-host="lan-peer"}
$ sleep 989
```
"""


def test_after_sigkill_of_docsexec_reap_leaves_nothing_of_the_peer_engine(tmp_path):
    from safety_support import Run, left_by, processes_matching

    page = tmp_path / "killed.md"
    page.write_text(ENGINE_PAGE)
    run_ = Run("check", str(page), "--no-cache")
    try:
        run_.wait_for(lambda: bool(processes_matching("sleep 989")) and bool(run_.sids), what="the peer's sleep")
        [sid] = run_.sids
        pids = pids_of(sid, "peer-dockerd", "peer-containerd", "peer-init", "dockerd", "containerd", "init")
        run_.signal(signal.SIGKILL)
        assert run_.finish() == -signal.SIGKILL
    finally:
        run_.kill()
    assert len(pids) == 6 and all(os.path.exists(f"/proc/{pid}") for pid in pids.values()), pids
    reaped = run_docsexec("engine", "reap")
    assert reaped.returncode == 0, reaped.stderr
    assert [name for name, pid in pids.items() if os.path.exists(f"/proc/{pid}")] == []
    assert left_by({sid}) == [] and everything_of(sid) == []
    assert processes_matching("sleep 989") == [] and processes_matching("sleep 1013") == []
