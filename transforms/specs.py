"""Parsing specs: the text after ``# glovec:`` and the markers inside ``Annotated[...]``.

A spec is parsed with Python's own parser (``ast``), never evaluated. The comment text is
parsed as the arguments of a call, ``_(<spec>)``, so one comment holds several items:

    # glovec: floatv(1e-4, 1e-1, scale="log")            one unnamed spec: the value on the line
    # glovec: units=oneof([64, 128]), activation=oneof(["relu", "gelu"])
                                                          named specs: arguments of a call
    # glovec: arg0=oneof([64, 128])                       positional argument 0 (0-based) of a
                                                          call whose signature glovec does not
                                                          know (argN names a real parameter
                                                          first, if the callee has one called so)
    # glovec: objective | objective(minimize) | metric("acc") | report(step=epoch)
    # glovec: constraint                                  the boolean value on the line: a trial
                                                          where it is false is infeasible

Primitives: ``oneof(candidates)``, ``manyof(k, candidates, distinct=True, sorted=False)``,
``permutate(candidates)``, ``floatv(lo, hi, scale="linear"|"log")``,
``intv(lo, hi, step=1, scale="linear"|"log")``; every primitive also takes ``name="..."`` (the
site id), ``repeat=N`` and ``group="..."`` (the site's group, for partial and nested searches).
Candidates are a list of Python expressions written in the spec;
a primitive call inside a oneof candidate is a nested spec (a conditional sub-space), so inside
specs the five primitive names are reserved.

Offsets in a Spec point into ``src.text``: the program's own text for comments and
annotations, or the spec string for specs that come from elsewhere (rules files).
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field

from .diagnostics import Diagnostic, suggest
from .source import Snippet

CHOICES = ("oneof", "manyof", "permutate")
RANGES = ("floatv", "intv")
MARKERS = ("objective", "metric", "report", "constraint")
# primitive -> (required arguments in positional order, options with their defaults)
PRIMITIVES: dict[str, tuple[tuple[str, ...], dict]] = {
    "oneof": (("candidates",), {}),
    "manyof": (("k", "candidates"), {"distinct": True, "sorted": False}),
    "permutate": (("candidates",), {}),
    "floatv": (("lo", "hi"), {"scale": "linear"}),
    "intv": (("lo", "hi"), {"step": 1, "scale": "linear"}),
}
COMMON_OPTIONS = {"name": None, "repeat": 1, "group": None}
SCALES = ("linear", "log")
DIRECTIONS = ("maximize", "minimize")
NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/]*\Z")


class SpecError(Exception):
    def __init__(self, code: str, message: str, offset: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.offset = offset


@dataclass(eq=False)
class Candidate:
    """One candidate as written in the spec."""

    text: str  # source text (parenthesised where it would not stand alone in a tuple)
    node: ast.expr
    start: int
    end: int
    literal: bool  # an immutable constant: numbers, strings, None/True/False, tuples of those
    nested: list["Spec"] = field(default_factory=list)  # specs nested in it, outermost first


@dataclass(eq=False)
class Spec:
    """One parsed spec item: a primitive or a marker, maybe named after a parameter."""

    kind: str
    start: int
    end: int
    src: object  # has .text and .position(offset) -> (line, col)
    param: str | None = None  # `units=` in `units=oneof(...)`
    node: ast.expr | None = None  # the primitive's call node (nested specs are found by it)
    name: str | None = None
    group: str | None = None  # group="NAME": searched or fixed together (docs/flows.md)
    repeat: int = 1
    candidates: list[Candidate] = field(default_factory=list)
    k: int = 0
    distinct: bool = True
    sorted: bool = False
    lo: float | int | None = None
    hi: float | int | None = None
    step: int = 1
    scale: str = "linear"
    direction: str = "maximize"
    metric: str | None = None
    step_text: str | None = None

    @property
    def is_marker(self) -> bool:
        return self.kind in MARKERS

    @property
    def position(self) -> tuple[int, int]:
        return self.src.position(self.start)

    @property
    def has_nested(self) -> bool:
        return any(c.nested for c in self.candidates)


def diagnostic(src, error: SpecError) -> Diagnostic:
    line, col = src.position(error.offset)
    return Diagnostic(error.code, error.message, line, col)


def parse_comment_spec(src, start: int, end: int) -> tuple[list[Spec], list[Diagnostic]]:
    """The items of the spec text ``src.text[start:end]`` (what follows ``# glovec:``)."""
    text = src.text[start:end]
    if not text.strip():
        return [], [diagnostic(src, SpecError("GV101", "empty spec after '# glovec:'", start))]
    snippet = Snippet(text, start, prefix="_(", suffix="\n)")
    try:
        tree = snippet.parse()
    except SyntaxError as exc:
        return [], [diagnostic(src, SpecError("GV101", f"spec: {exc.msg}", snippet.error_offset(exc)))]
    call = tree.body
    items: list[tuple[ast.AST, str | None, ast.expr]] = []
    for arg in call.args:
        items.append((arg, None, arg))
    for kw in call.keywords:
        items.append((kw, kw.arg, kw.value))
    items.sort(key=lambda item: (item[0].lineno, item[0].col_offset))
    specs: list[Spec] = []
    diagnostics: list[Diagnostic] = []
    unnamed = 0
    for holder, param, value in items:
        try:
            if isinstance(holder, ast.Starred) or (isinstance(holder, ast.keyword) and param is None):
                raise SpecError("GV101", "spec items cannot be unpacked with * or **",
                                snippet.span(holder)[0])
            spec = _parse_item(value, param, snippet, src)
            if param is None:
                unnamed += 1
                if unnamed > 1:
                    raise SpecError("GV117", "a marker holds at most one unnamed spec (it applies to "
                                    "the single value on the line); name the parameter of the others",
                                    spec.start)
            spec.start = snippet.span(holder)[0]
            specs.append(spec)
        except SpecError as exc:
            diagnostics.append(diagnostic(src, exc))
    return specs, diagnostics


def parse_marker_call(src, start: int, end: int) -> Spec:
    """The spec of an ``Annotated[...]`` marker call, ``src.text[start:end]`` (raises SpecError)."""
    snippet = Snippet(src.text[start:end], start)
    try:
        tree = snippet.parse()
    except SyntaxError as exc:  # the program parsed, so this is unlikely; be precise anyway
        raise SpecError("GV101", f"spec: {exc.msg}", snippet.error_offset(exc)) from None
    call = tree.body
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute):
        # `gh.oneof(...)` with `import glovec.hints as gh`: the primitive is the attribute
        # (a copy: parsed trees are shared)
        name = ast.copy_location(ast.Name(id=call.func.attr, ctx=ast.Load()), call.func)
        call = ast.copy_location(ast.Call(func=name, args=call.args, keywords=call.keywords), call)
    spec = _parse_item(call, None, snippet, src)
    if spec.is_marker:
        raise SpecError("GV102", f"{spec.kind} is a comment marker; annotations take "
                        "oneof, manyof, permutate, floatv or intv", spec.start)
    return spec


