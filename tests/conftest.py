"""Shared fixtures. Engine tests FAIL (never skip) when no engine can be used: a verifier
whose checks silently do not run would be documentation that can lie again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Every docsexec the tests start really runs its pages: the cache of verified runs is off
# (tests of the cache point DOCSEXEC_RUN_CACHE at a folder of their own).
os.environ["DOCSEXEC_RUN_CACHE"] = "off"


@pytest.fixture(scope="session")
def engine_ready() -> None:
    """The engine docsexec will use is installed and we are root; otherwise fail loudly."""
    from docsexec.engine.installed import find_engine

    if os.geteuid() != 0:
        pytest.fail("engine tests need root (network namespaces): run the README's test command as root")
    if find_engine() is None:
        pytest.fail(
            "no Docker engine for docsexec: run `.venv/bin/docsexec engine install` (the README's test command does)"
        )


def docsexec_cwd(args: tuple[str, ...]) -> Path:
    """Where a test runs docsexec: the repository's root, unless the paths it names are a test's
    own (absolute, existing, outside the repository): then the folder of the first, as a user
    of another project runs docsexec in it. A run's engines are those of the project it runs in
    (pages/config.py), so a test's page runs on its own folder's engines (one without a
    [tool.docsexec] table), not on the repository's three."""
    paths = [Path(arg) for arg in args if arg.startswith("/") and Path(arg).exists()]
    if not paths or any(path.is_relative_to(REPO) for path in paths):
        return REPO
    return paths[0] if paths[0].is_dir() else paths[0].parent


def run_docsexec(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a child process, as a user or CI would (in docsexec_cwd(args) by default)."""
    return subprocess.run(
        [sys.executable, "-m", "docsexec", *args],
        cwd=cwd or docsexec_cwd(args),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# --------------------------------------------------------------------------- xdist scopes
# The README's test command spreads the suite over pytest-xdist workers (.ci/test). A unit of
# work ("scope") goes to one worker as a whole; the scopes are:
# - "pages": every page item and the mutation test, which judges the pages' own runs: the
#   pages then run once per session, together (docsexec's plugin prefetches them in parallel),
#   on the one worker that holds them;
# - each browser test on its own (the workers share one built site: tests/browser);
# - every other test module, whose module-scoped fixtures (an engine, a recorded page) are then
#   made once.
# (xdist's own `--dist loadgroup` marks cannot do this under pytest 9: they rename node ids.)
# The longest scopes are handed out first, so none of them starts last and ends late.
PAGES_SCOPE = "pages"
BROWSER_TESTS = "tests/browser/"


def suite_scope(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    if path.endswith(".md") or path == "tests/test_mutation.py":
        return PAGES_SCOPE
    if path.startswith(BROWSER_TESTS):
        return nodeid
    return path


def _rank(item: pytest.Item) -> int:
    """0 for the pages, 1 for the browser tests (a minute or more each), 2 for the rest."""
    if suite_scope(item.nodeid) == PAGES_SCOPE:
        return 0
    return 1 if item.nodeid.startswith(BROWSER_TESTS) else 2


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest scopes first (a stable sort: each keeps its own order); xdist hands out
    scopes in this order."""
    items.sort(key=_rank)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    from xdist.scheduler import LoadScopeScheduling

    class SuiteScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return suite_scope(nodeid)

    config.option.loadscopereorder = False  # keep the order above, not largest-count first
    return SuiteScheduling(config, log)
