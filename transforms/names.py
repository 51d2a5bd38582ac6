"""What a name means where it is used: the one resolver of markers, rules and ``glovec check``.

``L.Dense`` -> ``keras.layers.Dense``. Markers find positional parameters through it, rules
select calls by the qualified name it gives, and ``glovec check`` decides through it which
calls are Keras, PyTorch or scikit-learn hyper-parameter calls, so the three always agree on
a callee. Nothing is imported or run: the program's own statements are the only source.

Bindings, in the order of the text:

- ``import a.b as x`` binds ``x`` to ``a.b``; ``import a.b.c`` binds ``a``;
  ``from m import n as x`` binds ``x`` to ``m.n``; a relative import (``from .m import n``)
  binds ``n`` to ``.m.n``: the program's own module, never mistaken for a library's name;
- a module-level alias of an imported name (``L = tf.keras.layers``) binds ``L`` to what the
  right-hand side means at that point;
- ``def f`` and ``class C`` bind ``f`` and ``C`` to the program's own definitions (their
  parameters: same-file signatures; a class's are its ``__init__``'s without ``self``);
- any other module-level assignment to a name re-binds it to a value glovec cannot know
  (``layers = []``): the name keeps its own spelling.

The binding rule is Python's: a use means the binding in effect when it runs, which for
module-level code is the last binding before the use in the text. A use that comes before
every binding of its name (a function body above the imports it uses) runs after the module
has run, so it means the module's last binding. Two simplifications, both documented in
``docs/internals.md``: imports and definitions inside functions count at their place in the
text like module-level ones, and a function body is read at its place in the text (a
module-level re-binding below a function that calls the name is not followed).

Re-exports are folded onto one canonical spelling (``CANONICAL_PREFIXES``: ``tensorflow.keras``
and ``tf_keras`` are ``keras``), the one table every consumer uses.
"""

from __future__ import annotations

import ast
import bisect

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
    ("torchvision.transforms.v2", "torchvision.transforms"),
)


def canonical(name: str) -> str:
    """The canonical spelling of a qualified name (``tensorflow.keras.layers.Dense`` ->
    ``keras.layers.Dense``)."""
    for prefix, replacement in CANONICAL_PREFIXES:
        if name == prefix or name.startswith(prefix + "."):
            return replacement + name[len(prefix):]
    return name


# Calls that build another call for later: ``LazyCall(torch.optim.SGD)(lr=0.02)`` (detectron2's
# lazy configs) and ``functools.partial(torch.optim.SGD, lr=0.02)`` pass their keywords to the
# wrapped callee; rules read them as its arguments and site ids are named after it.
LAZY_CALLS = frozenset(("detectron2.config.LazyCall", "detectron2.config.lazy.LazyCall"))
PARTIALS = frozenset(("functools.partial",))


IMPORT, DEFINITION, OTHER = "import", "definition", "other"


class Binding:
    """One binding of a name: an import (``target`` its qualified name), a definition of the
    program (``params``/``keyword_only`` its signature, ``params`` None when unknown: a class
    without ``__init__``), or another value (``OTHER``: the name keeps its own spelling)."""

    __slots__ = ("line", "kind", "target", "params", "keyword_only")

    def __init__(self, line: int, kind: str, target: str | None = None,
                 params: tuple[str, ...] | None = None, keyword_only: tuple[str, ...] = ()) -> None:
        self.line = line
        self.kind = kind
        self.target = target
        self.params = params
        self.keyword_only = keyword_only


