"""The two engine backends behind PageEnvironment (environment.py), chosen by EngineMode: a
private sandbox per page, or the caller's own engine; and the one check, per plan, that this
machine can run pages on the chosen one."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Block, EngineMode
from .caller.environment import SharedEnvironment, check_shared
from .environment import PageEnvironment
from .installed import EngineInstall
from .sandbox.environment import SandboxEnvironment, check_sandbox


def environment_gate(
    mode: EngineMode,
    pages: Sequence[Sequence[Block]] = (),
    engines: Sequence[tuple[str | None, EngineInstall | None]] = (),
) -> None:
    """THE check that this machine can run pages in `mode`, once per plan, before any page
    starts: fail with one line (no docker client, not root, no engine, a tool missing; in
    shared mode, an engine that does not answer, or a page that would touch an object already
    on it) rather than after pages have begun. Sandbox: `engines` are the plan's (source,
    resolved engine) pairs; nothing is looked up or remembered here."""
    if mode is EngineMode.SANDBOX:
        check_sandbox(engines)
    else:
        check_shared(pages)


def open_environment(
    mode: EngineMode, label: str, blocks: Sequence[Block] = (), install: EngineInstall | None = None
) -> PageEnvironment:
    """The page's environment: a sandbox of `install` (the engine the plan resolved), or the caller's engine."""
    if mode is EngineMode.SANDBOX:
        return SandboxEnvironment(label, blocks, install)
    return SharedEnvironment(label, blocks)
