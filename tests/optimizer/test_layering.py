"""The package's layering, as written in ``optimizer/__init__.py``, holds for every import.

Parses every module of ``optimizer/`` (imports inside functions and ``TYPE_CHECKING`` blocks
included) and checks: each import points to the same or a lower layer; the import graph has
no cycle; imports of the project's own modules inside functions are only the documented lazy
loads of heavy optional backends; no module imports another module's private name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "optimizer"

# Lower number = lower layer. A module may import from its own layer or any lower one.
LAYERS: dict[str, int] = {
    "optimizer._typing": 0,
    "optimizer.scenario": 1,
    "optimizer.loading": 1,
    "optimizer.calendar": 2,
    "optimizer.reliability": 3,
    "optimizer.fleet": 4,
    "optimizer.cmms": 4,  # CMMS files in: readers, mappings, histories, fits, benchmarking
    "optimizer.risk": 4,
    "optimizer.problem": 5,
    "optimizer.solvers": 6,
    "optimizer.planning": 7,
    "optimizer.check": 7,
    "optimizer.sim": 8,
    "optimizer.cmms.exports": 8,  # plans out as CMMS objects (above planning)
    "optimizer.report": 9,
    "optimizer.service": 10,
    "optimizer.cli": 11,
    "optimizer.cli_options": 11,
    "optimizer.__main__": 11,
    "optimizer": 11,  # the package root only re-exports (lazily)
}

# Modules whose functions may import own modules (deliberate lazy loading), with the reason.
LAZY_MODULES: dict[str, str] = {
    "optimizer.cli": "each command loads what it needs: --help and validate start in < 1 s",
}
# Single function-level imports of own modules that are deliberate lazy loads.
LAZY_OK: dict[tuple[str, str], str] = {
    ("optimizer.solvers", "optimizer.solvers.cpsat"): "OR-Tools only when CP-SAT is used",
    ("optimizer.solvers.milp", "optimizer.solvers.milp_pyomo"): "Pyomo only for its builder",
    ("optimizer.planning.shutdowns", "optimizer.solvers.shutdown"): "OR-Tools (CP-SAT)",
    ("optimizer.service.admin", "optimizer.service.app"): "FastAPI/uvicorn only for serve",
    ("optimizer.service.admin", "optimizer.service.worker"): "the supervisor only for worker",
    ("optimizer.service.worker", "optimizer.service.jobs"): "the engine only in workers",
    ("optimizer.service.submissions", "optimizer.sim.whatif"): "planner only for what-if checks",
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _layer(mod: str) -> int:
    best = ""
    for key in LAYERS:
        if (mod == key or mod.startswith(key + ".")) and len(key) > len(best):
            best = key
    assert best, f"{mod} is in no layer: add it to LAYERS and to the map in optimizer/__init__.py"
    return LAYERS[best]


def _own(mod: str) -> str | None:
    """The project module an imported dotted name refers to (or None for third-party)."""
    while mod:
        if mod in MODULES:
            return mod
        mod = mod.rpartition(".")[0]
    return None


def _imports(mod: str) -> Iterator[tuple[str, ast.AST, bool, list[str]]]:
    """(target module, node, inside a function, imported names) for each own import."""
    path = MODULES[mod]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"

    def visit(node: ast.AST, in_func: bool) -> Iterator[tuple[str, ast.AST, bool, list[str]]]:
        for child in ast.iter_child_nodes(node):
            func = in_func or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                for a in child.names:
                    if (t := _own(a.name)) is not None:
                        yield t, child, func, []
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    pkg = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    pkg = pkg[: len(pkg) - (child.level - 1)]
                    base = ".".join([*pkg, base] if base else pkg)
                for a in child.names:
                    t = _own(f"{base}.{a.name}") or _own(base)
                    if t is not None:
                        yield t, child, func, [a.name]
            yield from visit(child, func)

    yield from visit(tree, False)


EDGES = {
    mod: [(t, node, f, names) for t, node, f, names in _imports(mod) if t != mod] for mod in MODULES
}


@pytest.mark.parametrize("mod", sorted(MODULES))
def test_imports_point_down(mod: str) -> None:
    up = sorted({t for t, _, _, _ in EDGES[mod] if _layer(t) > _layer(mod) and mod != "optimizer"})
    assert not up, f"{mod} (layer {_layer(mod)}) imports higher layers: {up}"


def test_core_never_imports_adapters() -> None:
    adapters = ("optimizer.cli", "optimizer.service", "optimizer.report")
    bad = [
        (m, t)
        for m, es in EDGES.items()
        if not m.startswith(adapters) and m not in ("optimizer", "optimizer.__main__")
        for t, _, _, _ in es
        if t.startswith(adapters)
    ]
    assert not bad


def test_solvers_never_import_sim_or_planning() -> None:
    bad = [
        (m, t)
        for m, es in EDGES.items()
        if m.startswith("optimizer.solvers")
        for t, _, _, _ in es
        if t.startswith(("optimizer.sim", "optimizer.planning"))
    ]
    assert not bad


def test_no_import_cycles() -> None:
    graph = {m: {t for t, _, _, _ in es} for m, es in EDGES.items() if m != "optimizer"}
    # a package __init__ that re-exports its submodules is not a cycle with them
    for m in graph:
        graph[m] = {t for t in graph[m] if not (m.startswith(t + ".") and t != m)}
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(v: str) -> list[str] | None:
        state[v] = 1
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if state.get(w) == 1:
                return [*stack[stack.index(w) :], w]
            if w not in state and (cycle := dfs(w)) is not None:
                return cycle
        stack.pop()
        state[v] = 2
        return None

    for v in sorted(graph):
        if v not in state and (cycle := dfs(v)) is not None:
            pytest.fail(f"import cycle: {' -> '.join(cycle)}")


def test_function_level_own_imports_are_documented_lazy_loads() -> None:
    found = {
        (m, t)
        for m, es in EDGES.items()
        if m != "optimizer" and m not in LAZY_MODULES
        for t, _, f, _ in es
        if f
    }
    assert found <= set(LAZY_OK), sorted(found - set(LAZY_OK))


def test_no_private_names_across_modules() -> None:
    bad = [
        (m, t, n)
        for m, es in EDGES.items()
        for t, _, _, names in es
        for n in names
        if n.startswith("_") and not n.startswith("__")
    ]
    assert not bad
