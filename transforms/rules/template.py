"""Templates: the ``values`` and ``where`` expressions of a rule, and the tiny evaluator
that computes them for a literal x found in the program (never ``eval``).

A template is parsed once (``parse_template``) and instantiated per value
(``instantiate`` gives the spec text for one x, or raises ``MatchError`` when it does not fit).
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field

from ..diagnostics import suggest
from ..specs import number

TEMPLATE_PRIMITIVES = ("oneof", "floatv", "intv")
CHOICES = "choices"  # values = "choices": an argparse option's own choices= list
MARKERS = ("objective", "metric", "report")
FUNCTIONS = {"int": int, "float": float, "round": round, "min": min, "max": max, "abs": abs}


class TemplateError(Exception):
    def __init__(self, message: str, node: ast.AST | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.node = node


class _Unknown:
    """An argument a ``where`` names that the call does not pass as a literal."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<not passed>"


UNKNOWN = _Unknown()
_BINOPS = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a ** b,
}
_CMPOPS = {
    ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}


def evaluate(node: ast.AST, names: dict):
    """The value of a small expression: literals, names in ``names``, arithmetic,
    comparisons, and/or/not, conditional expressions, tuples/lists and a few functions
    (int, float, round, min, max, abs). Raises TemplateError for anything else."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        raise TemplateError(f"unknown name {node.id!r}", node)
    if isinstance(node, (ast.List, ast.Tuple)):
        return tuple(evaluate(e, names) for e in node.elts)
    if isinstance(node, ast.UnaryOp):
        value = evaluate(node.operand, names)
        if isinstance(node.op, ast.Not):
            return not value
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            _need_number(value, node.operand)
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = evaluate(node.left, names), evaluate(node.right, names)
        if isinstance(left, str) and isinstance(right, str) and isinstance(node.op, ast.Add):
            return left + right
        _need_number(left, node.left)
        _need_number(right, node.right)
        if isinstance(node.op, ast.Pow) and (abs(right) > 64 or abs(left) > 1e6):
            raise TemplateError("power too large", node)
        try:
            value = _BINOPS[type(node.op)](left, right)
        except ArithmeticError as exc:
            raise TemplateError(str(exc), node) from None
        if isinstance(value, complex):
            raise TemplateError("the result is complex", node)
        return value
    if isinstance(node, ast.BoolOp):
        value = evaluate(node.values[0], names)
        for operand in node.values[1:]:
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
            value = evaluate(operand, names)
        return value
    if isinstance(node, ast.Compare):
        left = evaluate(node.left, names)
        for op, comparator in zip(node.ops, node.comparators):
            right = evaluate(comparator, names)
            if left is UNKNOWN or right is UNKNOWN:  # unequal to everything, itself included
                if isinstance(op, (ast.NotEq, ast.NotIn)):
                    left = right
                    continue
                return False
            try:
                if not _CMPOPS[type(op)](left, right):
                    return False
            except TypeError:  # "relu" < 3: the condition does not hold
                return False
            except KeyError:
                raise TemplateError("use ==, !=, <, <=, >, >=, in, not in", node) from None
            left = right
        return True
    if isinstance(node, ast.IfExp):
        return evaluate(node.body if evaluate(node.test, names) else node.orelse, names)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS \
            and not node.keywords:
        args = [evaluate(a, names) for a in node.args]
        try:
            return FUNCTIONS[node.func.id](*args)
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise TemplateError(f"{node.func.id}(): {exc}", node) from None
    raise TemplateError(f"{type(node).__name__.lower()} expressions are not allowed in a "
                         "template (numbers, strings, x, arithmetic, comparisons, lists, "
                         "int/float/round/min/max/abs)", node)


def _need_number(value, node) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TemplateError(f"arithmetic on {value!r}, which is not a number", node)


def _check_names(node: ast.AST, allowed) -> None:
    """Load-time check: every free name in the template is one the evaluator knows."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            if not (isinstance(sub.func, ast.Name) and sub.func.id in FUNCTIONS):
                raise TemplateError("only int, float, round, min, max and abs can be called "
                                     "in a template", sub)
            if sub.keywords:
                raise TemplateError(f"{sub.func.id}() takes no keyword arguments here", sub)
        elif isinstance(sub, ast.Name) and sub.id not in FUNCTIONS and sub.id not in allowed:
            raise TemplateError(f"unknown name {sub.id!r}{suggest(sub.id, allowed)}; a "
                                 "template knows x (the value found in the program)", sub)
        elif isinstance(sub, (ast.Lambda, ast.Attribute, ast.Subscript, ast.ListComp, ast.SetComp,
                              ast.DictComp, ast.GeneratorExp, ast.NamedExpr, ast.JoinedStr,
                              ast.Starred, ast.Dict, ast.Set, ast.Await, ast.Yield)):
            raise TemplateError(f"{type(sub).__name__.lower()} expressions are not allowed in "
                                 "a template", sub)


