"""The sandbox host's simulated network card: `eth0`, 198.51.100.10/24, wired to nothing of the machine.

A real Docker host has a network card besides `lo` and `docker0` (`ens32` with 172.16.75.7/24
in the original tutorial), and the host-mode lesson is that a container sees exactly that card.
So the page's namespace gets one: one end of a veth pair, named `eth0`, with a fixed
documentation address (TEST-NET-2, RFC 5737) and a fixed, locally administered MAC, so outputs
are the same on every run. The other end sits in a second namespace of the sandbox
(`docsexec-<id>-lan`) that holds nothing but that end, up, with 198.51.100.1/24: it gives
`eth0` a carrier (state UP, LOWER_UP) like a plugged-in card.

Nothing can leave through it: neither namespace has a default route or any route but the
connected 198.51.100.0/24, and the far end is a namespace of ours, not the machine's network.
Both ends are created directly inside their namespaces, so no interface of ours ever appears
among the machine's own, and deleting either namespace destroys the pair.
"""

from __future__ import annotations

import subprocess
import time

from ...errors import EnvironmentProblem

NAME = "eth0"
ADDRESS = "198.51.100.10/24"
MAC = "02:00:c6:33:64:0a"  # locally administered (bit 1 of the first octet), from 198.51.100.10
PEER_NAME = "lan0"
PEER_ADDRESS = "198.51.100.1/24"


# The far end's ifindex. eth0 is interface 2 of the page's namespace (after lo), like a real
# host's first card, and the far end must not be 2 as well: the kernel handles a veth's carrier
# change at once only when the device's own index differs from its peer's, otherwise it is
# batched for up to a second (linkwatch), and eth0 showed NO-CARRIER/state DOWN to the first
# command of a page. It must not be an index Docker's veths could reach in the page's namespace
# either: busybox's `ip` names the peer by looking the index up there (it printed `eth0@eth0`).
PEER_INDEX = 1000
READY_TIMEOUT = 2.0  # seconds; it takes a few ms
# IPv6 duplicate address detection off, in a namespace before its interfaces exist (run with
# `nsenter --net=...`): so `ip addr` never shows a `tentative` flag that depends on timing.
NO_DAD = ["sysctl", "-q", "-w", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"]


def add_card(page_netns: str, lan_netns: str) -> None:
    """Create the pair and wait until eth0 is up with its link-local address, as a settled
    host shows it. Both namespaces exist, and the page's has its sysctls set already: a device
    copies IPv6 settings such as accept_dad from `default` when it is created."""
    _batch(
        lan_netns,
        [
            f"link add {PEER_NAME} index {PEER_INDEX} type veth peer name {NAME} address {MAC} netns {page_netns}",
            f"link set dev {PEER_NAME} addrgenmode none",  # the far end: one IPv4 address, nothing else
            f"addr add {PEER_ADDRESS} dev {PEER_NAME}",
            f"link set {PEER_NAME} up",
        ],
    )
    _batch(
        page_netns,
        [
            f"addr add {ADDRESS} dev {NAME}",
            f"link set {NAME} up",
        ],
    )
    _wait_until_ready(page_netns)


def run(argv: list[str]) -> None:
    """One set-up command of a namespace (ip, nsenter); its stderr in the problem if it fails."""
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise EnvironmentProblem(f"{' '.join(argv)} failed: {done.stderr.strip()}")


def _wait_until_ready(page_netns: str) -> None:
    """Poll until eth0 is operationally UP and has a link-local address that is not tentative."""
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        shown = _batch(page_netns, [f"addr show dev {NAME}"])
        if " state UP " in shown and "inet6 fe80::" in shown and "tentative" not in shown:
            return
        if time.monotonic() > deadline:
            raise EnvironmentProblem(f"{NAME} of {page_netns} did not come up in {READY_TIMEOUT:g} s: {shown.strip()}")
        time.sleep(0.002)


def _batch(netns: str, commands: list[str]) -> str:
    """One `ip -n NETNS -batch -` for several commands (one process, a few ms); their output."""
    argv = ["ip", "-n", netns, "-batch", "-"]
    done = subprocess.run(argv, input="\n".join(commands) + "\n", capture_output=True, text=True)
    if done.returncode != 0:
        raise EnvironmentProblem(f"{' '.join(argv)} ({'; '.join(commands)}) failed: {done.stderr.strip()}")
    return done.stdout
