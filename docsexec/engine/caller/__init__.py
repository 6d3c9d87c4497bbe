"""Running a page against the caller's own engine (`--engine shared`) without harming it.

The caller's engine may hold their own containers, networks and volumes. Before a page runs
(and once more for all pages before the first one starts), the guard reads the page's commands
for the names it will create (`docker run/create --name`, `docker network create`, `docker
volume create`, named volumes in `-v`/`--mount`, `docker rename`'s new name) and the names it
will stop, change or remove (`docker rm/stop/kill/start/exec/cp/...`, `docker network rm`,
`docker network connect/disconnect`'s container, `docker volume rm`, `docker rmi`), and refuses
the page (exit 3, one line) when any of them already exists there, or when the page uses an
engine-wide command (`prune`, `swarm init/join/leave`, `docker rm $(docker ps -aq)`).

One run per engine: an exclusive flock on /tmp/docsexec-shared-<engine ID>.lock (the ID of
`docker info`) keeps a second docsexec run off the same engine. The second run refuses at once
(exit 3, naming the holder's pid and page) rather than waiting, so a CI job never hangs behind
a stuck one. The lock file's content is the holder's journal.

What the page creates is known exactly: the page's docker client talks to the engine through
a relay (ApiRelay, a unix socket in the run's own folder) that passes every byte on unchanged
and notes the IDs in the engine's answers to create calls. Afterwards the guard removes those
objects (containers `rm -f -v` first, then networks, volumes incl. named volumes the page's
containers mount, image tags), and only if they did not exist before the page started. An
object someone else created on the engine while the page ran is kept and reported. Nothing
that existed before is ever stopped, changed or removed by docsexec itself.

A run killed with SIGKILL cannot clean up; its journal (written as each object appears) still
says "running", so the next shared run on that engine removes what the killed page created.
When the engine is not reached over a unix socket (tcp://, ssh://) there is no relay: every
object created during the run is removed (the ID diff), with a warning.

The command parsing is best effort: names built at run time (`$NAME`, `$(...)`) cannot be
known in advance; cleanup does not depend on parsing.

The parts, one job each: plan (reading a page's commands), inventory (the engine's objects
and the docker client), lock (one run at a time per engine, and its journal), relay (ApiRelay,
what the page itself creates), guard (SharedGuard and Cleanup, which tie them together).
"""

from ...common import Log
from .guard import SCRATCH_PREFIX, Cleanup, SharedGuard, precheck, refuse_clashes, refuse_forbidden
from .inventory import CONTAINER, IMAGE, NETWORK, VOLUME, Docker, Inventory
from .lock import EngineLock, engine_id, lock_path
from .plan import Mention, Plan, plan_page, simple_commands, split_options
from .relay import ApiRelay, engine_socket, normal_ref

__all__ = [
    "CONTAINER",
    "IMAGE",
    "NETWORK",
    "SCRATCH_PREFIX",
    "VOLUME",
    "ApiRelay",
    "Cleanup",
    "Docker",
    "EngineLock",
    "Inventory",
    "Log",
    "Mention",
    "Plan",
    "SharedGuard",
    "engine_id",
    "engine_socket",
    "lock_path",
    "normal_ref",
    "plan_page",
    "precheck",
    "refuse_clashes",
    "refuse_forbidden",
    "simple_commands",
    "split_options",
]