@dataclass(eq=False)
class Template:
    """A parsed ``values`` template: a candidate list (oneof), oneof/floatv/intv over
    expressions of x, or a marker (objective, metric, report) passed through as written."""

    text: str
    kind: str  # "oneof" | "floatv" | "intv" | "marker"
    items: list = field(default_factory=list)  # candidate nodes, or [lo, hi] nodes
    options: dict = field(default_factory=dict)  # option name -> evaluated constant
    choices: bool = False  # values = "choices": the candidates are the option's own choices=


def parse_template(text: str) -> Template:
    """Parse a ``values`` string (raises TemplateError with the offending node)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise TemplateError(f"not a Python expression: {exc.msg}") from None
    body = tree.body
    head = body.func if isinstance(body, ast.Call) else body
    if isinstance(head, ast.Name) and head.id in MARKERS:
        return Template(text.strip(), "marker")
    if isinstance(body, ast.Name) and body.id == CHOICES:
        return Template(text.strip(), "oneof", choices=True)
    if isinstance(body, (ast.List, ast.Tuple)):
        items = body.elts
        kind, options = "oneof", {}
    elif isinstance(body, ast.Call) and isinstance(body.func, ast.Name) \
            and body.func.id in TEMPLATE_PRIMITIVES:
        kind = body.func.id
        options = {}
        for kw in body.keywords:
            allowed = {"oneof": ("name", "group"), "floatv": ("scale", "name", "group"),
                       "intv": ("step", "scale", "name", "group")}[kind]
            if kw.arg not in allowed:
                raise TemplateError(f"{kind} takes no option {kw.arg!r} in a rule"
                                     f"{suggest(str(kw.arg), allowed)}", kw.value)
            if not isinstance(kw.value, ast.Constant):
                raise TemplateError(f"option {kw.arg}= is a constant", kw.value)
            options[kw.arg] = kw.value.value
        if kind == "oneof":
            if len(body.args) != 1 or not isinstance(body.args[0], (ast.List, ast.Tuple)):
                raise TemplateError("oneof takes one list of candidates: oneof([x // 2, x, "
                                     "x * 2])", body)
            items = body.args[0].elts
        else:
            if len(body.args) != 2:
                raise TemplateError(f"{kind} takes lo and hi: {kind}(x / 10, x * 10)", body)
            items = body.args
    elif isinstance(body, ast.Call) and isinstance(body.func, ast.Name) \
            and body.func.id in ("manyof", "permutate"):
        raise TemplateError(f"{body.func.id} picks several values, but a rule selects one; use "
                             "oneof, floatv or intv", body)
    else:
        raise TemplateError("values is a candidate list ([x // 2, x, x * 2]) or oneof/floatv/"
                             "intv over x, or a marker (objective, metric(\"name\"), report)", body)
    if not items:
        raise TemplateError("the candidate list is empty", body)
    for item in items:
        _check_names(item, ("x", "True", "False", "None"))
    return Template(text.strip(), kind, list(items), options)


def format_value(value, exact: bool = False) -> str:
    if isinstance(value, float):
        if not exact:  # 0.30000000000000004 -> 0.3; the program's own value is kept exact
            value = float(f"{value:.12g}")
        return repr(value)
    if isinstance(value, str):
        if '"' not in value and "\\" not in value and value.isprintable():
            return f'"{value}"'
        return repr(value)
    return repr(value)


def _literal_ok(value) -> bool:
    if value is None or isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, tuple):
        return all(_literal_ok(v) for v in value)
    return False


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


class MatchError(Exception):
    pass


def instantiate(template: Template, x, dedupe: bool = False, choices=None) -> str:
    """The spec text for literal value ``x`` (raises MatchError when the template does not
    fit it: an error in the arithmetic, a non-literal or repeated candidate, x not a point).
    ``choices``: the option's literal ``choices=`` list, for ``values = "choices"``."""
    if template.kind == "marker":
        return template.text
    if template.choices:
        if choices is None:
            raise MatchError("the option declares no literal choices= list")
        values = list(choices)
    else:
        names = {"x": x, "True": True, "False": False, "None": None}
        try:
            values = [evaluate(item, names) for item in template.items]
        except TemplateError as exc:
            raise MatchError(f"the template fails on x = {x!r}: {exc.message}") from None
    for value in values:
        if not _literal_ok(value):
            raise MatchError(f"the template gives {value!r} for x = {x!r}, which is not a "
                              "literal (number, string, True/False/None)")
    options = "".join(f", {k}={format_value(v)}" for k, v in sorted(template.options.items()))
    if template.kind == "oneof":
        if dedupe:
            kept: list = []
            for value in values:
                same = next((i for i, k in enumerate(kept) if _same(k, value)), None)
                if same is None:
                    kept.append(value)
                elif type(value) is type(x) and value == x:  # the program's 0 wins over 0.0
                    kept[same] = value
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in kept):
                kept.sort()
            values = kept
        for i, value in enumerate(values):
            for j in range(i):
                if _same(values[j], value):
                    raise MatchError(f"the template gives {format_value(value)} twice for x = "
                                      f"{format_value(x)} ({', '.join(map(format_value, values))})")
        if not any(_same(v, x) and type(v) is type(x) for v in values):  # 64 is not 64.0
            raise MatchError(f"the value {format_value(x)} is not among the candidates "
                              f"[{', '.join(map(format_value, values))}]")
        # the candidate equal to x is written as x itself (-0.0 from 0.0 is the program's 0.0)
        texts = [format_value(x, exact=True) if type(v) is type(x) and v == x else format_value(v)
                 for v in values]
        return f"oneof([{', '.join(_distinct_texts(texts, values, x, dedupe))}]{options})"
    lo, hi = values
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise MatchError(f"{template.kind} needs a number, found {format_value(x)}")
    for bound in (lo, hi):
        if isinstance(bound, bool) or not isinstance(bound, (int, float)):
            raise MatchError(f"{template.kind} bounds are numbers, got {bound!r}")
    if template.kind == "intv":
        if not isinstance(x, int):
            raise MatchError(f"intv needs an integer, found {format_value(x)}")
        lo, hi = int(math.floor(lo)), int(math.ceil(hi))
    if not lo < hi:
        raise MatchError(f"the template gives an empty range [{format_value(lo)}, {format_value(hi)}] for "
                          f"x = {format_value(x)}")
    if template.options.get("scale") == "log" and lo <= 0:
        raise MatchError(f"scale=\"log\" needs lo > 0, the template gives {format_value(lo)} for "
                          f"x = {format_value(x)}")
    if not lo <= x <= hi:
        raise MatchError(f"the value {format_value(x)} is outside [{format_value(lo)}, {format_value(hi)}]")
    step = template.options.get("step")
    if isinstance(step, int) and step > 1 and (x - lo) % step:
        raise MatchError(f"the value {format_value(x)} is not on the step grid from {lo} by {step}")
    lo_text = format_value(lo, exact=float(format_value(lo)) > x)  # tidying must not move x outside
    hi_text = format_value(hi, exact=float(format_value(hi)) < x)
    return f"{template.kind}({lo_text}, {hi_text}{options})"


