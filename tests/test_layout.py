"""The package's import graph has no circles: not between files, and not between its parts (the top-level
modules and subpackages of colorgan/), so each part can be read knowing only the parts below it."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "colorgan"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def colorgan_imports(path: Path, known: set[str]) -> set[str]:
    """The colorgan modules a file imports anywhere in it (late imports inside functions included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in known}
    return found


def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: colorgan_imports(path, set(files)) - {name} for name, path in files.items()}
    for name in graph:  # importing a.b.c runs a/__init__ and a/b/__init__ first: those are not edges we judge
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def part(module: str) -> str:
    """``colorgan.data.index`` -> ``colorgan.data``; ``colorgan.train`` -> ``colorgan.train``."""
    return ".".join(module.split(".")[:2])


def test_no_file_imports_itself_through_others():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_the_parts_of_the_package_stand_on_each_other_without_a_circle():
    parts: dict[str, set[str]] = {}
    for module, imported in import_graph().items():
        parts.setdefault(part(module), set()).update(part(m) for m in imported if part(m) != part(module))
    parts.pop("colorgan", None)  # colorgan/__init__.py: the version only
    cycle = find_cycle(parts)
    assert cycle is None, "parts that import each other: " + " -> ".join(cycle or [])
    for base in ("colorgan.errors", "colorgan.color"):  # the ground every other part builds on
        assert parts[base] <= {"colorgan.errors"}, f"{base} imports {parts[base]}"


def test_the_cycle_finder_finds_a_circle_and_passes_a_tree():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
