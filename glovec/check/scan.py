"""Static coverage scan: hyper-parameters written as literals that no site searches.

Finds numeric literals passed to the hyper-parameters of common Keras, PyTorch and scikit-learn
calls (``hyperparams.py`` says which), and numeric literals assigned to, or defaulted into,
well-known hyper-parameter names (``EPOCHS = 10``, ``def train(lr=1e-3)``). Each is
*searched* (a site covers it), *fixed* (``# glovec: fixed`` on its line, or an allow-list entry)
or *uncovered* (what ``glovec check`` reports as GV401). The width of an output layer (the
last layer of a ``Sequential``, a softmax/sigmoid ``Dense``, a layer assigned to ``head``,
``classifier``, ``logits``, ``output``...) is the number of classes, not a hyper-parameter.
Read-only, so it works on the ``ast`` tree; nothing here executes the program.

Before (reported: ``units`` of ``Dense`` is a literal no site searches)::

    layers.Dense(64, activation="relu")

After (searched, or explicitly fixed)::

    layers.Dense(64, activation="relu")  # glovec: units=oneof([32, 64, 128])
    layers.Dense(10, activation="softmax")  # glovec: fixed
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from typing import Iterable

from glovec.check import hyperparams as tables
from glovec.transforms.names import DEFINITION, IMPORT, Names, canonical, dotted_parts

__all__ = ["HyperLiteral", "Marker", "markers", "scan"]

_NOT_SPECS = {"objective", "metric", "report", "constraint"}


@dataclass(frozen=True)
class Marker:
    """A ``# glovec:`` comment: which parameters its spec names, or that it marks the line fixed."""

    line: int
    text: str
    names: frozenset  # parameters named by the spec (``units=oneof(...)``); empty for a bare spec
    fixed: bool  # ``# glovec: fixed``: every literal on the line is deliberate
    spec: bool  # a search-space spec (not objective/metric/report, not fixed)


@dataclass(frozen=True)
class HyperLiteral:
    """A literal in a hyper-parameter position, and whether the search space covers it."""

    line: int
    col: int
    param: str
    callee: str  # qualified when the import resolves (``keras.layers.Dense``), else as written
    text: str
    status: str  # "searched" | "fixed" | "uncovered"

    @property
    def label(self) -> str:
        """What the user reads and what ``--allow`` accepts: ``Dense.units``, or ``epochs``."""
        short = self.callee.rsplit(".", 1)[-1]
        return f"{short}.{self.param}" if short else self.param


def markers(source: str) -> dict[int, Marker]:
    """The ``# glovec:`` comments of ``source`` by line."""
    found: dict[int, Marker] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return found
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        body = tok.string[1:].strip()
        if not body.startswith("glovec:"):
            continue
        text = body[len("glovec:"):].strip()
        found[tok.start[0]] = _parse_marker(tok.start[0], text)
    return found


def _parse_marker(line: int, text: str) -> Marker:
    if text == "fixed":
        return Marker(line, text, frozenset(), True, False)
    try:
        call = ast.parse(f"_({text})", mode="eval").body
    except SyntaxError:  # the compiler reports it; count it as a spec so nothing is reported twice
        return Marker(line, text, frozenset(), False, True)
    names = frozenset(k.arg for k in call.keywords if k.arg)
    if not names and len(call.args) == 1:
        head = call.args[0]
        head = head.func if isinstance(head, ast.Call) else head
        if isinstance(head, ast.Name) and head.id in _NOT_SPECS:
            return Marker(line, text, names, False, False)
    return Marker(line, text, names, False, True)


def scan(source: str, sites: Iterable = (), allow: Iterable[str] = ()) -> list[HyperLiteral]:
    """Every hyper-parameter literal of ``source`` in source order, with its status.

    ``sites`` are ``(site id, line, col)`` of the compiled space (nested sites included; a
    value tied to a decision is given with the id ``""``: it covers its own position only);
    ``allow`` holds entries like ``units``, ``Dense.units`` or ``keras.layers.Dense.units``.
    Raises ``SyntaxError`` when ``source`` does not parse.
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    found = _Finder(Names.of(tree), source, lines).run(tree)
    marks = markers(source)
    sites = [(str(s[0]), int(s[1]), int(s[2])) for s in sites]
    allow = {canonical(a) for a in allow}  # tf.keras.layers.Dense.units is keras's
    result = []
    for line, col, param, callee, text, span in found:
        status = _status(line, col, param, callee, span, marks, sites, allow)
        result.append(HyperLiteral(line, col, param, callee, text, status))
    return result


def _status(line, col, param, callee, span, marks, sites, allow) -> str:
    short = callee.rsplit(".", 1)[-1]
    for site_id, s_line, s_col in sites:
        if (s_line, s_col) == (line, col):
            return "searched"
        last = site_id.rsplit(".", 1)[-1].split("[", 1)[0]
        if last == param and span[0] <= s_line <= span[1]:
            return "searched"
    mark = marks.get(line)
    if mark is not None:
        if mark.fixed:
            return "fixed"
        if mark.spec and (not mark.names or param in mark.names):
            return "searched"
    if {param, f"{short}.{param}", f"{callee}.{param}"} & allow:
        return "fixed"
    return "uncovered"


def _library(qualified: str) -> str | None:
    """The library of a canonical qualified name (``names.canonical`` folds tf.keras onto
    keras), when ``hyperparams`` has a table for it."""
    head = qualified.split(".", 1)[0]
    return head if head in ("keras", "torch", "sklearn") else None


_WIDTHS = frozenset({"units", "out_features"})
_OUTPUT_NAMES = frozenset({"out", "output", "outputs", "out_layer", "output_layer", "fc_out", "head",
                           "classifier", "classify", "logits", "final", "predictor"})


def _output_layers(tree: ast.Module) -> set[int]:
    """ids of calls that build an output layer: the last layer of ``Sequential(...)`` (Keras:
    of its list; PyTorch: its last argument), or a layer assigned to a name like ``head``."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "Sequential" and node.args:
                first = node.args[0]
                last = first.elts[-1] if isinstance(first, (ast.List, ast.Tuple)) and first.elts \
                    else node.args[-1]
                found.add(id(last))
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            name = name.lower()
            if name in _OUTPUT_NAMES or name.endswith(("_head", "_classifier", "_logits", "_output")):
                found.add(id(node.value))
    return found


