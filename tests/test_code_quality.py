"""The code's own quality gates, run by the test command: lint, types, function size, import cycles.

ruff and mypy read their settings from pyproject.toml. The last two checks are small `ast`
walks over docsexec/ so a failure names every offender at once: a function longer than
MAX_FUNCTION_LINES, or a cycle in the import graph (type-only imports under
`if TYPE_CHECKING:` and imports inside functions count: a cycle that only the type checker
sees is still two modules that cannot be read one before the other).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "docsexec"
LINTED = ["docsexec", "tests", "bench"]
MAX_FUNCTION_LINES = 40


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    """Run a tool from this interpreter's environment at the repository root."""
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"{' '.join(map(str, result.args[2:]))} exited {result.returncode}:\n" + (
        result.stdout + result.stderr
    )


def test_ruff_check_is_clean() -> None:
    assert_clean(run_tool("ruff", "check", "--no-cache", *LINTED))


def test_ruff_format_check_is_clean() -> None:
    assert_clean(run_tool("ruff", "format", "--check", "--no-cache", *LINTED))


def test_mypy_strict_is_clean() -> None:
    # Settings (strict for docsexec/, the package list) come from [tool.mypy] in pyproject.toml.
    assert_clean(run_tool("mypy"))


def modules() -> Iterator[tuple[str, Path]]:
    """Every module of docsexec/ as (dotted name, path); a package is named by its __init__."""
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def long_functions(tree: ast.AST, limit: int) -> Iterator[tuple[str, int, int]]:
    """(name, first line, length) of each function longer than `limit` lines, `def` to last line."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > limit:
                yield node.name, node.lineno, length


def test_no_function_is_longer_than_the_limit() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {name} ({length} lines)"
        for _, path in modules()
        for name, line, length in long_functions(ast.parse(path.read_text()), MAX_FUNCTION_LINES)
    ]
    assert not offenders, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(offenders)


def imported_names(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[str, list[str]]]:
    """(absolute module, names taken from it) for each import of `module`, relative ones resolved."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            yield base, [alias.name for alias in node.names]


def import_targets(base: str, names: list[str], known: set[str]) -> set[str]:
    """The modules an import loads: `from pkg import mod` is pkg.mod; `from pkg import name` is pkg."""
    if not names:
        return {base}
    return {f"{base}.{name}" if f"{base}.{name}" in known else base for name in names}


