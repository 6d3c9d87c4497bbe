"""The sandbox host's simulated network card (docsexec/engine/sandbox/nic.py), against a real engine.

The card is `eth0` in the page's namespace with 198.51.100.10/24 (TEST-NET-2); its far end is
in a second namespace of the sandbox. Checked here: the card looks like a settled host's card
from the very first command, nothing can leave through it (no default route anywhere, nothing
of ours in the machine's own namespace), the engine and its containers work as before, and
both namespaces go away on stop(), after a SIGKILL + reap, and when only the second is left.
All traffic in these tests stays between the sandbox's own containers.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from docsexec.engine.sandbox import layout, nic
from docsexec.engine.sandbox.reaper import is_stale, reap_stale
from docsexec.engine.sandbox.sandbox import Sandbox

try:
    from engine_fixtures import engine, run, sandbox, traces
except ImportError:  # tests/ collected as a package
    from tests.engine_fixtures import engine, run, sandbox, traces  # noqa: F401

pytestmark = pytest.mark.engine


def namespaces_of(sid: str) -> list[str]:
    """The sandbox's namespaces still on the machine (traces() checks only the page's)."""
    return [name for name in (layout.netns_name(sid), layout.lan_netns_name(sid)) if (layout.NETNS_DIR / name).exists()]


def in_lan(box: Sandbox, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", "-n", box.lan_netns_name, *argv], capture_output=True, text=True)


# --- what the page sees -------------------------------------------------------------------------


def test_eth0_is_a_settled_card_from_the_first_command(sandbox):
    """The first thing run in the sandbox sees eth0 up, with carrier, its fixed MAC and
    address, and a link-local address that is not tentative (DAD is off before eth0 exists)."""
    shown = run(sandbox, "ip", "addr", "show", "dev", "eth0")
    assert shown.returncode == 0, shown.stderr
    header, link, *addresses = shown.stdout.splitlines()
    assert header.startswith("2: eth0@if1000: <BROADCAST,MULTICAST,UP,LOWER_UP> "), header
    assert " state UP " in header and "NO-CARRIER" not in header
    assert link.split()[:2] == ["link/ether", nic.MAC]
    text = "\n".join(addresses)
    assert "inet 198.51.100.10/24 scope global eth0" in text
    assert "inet6 fe80::c6ff:fe33:640a/64 scope link" in text
    assert "tentative" not in shown.stdout


def test_the_host_lists_lo_eth0_docker0_in_that_order(sandbox):
    done = run(sandbox, "ip", "-o", "link")
    names = [line.split(":")[1].strip().split("@")[0] for line in done.stdout.splitlines()]
    assert names == ["lo", "eth0", "docker0"], done.stdout


def test_nothing_can_leave(sandbox):
    """No default route in either namespace, IPv4 or IPv6; the only IPv4 route on eth0 is
    its own /24; a lookup of an outside address finds no way."""
    for family in ("-4", "-6"):
        page = run(sandbox, "ip", family, "route")
        lan = in_lan(sandbox, family, "route")
        assert "default" not in page.stdout + lan.stdout, page.stdout + lan.stdout
    assert [r for r in run(sandbox, "ip", "-4", "route", "show", "dev", "eth0").stdout.splitlines()] == [
        "198.51.100.0/24 proto kernel scope link src 198.51.100.10 "
    ]
    for outside in ("192.0.2.1", "8.8.8.8", "2001:db8::1"):
        lookup = run(sandbox, "ip", "route", "get", outside)
        assert lookup.returncode != 0 and "unreachable" in lookup.stderr, (outside, lookup.stdout, lookup.stderr)


def test_the_far_end_is_one_address_in_a_namespace_of_ours(sandbox):
    links = in_lan(sandbox, "-o", "link").stdout.splitlines()
    assert [line.split(":")[1].strip().split("@")[0] for line in links] == ["lo", nic.PEER_NAME]
    assert "state DOWN" in links[0] and "state UP" in links[1], links
    addresses = in_lan(sandbox, "-o", "addr").stdout.split("\n")
    assert [line.split()[3] for line in addresses if line] == [nic.PEER_ADDRESS], addresses


def test_the_card_is_not_among_the_machines_own_interfaces(sandbox):
    """Both ends are made inside their namespaces: the machine's namespace never sees them."""
    own = subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True).stdout
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert "198.51.100." not in own
    assert nic.MAC not in links and f": {nic.PEER_NAME}" not in links


def test_containers_run_and_talk_and_host_mode_sees_the_card(sandbox):
    assert run(sandbox, "docker", "run", "-d", "--name", "one", "busybox", "sleep", "600").returncode == 0
    ip = run(sandbox, "docker", "inspect", "-f", "{{.NetworkSettings.IPAddress}}", "one").stdout.strip()
    assert ip == "172.17.0.2"
    ping = run(sandbox, "docker", "run", "--rm", "busybox", "ping", "-c1", "-W2", ip)
    assert ping.returncode == 0 and "1 packets received" in ping.stdout, ping.stdout + ping.stderr
    host = run(sandbox, "docker", "run", "--rm", "--network", "host", "busybox", "ip", "addr", "show", "eth0")
    assert "inet 198.51.100.10/24 scope global eth0" in host.stdout, host.stdout + host.stderr
    assert nic.MAC in host.stdout


# --- removal ------------------------------------------------------------------------------------


def test_stop_removes_both_namespaces(engine):
    box = Sandbox("nic-stop", engine)
    box.start()
    assert namespaces_of(box.id) == [box.netns_name, box.lan_netns_name]
    box.stop()
    assert namespaces_of(box.id) == [] and traces(box.id) == []


CHILD = textwrap.dedent("""
    import time
    from docsexec.engine.installed import find_engine
    from docsexec.engine.sandbox.sandbox import Sandbox
    box = Sandbox("nic-doomed", find_engine())
    box.start()
    print(box.id, flush=True)
    time.sleep(1000)
""")


@pytest.mark.serial
def test_sigkill_then_reap_removes_both_namespaces(engine):
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    try:
        sid = child.stdout.readline().strip()
        assert layout.ID_RE.match(sid), f"child did not report a sandbox id: {sid!r}"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert is_stale(sid) and len(namespaces_of(sid)) == 2
    assert sid in reap_stale(log=lambda line: None)
    assert namespaces_of(sid) == [] and traces(sid) == []


@pytest.mark.serial
def test_a_lone_far_end_namespace_is_found_and_reaped(engine):
    """What a teardown interrupted between its two `ip netns del` leaves: found by its name."""
    sid = "0ff0a002"
    assert subprocess.run(["ip", "netns", "add", layout.lan_netns_name(sid)]).returncode == 0
    assert sid in layout.known_ids()
    assert sid in reap_stale(log=lambda line: None)
    assert namespaces_of(sid) == []


def test_lan_names_map_back_to_their_id():
    assert layout._strip("docsexec-0123abcd-lan") == "0123abcd"
    assert layout._strip("docsexec-0123abcd") == "0123abcd"
    assert layout._strip("docsexec-0123abcd-wan") == "" and layout._strip("docsexec-0123abc-lan") == ""
    assert layout.netns_names("0123abcd") == ["docsexec-0123abcd", "docsexec-0123abcd-lan"]