def _parse_item(node: ast.expr, param: str | None, snippet: Snippet, src) -> Spec:
    start = snippet.span(node)[0]
    if isinstance(node, ast.Name):
        kind, call = node.id, None
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        kind, call = node.func.id, node
    else:
        raise SpecError("GV102", "a spec item is a primitive call such as oneof([...]) or a "
                        f"marker such as objective; got {snippet.segment(node)!r}", start)
    if kind in MARKERS:
        if param is not None:
            raise SpecError("GV110", f"{kind} marks the value on the line and takes no parameter "
                            f"name ({param}=)", start)
        return _parse_marker(kind, call, snippet, src, start, snippet.span(node)[1])
    if kind not in PRIMITIVES:
        raise SpecError("GV102", f"unknown primitive {kind!r}"
                        f"{suggest(kind, list(PRIMITIVES) + list(MARKERS))}", start)
    if call is None:
        required = ", ".join(PRIMITIVES[kind][0])
        raise SpecError("GV104", f"{kind} needs arguments: {kind}({required})", start)
    return _parse_primitive(call, param, snippet, src, nested=False)


def _parse_marker(kind: str, call: ast.Call | None, snippet: Snippet, src, start: int,
                  end: int) -> Spec:
    spec = Spec(kind, start, end, src)
    args = list(call.args) if call else []
    keywords = {kw.arg: kw for kw in call.keywords} if call else {}
    if kind == "objective":
        allowed = {"direction"}
        if len(args) + len(keywords) > 1:
            raise SpecError("GV104", "objective takes one argument: objective(minimize) or "
                            "objective(maximize)", start)
        value = args[0] if args else (keywords["direction"].value if "direction" in keywords else None)
        if value is not None:
            word = value.id if isinstance(value, ast.Name) else (
                value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None)
            if word not in DIRECTIONS:
                shown = word if word is not None else snippet.segment(value)
                raise SpecError("GV110", f"objective direction is minimize or maximize, not "
                                f"{shown!r}{suggest(str(shown), DIRECTIONS)}", snippet.span(value)[0])
            spec.direction = word
    elif kind == "metric":
        allowed = {"name"}
        values = args + [kw.value for kw in keywords.values() if kw.arg == "name"]
        if len(values) != 1 or len(args) > 1:
            raise SpecError("GV104", 'metric takes its name: metric("accuracy")', start)
        value = values[0]
        if not (isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value):
            raise SpecError("GV110", "a metric's name is a non-empty string", snippet.span(value)[0])
        spec.metric = value.value
    elif kind == "constraint":  # a boolean expression checked during the trial (docs/flows.md)
        allowed = set()
        if args:
            raise SpecError("GV104", "constraint takes no arguments: it marks the boolean "
                            "expression on the line", snippet.span(args[0])[0])
    else:  # report
        allowed = {"step"}
        if args:
            raise SpecError("GV104", "report takes only step=...: report(step=epoch)",
                            snippet.span(args[0])[0])
        if "step" in keywords:
            spec.step_text = _expr_text(keywords["step"].value, snippet)
    for name, kw in keywords.items():
        if name not in allowed:
            raise SpecError("GV103", f"{kind} has no option {name!r}{suggest(name, allowed)}",
                            snippet.span(kw)[0])
    return spec


