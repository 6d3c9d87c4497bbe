"""How Engine 29.7.2 is built from its upstream release sources: the recipe, as data.

Each binary is built the way its project's own scripts build it, with what this machine has:
- dockerd and docker-proxy: moby's hack/make.sh + hack/make/.binary with DOCKER_STATIC=1
  (binary-daemon, binary-proxy): tags `netgo osusergo static_build nri_no_wasm`, ldflags `-w`
  plus .go-autogen's dockerversion variables. CGO_ENABLED=0 (docker-proxy is always built
  so; for dockerd, static_build already selects the pure-Go code: nftables through the `nft`
  command, no journald reader; without cgo it also lacks the btrfs graph driver and the XFS
  project quota of overlay2 `--storage-opt size`, which no page uses). `-extldflags -static`
  is moot without cgo and left out.
- docker: docker/cli's scripts/build/binary + .variables, GO111MODULE=off under a GOPATH
  holding github.com/docker/cli (the cli has vendor.mod, not go.mod), tags `grpcnotrace
  osusergo netgo`, version ldflags. CGO_ENABLED=0: upstream's static linux/amd64 build links
  glibc statically through cgo (`-linkmode external -extldflags -static`, PIE) only because
  cgo is on by default there; with osusergo and netgo nothing in the client needs it.
- runc 1.4.3: its Makefile's `make runc`: CGO_ENABLED=1, `-buildmode=pie`, tags `seccomp
  urfave_cli_no_docs`, `-X main.gitCommit=v1.4.3-0-g<commit>`, linked against bookworm's
  libseccomp (moby's Dockerfile builds `make static` for its static bundle; the dynamic
  build needs no static libseccomp and runs where bookworm's libseccomp2 is, as apt needs it).
Every build adds `-trimpath`, `-buildvcs=false` and `-buildid=` (no build id, no paths: the
same sources and toolchain give the same bytes) and `-mod=vendor` where modules are used.
Build times are taken from the tarball (`git archive` stamps every file with the commit time),
as SOURCE_DATE_EPOCH would give them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from . import go_toolchain

SOURCE = "upstream-29"
VERSION = "29.7.2"
RECIPE = 1  # bump when the build steps change in a way the data below does not show


@dataclass(frozen=True)
class Tarball:
    name: str  # in the sources folder (upstream_sources.py)
    commit: str  # the tag's full commit
    tag: str


MOBY = Tarball("moby-29.7.2.tar.xz", "6a43e3d5afddf4111da0f864bbc7cae5d7e95001", "docker-v29.7.2")
CLI = Tarball("cli-29.7.2.tar.xz", "a7dcaa6fdb6ed04aacbfdc76357fdae01605609e", "v29.7.2")
RUNC = Tarball("runc-1.4.3.tar.xz", "bb14dabeb7185bb72c8c86735d090dcb20f36587", "v1.4.3")
TARBALLS = (MOBY, CLI, RUNC)


@dataclass(frozen=True)
class Step:
    """One `go build`: from `tarball`, in `subdir` of the tree (or its GOPATH), to `output`."""

    binary: str
    tarball: str
    package: str  # what `go build` is given
    output: str  # relative to the build folder
    cgo: bool
    tags: tuple[str, ...]
    ldflags: tuple[str, ...]  # with {buildtime} / {buildtime_ns} filled in at build time
    flags: tuple[str, ...] = ("-trimpath", "-buildvcs=false")
    gopath: str = ""  # GO111MODULE=off: the import path the tree is placed at under GOPATH/src


_MOBY_LDFLAGS = (
    "-w",
    f"-X github.com/moby/moby/v2/dockerversion.Version={VERSION}",
    f"-X github.com/moby/moby/v2/dockerversion.GitCommit={MOBY.commit[:7]}",
    "-X github.com/moby/moby/v2/dockerversion.BuildTime={buildtime_ns}",
)
_MOBY_TAGS = ("netgo", "osusergo", "static_build", "nri_no_wasm")

STEPS = (
    Step("dockerd", MOBY.name, "./cmd/dockerd", "bin/dockerd", False, _MOBY_TAGS, _MOBY_LDFLAGS),
    Step("docker-proxy", MOBY.name, "./cmd/docker-proxy", "bin/docker-proxy", False, _MOBY_TAGS, _MOBY_LDFLAGS),
    Step(
        "docker",
        CLI.name,
        "github.com/docker/cli/cmd/docker",
        "client/docker",
        False,
        ("grpcnotrace", "osusergo", "netgo"),
        (
            f"-X github.com/docker/cli/cli/version.GitCommit={CLI.commit[:7]}",
            "-X github.com/docker/cli/cli/version.BuildTime={buildtime}",
            f"-X github.com/docker/cli/cli/version.Version={VERSION}",
        ),
        gopath="github.com/docker/cli",
    ),
    Step(
        "runc",
        RUNC.name,
        ".",
        "bin/runc",
        True,
        ("seccomp", "urfave_cli_no_docs"),
        (f"-X main.gitCommit=v1.4.3-0-g{RUNC.commit[:7]}",),
        flags=("-trimpath", "-buildvcs=false", "-buildmode=pie"),
    ),
)


def build_args(step: Step, output: str, buildtime: str, buildtime_ns: str) -> list[str]:
    """The `go build` arguments of a step (output and package last)."""
    ldflags = [flag.format(buildtime=buildtime, buildtime_ns=buildtime_ns) for flag in step.ldflags]
    modules = [] if step.gopath else ["-mod=vendor"]
    return [
        "build",
        *step.flags,
        *modules,
        "-tags",
        " ".join(step.tags),
        "-ldflags",
        " ".join([*ldflags, "-buildid="]),
        "-o",
        output,
        step.package,
    ]


def recipe_key(source_digests: dict[str, str]) -> str:
    """Short hash of everything that shapes the binaries: the sources' sha256, the toolchain,
    every step; a new recipe gets a new folder."""
    recipe = [
        SOURCE,
        VERSION,
        RECIPE,
        sorted(source_digests.items()),
        go_toolchain.PACKAGES,
        go_toolchain.GO_VERSION,
        [asdict(step) for step in STEPS],
    ]
    return hashlib.sha256(json.dumps(recipe).encode()).hexdigest()[:12]