def import_graph() -> dict[str, set[str]]:
    """Module -> the docsexec modules it imports, anywhere in its body."""
    paths = dict(modules())
    known = set(paths)
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        imports = imported_names(ast.parse(path.read_text()), module, path.name == "__init__.py")
        targets = set().union(*(import_targets(base, names, known) for base, names in imports))
        graph[module] = {target for target in targets if target in known and target != module}
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module: each holds a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = stack[stack.index(node) :]
            del stack[stack.index(node) :]
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def cycle_path(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """A shortest path from the component's first module back to itself, inside the component."""
    start = component[0]
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        node = frontier.pop(0)
        for target in sorted(graph[node] & set(component)):
            if target == start:
                back = [node]
                while back[-1] != start:
                    back.append(came_from[back[-1]])
                return [*reversed(back), start]
            if target not in came_from:
                came_from[target] = node
                frontier.append(target)
    raise AssertionError(f"no cycle through {start} in {component}")


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle path [a, b, ..., a] for each group of modules that import each other."""
    return [cycle_path(graph, component) for component in strongly_connected(graph)]


def test_the_import_graph_has_no_cycle() -> None:
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles (type-only imports included):\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_planted_cycle() -> None:
    # The checker itself must be able to fail: a two-step cycle among three modules.
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_relative_imports_are_resolved_to_modules() -> None:
    tree = ast.parse("from . import bindings, Slot\nfrom ..errors import Bad\nimport docsexec.page\n")
    imports = list(imported_names(tree, "docsexec.compare.textual", is_package=False))
    known = {"docsexec.compare", "docsexec.compare.bindings", "docsexec.errors", "docsexec.page"}
    targets = set().union(*(import_targets(base, names, known) for base, names in imports))
    assert targets == known


# The layers of docsexec/, bottom first: a module may import its own layer and the layers below,
# never one above (import cycles aside, which the test above forbids everywhere). A name is a
# folder (every module in it) or a module of the package's top. Adding a folder or a top-level
# module means placing it here, once.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("docsexec", "model", "errors", "common", "page", "slugs"),  # the model and its plumbing
    ("scan",),  # stage 1: pages -> blocks
    ("engine",),  # the engines a page runs on, behind one interface: a private one per page, or the caller's own
    ("run",),  # stage 2: blocks -> results, on an engine
    ("compare",),  # stage 3: results -> verdicts
    ("write",),  # stage 4: verdicts -> the page rewritten
    ("report",),  # stage 5: reports -> diffs, JSON, JUnit, progress
    ("verify",),  # one page through the stages
    ("pages",),  # many pages: jobs, cache, shards, translations, journeys
    ("faces", "__main__"),  # the command line, the pytest, MkDocs and Markdown plugins
)


def layer_of(module: str) -> int:
    """The layer of a dotted module name (docsexec.run.session -> run's)."""
    parts = module.split(".")
    unit = parts[1] if len(parts) > 1 else parts[0]
    found = [index for index, layer in enumerate(LAYERS) if unit in layer]
    assert found, f"{module}: its folder or module {unit!r} has no layer in LAYERS (tests/test_code_quality.py)"
    return found[0]


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """`a (layer) -> b (layer)` for each import of a module from a layer above its own."""
    return [
        f"{module} ({LAYERS[layer_of(module)][0]}) -> {target} ({LAYERS[layer_of(target)][0]})"
        for module, targets in sorted(graph.items())
        for target in sorted(targets)
        if layer_of(target) > layer_of(module)
    ]


def test_every_module_imports_only_its_own_layer_or_below() -> None:
    upward = upward_imports(import_graph())
    assert not upward, "imports that run up a layer (LAYERS, bottom first):\n" + "\n".join(upward)


# Inside engine/, the same rule, bottom first: which engine is installed (the lookup the plan
# makes); installing one; the interface a page's shell needs (environment); its two backends,
# a private engine per page (sandbox/, which starts what the plan found and imports the busybox
# image into it) and the caller's own engine (caller/), which never import each other; and
# backends, which picks one. Parts in one tuple are siblings.
ENGINE_PARTS: tuple[tuple[str, ...], ...] = (
    ("docsexec.engine.installed",),
    ("docsexec.engine.install",),
    ("docsexec.engine.environment",),
    ("docsexec.engine.sandbox", "docsexec.engine.caller"),
    ("docsexec.engine.backends",),
)


def engine_part(module: str) -> tuple[int, str] | None:
    """(level, part) of a module of engine/, or None outside it (engine/__init__ included)."""
    return next(
        (
            (level, part)
            for level, parts in enumerate(ENGINE_PARTS)
            for part in parts
            if module == part or module.startswith(part + ".")
        ),
        None,
    )


def upward_engine_imports(graph: dict[str, set[str]]) -> list[str]:
    """`a -> b` for each import of engine/ that runs up a level, or across to a sibling part."""
    return [
        f"{module} -> {target}"
        for module, targets in sorted(graph.items())
        if (own := engine_part(module)) is not None
        for target in sorted(targets)
        if (part := engine_part(target)) is not None and (part[0] > own[0] or (part[0] == own[0] and part != own))
    ]


def test_engine_parts_import_only_their_own_part_or_below() -> None:
    upward = upward_engine_imports(import_graph())
    assert not upward, "engine/ imports that run up (ENGINE_PARTS, bottom first):\n" + "\n".join(upward)
    planted = {
        "docsexec.engine.install.provision": {"docsexec.engine.sandbox.layout", "docsexec.engine.installed"},
        "docsexec.engine.caller.guard": {"docsexec.engine.sandbox.nic", "docsexec.engine.environment"},
    }
    assert upward_engine_imports(planted) == [
        "docsexec.engine.caller.guard -> docsexec.engine.sandbox.nic",
        "docsexec.engine.install.provision -> docsexec.engine.sandbox.layout",
    ]


def test_the_layer_rule_finds_a_planted_upward_import() -> None:
    # The checker itself must be able to fail: write/ reaching up into pages/, and a module no layer holds.
    graph = {"docsexec.write.stamp": {"docsexec.pages.config", "docsexec.scan.fences"}, "docsexec.scan.fences": set()}
    assert upward_imports(graph) == ["docsexec.write.stamp (write) -> docsexec.pages.config (pages)"]
    with pytest.raises(AssertionError, match="'plan' has no layer"):
        layer_of("docsexec.plan.engines")


# Where an engine is looked up: the engine layer itself, and the run plan, which resolves each
# engine of a run ONCE and hands it down (RunSettings.install / .versions); every stage and face
# takes it from there. A lookup anywhere else is a second answer that can disagree with the first.
ENGINE_LOOKUPS = frozenset({"find_engine", "cached_engine", "system_engine", "with_page_client"})
MAY_LOOK_ENGINES_UP = ("docsexec.engine", "docsexec.pages.plan")


def engine_lookups(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, name) of each use of an engine lookup function: imported, called or referred to."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name in ENGINE_LOOKUPS]
        elif isinstance(node, ast.Attribute) and node.attr in ENGINE_LOOKUPS:
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.Name) and node.id in ENGINE_LOOKUPS:
            found.append((node.lineno, node.id))
    return found


def stray_engine_lookups(sources: dict[str, str]) -> list[str]:
    """`module:line name` for each engine lookup in a module outside the engine layer and the plan."""
    return [
        f"{module}:{line} {name}"
        for module, text in sorted(sources.items())
        if not any(module == allowed or module.startswith(allowed + ".") for allowed in MAY_LOOK_ENGINES_UP)
        for line, name in engine_lookups(ast.parse(text))
    ]


def test_only_the_engine_layer_and_the_plan_look_an_engine_up() -> None:
    sources = {module: path.read_text(encoding="utf-8") for module, path in modules()}
    stray = stray_engine_lookups(sources)
    assert not stray, "engine lookups outside engine/ and pages/plan.py:\n" + "\n".join(stray)


def test_the_lookup_rule_finds_a_planted_lookup() -> None:
    planted = {
        "docsexec.write.update": "def v(s):\n    from ..engine.installed import find_engine\n    return find_engine(s)\n",
        "docsexec.pages.batch": "from ..engine import installed\nkey = installed.cached_engine('x')\n",
        "docsexec.pages.plan": "from ..engine import installed\ninstalled.find_engine(None)\n",
        "docsexec.engine.sandbox.reaper": "from ..installed import find_engine\n",
    }
    assert stray_engine_lookups(planted) == [
        "docsexec.pages.batch:2 cached_engine",
        "docsexec.write.update:2 find_engine",
        "docsexec.write.update:3 find_engine",
    ]
