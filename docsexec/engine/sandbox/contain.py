"""The sandbox's own mount, PID and UTS namespaces, on top of its network namespace.

Why: a page is code that runs as root. Without this, a tagged block could write anywhere on
the machine, see and kill every process, and print the machine's hostname (so host-mode
outputs differed from machine to machine). With it, the page's shell and its engine
(containerd, dockerd, shims, containers) share one set of namespaces made by util-linux
`unshare`, whose first process (pid 1 there) sets them up with `mount(8)` and `hostname(1)`:

- the machine's file systems read-only; writable only the sandbox's root (its data, exec
  state, client config and the page's folder), a private `/tmp`, `/run` and `/dev/shm`, and
  the sandbox's own container cgroups (`box`, see cgroups.py);
- `/var/lib/docker` an empty folder of the sandbox's own (swarm's network attachments write
  there whatever dockerd's --data-root says), made visible through an overlay on `/var/lib`
  whose upper layer is in the root, so the machine's `/var/lib` is never written;
- `/proc` of the new PID namespace: the page lists only its own processes and can signal
  no other; `/proc/sys` read-only except `/proc/sys/net` (per network namespace, dockerd sets it);
- the hostname HOSTNAME, with matching /etc/hostname and /etc/hosts, and an /etc/resolv.conf
  naming only 127.0.0.1 (a lookup never leaves the machine, and no runner's search domain
  leaks into outputs);
- `/sys` stays the machine's sysfs mount, read-only: `ip netns exec` mounts a new one, which
  hides the cgroup mounts below it and breaks dockerd ("Devices cgroup isn't mounted").

Everything else enters these namespaces with `nsenter --target <pid 1>`, so the shell and the
engine see the same processes: `docker inspect -f '{{.State.Pid}}'` gives a pid the page can
`nsenter` or `ip link set ... netns` into. Killing pid 1 from outside ends every process in
the namespace at once (a fork bomb cannot outrun it), and the mounts go with the last process.

What this does not stop: the page is still root with CAP_SYS_ADMIN (dockerd and `nsenter`
need it), so a page that sets out to, say, `mount -o remount,rw /` again can undo the
read-only view; the shell's bounding set drops the capabilities no lesson needs (modules,
raw I/O, the clock, reboot-level ones) to make the obvious accidents impossible.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HOSTNAME = "docker-host"
INIT_NAME = "docsexec-init"  # pid 1 as `ps` shows it
READY = "ns-ready"  # written into the root by pid 1 once the namespaces are set up
# Capabilities the page's shell does not get (its containers are made by dockerd, which keeps
# all): loading kernel modules, raw I/O ports and /dev/mem, setting the clock, the kernel log,
# open_by_handle_at (a classic way out of a mount namespace), creating device nodes.
DROPPED_CAPS = ("sys_module", "sys_rawio", "sys_time", "syslog", "dac_read_search", "mknod", "sys_boot", "wake_alarm")
ENTER = ("--net", "--mount", "--uts", "--pid")
PRIVATE_MOUNTS = ("/tmp", "/run", "/dev/shm")  # replaced by empty tmpfs in the sandbox (SETUP)


def hidden_in_sandbox(path: Path) -> str | None:
    """The private mount (PRIVATE_MOUNTS) that hides `path` from a page's sandbox, if any."""
    resolved = path.resolve()
    for mount in PRIVATE_MOUNTS:
        if resolved == Path(mount) or Path(mount) in resolved.parents:
            return mount
    return None


# pid 1 of the namespace: reaps orphans (zombies would count against the task limit) and
# ignores every signal sent from inside (the kernel's rule for a namespace's init).
_REAPER = (
    "import os, time\n"
    "with open('/proc/self/comm', 'w') as comm:\n"  # `ps` in a page shows this name, not python's
    f"    comm.write({INIT_NAME!r})\n"
    "while True:\n"
    "    try:\n"
    "        os.wait()\n"
    "    except ChildProcessError:\n"
    "        time.sleep(0.5)\n"
)

