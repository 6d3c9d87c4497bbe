"""Facts about bookworm's Engine 20.10 that the bridge page's version notes state.

Not a test (it needs a second engine and prints what it saw); run it to re-check the notes:

    .venv/bin/python tests/facts_engine_20_10.py [--restarts 9]

On a private 20.10 engine (DOCSEXEC_ENGINE=debian-bookworm, fetched into the shared cache
with `DOCSEXEC_ENGINE=debian-bookworm .venv/bin/docsexec engine install`) it prints:
  * the default bridge's IPAM config on a daemon's first start (it creates docker0) and
    after each restart of the same daemon (docker0 already there): whether `Gateway` is
    missing depends on that, not on chance (bridge.md, "the default bridge's Gateway");
  * `lo` of a container on the default bridge, in none mode and on an --ipv6 network
    (bridge.md, "::1 on lo").
Everything runs inside the sandbox's own namespaces, which are removed at the end.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import time

os.environ["DOCSEXEC_ENGINE"] = "debian-bookworm"

# imported after choosing the engine
from docsexec.engine import layout, provision
from docsexec.engine.sandbox import Sandbox

IPAM = "docker network inspect bridge --format '{{json .IPAM.Config}}'"


def run(box: Sandbox, command: str) -> str:
    done = subprocess.run(
        box.wrap(["sh", "-c", command]), env={**os.environ, **box.env()}, capture_output=True, text=True
    )
    return (done.stdout + done.stderr).strip()


def restart_daemon(box: Sandbox) -> None:
    """SIGTERM the sandbox's dockerd and start it again on the same data root."""
    daemon = box._children["dockerd"]
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(timeout=60)
    layout.pid_file(box.id).unlink(missing_ok=True)
    box._launch("dockerd", box.dockerd_argv())
    box._wait_for_api(time.monotonic() + 60)


def gateway_facts(engine: provision.EngineInstall, fresh: int, restarts: int) -> None:
    for attempt in range(fresh):
        with Sandbox("facts-fresh", engine) as box:
            print(f"first start {attempt + 1}: {run(box, IPAM)}", flush=True)
    with Sandbox("facts-restart", engine) as box:
        print(f"first start: {run(box, IPAM)}", flush=True)
        for attempt in range(restarts):
            if attempt == restarts // 2:
                run(box, "docker run -d --name factbox busybox sleep 600")
            restart_daemon(box)
            print(f"restart {attempt + 1}: {run(box, IPAM)}", flush=True)


def loopback_facts(engine: provision.EngineInstall) -> None:
    with Sandbox("facts-lo", engine) as box:
        run(box, "docker network create --ipv6 --subnet fd00:db8::/64 factsv6")
        for label, network in (("default bridge", "bridge"), ("none mode", "none"), ("--ipv6 network", "factsv6")):
            print(
                f"lo on the {label}:\n{run(box, f'docker run --rm --network {network} busybox ip addr show lo')}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", type=int, default=3, help="fresh engines to start")
    parser.add_argument("--restarts", type=int, default=9, help="restarts of one daemon")
    args = parser.parse_args()
    engine = provision.find_engine()
    if engine is None:
        raise SystemExit("no 20.10 engine: DOCSEXEC_ENGINE=debian-bookworm .venv/bin/docsexec engine install")
    print(f"engine {engine.version}", flush=True)
    gateway_facts(engine, args.fresh, args.restarts)
    loopback_facts(engine)


if __name__ == "__main__":
    main()
