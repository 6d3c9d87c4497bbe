"""The guard around one page on the shared engine: refuse what must not run (engine-wide
commands, name clashes), lock the engine, relay the page's client, and afterwards remove
only what the page created (SharedGuard, Cleanup).

This is the one place that ties the plan, the lock, the relay and the inventory together;
precheck runs the same refusals for all pages before the first one starts.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from ...common import Log
from ...errors import EnvironmentProblem
from ...model import Block
from .inventory import CONTAINER, IMAGE, NETWORK, VOLUME, Docker, Inventory, _image_exists, _last_line
from .lock import EngineLock, engine_id
from .plan import Mention, Plan, plan_page
from .relay import ApiRelay, engine_socket


def refuse_forbidden(path: Path, plan: Plan) -> None:
    if plan.forbidden:
        line, why = plan.forbidden[0]
        raise EnvironmentProblem(
            f"{path}:{line}: refusing to run on the shared engine: {why}; run this page in its own sandbox (without --engine shared)"
        )


def refuse_clashes(path: Path, plan: Plan, existing: Inventory, docker: Docker) -> None:
    """Refuse if a name the page creates exists, or the page would stop, change or remove an
    object that exists and that the page does not create itself."""
    clashes: list[Mention] = []
    seen: set[tuple[str, str]] = set()
    for mention in plan.mentions:
        key = (mention.kind, mention.name)
        if key in seen or (not mention.creates and mention.name in plan.created(mention.kind)):
            continue
        exists = (
            _image_exists(docker, mention.name)
            if mention.kind == IMAGE
            else mention.name in existing.names(mention.kind)
        )
        if exists:
            seen.add(key)
            clashes.append(mention)
    if not clashes:
        return
    listed = ", ".join(
        f"{m.kind} {m.name} (the page {'creates' if m.creates else 'stops, changes or removes'} it on line {m.line})"
        for m in clashes
    )
    raise EnvironmentProblem(
        f"{path}:{clashes[0].line}: refusing to run on the shared engine: it already has {listed}; "
        "docsexec never touches objects it did not create: remove or rename them there, or run without --engine shared"
    )


def precheck(pages: Sequence[Sequence[Block]], env: Mapping[str, str]) -> None:
    """Before any page runs: refuse the whole run if any page would touch what is on the shared
    engine now. (Each page is checked again under the engine's lock right before it runs.)"""
    docker = Docker(env)
    plans = [(blocks[0].path, plan_page(blocks)) for blocks in pages if blocks]
    for path, plan in plans:
        refuse_forbidden(path, plan)
    if plans:
        existing = Inventory.read(docker)
        for path, plan in plans:
            refuse_clashes(path, plan, existing, docker)


def _stderr(text: str) -> None:
    print(f"docsexec: {text}", file=sys.stderr, flush=True)


class SharedGuard:
    """begin() before the page's shell starts, end() after it has exited (always).

    While the page runs, its docker client goes through an ApiRelay (see page_env), so the
    guard knows exactly which objects the page created; the journal in the engine's lock file
    lists them as they appear, so even a SIGKILLed run's objects can be removed by the next."""

    def __init__(self, blocks: Sequence[Block], env: Mapping[str, str], log: Log = _stderr) -> None:
        self.blocks = list(blocks)
        self.path = self.blocks[0].path if self.blocks else Path("(page)")
        self.docker = Docker(env)
        self.log = log
        self.plan = plan_page(self.blocks)
        self.engine_id = ""
        self.before: Inventory | None = None
        self.removed: list[str] = []
        self.kept: list[str] = []  # created on the engine during the run, not by the page
        self.problems: list[str] = []
        self.relay: ApiRelay | None = None
        self._lock: EngineLock | None = None
        self._scratch: Path | None = None
        self._started = time.time()
        self._journal_mutex = threading.Lock()

    # -- before --

    def begin(self, scratch: Path) -> None:
        """Lock the engine, check the page's names, record what exists, start the relay (its
        socket goes in `scratch`, a folder of this run's own). Raises EnvironmentProblem (and
        holds nothing) when the page must not run here."""
        self._scratch = scratch
        try:
            refuse_forbidden(self.path, self.plan)
            self.engine_id = engine_id(self.docker)
            self._lock = EngineLock(self.engine_id)
            self._lock.acquire()
            self._clean_after_killed_run()
            before = Inventory.read(self.docker)
            refuse_clashes(self.path, self.plan, before, self.docker)
            self.before = before
            self._start_relay(scratch)
            self._write_journal("running")
        except BaseException:
            self._stop_relay()
            self._release()
            raise

    def _start_relay(self, scratch: Path) -> None:
        upstream = engine_socket(self.docker)
        if upstream is None:
            self.log(
                f"warning: {self.path}: the shared engine is not reached over a unix socket, so docsexec "
                "cannot tell the page's objects from others made meanwhile: it removes every object created during the run"
            )
            return
        self.relay = ApiRelay(upstream, scratch / "docker.sock", lambda kind, ident: self._write_journal("running"))
        self.relay.start()

    def page_env(self, env: Mapping[str, str]) -> dict[str, str]:
        """The page shell's environment: its docker client talks to the relay."""
        env = dict(env)
        if self.relay is not None:
            env["DOCKER_HOST"] = self.relay.docker_host
            env.pop("DOCKER_CONTEXT", None)
        return env

    def _clean_after_killed_run(self) -> None:
        """A journal still marked running belongs to a run that was killed (its lock was free):
        remove what its relay saw it create, and name, without removing, anything else new."""
        journal = self._lock.previous if self._lock else None
        if not journal or journal.get("state") != "running":
            return
        scratch = journal.get("scratch") or ""
        if Path(scratch).name.startswith(SCRATCH_PREFIX) and Path(scratch).is_dir():
            shutil.rmtree(scratch, ignore_errors=True)  # the killed run's own folder
        created = {kind: set(ids) for kind, ids in (journal.get("created") or {}).items()}
        before = Inventory.from_json(journal.get("before", {}))
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(journal.get("started", 0))))
        said = (
            f"warning: an earlier run on this shared engine (pid {journal.get('pid')}, page {journal.get('page')}, "
            f"started {when}) was killed before it could clean up"
        )
        if not journal.get("relay"):  # nothing proves which new objects were that page's
            try:
                new = Inventory.read(self.docker).new_since(before).describe()
            except EnvironmentProblem:
                new = []
            self.log(said + (f"; created since, possibly by it, and kept: {', '.join(new)}" if new else ""))
            return
        killed = Cleanup(self.docker, before, created, lambda text: self.log(f"warning: {text}"))
        killed.run()
        self.log(
            said
            + f"; removed what it created: {', '.join(killed.removed) or 'nothing left'}"
            + (f"; created since by others, kept: {', '.join(killed.kept)}" if killed.kept else "")
        )

    def _write_journal(self, state: str) -> None:
        if self._lock is None:
            return
        with self._journal_mutex:
            created = {k: sorted(v) for k, v in self.relay.created.items()} if self.relay else {}
            self._lock.write(
                {
                    "state": state,
                    "pid": os.getpid(),
                    "page": str(self.path),
                    "started": self._started,
                    "engine": self.engine_id,
                    "scratch": str(self._scratch or ""),
                    "relay": self.relay is not None,
                    "before": self.before.to_json() if self.before else {},
                    "created": created,
                }
            )

    # -- after --

    def end(self) -> None:
        """Remove what the page created, then release the engine. Never raises for a failed
        removal (it is logged): this runs while an error or Ctrl-C may be unwinding."""
        try:
            self._stop_relay()
            if self.before is not None:
                created = {k: set(v) for k, v in self.relay.created.items()} if self.relay else None
                cleanup = Cleanup(self.docker, self.before, created, self._problem_log)
                cleanup.run()
                self.removed, self.kept, self.problems = cleanup.removed, cleanup.kept, cleanup.problems
                if cleanup.kept:
                    self.log(
                        f"warning: {self.path}: created on the shared engine while the page ran, but not by the page, so kept: {', '.join(cleanup.kept)}"
                    )
        finally:
            self._release()

    def _problem_log(self, text: str) -> None:
        self.log(f"warning: {self.path}: {text}")

    def _stop_relay(self) -> None:
        if self.relay is not None:
            self.relay.stop()

    def _release(self) -> None:
        with self._journal_mutex:
            lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()