# Run by pid 1 in the new namespaces (sh), before it becomes the reaper. $1 root, $2 hostname,
# $3 python, $4 the reaper's code, the rest: cgroup dirs to keep writable.
SETUP = r"""
set -eu
root=$1 name=$2 py=$3 reaper=$4
shift 4
hostname "$name"
for keep in "$root" "$@"; do mount -n --bind "$keep" "$keep"; done
writable=" $root $* /var/lib/docker "
# /var/lib/docker is the sandbox's own folder: swarm's tasks write there whatever --data-root
# says. Without one on the machine, an overlay whose upper layer (in the root) adds the mount
# point: the machine's /var/lib is never written, and a machine's own engine data is hidden.
# Where no overlay can be mounted, the sandbox goes on without (only swarm's tasks then fail).
mkdir -p "$root/var-lib-docker" "$root/.var-lib/upper/docker" "$root/.var-lib/work"
if [ -d /var/lib/docker ] || mount -n -t overlay -o "lowerdir=/var/lib,upperdir=$root/.var-lib/upper,workdir=$root/.var-lib/work" docsexec-var-lib /var/lib; then
  mount -n --bind "$root/var-lib-docker" /var/lib/docker
else
  echo "sandbox setup: no private /var/lib/docker (swarm's tasks will fail)" >&2
fi
# /etc/docker is the sandbox's own folder too, $root/etc/docker (its daemon.json is the engine's
# configuration, which a page may write): bound over the machine's /etc/docker, or, without one,
# over a mount point an overlay on /etc adds (its upper layer in the root, as for /var/lib).
mkdir -p "$root/.etc/upper/docker" "$root/.etc/work"
if [ -d /etc/docker ] || mount -n -t overlay -o "lowerdir=/etc,upperdir=$root/.etc/upper,workdir=$root/.etc/work" docsexec-etc /etc; then
  etc_docker=yes
else
  etc_docker=no
  echo "sandbox setup: no private /etc/docker (a page cannot write daemon.json)" >&2
fi
# mountinfo writes a space as \040 (octal): decode, so such a mount point is made read-only too.
decode='function oct(s) { return substr(s, 1, 1) * 64 + substr(s, 2, 1) * 8 + substr(s, 3, 1) }
{ p = $5; out = ""
  while (match(p, /\\[0-7][0-7][0-7]/)) { out = out substr(p, 1, RSTART - 1) sprintf("%c", oct(substr(p, RSTART + 1, 3))); p = substr(p, RSTART + 4) }
  print out p }'
# Every mount of the machine read-only, deepest last (a remount does not reach mounts below).
awk "$decode" /proc/self/mountinfo | while IFS= read -r point; do
  case "$point" in /proc|/proc/*|/dev/pts|/run/*) continue ;; esac  # /run: replaced below
  case "$writable" in *" $point "*) continue ;; esac
  mount -n -o remount,bind,ro "$point" 2>/dev/null || echo "sandbox setup: cannot make $point read-only" >&2
done
mount -n --bind /proc/sys /proc/sys && mount -n -o remount,bind,ro /proc/sys
mount -n --bind /proc/sys/net /proc/sys/net && mount -n -o remount,bind,rw /proc/sys/net
if [ -e /proc/sysrq-trigger ]; then
  mount -n --bind /proc/sysrq-trigger /proc/sysrq-trigger && mount -n -o remount,bind,ro /proc/sysrq-trigger
fi
# Private /tmp, /run and /dev/shm; the root is moved aside while /run (its usual parent) is replaced.
mount -n -t tmpfs -o mode=1777,nosuid,nodev,size=1g docsexec-tmp /tmp
mkdir /tmp/.docsexec-root && mount -n --move "$root" /tmp/.docsexec-root
mount -n -t tmpfs -o mode=755,nosuid,nodev,size=1g docsexec-run /run
mkdir -p /run/netns /run/lock "$root"
mount -n --move /tmp/.docsexec-root "$root" && rmdir /tmp/.docsexec-root
mount -n -t tmpfs -o mode=1777,nosuid,nodev,size=256m docsexec-shm /dev/shm
for file in hostname hosts resolv.conf; do
  if [ -f "/etc/$file" ] && [ ! -L "/etc/$file" ]; then
    mount -n --bind "$root/etc/$file" "/etc/$file" && mount -n -o remount,bind,ro "/etc/$file"
  fi
done
if [ "$etc_docker" = yes ]; then mount -n --bind "$root/etc/docker" /etc/docker; fi
echo ready > "$root/ns-ready"
exec "$py" -c "$reaper" "$root/"
"""


def etc_files(hostname: str = HOSTNAME) -> dict[str, str]:
    """The files bound over the machine's /etc inside the sandbox, the same on every machine
    (the LAN peer gets its own, with its own hostname)."""
    return {
        "hostname": f"{hostname}\n",
        "hosts": f"127.0.0.1\tlocalhost\n127.0.1.1\t{hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n",
        "resolv.conf": "nameserver 127.0.0.1\n",
    }


def _interpreter() -> str:
    """The Python that pid 1 reaps with, by a path the sandbox still sees: the venv's own
    `python` may live under /tmp (a clone in a `mktemp -d` folder), which the sandbox replaces
    with a private one; the interpreter behind the venv is outside it (the reaper needs only
    the standard library)."""
    return os.path.realpath(sys.executable)


def init_argv(root: Path, writable: list[Path], hostname: str = HOSTNAME) -> list[str]:
    """`unshare` making the namespaces, its child (pid 1) setting them up, then reaping.
    `root` is the folder left writable, whose etc/ holds the files bound over /etc: the
    sandbox's root for the page's host, the peer's own folder for the LAN peer (peer.py)."""
    return [
        "unshare",
        "--mount",
        "--uts",
        "--pid",
        "--fork",
        "--propagation",
        "private",
        "--mount-proc",
        "sh",
        "-c",
        SETUP,
        "docsexec-init",
        str(root),
        hostname,
        _interpreter(),
        _REAPER,
        *map(str, writable),
    ]


# Joins the cgroups given as "$1" files, then execs the rest: a process that enters the
# namespaces with nsenter would otherwise stay in its caller's groups, outside the limits.
_JOIN = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1"; shift; n=$((n - 1)); done; exec "$@"'


def joined(procs_files: list[Path], argv: list[str]) -> list[str]:
    """argv run after joining the cgroups whose cgroup.procs files are given."""
    return ["sh", "-c", _JOIN, "sh", str(len(procs_files)), *map(str, procs_files), *argv]


def enter_argv(init_pid: int, procs_files: list[Path], argv: list[str], cwd: Path) -> list[str]:
    """argv inside the sandbox's cgroups and namespaces, started in cwd (as the sandbox sees it)."""
    return joined(procs_files, ["nsenter", f"--target={init_pid}", *ENTER, "env", "-C", str(cwd), *argv])


def shell_argv(init_pid: int, procs_files: list[Path], argv: list[str], cwd: Path) -> list[str]:
    """Like enter_argv, for the page's shell, without the capabilities it never needs."""
    drop = ",".join(f"-{cap}" for cap in DROPPED_CAPS)
    return enter_argv(init_pid, procs_files, ["setpriv", f"--bounding-set={drop}", "--", *argv], cwd)
