"""Engine 29.7.2 built from upstream's release source (upstream_recipe.py), cached per recipe.

The result lives in DOCSEXEC_CACHE/upstream-29/<version>-<recipe hash>/ (bin/dockerd,
bin/docker-proxy, bin/runc, client/docker) with a build.json holding each binary's sha256, the
sources' sha256, the toolchain and the build time. It is built once per machine (one builder
at a time); a binary whose sha256 no longer matches is rebuilt; the build is reproducible
(the same sources and toolchain give the same sha256). A failing step stops the set-up with
one line, `upstream-29 build: <step> failed: ...`; the output of every step is kept in
DOCSEXEC_CACHE/upstream-29/last-build.log.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ...common import Log
from ...errors import EnvironmentProblem
from . import apt, go_toolchain, upstream_recipe, upstream_sources
from .upstream_recipe import STEPS, TARBALLS, VERSION, Step

# command -> the bookworm package that provides it (installed on the host when missing)
BUILD_TOOLS = {"gcc": "gcc", "xz": "xz-utils", "pkg-config": "pkg-config"}
SECCOMP_HEADER = Path("/usr/include/seccomp.h")  # libseccomp-dev: runc's seccomp tag links it
BUILD_TIMEOUT = 3600


@dataclass(frozen=True)
class BuiltEngine:
    folder: Path
    key: str  # the recipe hash
    binaries: dict[str, str]  # path relative to folder -> sha256
    seconds: float


def root(cache: Path) -> Path:
    return cache / upstream_recipe.SOURCE


def build_dir(cache: Path, key: str) -> Path:
    return root(cache) / f"{VERSION}-{key}"


def log_file(cache: Path) -> Path:
    return root(cache) / "last-build.log"


def cached(cache: Path, key: str) -> BuiltEngine | None:
    """The build for `key` if its build.json is intact and every binary has its sha256."""
    folder = build_dir(cache, key)
    try:
        data = json.loads((folder / "build.json").read_text())
        binaries = {str(k): str(v) for k, v in data["binaries"].items()}
        found = BuiltEngine(folder, key, binaries, float(data["seconds"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if set(binaries) != {step.output for step in STEPS}:
        return None
    return found if not damaged(found) else None


def damaged(found: BuiltEngine) -> list[str]:
    """The binaries that are missing or whose sha256 is not the one build.json records."""
    bad = []
    for rel, digest in found.binaries.items():
        path = found.folder / rel
        if not path.is_file() or upstream_sources.file_sha256(path) != digest:
            bad.append(rel)
    return bad


def ensure_built(cache: Path, log: Log, sources_folder: Path | None = None) -> BuiltEngine:
    """The cached build for the current recipe, else built now (sources checked first)."""
    sources = upstream_sources.checked_sources(tuple(t.name for t in TARBALLS), sources_folder)
    key = upstream_recipe.recipe_key({name: digest for name, (_, digest) in sources.items()})
    found = cached(cache, key)
    if found is not None:
        return found
    if (build_dir(cache, key) / "build.json").exists():
        log(f"{upstream_recipe.SOURCE}: the cached build in {build_dir(cache, key)} is damaged: rebuilding it")
    root(cache).mkdir(parents=True, exist_ok=True)
    with open(root(cache) / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another set-up may be building the same thing
        return cached(cache, key) or build(cache, key, {n: p for n, (p, _) in sources.items()}, log)


def ensure_build_tools(log: Log) -> None:
    """apt-get install gcc, xz, pkg-config and libseccomp-dev (bookworm's) when missing."""
    missing = {pkg for cmd, pkg in BUILD_TOOLS.items() if shutil.which(cmd) is None}
    if not SECCOMP_HEADER.exists():
        missing.add("libseccomp-dev")
    if missing:
        apt.install(sorted(missing), log)


def build(cache: Path, key: str, sources: dict[str, Path], log: Log) -> BuiltEngine:
    """Unpack the sources, run every step, check the binaries and install them with build.json."""
    ensure_build_tools(log)
    toolchain = go_toolchain.ensure_toolchain(cache, log)
    log(f"{upstream_recipe.SOURCE}: building Engine {VERSION} with {toolchain.version} (about 5 minutes on 2 cores)")
    log_file(cache).write_text("")
    begun = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="build-", dir=root(cache)) as work:
        trees = unpack(sources, Path(work), cache)
        outputs = Path(work) / "out"
        for step in STEPS:
            run_step(step, trees[step.tarball], outputs, toolchain, cache, log)
        check_outputs(outputs)
        found = install(outputs, cache, key, sources, toolchain, time.monotonic() - begun)
    log(f"{upstream_recipe.SOURCE}: built {found.folder} in {found.seconds:.0f} s")
    return found


def unpack(sources: dict[str, Path], work: Path, cache: Path) -> dict[str, Path]:
    """{tarball name: its tree}; docker/cli's goes under a GOPATH at its import path."""
    trees = {}
    for step in STEPS:
        if step.tarball in trees:
            continue
        tree = work / "gopath/src" / step.gopath if step.gopath else work / step.tarball.split("-")[0]
        tree.mkdir(parents=True)
        _checked(["tar", "-xJf", str(sources[step.tarball]), "-C", str(tree)], f"unpacking {step.tarball}", cache)
        trees[step.tarball] = tree
    return trees