def _parse_primitive(call: ast.Call, param: str | None, snippet: Snippet, src, nested: bool) -> Spec:
    kind = call.func.id
    start, end = snippet.span(call)
    required, options = PRIMITIVES[kind]
    known = required + tuple(options) + tuple(COMMON_OPTIONS)
    bound: dict[str, ast.expr] = {}
    for arg in call.args:
        if isinstance(arg, ast.Starred):
            raise SpecError("GV110", "arguments of a primitive cannot be unpacked with *",
                            snippet.span(arg)[0])
    if len(call.args) > len(required):
        raise SpecError("GV104", f"{kind} takes {len(required)} positional argument"
                        f"{'s' if len(required) > 1 else ''} ({', '.join(required)}) but "
                        f"{len(call.args)} were given; pass options by keyword",
                        snippet.span(call.args[len(required)])[0])
    for name, arg in zip(required, call.args):
        bound[name] = arg
    for kw in call.keywords:
        if kw.arg is None:
            raise SpecError("GV110", "options of a primitive cannot be unpacked with **",
                            snippet.span(kw)[0])
        if kw.arg not in known:
            raise SpecError("GV103", f"{kind} has no option {kw.arg!r}{suggest(kw.arg, known)}",
                            snippet.span(kw)[0])
        if kw.arg in bound:
            raise SpecError("GV104", f"{kind} got two values for {kw.arg}", snippet.span(kw)[0])
        bound[kw.arg] = kw.value
    missing = [name for name in required if name not in bound]
    if missing:
        raise SpecError("GV104", f"{kind} needs {' and '.join(missing)}: "
                        f"{kind}({', '.join(required)})", start)
    spec = Spec(kind, start, end, src, param=param, node=call)
    spec.name = _option_name(bound.get("name"), snippet)
    spec.group = _option_name(bound.get("group"), snippet, "group")
    spec.repeat = _int_option(bound.get("repeat"), "repeat", 1, snippet, minimum=1)
    if kind in CHOICES:
        spec.candidates = _candidates(kind, bound["candidates"], snippet, src)
        n = len(spec.candidates)
        if kind == "manyof":
            spec.k = _int_option(bound["k"], "k", None, snippet, minimum=1)
            spec.distinct = _bool_option(bound.get("distinct"), "distinct", True, snippet)
            spec.sorted = _bool_option(bound.get("sorted"), "sorted", False, snippet)
            if spec.distinct and spec.k > n:
                raise SpecError("GV108", f"manyof picks k={spec.k} distinct candidates from "
                                f"{n}; use k <= {n} or distinct=False", snippet.span(bound["k"])[0])
        nested_at = next((c for c in spec.candidates if c.nested), None)
        if nested_at is not None:
            where = nested_at.nested[0].start
            if kind != "oneof":
                raise SpecError("GV111", f"{kind} candidates cannot hold nested specs; only "
                                "oneof candidates can", where)
            if spec.repeat != 1:
                raise SpecError("GV111", "a site with repeat=N cannot hold nested specs", where)
    else:
        integer = kind == "intv"
        lo_node, hi_node = bound["lo"], bound["hi"]
        spec.lo = _number_option(lo_node, "lo", integer, snippet)
        spec.hi = _number_option(hi_node, "hi", integer, snippet)
        if integer:
            spec.step = _int_option(bound.get("step"), "step", 1, snippet, minimum=1)
        if spec.lo >= spec.hi:
            raise SpecError("GV106", f"{kind} needs lo < hi, got lo={spec.lo!r} and hi={spec.hi!r}",
                            snippet.span(lo_node)[0])
        scale_node = bound.get("scale")
        if scale_node is not None:
            if not (isinstance(scale_node, ast.Constant) and scale_node.value in SCALES):
                word = scale_node.value if isinstance(scale_node, ast.Constant) else snippet.segment(scale_node)
                raise SpecError("GV110", f"scale is \"linear\" or \"log\", not {word!r}"
                                f"{suggest(str(word), SCALES)}", snippet.span(scale_node)[0])
            spec.scale = scale_node.value
        if spec.scale == "log" and spec.lo <= 0:
            raise SpecError("GV107", f"scale=\"log\" needs lo > 0, got lo={spec.lo!r}",
                            snippet.span(lo_node)[0])
    return spec