def _softmax(call: ast.Call) -> bool:
    for kw in call.keywords:
        if kw.arg == "activation" and isinstance(kw.value, ast.Constant):
            return kw.value.value in ("softmax", "sigmoid")
    return False


def _literal(node: ast.AST) -> bool:
    """A number (not a bool), a negated number, or a tuple/list of those."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, (ast.Tuple, ast.List)):
        return bool(node.elts) and all(_literal(e) for e in node.elts)
    return False


class _Finder:
    def __init__(self, names: Names, source: str, lines: list[str]) -> None:
        self.names = names  # the one resolver, as markers and rules use it
        self.source = source
        self.lines = lines
        self.imported = {lib for q in names.imported_names() if (lib := _library(q))}
        self.found: list = []

    def run(self, tree: ast.Module) -> list:
        self.outputs = _output_layers(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                self._assign(node)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                self._defaults(node.args)
        self.found.sort(key=lambda f: (f[0], f[1]))
        return self.found

    def _add(self, value: ast.AST, param: str, callee: str, span: tuple[int, int]) -> None:
        line = value.lineno
        raw = self.lines[line - 1] if line <= len(self.lines) else ""
        # ast columns count UTF-8 bytes; diagnostics count characters, 1-based.
        col = len(raw.encode("utf-8")[: value.col_offset].decode("utf-8", "replace")) + 1
        text = ast.get_source_segment(self.source, value) or ast.unparse(value)
        self.found.append((line, col, param, callee, text, span))

    def _resolve(self, func: ast.AST) -> tuple[str | None, str]:
        """(library, qualified or written name) of a callee expression."""
        parts = dotted_parts(func)
        if parts is None:
            return None, ""
        binding = self.names.binding(parts[0], func.lineno)
        if binding is not None and binding.kind == IMPORT:
            qualified = self.names.qualify_parts(parts, func.lineno)
            return _library(qualified), qualified
        if binding is not None and binding.kind == DEFINITION and len(parts) == 1:
            return None, parts[0]  # the program's own class or function
        # Unresolved (star import, a module passed around): guess from the libraries imported.
        name = parts[-1]
        for lib in sorted(self.imported) or sorted(tables.LIBRARIES):
            if name in tables.LIBRARIES[lib]:
                return lib, ".".join(parts)
        return None, ".".join(parts)

    def _call(self, node: ast.Call) -> None:
        span = (node.lineno, node.end_lineno or node.lineno)
        lib, callee = self._resolve(node.func)
        entry = tables.LIBRARIES[lib].get(callee.rsplit(".", 1)[-1]) if lib else None
        if entry is not None:
            positional, hyper = entry
            if id(node) in self.outputs or _softmax(node):
                hyper = hyper - _WIDTHS  # an output layer's width is the number of classes
            for i, arg in enumerate(node.args):
                if isinstance(arg, ast.Starred):
                    break
                if i < len(positional) and positional[i] in hyper and _literal(arg):
                    self._add(arg, positional[i], callee, span)
            for kw in node.keywords:
                if kw.arg in hyper and _literal(kw.value):
                    self._add(kw.value, kw.arg, callee, span)
            return
        if isinstance(node.func, ast.Attribute) and node.func.attr in tables.METHODS:
            hyper = tables.METHODS[node.func.attr]
            for kw in node.keywords:
                if kw.arg in hyper and _literal(kw.value):
                    self._add(kw.value, kw.arg, node.func.attr, span)

    def _assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if node.value is None or len(targets) != 1 or not isinstance(targets[0], ast.Name):
            return
        name = targets[0].id
        if name.lower() in tables.NAMES and _literal(node.value):
            self._add(node.value, name, "", (node.lineno, node.end_lineno or node.lineno))

    def _defaults(self, args: ast.arguments) -> None:
        params = args.posonlyargs + args.args
        pairs = list(zip(params[len(params) - len(args.defaults):], args.defaults))
        pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
        for arg, default in pairs:
            if arg.arg.lower() in tables.NAMES and _literal(default):
                self._add(default, arg.arg, "", (default.lineno, default.end_lineno or default.lineno))
