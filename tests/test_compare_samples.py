"""Real-looking outputs shared by the comparator tests (from the original tutorial and the
networking research transcripts), plus helpers that simulate "the same behaviour on another
run" (every volatile value replaced consistently) for the tests to compare against."""

from __future__ import annotations

import re

CONTAINER_IP_ADDR = """\
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
17: eth0@if18: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue
    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff
    inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0
       valid_lft forever preferred_lft forever""".splitlines()

HOST_IP_ADDR = """\
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
    inet6 ::1/128 scope host
       valid_lft forever preferred_lft forever
2: ens32: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast state UP group default qlen 1000
    link/ether 00:0c:29:73:c9:d1 brd ff:ff:ff:ff:ff:ff
    inet 172.16.75.7/24 brd 172.16.75.255 scope global noprefixroute dynamic ens32
       valid_lft 82207sec preferred_lft 82207sec
    inet6 fd15:4ba5:5a2b:1008:8d1c:8ac8:cb48:b120/64 scope global noprefixroute dynamic
       valid_lft 2591957sec preferred_lft 604757sec
    inet6 fe80::4cfc:6d4d:205f:d5f9/64 scope link noprefixroute
       valid_lft forever preferred_lft forever
5: br-7a90a431cd30: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN group default
    link/ether 02:42:95:1e:35:02 brd ff:ff:ff:ff:ff:ff
6: docker0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN group default
    link/ether 02:42:26:2a:24:17 brd ff:ff:ff:ff:ff:ff
    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0
       valid_lft forever preferred_lft forever
    inet6 fe80::42:26ff:fe2a:2417/64 scope link
       valid_lft forever preferred_lft forever
18: veth8c57a51@if17: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master docker0 state UP group default
    link/ether 8e:b0:6e:10:fa:7b brd ff:ff:ff:ff:ff:ff link-netnsid 0
    inet6 fe80::8cb0:6eff:fe10:fa7b/64 scope link
       valid_lft forever preferred_lft forever""".splitlines()

NETWORK_INSPECT = """\
[
    {
        "Name": "bridge",
        "Id": "d1d8e01c550f82d2d3a32505e3429263d5a8bc994ee34e70e0bcabbe405cec41",
        "Created": "2023-11-14T14:49:54.711635237+08:00",
        "Scope": "local",
        "Driver": "bridge",
        "EnableIPv6": false,
        "IPAM": {
            "Driver": "default",
            "Options": null,
            "Config": [
                {
                    "Subnet": "172.17.0.0/16",
                    "Gateway": "172.17.0.1"
                }
            ]
        },
        "Internal": false,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": {
            "Network": ""
        },
        "ConfigOnly": false,
        "Containers": {
            "4b3e7302489a0ec41796c29aea74dadea358ebb54156055c082fee3da68f7848": {
                "Name": "mybox",
                "EndpointID": "2e48fc285d8f04503812f40a9cff8d942b911127dbd8107f5bf37174034cc3e9",
                "MacAddress": "02:42:ac:11:00:02",
                "IPv4Address": "172.17.0.2/16",
                "IPv6Address": ""
            }
        },
        "Options": {
            "com.docker.network.bridge.default_bridge": "true",
            "com.docker.network.bridge.enable_icc": "true",
            "com.docker.network.bridge.enable_ip_masquerade": "true",
            "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
            "com.docker.network.bridge.name": "docker0",
            "com.docker.network.driver.mtu": "1500"
        },
        "Labels": {}
    }
]""".splitlines()

PING = """\
PING 172.17.0.3 (172.17.0.3): 56 data bytes
64 bytes from 172.17.0.3: seq=0 ttl=64 time=0.334 ms
64 bytes from 172.17.0.3: seq=1 ttl=64 time=0.133 ms
64 bytes from 172.17.0.3: seq=2 ttl=64 time=0.101 ms

--- 172.17.0.3 ping statistics ---
3 packets transmitted, 3 packets received, 0% packet loss
round-trip min/avg/max = 0.101/0.189/0.334 ms""".splitlines()

NETWORK_LS = """\
NETWORK ID     NAME             DRIVER    SCOPE
d1d8e01c550f   bridge           bridge    local
0994c160a8ea   custom_network   bridge    local
ea6e8c7b7b95   host             host      local
0bdd0eb17415   none             null      local""".splitlines()

DOCKER_PS = """\
CONTAINER ID   IMAGE     COMMAND       CREATED         STATUS         PORTS     NAMES
614bb8498c45   busybox   "sleep 900"   2 seconds ago   Up 1 second              dx-a""".splitlines()


def rerun(lines: list[str], mapping: dict[str, str]) -> list[str]:
    """The same lines as another run would print them: each key replaced by its value,
    longest keys first, never inside a longer word."""
    keys = sorted(mapping, key=len, reverse=True)
    rx = re.compile("|".join(rf"(?:(?<![\w.:])|(?<=@if)){re.escape(k)}(?!\w|\.\d)" for k in keys))
    return [rx.sub(lambda m: mapping[m.group(0)], line) for line in lines]


# One consistent "next run" of the samples above.
NEXT_RUN = {
    "17": "41",
    "18": "42",
    "02:42:ac:11:00:02": "5a:0f:c3:aa:19:e0",
    "172.17.0.2": "172.18.0.2",
    "172.17.255.255": "172.18.255.255",
    "172.17.0.1": "172.18.0.1",
    "172.17.0.0": "172.18.0.0",
    "172.17.0.3": "172.18.0.7",
    "veth8c57a51": "veth3f0e2b9",
    "8e:b0:6e:10:fa:7b": "ae:11:22:33:44:55",
    "fe80::8cb0:6eff:fe10:fa7b": "fe80::ac11:22ff:fe33:4455",
    "d1d8e01c550f82d2d3a32505e3429263d5a8bc994ee34e70e0bcabbe405cec41": "9a0c3b1d55e24f7e8a9b0c1d2e3f40516273849a5b6c7d8e9f00112233445566",
    "4b3e7302489a0ec41796c29aea74dadea358ebb54156055c082fee3da68f7848": "77aa0cd1b2e34f56a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4",
    "2e48fc285d8f04503812f40a9cff8d942b911127dbd8107f5bf37174034cc3e9": "c0ffee11b2e34f56a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4",
    "2023-11-14T14:49:54.711635237+08:00": "2026-11-27T23:20:33.398599732Z",
}


def test_rerun_helper_replaces_whole_values_only():
    assert rerun(["17: eth0@if18", "mtu 1500 172.17.0.2/16"], NEXT_RUN) == [
        "41: eth0@if42",
        "mtu 1500 172.18.0.2/16",
    ]