def _candidates(kind: str, node: ast.expr, snippet: Snippet, src) -> list[Candidate]:
    if not isinstance(node, (ast.List, ast.Tuple)):
        raise SpecError("GV110", f"{kind} candidates are a list written in the spec, e.g. "
                        f"{kind}([32, 64]); got {snippet.segment(node)!r}", snippet.span(node)[0])
    if not node.elts:
        raise SpecError("GV105", f"{kind} has an empty candidate list", snippet.span(node)[0])
    result: list[Candidate] = []
    seen: dict[str, int] = {}
    for element in node.elts:
        start, end = snippet.span(element)
        if isinstance(element, ast.Starred):
            raise SpecError("GV110", "candidates cannot be unpacked with *", start)
        key = ast.dump(element)
        if key in seen:
            raise SpecError("GV115", f"candidate {snippet.segment(element)!r} appears twice "
                            f"(also candidate {seen[key]})", start)
        seen[key] = len(result)
        nested = [_parse_primitive(call, None, snippet, src, nested=True)
                  for call in _nested_calls(element, snippet)]
        result.append(Candidate(_expr_text(element, snippet), element, start, end,
                                is_literal(element), nested))
    return result


def _nested_calls(node: ast.AST, snippet: Snippet) -> list[ast.Call]:
    """The outermost primitive calls inside a candidate, in source order."""
    found: list[ast.Call] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Call) and isinstance(current.func, ast.Name):
            if current.func.id in PRIMITIVES:
                found.append(current)
                continue
            if current.func.id in MARKERS:
                raise SpecError("GV111", f"the {current.func.id} marker cannot be nested in a "
                                "candidate", snippet.span(current)[0])
        stack.extend(reversed(list(ast.iter_child_nodes(current))))
    return found


