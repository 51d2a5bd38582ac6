"""The import direction of docs/internals.md (Repository layout): runtime <- transforms <- glovec.

Generated programs import only ``glovec.runtime``, so the runtime must not reach into the
compiler or the command line; the compiler passes must not reach into the command line. Checked
on the source text (every import statement, top-level or inside a function), not by importing.
"""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# folder -> (its package name, the glovec packages it may import)
LAYERS = {
    "runtime": ("glovec.runtime", ("glovec.runtime",)),
    "transforms": ("glovec.transforms", ("glovec.runtime", "glovec.transforms", "glovec.hints")),
}


def _imports(path: Path, package: str):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's own package
                parts = package.split(".")
                rel = path.relative_to(ROOT).parts[1:-1]
                base = parts + list(rel)
                base = base[: len(base) - (node.level - 1)]
                yield node.lineno, ".".join(base + ([node.module] if node.module else []))
            else:
                yield node.lineno, node.module or ""


def _violations(folder: str):
    package, allowed = LAYERS[folder]
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for line, name in _imports(path, package):
            if (name == "glovec" or name.startswith("glovec.")) and not name.startswith(allowed):
                found.append(f"{path.relative_to(ROOT)}:{line}: imports {name}")
    return found


@pytest.mark.parametrize("folder", sorted(LAYERS))
def test_imports_point_one_way(folder):
    assert _violations(folder) == []


def test_the_check_sees_a_wrong_way_import(tmp_path, monkeypatch):
    # the checker itself must be able to fail: a runtime module importing the compiler
    fake_root = tmp_path
    (fake_root / "runtime").mkdir()
    (fake_root / "runtime" / "bad.py").write_text("def f():\n    from glovec.transforms import specs\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", fake_root)
    assert _violations("runtime") == ["runtime/bad.py:2: imports glovec.transforms"]


def _module_graph(folder: str) -> dict:
    """module -> the modules of the same package it imports, at the top or inside functions
    (``if TYPE_CHECKING:`` blocks left out: they never run). ``from . import hyper`` names the
    module ``hyper``; ``from ..geno import DNA`` the package ``geno`` (its ``__init__``)."""
    package = LAYERS[folder][0]
    names = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        parts = path.relative_to(ROOT / folder).with_suffix("").parts
        names[path] = ".".join((package, *parts)).removesuffix(".__init__")
    modules = set(names.values())
    graph = {}
    for path, name in names.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):  # drop what only a type checker reads
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                node.body = []
        edges = set()
        own = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = own.split(".")[: len(own.split(".")) - (node.level - 1)]
                    base = ".".join(up + ([node.module] if node.module else []))
                for alias in node.names:
                    edges.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
        graph[name] = {m for m in edges if m in modules and m != name}
    return graph


def _cycles(graph: dict) -> list:
    found, state = [], {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_runtime_modules_do_not_import_each_other_in_a_circle():
    """No runtime module imports one that imports it back, lazily or not (``space`` and ``hyper``
    once did); ``glovec.runtime``'s facade only re-exports."""
    graph = _module_graph("runtime")
    graph["glovec.runtime"] = set()  # the facade: every module may reach hyper through it
    assert graph["glovec.runtime.space"] >= {"glovec.runtime.hyper", "glovec.runtime.values"}
    assert _cycles(graph) == []
