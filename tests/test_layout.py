"""The structure of the package: kg's modules import each other without a cycle.

Every ``import`` and ``from … import`` statement of ``kg/`` (deferred ones inside
functions too: a cycle hidden in a function still ties two modules together), read with
``ast``, never by importing.
"""

import ast
from pathlib import Path

from conftest import ROOT

KG = ROOT / "kg"


def _module_names() -> dict[str, Path]:
    """Module name -> file, for the Python files and the compiled extensions (kg._native)."""
    names = {}
    for path in sorted([*KG.rglob("*.py"), *KG.rglob("*.so"), *KG.rglob("*.pyd")]):
        parts = path.relative_to(ROOT).parts
        parts = (*parts[:-1], path.name.split(".")[0])
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def _imports(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of kg that `module` imports: ``from p import m`` names ``p.m`` when that
    is a module, else ``p``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = (f"{base}.{node.module}" if node.module else base) if node.level else node.module
            for alias in node.names:
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
    return {name for name in found if name in modules and name != module}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_kg_modules_import_without_a_cycle():
    modules = _module_names()
    assert {"kg", "kg.build", "kg.neo4j", "kg.neo4j.load"} <= modules.keys()
    graph = {name: _imports(name, path, modules) if path.suffix == ".py" else set() for name, path in modules.items()}
    assert "kg.errors" in graph["kg.neo4j.load"]  # relative imports are resolved
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))