# ---- values ------------------------------------------------------------------------------


def _expr_text(node: ast.expr, snippet: Snippet) -> str:
    text = snippet.segment(node)
    return f"({text})" if needs_parens(node) else text


def needs_parens(node: ast.expr) -> bool:
    """Whether an expression must be parenthesised to be one item of a tuple or a lambda body
    (ast positions leave out the parentheses of these)."""
    return isinstance(node, (ast.NamedExpr, ast.Yield, ast.YieldFrom))


def is_literal(node: ast.expr) -> bool:
    """Immutable constants a site can hold in a constant tuple (built once, shared safely)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return isinstance(node.operand, ast.Constant) and isinstance(
            node.operand.value, (int, float, complex)) and not isinstance(node.operand.value, bool)
    if isinstance(node, ast.Tuple):
        return all(is_literal(e) for e in node.elts)
    return False


_CASTS = {"int": int, "float": float}

_BINOPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a ** b,
}


def number(node: ast.expr):
    """The value of a numeric constant expression (``1e-3``, ``-2``, ``2 ** 10``, ``1 / 3``,
    ``int(1e6)``, ``float(10)``), or None. Nothing is evaluated but arithmetic on number
    literals and the builtins ``int``/``float`` of one such value."""
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id in _CASTS and len(node.args) == 1 \
                and not node.keywords and not isinstance(node.args[0], ast.Starred):
            value = number(node.args[0])
            if value is not None and abs(value) < 1e18:
                return _CASTS[node.func.id](value)
        return None
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = number(node.operand)
        if value is None:
            return None
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = number(node.left), number(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Pow) and (abs(right) > 64 or abs(left) > 1e6):
            return None
        try:
            value = _BINOPS[type(node.op)](left, right)
        except (ArithmeticError, ValueError):
            return None
        if isinstance(value, complex) or (isinstance(value, float) and not math.isfinite(value)):
            return None
        return value
    return None


def _number_option(node: ast.expr, what: str, integer: bool, snippet: Snippet):
    value = number(node)
    if value is None:
        raise SpecError("GV110", f"{what} must be a number, got {snippet.segment(node)!r}",
                        snippet.span(node)[0])
    if integer and not isinstance(value, int):
        raise SpecError("GV110", f"intv's {what} must be an integer, got {value!r}",
                        snippet.span(node)[0])
    return value


def _int_option(node: ast.expr | None, what: str, default, snippet: Snippet, minimum: int):
    if node is None:
        return default
    value = number(node)
    if not isinstance(value, int) or value < minimum:
        raise SpecError("GV110", f"{what} must be an integer >= {minimum}, got "
                        f"{snippet.segment(node)!r}", snippet.span(node)[0])
    return value


def _bool_option(node: ast.expr | None, what: str, default: bool, snippet: Snippet) -> bool:
    if node is None:
        return default
    if not (isinstance(node, ast.Constant) and isinstance(node.value, bool)):
        raise SpecError("GV110", f"{what} must be True or False, got {snippet.segment(node)!r}",
                        snippet.span(node)[0])
    return node.value


def _option_name(node: ast.expr | None, snippet: Snippet, what: str = "name") -> str | None:
    if node is None:
        return None
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)
            and NAME_RE.match(node.value)):
        why = "it becomes the site id" if what == "name" else "it names the site's group"
        raise SpecError("GV110", f"{what} must be a non-empty string of letters, digits, '_', '-', "
                        f"'.', '/' ({why}), got {snippet.segment(node)!r}",
                        snippet.span(node)[0])
    return node.value