def commit_times(tree: Path) -> tuple[str, str]:
    """The commit's time, as docker/cli's .variables and moby's make.sh print BUILDTIME
    (`git archive` gives every file the commit's mtime: go.mod or vendor.mod is one)."""
    moment = datetime.fromtimestamp(int(commit_stamp(tree)), tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ"), moment.strftime("%Y-%m-%dT%H:%M:%S.000000000+00:00")


def commit_stamp(tree: Path) -> float:
    return next(p for p in (tree / "go.mod", tree / "vendor.mod") if p.exists()).stat().st_mtime


def step_env(step: Step, tree: Path, work: Path, toolchain: go_toolchain.Toolchain) -> dict[str, str]:
    """A clean Go environment: a build cache of its own, modules off under GOPATH for the cli."""
    env = go_toolchain.go_env(toolchain, dict(os.environ, LC_ALL="C"))
    env.update(
        CGO_ENABLED="1" if step.cgo else "0",
        GOCACHE=str(work / "gocache"),
        GOPATH=str(work / "gopath"),
        GO111MODULE="off" if step.gopath else "on",
        SOURCE_DATE_EPOCH=str(int(commit_stamp(tree))),
    )
    return env


def run_step(step: Step, tree: Path, outputs: Path, toolchain: go_toolchain.Toolchain, cache: Path, log: Log) -> None:
    """`go build` one binary, at low priority (the machine is shared), its output appended to the log."""
    output = outputs / step.output
    output.parent.mkdir(parents=True, exist_ok=True)
    args = upstream_recipe.build_args(step, str(output), *commit_times(tree))
    begun = time.monotonic()
    with log_file(cache).open("a") as out:
        out.write(f"=== {step.binary}: go {' '.join(args)}\n")
        out.flush()
        done = subprocess.run(
            ["nice", "-n", "10", str(toolchain.goroot / "bin/go"), *args],
            cwd=tree,
            env=step_env(step, tree, outputs.parent, toolchain),
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=BUILD_TIMEOUT,
        )
    if done.returncode != 0:
        raise EnvironmentProblem(
            f"{upstream_recipe.SOURCE} build: {step.binary} failed (exit {done.returncode}): "
            f"{first_error(log_file(cache))} (full output: {log_file(cache)})"
        )
    log(f"{upstream_recipe.SOURCE}: built {step.binary} in {time.monotonic() - begun:.0f} s")


def first_error(path: Path) -> str:
    """The first line after the last step header that reads like an error."""
    lines = path.read_text(errors="replace").split("=== ")[-1].splitlines()[1:]
    errors = [line.strip() for line in lines if "error" in line.lower() or ": " in line]
    return (errors or [line.strip() for line in lines if line.strip()][-1:] or ["no output"])[0]


def _checked(cmd: list[str], what: str, cache: Path) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        with log_file(cache).open("a") as out:
            out.write(f"=== {what}: {' '.join(cmd)}\n{done.stderr}{done.stdout}")
        tail = (done.stderr.strip() or f"exit {done.returncode}").splitlines()[-1]
        raise EnvironmentProblem(f"{upstream_recipe.SOURCE} build: {what} failed: {tail}")


# --- check and install ------------------------------------------------------------------------

EXPECTED = {  # output -> (arguments, what its first line must contain)
    "bin/dockerd": (["--version"], f"Docker version {VERSION}, build {upstream_recipe.MOBY.commit[:7]}"),
    "client/docker": (["--version"], f"Docker version {VERSION}, build {upstream_recipe.CLI.commit[:7]}"),
    "bin/runc": (["--version"], "runc version 1.4.3"),
    "bin/docker-proxy": (["--version"], f"docker-proxy (commit {upstream_recipe.MOBY.commit[:7]}) version {VERSION}"),
}


def check_outputs(outputs: Path) -> None:
    """Each binary runs here and says the version the recipe built."""
    for rel, (args, expected) in EXPECTED.items():
        try:
            done = subprocess.run([str(outputs / rel), *args], capture_output=True, text=True, timeout=30)
        except OSError as exc:
            raise EnvironmentProblem(f"{upstream_recipe.SOURCE} build: {rel} does not run: {exc.strerror}") from None
        if expected and expected not in done.stdout:
            said = (done.stdout.strip() or done.stderr.strip() or "nothing").splitlines()[0]
            raise EnvironmentProblem(f"{upstream_recipe.SOURCE} build: {rel} says {said!r}, expected {expected!r}")


def install(
    outputs: Path, cache: Path, key: str, sources: dict[str, Path], toolchain: go_toolchain.Toolchain, seconds: float
) -> BuiltEngine:
    """Move the binaries and build.json into build_dir(cache, key) in one rename."""
    dest = build_dir(cache, key)
    staging = dest.with_name(dest.name + f".tmp{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(outputs, staging)
    binaries = {step.output: upstream_sources.file_sha256(staging / step.output) for step in STEPS}
    found = BuiltEngine(dest, key, binaries, round(seconds, 1))
    marker = {
        "source": upstream_recipe.SOURCE,
        "version": VERSION,
        "recipe_key": key,
        "binaries": binaries,
        "sources": {name: upstream_sources.file_sha256(path) for name, path in sources.items()},
        "commits": {t.name: t.commit for t in TARBALLS},
        "toolchain": {"version": toolchain.version, "debs": list(toolchain.debs)},
        "seconds": found.seconds,
        "cores": os.cpu_count(),
    }
    (staging / "build.json").write_text(json.dumps(marker, indent=1) + "\n")
    shutil.rmtree(dest, ignore_errors=True)
    staging.rename(dest)
    return found