def _params(args: ast.arguments, skip_self: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    positional = tuple(a.arg for a in (*args.posonlyargs, *args.args))
    if skip_self:
        positional = positional[1:]
    return positional, tuple(a.arg for a in args.kwonlyargs)


class Names:
    """The bindings of one module (``Names.of(tree)``), queried by name and line."""

    __slots__ = ("_bindings", "_lines", "methods")

    def __init__(self) -> None:
        self._bindings: dict[str, list[Binding]] = {}
        self._lines: dict[str, list[int]] = {}
        # (class name, method name) -> (positional without self, keyword-only): `self.m(...)`
        self.methods: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {}

    @classmethod
    def of(cls, tree: ast.Module) -> "Names":
        names = cls()
        names._walk(getattr(tree, "body", []), module=True, class_name=None, class_binding=None)
        return names

    # ---- collection ---------------------------------------------------------------------

    def _bind(self, name: str, binding: Binding) -> None:
        self._bindings.setdefault(name, []).append(binding)
        self._lines.setdefault(name, []).append(binding.line)

    def _walk(self, body: list, *, module: bool, class_name: str | None,
              class_binding: Binding | None) -> None:
        """``module``: ``body`` runs at module level; ``class_name``: ``body`` is that class's
        own body (its ``def``s are methods)."""
        for stmt in body:
            kind = type(stmt)
            if kind not in _BINDING and (not module or kind not in _ASSIGN):
                continue  # most statements: nothing bound here, no statements inside
            if kind is ast.Import:
                for alias in stmt.names:
                    if alias.asname:
                        self._bind(alias.asname, Binding(stmt.lineno, IMPORT, alias.name))
                    else:  # `import a.b.c` binds `a`
                        head = alias.name.split(".", 1)[0]
                        self._bind(head, Binding(stmt.lineno, IMPORT, head))
            elif kind is ast.ImportFrom:
                base = "." * stmt.level + (stmt.module or "")
                for alias in stmt.names:
                    if alias.name != "*":
                        target = f"{base}.{alias.name}" if stmt.module else base + alias.name
                        self._bind(alias.asname or alias.name, Binding(stmt.lineno, IMPORT, target))
            elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                if class_name is not None:
                    params = _params(stmt.args, skip_self=True)
                    self.methods[(class_name, stmt.name)] = params
                    if stmt.name == "__init__" and class_binding is not None:
                        class_binding.params, class_binding.keyword_only = params
                else:
                    positional, keyword_only = _params(stmt.args, skip_self=False)
                    self._bind(stmt.name, Binding(stmt.lineno, DEFINITION, None, positional,
                                                  keyword_only))
                self._walk(stmt.body, module=False, class_name=None, class_binding=None)
                continue
            elif kind is ast.ClassDef:
                binding = Binding(stmt.lineno, DEFINITION)
                self._bind(stmt.name, binding)
                self._walk(stmt.body, module=False, class_name=stmt.name, class_binding=binding)
                continue
            elif kind in _ASSIGN:
                self._assign(stmt)
            else:  # a compound statement: its blocks
                for block in _blocks(stmt):
                    self._walk(block, module=module, class_name=class_name,
                               class_binding=class_binding)

    def _assign(self, stmt: ast.Assign | ast.AnnAssign) -> None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        value = stmt.value
        if value is None:
            return
        alias = None
        if len(targets) == 1 and isinstance(value, (ast.Name, ast.Attribute)):
            head = value
            while isinstance(head, ast.Attribute):
                head = head.value
            if isinstance(head, ast.Name) and self.imported(head.id, stmt.lineno):
                alias = self.qualify(value, stmt.lineno)  # its own binding comes after
        for target in targets:
            if isinstance(target, ast.Name):
                # `L = tf.keras.layers` aliases an import; anything else is a value
                self._bind(target.id, Binding(stmt.lineno, IMPORT, alias) if alias is not None
                           else Binding(stmt.lineno, OTHER))

    # ---- queries ------------------------------------------------------------------------

    def binding(self, name: str, line: int) -> Binding | None:
        """The binding of ``name`` in effect at ``line`` (see the module's docstring)."""
        lines = self._lines.get(name)
        if lines is None:
            return None
        i = bisect.bisect_right(lines, line)
        return self._bindings[name][i - 1 if i else -1]

    def imported(self, name: str, line: int) -> str | None:
        """The qualified name ``name`` is imported as at ``line``, or None."""
        binding = self.binding(name, line)
        return binding.target if binding is not None and binding.kind == IMPORT else None

    def qualify_parts(self, parts: list[str], line: int) -> str:
        """The canonical qualified name of the dotted name ``parts`` used at ``line``; the head
        keeps its own spelling when no import binds it there."""
        head = self.imported(parts[0], line)
        if head is not None:
            return canonical(".".join([head, *parts[1:]]))
        return canonical(".".join(parts))

    def qualify(self, node: ast.AST, line: int | None = None) -> str | None:
        """The canonical qualified name of a Name/Attribute chain (used at ``line``, by default
        the node's own), or None for anything else (a call result, a subscript, ...)."""
        parts = dotted_parts(node)
        if parts is None:
            return None
        return self.qualify_parts(parts, node.lineno if line is None else line)

    def imported_names(self) -> set[str]:
        """Every qualified name the module imports, canonical, wherever it is imported."""
        return {canonical(b.target) for bindings in self._bindings.values() for b in bindings
                if b.kind == IMPORT and b.target is not None}

    def definition(self, name: str, line: int) -> Binding | None:
        """The program's own ``def``/``class`` that ``name`` means at ``line``, or None."""
        binding = self.binding(name, line)
        return binding if binding is not None and binding.kind == DEFINITION else None


def dotted_parts(node: ast.AST) -> list[str] | None:
    """``["a", "b", "c"]`` for the ast chain ``a.b.c``, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    parts.reverse()
    return parts


_COMPOUND = tuple(getattr(ast, name) for name in (
    "If", "For", "AsyncFor", "While", "With", "AsyncWith", "Try", "TryStar", "Match")
    if hasattr(ast, name))  # TryStar: Python 3.11
# statements that bind a name or hold statements; module-level assignments bind too
_BINDING = frozenset((ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                      ast.ClassDef, *_COMPOUND))
_ASSIGN = frozenset((ast.Assign, ast.AnnAssign))


def _blocks(stmt: ast.stmt):
    """The statement blocks nested in a compound statement (not functions' or classes')."""
    for name in ("body", "orelse", "finalbody"):
        block = getattr(stmt, name, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            yield block
    for handler in getattr(stmt, "handlers", ()):
        yield handler.body
    for case in getattr(stmt, "cases", ()):
        yield case.body
