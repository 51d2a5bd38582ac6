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