SCRATCH_PREFIX = "docsexec-shared-page-"


class Cleanup:
    """Remove what one page created on the shared engine: containers (`rm -f -v`), then
    networks, volumes and image tags. Only objects that did not exist before the page started
    are ever candidates. With the relay's record (`created`), exactly the page's own objects
    and the named volumes its containers mount are removed; anything else new is kept and
    reported. Without it (engine not on a unix socket), every new object is removed."""

    def __init__(self, docker: Docker, before: Inventory, created: Mapping[str, set[str]] | None, log: Log) -> None:
        self.docker, self.before, self.created, self.log = docker, before, created, log
        self.removed: list[str] = []
        self.kept: list[str] = []
        self.problems: list[str] = []

    def run(self) -> None:
        try:
            now = Inventory.read(self.docker)
        except EnvironmentProblem as exc:
            self._problem(f"cannot list the shared engine's objects to clean up: {exc.one_line()}")
            return
        new = now.new_since(self.before)
        if self.created is None:
            target = new
        else:
            containers = {i: n for i, n in new.containers.items() if i in self.created.get(CONTAINER, set())}
            volumes = set(self.created.get(VOLUME, set())) | self._mounted_volumes(containers)
            target = Inventory(
                containers,
                {i: n for i, n in new.networks.items() if i in self.created.get(NETWORK, set())},
                new.volumes & volumes,
                new.images & set(self.created.get(IMAGE, set())),
            )
            self.kept = Inventory(
                {i: n for i, n in new.containers.items() if i not in target.containers},
                {i: n for i, n in new.networks.items() if i not in target.networks},
                new.volumes - target.volumes - self._anonymous(new.volumes),
                new.images - target.images,
            ).describe()
        self._remove(CONTAINER, ["rm", "-f", "-v"], sorted(target.containers), target.containers)
        for ident in sorted(target.networks):
            if self.docker.run("network", "rm", ident).returncode == 0:
                self.removed.append(f"network {target.networks[ident]}")
            else:
                self._free_network(ident)
                self._remove(NETWORK, ["network", "rm"], [ident], target.networks)
        self._remove(VOLUME, ["volume", "rm", "-f"], sorted(target.volumes), {})
        self._remove(IMAGE, ["rmi"], sorted(target.images), {})
        self._verify_gone(target)

    def _mounted_volumes(self, containers: Mapping[str, str]) -> set[str]:
        """Named volumes the page's containers mount (`-v name:/path` creates them implicitly)."""
        if not containers:
            return set()
        done = self.docker.run(
            "inspect", "--format", '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}', *containers
        )
        return set(done.stdout.split())

    @staticmethod
    def _anonymous(volumes: set[str]) -> set[str]:
        """Anonymous volumes (64 hex digits): removed with their containers by `rm -v`."""
        return {v for v in volumes if re.fullmatch(r"[0-9a-f]{64}", v)}

    def _remove(self, kind: str, argv: list[str], targets: list[str], names: Mapping[str, str]) -> None:
        for target in targets:
            done = self.docker.run(*argv, target)
            label = (names.get(target) or target[:12]) if names else target
            if done.returncode == 0 or "No such" in done.stderr or "not found" in done.stderr:
                self.removed.append(f"{kind} {label}")
            else:
                self._problem(f"could not remove {kind} {label}: {_last_line(done.stderr)}")

    def _free_network(self, ident: str) -> None:
        """A network the page made may still hold an endpoint of a container that existed
        before (connected at run time): disconnect it, so the container is as it was."""
        done = self.docker.run("network", "inspect", "--format", "{{range $k, $v := .Containers}}{{$k}} {{end}}", ident)
        for container in done.stdout.split():
            if container in self.before.containers:
                self.docker.run("network", "disconnect", "-f", ident, container)

    def _verify_gone(self, target: Inventory) -> None:
        try:
            now = Inventory.read(self.docker)
        except EnvironmentProblem:
            return
        left = Inventory(
            {i: n for i, n in now.containers.items() if i in target.containers},
            {i: n for i, n in now.networks.items() if i in target.networks},
            now.volumes & target.volumes,
            now.images & target.images,
        ).describe()
        if left:
            self._problem("still on the shared engine after cleanup: " + ", ".join(left))

    def _problem(self, text: str) -> None:
        self.problems.append(text)
        self.log(text)