def _distinct_texts(texts: list, values: list, x, dedupe: bool) -> list:
    """``texts`` (the candidates as written), checked once more for repeats as the compiler
    reads them: tidied floats can coincide where the values did not (x = -2.2e-16 gives x // 2
    = -1.0 and x - 1 = -1.0000000000000002, both written -1.0). A repeat is a MatchError, or
    with ``dedupe`` dropped (the program's own value is the one kept)."""
    read: list = []
    out: list = []
    for text, value in zip(texts, values):
        parsed = ast.literal_eval(text)
        same = next((i for i, r in enumerate(read) if _same(r, parsed)), None)
        if same is None:
            read.append(parsed)
            out.append(text)
        elif not dedupe:
            raise MatchError(f"the template gives {text} twice for x = {format_value(x)} "
                             f"({', '.join(texts)})")
        elif type(value) is type(x) and value == x:
            out[same] = text
    return out


def instantiate_names(template: Template, x: str, dedupe: bool = False) -> list[str]:
    """The candidate names a callee template gives for the called name ``x`` (raises
    MatchError unless they are distinct identifiers with x among them)."""
    try:
        values = [evaluate(item, {"x": x}) for item in template.items]
    except TemplateError as exc:
        raise MatchError(f"the template fails on x = {x!r}: {exc.message}") from None
    if dedupe:
        values = list(dict.fromkeys(values))
    for value in values:
        if not (isinstance(value, str) and value.isidentifier()):
            raise MatchError(f"a callee template gives names, not {value!r}")
    if len(set(values)) != len(values):
        raise MatchError(f"the template gives a name twice ({', '.join(values)})")
    if x not in values:
        raise MatchError(f"{x} is not among the candidates {', '.join(values)}")
    return values


def check_where(node: ast.expr) -> None:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            if not (isinstance(sub.func, ast.Name) and sub.func.id in FUNCTIONS):
                raise TemplateError("only int, float, round, min, max and abs can be called", sub)
        elif isinstance(sub, (ast.Lambda, ast.Attribute, ast.Subscript, ast.ListComp, ast.SetComp,
                              ast.DictComp, ast.GeneratorExp, ast.NamedExpr, ast.JoinedStr,
                              ast.Starred, ast.Dict, ast.Set, ast.Await, ast.Yield)):
            raise TemplateError(f"{type(sub).__name__.lower()} expressions are not allowed", sub)


def literal_value(node: ast.expr):
    """(True, value) for a literal the rules can take as x: a number (maybe negative), a
    string, True/False/None, or a constant number expression (``int(1e6)``, ``2 ** 10``,
    ``1e-3 * 5``: the value it evaluates to, the whole expression being the site);
    (False, None) otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool)) \
            or (isinstance(node, ast.Constant) and node.value is None):
        if isinstance(node.value, float) and not math.isfinite(node.value):
            return False, None
        return True, node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
            and isinstance(node.operand, ast.Constant) \
            and isinstance(node.operand.value, (int, float)) \
            and not isinstance(node.operand.value, bool):
        return True, -node.operand.value
    if isinstance(node, (ast.BinOp, ast.Call, ast.UnaryOp)):
        value = number(node)
        if value is not None and (not isinstance(value, float) or math.isfinite(value)):
            return True, value
    return False, None

