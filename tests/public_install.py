"""A copy of docsexec that any user can read, for tests that run it as `nobody`.

Why: the repository may sit in a folder only root can enter (a clone under /root, or in a
`mktemp -d` folder, both mode 700). Running the clone's own files as another user then fails
with "No module named docsexec" before docsexec can say anything, which tests Python, not
docsexec. A real non-root user runs an installation they can read; this builds one: the
package and the third-party packages its command line imports, in a world-readable folder,
run by the base interpreter (the venv's `python` is a link inside the private clone).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# What the command line imports before it checks the machine; the copy must hold all of it.
_ENTRY_MODULES = (
    "docsexec.faces.cli",
    "docsexec.verify",
    "docsexec.engine.backends",
    "docsexec.engine.install.provision",
)


def third_party_packages() -> list[Path]:
    """Top-level folders (or modules) of site-packages that importing the CLI loads."""
    probe = (
        "import importlib, sys\n"
        f"for name in {_ENTRY_MODULES!r}: importlib.import_module(name)\n"
        "for m in list(sys.modules.values()):\n"
        "    f = getattr(m, '__file__', None)\n"
        "    if f and 'site-packages' in f: print(f)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    tops: set[Path] = set()
    for line in done.stdout.splitlines():
        path = Path(line)
        site = next(p for p in path.parents if p.name == "site-packages")
        top = site / path.relative_to(site).parts[0]
        if not top.name.startswith("__editable__"):
            tops.add(top)
    return sorted(tops)


def make_public_install(repo: Path) -> Path:
    """A mode-755 folder holding docsexec and its imported dependencies, readable by all."""
    folder = Path(tempfile.mkdtemp(prefix="docsexec-public-"))
    for top in [repo / "docsexec", *third_party_packages()]:
        target = folder / top.name
        if top.is_dir():
            shutil.copytree(top, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(top, target)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


def base_interpreter() -> str:
    """An interpreter of the venv's Python version at a path every user can reach: the
    system's when it has that version (the venv's own base may live under /root, e.g. pyenv),
    else the one behind the venv."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    system = Path("/usr/bin") / version
    return str(system) if system.exists() else os.path.realpath(sys.executable)
