"""No import cycle inside the ``gendd`` package.

Every module of ``gendd/`` is parsed with ``ast`` (nothing is imported) and each import that names
another module of the package becomes an edge: absolute (``import gendd.x``, ``from gendd.x import
y``) and relative (``from ..x import y``) alike, at module level or inside a function (a deferred
import still makes the two modules depend on each other). ``from package import name`` points at
the submodule ``package/name.py`` when there is one, else at the package's ``__init__``. Python
loads a module's parent packages before the module itself, so an import of one of its own parent
packages (``from .. import x`` reaching an ``__init__`` that re-exports the module) adds nothing:
only those edges are left out; a package's ``__init__`` importing its submodules counts.
"""
from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = "gendd"


def module_name(path: pathlib.Path) -> str:
    """``gendd/engine/trainer.py`` -> ``gendd.engine.trainer``; ``gendd/engine/__init__.py`` -> ``gendd.engine``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules() -> dict[str, pathlib.Path]:
    return {module_name(p): p for p in sorted((ROOT / PACKAGE).rglob("*.py"))}


def imported(path: pathlib.Path, name: str, modules: dict) -> set[str]:
    """The package modules ``path`` (module ``name``) imports, wherever the import stands."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in modules else target)
    return {m for m in found if m in modules and m != name}


def import_graph() -> dict[str, set[str]]:
    modules = package_modules()
    return {name: imported(path, name, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as [a, b, ..., a], or None (depth-first search with colours)."""
    state: dict[str, int] = {}   # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def without_parent_edges(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """``graph`` without the edges from a module to its own parent packages (loaded before it anyway)."""
    return {name: {m for m in deps if not name.startswith(m + ".")} for name, deps in graph.items()}


def test_the_graph_sees_the_package():
    graph = import_graph()
    assert "gendd.engine.trainer" in graph and "gendd.cli.guard" in graph
    assert "gendd.engine.checkpoint" in graph["gendd.engine.trainer"]       # relative, module level
    assert "gendd.engine" in graph["gendd.cli.guard"]                       # ``from ..engine import X``


def test_finder_reports_a_cycle_and_accepts_a_chain():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_parent_edges_are_layout_and_sibling_edges_are_kept():
    graph = {"p": {"p.a"}, "p.a": {"p", "p.b"}, "p.b": {"p.a"}}
    assert without_parent_edges(graph) == {"p": {"p.a"}, "p.a": {"p.b"}, "p.b": {"p.a"}}
    assert find_cycle(without_parent_edges(graph)) == ["p.a", "p.b", "p.a"]


def test_deferred_imports_count(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text("def f():\n    from .trainer import to_device\n")
    assert imported(path, "gendd.engine.mod", {"gendd.engine.trainer": None}) == {"gendd.engine.trainer"}


def test_no_import_cycle_in_the_package():
    cycle = find_cycle(without_parent_edges(import_graph()))
    assert cycle is None, ("import cycle inside gendd: " + " -> ".join(cycle) + ". Move the piece both modules "
                           "need into a module of its own, or let only one of them import the other")
