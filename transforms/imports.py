"""Qualified names through a program's imports: ``L.Dense`` -> ``keras.layers.Dense``.

Rules select calls by the qualified name of the callee, so one rule matches however the
program spells it: ``import tensorflow as tf; tf.keras.layers.Dense``, ``from keras import
layers as L; L.Dense``, ``from keras.layers import Dense``. Nothing is imported or run: the
program's own import statements (at any depth, first binding of a name wins) are the only
source, and a few well-known re-exports are folded onto one canonical spelling
(``tensorflow.keras`` and ``tf_keras`` are ``keras``).

A dotted expression whose head name is not imported keeps its own spelling (``model.fit``,
``self.head``), so rules can still select methods with a glob such as ``*.fit``.
"""

from __future__ import annotations

import ast

# Re-exports folded onto one name, longest prefix first.
CANONICAL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("tensorflow.python.keras", "keras"),
    ("tensorflow.keras", "keras"),
    ("tf_keras", "keras"),
    ("keras.api", "keras"),
    ("keras.src.layers", "keras.layers"),
    ("keras.src.optimizers", "keras.optimizers"),
    ("torch.nn.modules.linear", "torch.nn"),
    ("torch.nn.modules.conv", "torch.nn"),
    ("torch.nn.modules.dropout", "torch.nn"),
    ("torch.nn.modules.activation", "torch.nn"),
)


def canonical(name: str) -> str:
    """The canonical spelling of a qualified name (``tensorflow.keras.layers.Dense`` ->
    ``keras.layers.Dense``)."""
    for prefix, replacement in CANONICAL_PREFIXES:
        if name == prefix or name.startswith(prefix + "."):
            return replacement + name[len(prefix):]
    return name


def statements(tree: ast.AST):
    """Every statement of a module, nested blocks included, without walking expressions
    (imports are statements, and expressions are most of a tree)."""
    stack = [getattr(tree, "body", [])]
    while stack:
        for stmt in stack.pop():
            yield stmt
            for name in ("body", "orelse", "finalbody"):
                block = getattr(stmt, name, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                    stack.append(block)
            for handler in getattr(stmt, "handlers", ()):
                stack.append(handler.body)
            for case in getattr(stmt, "cases", ()):
                stack.append(case.body)


class ImportMap:
    """Local name -> qualified name, from every import statement of a module."""

    __slots__ = ("names",)

    def __init__(self, names: dict[str, str] | None = None) -> None:
        self.names: dict[str, str] = names if names is not None else {}

    @classmethod
    def from_tree(cls, tree: ast.AST, package: str | None = None) -> "ImportMap":
        names: dict[str, str] = {}
        for node in statements(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        names.setdefault(alias.asname, alias.name)
                    else:  # `import a.b.c` binds `a`
                        head = alias.name.split(".", 1)[0]
                        names.setdefault(head, head)
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative imports: the program's own modules
                    base = "." * node.level + (node.module or "")
                else:
                    base = node.module or ""
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    names.setdefault(alias.asname or alias.name, f"{base}.{alias.name}" if base
                                     else alias.name)
        result = cls(names)
        # Module-level aliases of imported names: `L = tf.keras.layers`, `Dense = layers.Dense`.
        for stmt in getattr(tree, "body", ()):
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                    and isinstance(stmt.targets[0], ast.Name) \
                    and isinstance(stmt.value, (ast.Name, ast.Attribute)) \
                    and result.imported(stmt.value) and stmt.targets[0].id not in names:
                names[stmt.targets[0].id] = result.qualify(stmt.value)
        return result

    def qualify(self, node: ast.AST) -> str | None:
        """The canonical qualified name of a Name/Attribute chain, or None for anything
        else (a call result, a subscript, ...). The head keeps its own spelling when no
        import binds it."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        head = self.names.get(node.id, node.id)
        parts.append(head)
        return canonical(".".join(reversed(parts)))

    def imported(self, node: ast.AST) -> bool:
        """Whether the chain's head name is bound by an import."""
        while isinstance(node, ast.Attribute):
            node = node.value
        return isinstance(node, ast.Name) and node.id in self.names
