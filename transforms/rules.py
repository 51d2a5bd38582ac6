"""Rules files: sites chosen from outside the program, with no edit to it (DESIGN 2.3).

A rules file is TOML: a list of ``[[rule]]`` tables, each with one selector and a template
(the schema, with examples, is in ``docs/rules.md``)::

    [[rule]]
    call = "keras.layers.Dense"      # qualified callee (glob), resolved through the imports
    arg = "units"                    # keyword, or positional where the signature is known
    values = "[x // 2, x, x * 2]"    # candidates relative to the literal x found there

    [[rule]]
    assign = "learning_rate"         # or: param = "hidden_*" (a function parameter default)
    values = 'floatv(x / 10, x * 10, scale="log")'

This pass reads the program with ``ast`` (it never runs it), finds each literal a rule
selects, evaluates the template with a tiny arithmetic evaluator (never ``eval``), checks that
the literal is a legal point of the result, and hands the compiler a spec text per value
(``RuleSite``); from there a rule site is a site like a ``# glovec:`` marker's. Rules are tried
in file order and the first one that selects a value takes it.

Diagnostics about the rules file point into the rules file (``RuleDiagnostic`` carries its
path); diagnostics about a match point into the program.
"""

from __future__ import annotations

import ast
import fnmatch
import math
import os
import re
from dataclasses import dataclass, field
from importlib import resources

from .diagnostics import Diagnostic, suggest
from .imports import ImportMap

PRESETS = ("keras", "pytorch")
SELECTORS = ("call", "assign", "param")
RULE_KEYS = ("name", "call", "arg", "assign", "param", "values", "where", "in_function",
             "in_class", "optional", "skip", "dedupe", "id")
TOP_KEYS = ("version", "extends", "rule")
TEMPLATE_PRIMITIVES = ("oneof", "floatv", "intv")
MARKERS = ("objective", "metric", "report")
FUNCTIONS = {"int": int, "float": float, "round": round, "min": min, "max": max, "abs": abs}
CALLEE = "callee"  # arg = "callee": the called name itself (nn.ReLU in nn.ReLU())


class RuleDiagnostic(Diagnostic):
    """A diagnostic about the rules file itself: always rendered with the rules file's path."""

    def render(self, path: str | None = None) -> str:
        return super().render(self.path if self.path is not None else path)


class RulesError(Exception):
    """Raised by ``load_rules`` when the file cannot be used; carries the diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(d.render() for d in self.diagnostics))


# ---- templates ---------------------------------------------------------------------------


class _TemplateError(Exception):
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
    (int, float, round, min, max, abs). Raises _TemplateError for anything else."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        raise _TemplateError(f"unknown name {node.id!r}", node)
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
            raise _TemplateError("power too large", node)
        try:
            value = _BINOPS[type(node.op)](left, right)
        except ArithmeticError as exc:
            raise _TemplateError(str(exc), node) from None
        if isinstance(value, complex):
            raise _TemplateError("the result is complex", node)
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
                raise _TemplateError("use ==, !=, <, <=, >, >=, in, not in", node) from None
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
            raise _TemplateError(f"{node.func.id}(): {exc}", node) from None
    raise _TemplateError(f"{type(node).__name__.lower()} expressions are not allowed in a "
                         "template (numbers, strings, x, arithmetic, comparisons, lists, "
                         "int/float/round/min/max/abs)", node)


def _need_number(value, node) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _TemplateError(f"arithmetic on {value!r}, which is not a number", node)


def _check_names(node: ast.AST, allowed) -> None:
    """Load-time check: every free name in the template is one the evaluator knows."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            if not (isinstance(sub.func, ast.Name) and sub.func.id in FUNCTIONS):
                raise _TemplateError("only int, float, round, min, max and abs can be called "
                                     "in a template", sub)
            if sub.keywords:
                raise _TemplateError(f"{sub.func.id}() takes no keyword arguments here", sub)
        elif isinstance(sub, ast.Name) and sub.id not in FUNCTIONS and sub.id not in allowed:
            raise _TemplateError(f"unknown name {sub.id!r}{suggest(sub.id, allowed)}; a "
                                 "template knows x (the value found in the program)", sub)
        elif isinstance(sub, (ast.Lambda, ast.Attribute, ast.Subscript, ast.ListComp, ast.SetComp,
                              ast.DictComp, ast.GeneratorExp, ast.NamedExpr, ast.JoinedStr,
                              ast.Starred, ast.Dict, ast.Set, ast.Await, ast.Yield)):
            raise _TemplateError(f"{type(sub).__name__.lower()} expressions are not allowed in "
                                 "a template", sub)


@dataclass(eq=False)
class Template:
    """A parsed ``values`` template: a candidate list (oneof), oneof/floatv/intv over
    expressions of x, or a marker (objective, metric, report) passed through as written."""

    text: str
    kind: str  # "oneof" | "floatv" | "intv" | "marker"
    items: list = field(default_factory=list)  # candidate nodes, or [lo, hi] nodes
    options: dict = field(default_factory=dict)  # option name -> evaluated constant


def parse_template(text: str) -> Template:
    """Parse a ``values`` string (raises _TemplateError with the offending node)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise _TemplateError(f"not a Python expression: {exc.msg}") from None
    body = tree.body
    head = body.func if isinstance(body, ast.Call) else body
    if isinstance(head, ast.Name) and head.id in MARKERS:
        return Template(text.strip(), "marker")
    if isinstance(body, (ast.List, ast.Tuple)):
        items = body.elts
        kind, options = "oneof", {}
    elif isinstance(body, ast.Call) and isinstance(body.func, ast.Name) \
            and body.func.id in TEMPLATE_PRIMITIVES:
        kind = body.func.id
        options = {}
        for kw in body.keywords:
            allowed = {"oneof": ("name",), "floatv": ("scale", "name"),
                       "intv": ("step", "scale", "name")}[kind]
            if kw.arg not in allowed:
                raise _TemplateError(f"{kind} takes no option {kw.arg!r} in a rule"
                                     f"{suggest(str(kw.arg), allowed)}", kw.value)
            if not isinstance(kw.value, ast.Constant):
                raise _TemplateError(f"option {kw.arg}= is a constant", kw.value)
            options[kw.arg] = kw.value.value
        if kind == "oneof":
            if len(body.args) != 1 or not isinstance(body.args[0], (ast.List, ast.Tuple)):
                raise _TemplateError("oneof takes one list of candidates: oneof([x // 2, x, "
                                     "x * 2])", body)
            items = body.args[0].elts
        else:
            if len(body.args) != 2:
                raise _TemplateError(f"{kind} takes lo and hi: {kind}(x / 10, x * 10)", body)
            items = body.args
    elif isinstance(body, ast.Call) and isinstance(body.func, ast.Name) \
            and body.func.id in ("manyof", "permutate"):
        raise _TemplateError(f"{body.func.id} picks several values, but a rule selects one; use "
                             "oneof, floatv or intv", body)
    else:
        raise _TemplateError("values is a candidate list ([x // 2, x, x * 2]) or oneof/floatv/"
                             "intv over x, or a marker (objective, metric(\"name\"), report)", body)
    if not items:
        raise _TemplateError("the candidate list is empty", body)
    for item in items:
        _check_names(item, ("x", "True", "False", "None"))
    return Template(text.strip(), kind, list(items), options)


def _format(value, exact: bool = False) -> str:
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


class _MatchError(Exception):
    pass


def instantiate(template: Template, x, dedupe: bool = False) -> str:
    """The spec text for literal value ``x`` (raises _MatchError when the template does not
    fit it: an error in the arithmetic, a non-literal or repeated candidate, x not a point)."""
    if template.kind == "marker":
        return template.text
    names = {"x": x, "True": True, "False": False, "None": None}
    try:
        values = [evaluate(item, names) for item in template.items]
    except _TemplateError as exc:
        raise _MatchError(f"the template fails on x = {x!r}: {exc.message}") from None
    for value in values:
        if not _literal_ok(value):
            raise _MatchError(f"the template gives {value!r} for x = {x!r}, which is not a "
                              "literal (number, string, True/False/None)")
    options = "".join(f", {k}={_format(v)}" for k, v in sorted(template.options.items()))
    if template.kind == "oneof":
        if dedupe:
            kept: list = []
            for value in values:
                if not any(_same(k, value) for k in kept):
                    kept.append(value)
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in kept):
                kept.sort()
            values = kept
        for i, value in enumerate(values):
            for j in range(i):
                if _same(values[j], value):
                    raise _MatchError(f"the template gives {_format(value)} twice for x = "
                                      f"{_format(x)} ({', '.join(map(_format, values))})")
        if not any(_same(v, x) and type(v) is type(x) for v in values):  # 64 is not 64.0
            raise _MatchError(f"the value {_format(x)} is not among the candidates "
                              f"[{', '.join(map(_format, values))}]")
        texts = [_format(v, exact=type(v) is type(x) and v == x) for v in values]
        return f"oneof([{', '.join(texts)}]{options})"
    lo, hi = values
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise _MatchError(f"{template.kind} needs a number, found {_format(x)}")
    for bound in (lo, hi):
        if isinstance(bound, bool) or not isinstance(bound, (int, float)):
            raise _MatchError(f"{template.kind} bounds are numbers, got {bound!r}")
    if template.kind == "intv":
        if not isinstance(x, int):
            raise _MatchError(f"intv needs an integer, found {_format(x)}")
        lo, hi = int(math.floor(lo)), int(math.ceil(hi))
    if not lo < hi:
        raise _MatchError(f"the template gives an empty range [{_format(lo)}, {_format(hi)}] for "
                          f"x = {_format(x)}")
    if template.options.get("scale") == "log" and lo <= 0:
        raise _MatchError(f"scale=\"log\" needs lo > 0, the template gives {_format(lo)} for "
                          f"x = {_format(x)}")
    if not lo <= x <= hi:
        raise _MatchError(f"the value {_format(x)} is outside [{_format(lo)}, {_format(hi)}]")
    step = template.options.get("step")
    if isinstance(step, int) and step > 1 and (x - lo) % step:
        raise _MatchError(f"the value {_format(x)} is not on the step grid from {lo} by {step}")
    lo_text = _format(lo, exact=float(_format(lo)) > x)  # tidying must not move x outside
    hi_text = _format(hi, exact=float(_format(hi)) < x)
    return f"{template.kind}({lo_text}, {hi_text}{options})"


def instantiate_names(template: Template, x: str, dedupe: bool = False) -> list[str]:
    """The candidate names a callee template gives for the called name ``x`` (raises
    _MatchError unless they are distinct identifiers with x among them)."""
    try:
        values = [evaluate(item, {"x": x}) for item in template.items]
    except _TemplateError as exc:
        raise _MatchError(f"the template fails on x = {x!r}: {exc.message}") from None
    if dedupe:
        values = list(dict.fromkeys(values))
    for value in values:
        if not (isinstance(value, str) and value.isidentifier()):
            raise _MatchError(f"a callee template gives names, not {value!r}")
    if len(set(values)) != len(values):
        raise _MatchError(f"the template gives a name twice ({', '.join(values)})")
    if x not in values:
        raise _MatchError(f"{x} is not among the candidates {', '.join(values)}")
    return values


# ---- loading -----------------------------------------------------------------------------


@dataclass(eq=False)
class Rule:
    index: int  # position in the rule set (after extends)
    path: str
    line: int  # the [[rule]] header
    name: str | None
    selector: str
    pattern: tuple[str, ...]
    arg: str | None
    template: Template | None
    where: ast.expr | None
    in_function: str | None
    in_class: str | None
    optional: bool
    skip: bool
    dedupe: bool
    positions: dict
    site_id: str | None = None  # `id`: a format string for the site id  # key -> (line, col) of its value in the rules file
    col: int = 1  # the [[rule]] header's column

    @property
    def label(self) -> str:
        return f"rule {self.name!r}" if self.name else f"the rule at {self.path}:{self.line}"


@dataclass(eq=False)
class RuleSet:
    """The rules of one file (its ``extends`` presets appended after its own rules)."""

    path: str
    rules: list[Rule]


def preset_path(name: str) -> str:
    return str(resources.files("glovec.transforms").joinpath("presets", f"{name}.toml"))


def resolve_rules_path(spec: str) -> str:
    """A preset name (``keras``, ``pytorch``) or a path; raises RulesError when neither."""
    if spec in PRESETS:
        return preset_path(spec)
    if os.path.isfile(spec):
        return spec
    hint = suggest(spec, PRESETS) if os.sep not in spec and not spec.endswith(".toml") else ""
    raise RulesError([RuleDiagnostic(
        "GV301", f"no rules file {spec!r} and no preset of that name (presets: "
        f"{', '.join(PRESETS)}){hint}", 1, 1, path=spec)])


_CACHE: dict[tuple, RuleSet] = {}


def load_rules(spec, *, _seen: tuple = ()) -> RuleSet:
    """A RuleSet from a path, a preset name, or a RuleSet (returned as is).
    Raises RulesError with diagnostics that point into the rules file."""
    if isinstance(spec, RuleSet):
        return spec
    path = resolve_rules_path(os.fspath(spec))
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise RulesError([RuleDiagnostic("GV301", f"cannot read the rules file: "
                                         f"{exc.strerror or exc}", 1, 1, path=path)]) from None
    key = (os.path.abspath(path), data)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise RulesError([RuleDiagnostic("GV301", "the rules file is not UTF-8 text", 1, 1,
                                         path=path)]) from None
    ruleset = parse_rules(text, path, _seen=_seen + (os.path.abspath(path),))
    _CACHE[key] = ruleset
    return ruleset


_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def parse_rules(text: str, path: str, *, _seen: tuple = ()) -> RuleSet:
    """Parse and check a rules file's text (raises RulesError)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the same parser, as a package
        import tomli as tomllib
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_AT.search(message)
        line, col = (int(match.group(1)), int(match.group(2))) if match else (
            text.count("\n") + 1, 1)
        message = _TOML_AT.sub("", message).strip()
        raise RulesError([RuleDiagnostic("GV302", f"TOML: {message}", line, col, path=path)]) \
            from None
    where = _Locator(text)
    diagnostics: list[Diagnostic] = []

    def error(code: str, message: str, at: tuple[int, int]) -> None:
        diagnostics.append(RuleDiagnostic(code, message, at[0], at[1], path=path))

    for key in doc:
        if key not in TOP_KEYS:
            error("GV303", f"unknown key {key!r}{suggest(key, TOP_KEYS)} (a rules file has "
                  "version, extends and [[rule]] tables)", where.top(key))
    version = doc.get("version", 1)
    if version != 1:
        error("GV303", f"version {version!r} is not supported (this glovec reads version 1)",
              where.top("version"))
    raw_rules = doc.get("rule", [])
    if not isinstance(raw_rules, list) or not all(isinstance(r, dict) for r in raw_rules):
        error("GV303", "rules are written as [[rule]] tables", where.top("rule"))
        raw_rules = []
    rules: list[Rule] = []
    for number, raw in enumerate(raw_rules):
        rule = _parse_rule(raw, number, path, where, error)
        if rule is not None:
            rules.append(rule)
    extends = doc.get("extends", [])
    if isinstance(extends, str):
        extends = [extends]
    if not isinstance(extends, list) or not all(isinstance(e, str) for e in extends):
        error("GV303", "extends is a preset name or rules file path, or a list of them",
              where.top("extends"))
        extends = []
    for name in extends:
        base = os.path.dirname(path)
        target = name if name in PRESETS or os.path.isabs(name) else os.path.join(base, name)
        try:
            resolved = resolve_rules_path(target)
        except RulesError:
            error("GV301", f"extends {name!r}: no rules file or preset of that name"
                  f"{suggest(name, PRESETS)}", where.top("extends"))
            continue
        if os.path.abspath(resolved) in _seen:
            error("GV303", f"extends {name!r} includes this file again", where.top("extends"))
            continue
        try:
            rules.extend(load_rules(target, _seen=_seen).rules)
        except RulesError as exc:
            diagnostics.extend(exc.diagnostics)
    if diagnostics:
        raise RulesError(diagnostics)
    for i, rule in enumerate(rules):  # indices in this set's order
        if rule.index != i:
            rules[i] = _copy_rule(rule, i)
    return RuleSet(path, rules)


def _copy_rule(rule: Rule, index: int) -> Rule:
    return Rule(**{**rule.__dict__, "index": index})


def _parse_rule(raw: dict, number: int, path: str, where: "_Locator", error) -> Rule | None:
    header = where.rule(number)

    def at(key: str) -> tuple[int, int]:
        return where.key(number, key)

    ok = True
    for key in raw:
        if key not in RULE_KEYS:
            error("GV303", f"unknown key {key!r} in a rule{suggest(key, RULE_KEYS)}", at(key))
            ok = False
    for key in ("name", "arg", "values", "where", "in_function", "in_class", "id"):
        if key in raw and not isinstance(raw[key], str):
            error("GV303", f"{key} is a string", at(key))
            ok = False
    for key in SELECTORS:
        if key in raw:
            value = raw[key]
            if isinstance(value, str):
                value = [value]
            if not (isinstance(value, list) and value
                    and all(isinstance(v, str) and v.strip() for v in value)):
                error("GV303", f"{key} is a pattern (a string, * and ? as wildcards) or a list "
                      "of patterns", at(key))
                ok = False
    for key in ("optional", "skip", "dedupe"):
        if key in raw and not isinstance(raw[key], bool):
            error("GV303", f"{key} is true or false", at(key))
            ok = False
    if not ok:
        return None
    selectors = [key for key in SELECTORS if key in raw]
    if len(selectors) != 1:
        what = "none" if not selectors else " and ".join(selectors)
        error("GV304", f"a rule has exactly one selector: call (with arg), assign or param; "
              f"this one has {what}", at(selectors[1]) if len(selectors) > 1 else header)
        return None
    selector = selectors[0]
    if selector == "call" and "arg" not in raw:
        error("GV304", "a call rule names the argument it selects: arg = \"units\" (or "
              "arg = \"arg0\" for the first positional argument)", at("call"))
        return None
    if selector != "call" and "arg" in raw:
        error("GV304", f"arg goes with call, not with {selector}", at("arg"))
        return None
    if raw.get("arg") is not None and not (raw["arg"].isidentifier()):
        error("GV304", f"arg is a parameter name or argN, not {raw['arg']!r}", at("arg"))
        return None
    skip = raw.get("skip", False)
    template = None
    if "values" in raw:
        if skip:
            error("GV304", "a rule with skip = true takes no values (it keeps what it "
                  "selects out of the search)", at("values"))
            return None
        template = _template_or_error(raw["values"], at("values"), where, error)
        if template is None:
            return None
        if raw.get("arg") == CALLEE and template.kind != "oneof":
            error("GV305", "a callee rule chooses among names: values = '[\"ReLU\", \"GELU\"]'",
                  at("values"))
            return None
        if template.kind == "marker" and selector != "assign":
            error("GV305", f"a marker ({template.text}) marks an assigned value; use it with "
                  "assign", at("values"))
            return None
    elif not skip:
        error("GV304", "a rule needs values (the candidates) or skip = true", header)
        return None
    condition = None
    if "where" in raw:
        try:
            condition = ast.parse(raw["where"].strip(), mode="eval").body
            _check_where(condition)
        except SyntaxError as exc:
            error("GV305", f"where: not a Python expression: {exc.msg}", at("where"))
            return None
        except _TemplateError as exc:
            error("GV305", f"where: {exc.message}", where.inside(number, "where", raw["where"], exc.node))
            return None
    if "id" in raw:
        problem = _check_id(raw["id"])
        if problem is None and template is not None and "name" in template.options:
            problem = "give the site id with id or with name= in values, not both"
        if problem is not None:
            error("GV305", f"id: {problem}", at("id"))
            return None
    patterns = raw[selector] if isinstance(raw[selector], list) else [raw[selector]]
    if selector != "call":  # names in programs vary in case: LR, lr, Batch_Size
        patterns = [p.lower() for p in patterns]
    return Rule(number, path, header[0], raw.get("name"), selector,
                tuple(p.strip() for p in patterns), raw.get("arg"), template, condition,
                raw.get("in_function"), raw.get("in_class"), raw.get("optional", False), skip,
                raw.get("dedupe", False), {key: at(key) for key in raw}, raw.get("id"), header[1])


ID_FIELDS = "x, target, function, param, dest, arg0, arg1, ... and the call's keyword arguments"


def _check_id(text: str) -> str | None:
    import string

    try:
        names = [f for _, f, _spec, _conv in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        return f"not a format string: {exc}"
    for name in names:
        if not name.isidentifier():
            return f"{{{name}}}: fields are plain names ({ID_FIELDS})"
    if not text.strip():
        return "empty"
    return None


_ID_JUNK = re.compile(r"[^A-Za-z0-9_.\-/]+")


def _dest(arguments: dict) -> str | None:
    """argparse's dest for an add_argument call: dest=, else the first long option, else the
    first option, without dashes and with '-' as '_'."""
    ok, dest = literal_value(arguments["dest"]) if "dest" in arguments else (False, None)
    if ok and isinstance(dest, str):
        return dest
    options = []
    for i in range(8):
        node = arguments.get(f"arg{i}")
        if not isinstance(node, ast.expr):
            break
        ok, value = literal_value(node)
        if not (ok and isinstance(value, str)):
            break
        options.append(value)
    if not options:
        return None
    long = next((o for o in options if o.startswith("--")), options[0])
    return long.lstrip("-").replace("-", "_") or None


def _check_where(node: ast.expr) -> None:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            if not (isinstance(sub.func, ast.Name) and sub.func.id in FUNCTIONS):
                raise _TemplateError("only int, float, round, min, max and abs can be called", sub)
        elif isinstance(sub, (ast.Lambda, ast.Attribute, ast.Subscript, ast.ListComp, ast.SetComp,
                              ast.DictComp, ast.GeneratorExp, ast.NamedExpr, ast.JoinedStr,
                              ast.Starred, ast.Dict, ast.Set, ast.Await, ast.Yield)):
            raise _TemplateError(f"{type(sub).__name__.lower()} expressions are not allowed", sub)


def _template_or_error(text: str, at: tuple[int, int], where: "_Locator", error) -> Template | None:
    try:
        return parse_template(text)
    except _TemplateError as exc:
        line, col = at
        if exc.node is not None and "\n" not in text and where.plain_string(at):
            stripped = len(text) - len(text.lstrip())
            col = col + 1 + stripped + exc.node.col_offset  # after the opening quote
        error("GV305", f"values: {exc.message}", (line, col))
        return None


class _Locator:
    """Lines and columns of keys in a TOML text (tomllib gives values only)."""

    _KEY = re.compile(r"\s*([A-Za-z0-9_\-]+|\"[^\"]*\")\s*=\s*")
    _HEADER = re.compile(r"\s*(\[\[?)\s*([A-Za-z0-9_.\-]+)\s*\]\]?")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.tops: dict[str, tuple[int, int]] = {}
        self.headers: list[tuple[int, int]] = []
        self.keys: list[dict[str, tuple[int, int]]] = []
        table: str | None = None
        quote: str | None = None
        for number, line in enumerate(self.lines, 1):
            if quote is not None:  # inside a multi-line string
                if line.count(quote) % 2 == 1:
                    quote = None
                continue
            header = self._HEADER.match(line)
            if header and not self._KEY.match(line):
                table = header.group(2)
                if header.group(1) == "[[" and table == "rule":
                    self.headers.append((number, header.start(1) + 1))
                    self.keys.append({})
                else:
                    self.tops.setdefault(table, (number, header.start(2) + 1))
                continue
            key = self._KEY.match(line)
            if key:
                name = key.group(1).strip('"')
                position = (number, key.end() + 1)
                if table == "rule" and self.keys:
                    self.keys[-1].setdefault(name, position)
                elif table is None:
                    self.tops.setdefault(name, (number, key.start(1) + 1))
                rest = line[key.end():]
                for q in ('"""', "'''"):
                    if rest.startswith(q) and rest.count(q) == 1:
                        quote = q

    def top(self, key: str) -> tuple[int, int]:
        return self.tops.get(key, (1, 1))

    def rule(self, number: int) -> tuple[int, int]:
        return self.headers[number] if number < len(self.headers) else (1, 1)

    def key(self, number: int, key: str) -> tuple[int, int]:
        if number < len(self.keys) and key in self.keys[number]:
            return self.keys[number][key]
        return self.rule(number)

    def plain_string(self, at: tuple[int, int]) -> bool:
        """Whether the value at ``at`` is a one-line string whose characters map 1:1."""
        line, col = at
        if not 0 < line <= len(self.lines):
            return False
        text = self.lines[line - 1][col - 1:]
        if text.startswith("'") and not text.startswith("'''"):
            return True
        return text.startswith('"') and not text.startswith('"""') and "\\" not in text

    def inside(self, number: int, key: str, value: str, node) -> tuple[int, int]:
        at = self.key(number, key)
        if node is not None and "\n" not in value and self.plain_string(at):
            return at[0], at[1] + 1 + (len(value) - len(value.lstrip())) + node.col_offset
        return at


# ---- matching ----------------------------------------------------------------------------


@dataclass(eq=False)
class RuleSite:
    """One value a rule selects in the program: what the compiler makes a site of.

    ``start``/``end`` are character offsets of the value expression in the program text;
    ``line``/``col`` are 1-based (col in characters). ``kind`` says what the value is:
    ``"arg"`` (argument ``param`` of the call whose callee text is ``callee``; ``call_start``
    is the call's offset), ``"assign"`` (right-hand side of an assignment to ``target``) or
    ``"param"`` (default of parameter ``param`` of function ``function``)."""

    rule: Rule
    spec: str
    kind: str
    start: int
    end: int
    line: int
    col: int
    end_line: int
    end_col: int
    param: str | None = None
    callee: str | None = None
    qualified: str | None = None
    target: str | None = None
    function: str | None = None
    call_start: int | None = None
    scope: tuple[str, ...] = ()


@dataclass
class RulesResult:
    sites: list[RuleSite]
    diagnostics: list[Diagnostic]
    warnings: list[Diagnostic] = field(default_factory=list)  # GV312, at rules in the file


class _Offsets:
    """ast (line, UTF-8 byte column) -> character offsets in the program text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        for match in re.finditer(r"\r\n|\r|\n", text):
            self.starts.append(match.end())
        self.ascii = text.isascii()
        self._lines: dict[int, bytes] = {}

    def col(self, line: int, byte_col: int) -> int:
        if self.ascii or byte_col == 0:
            return byte_col
        raw = self._lines.get(line)
        if raw is None:
            start = self.starts[line - 1]
            end = self.starts[line] if line < len(self.starts) else len(self.text)
            raw = self._lines[line] = self.text[start:end].encode("utf-8")
        return len(raw[:byte_col].decode("utf-8", "replace"))

    def offset(self, line: int, byte_col: int) -> int:
        return self.starts[line - 1] + self.col(line, byte_col)


def literal_value(node: ast.expr):
    """(True, value) for a literal the rules can take as x: a number (maybe negative), a
    string, True/False/None; (False, None) otherwise."""
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
    return False, None


def _glob(pattern: str, name: str) -> bool:
    return fnmatch.fnmatchcase(name, pattern)


def _any_glob(patterns: tuple[str, ...], name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


class _Definitions(ast.NodeVisitor):
    """Same-file signatures: def parameters and a class's __init__ (without self)."""

    def __init__(self) -> None:
        self.defs: dict[str, tuple[str, ...] | None] = {}
        self.class_stack: list[str] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.class_stack.append(node.name)
        self.generic_visit(node)
        self.class_stack.pop()

    def _add(self, name: str, params: tuple[str, ...]) -> None:
        if name in self.defs and self.defs[name] != params:
            self.defs[name] = None
        else:
            self.defs[name] = params

    def visit_FunctionDef(self, node) -> None:
        params = tuple(a.arg for a in (*node.args.posonlyargs, *node.args.args))
        if self.class_stack:
            if node.name == "__init__":
                self._add(self.class_stack[-1], params[1:])
        else:
            self._add(node.name, params)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef


def _positional_names(imports: ImportMap, defs: dict, func: ast.expr, qualified: str | None):
    if isinstance(func, ast.Name) and func.id in defs and func.id not in imports.names:
        return defs[func.id]
    if qualified is None:
        return None
    from .signatures import lookup  # the compiler's tables (libcst import, loaded lazily)

    signature = lookup(qualified)
    return signature.positional if signature is not None else None


class _Matcher(ast.NodeVisitor):
    def __init__(self, ruleset: RuleSet, text: str, tree: ast.Module, path: str | None) -> None:
        self.ruleset = ruleset
        self.text = text
        self.offsets = _Offsets(text)
        self.imports = ImportMap.from_tree(tree)
        self.tree = tree
        self._defs: dict | None = None
        self.functions: list[str] = []
        self.classes: list[str] = []
        self.scope: list[str] = []
        self.claimed: dict[tuple[int, int], Rule] = {}
        self.sites: list[RuleSite] = []
        self.diagnostics: list[Diagnostic] = []
        self.path = path
        self.call_rules = [r for r in ruleset.rules if r.selector == "call"]
        self.assign_rules = [r for r in ruleset.rules if r.selector == "assign"]
        self.param_rules = [r for r in ruleset.rules if r.selector == "param"]
        self.fixed_lines = _fixed_lines(text)
        self.ids: set[str] = set()  # site ids given by rules' `id`
        self.matched: set[int] = set()  # indices of rules that selected some value
        self.near: dict[int, set[str]] = {}  # call rules: argument names of calls to the callee
        self.passed: set[int] = set()  # call rules whose arg some call to the callee passes
        self.names: set[str] = set()  # assigned names and parameter names (for suggestions)
        self._by_callee: dict[str, list[Rule]] = {}
        self._dispatch = {
            ast.ClassDef: self.visit_ClassDef, ast.FunctionDef: self.visit_FunctionDef,
            ast.AsyncFunctionDef: self.visit_FunctionDef, ast.Assign: self.visit_Assign,
            ast.AnnAssign: self.visit_AnnAssign, ast.Call: self.visit_Call,
            ast.JoinedStr: self.visit_JoinedStr,
        }

    @property
    def defs(self) -> dict:
        """Same-file signatures, found on first need (a positional argument of a plain name)."""
        if self._defs is None:
            finder = _Definitions()
            finder.visit(self.tree)
            self._defs = finder.defs
        return self._defs

    # a type -> handler table instead of NodeVisitor's name lookup per node: this walk is most
    # of the rules pass's time
    def visit(self, node: ast.AST) -> None:
        handler = self._dispatch.get(type(node))
        if handler is not None:
            handler(node)
        else:
            for child in ast.iter_child_nodes(node):
                self.visit(child)

    def generic_visit(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            self.visit(child)

    # -- scopes --
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for sub in (*node.decorator_list, *node.bases, *node.keywords):
            self.visit(sub)
        self.classes.append(node.name)
        self.scope.append(node.name)
        for stmt in node.body:
            self.visit(stmt)
        self.scope.pop()
        self.classes.pop()

    def visit_FunctionDef(self, node) -> None:
        for sub in node.decorator_list:
            self.visit(sub)
        if node.returns is not None:
            self.visit(node.returns)
        self.functions.append(node.name)
        self.scope.append(node.name)
        self._params(node)
        for sub in (*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)):
            self.visit(sub)
        for stmt in node.body:
            self.visit(stmt)
        self.scope.pop()
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def _in_scope(self, rule: Rule) -> bool:
        if rule.in_function is not None and not any(_glob(rule.in_function, f)
                                                    for f in self.functions):
            return False
        if rule.in_class is not None and not any(_glob(rule.in_class, c) for c in self.classes):
            return False
        return True

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        return  # a value inside an f-string cannot be a site: rules leave it alone

    # -- selectors --
    def _params(self, node) -> None:
        if not self.param_rules:
            return
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
        pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
        for arg, default in pairs:
            self.names.add(arg.arg)
            for rule in self.param_rules:
                if _any_glob(rule.pattern, arg.arg.lower()) and self._in_scope(rule):
                    self._take(rule, default, "param", {}, param=arg.arg, function=node.name)
                    break

    def visit_Assign(self, node: ast.Assign) -> None:
        if self.assign_rules and len(node.targets) == 1:
            self._assign(node.targets[0], node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if self.assign_rules and node.value is not None:
            self._assign(node.target, node.value)
        self.generic_visit(node)

    def _assign(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Name):
            full = last = target.id
        elif isinstance(target, ast.Attribute):
            full = ast.unparse(target)
            last = target.attr
        else:
            return
        self.names.add(last)
        for rule in self.assign_rules:
            if (_any_glob(rule.pattern, last.lower()) or _any_glob(rule.pattern, full.lower())) \
                    and self._in_scope(rule):
                self._take(rule, value, "assign", {}, target=full)
                return

    def visit_Call(self, node: ast.Call) -> None:
        if self.call_rules:
            self._call(node)
        self.generic_visit(node)

    def _call(self, node: ast.Call) -> None:
        qualified = self.imports.qualify(node.func)
        if qualified is None:
            return
        rules = self._by_callee.get(qualified)
        if rules is None:  # most programs call a few names many times
            rules = self._by_callee[qualified] = [
                r for r in self.call_rules if _any_glob(r.pattern, qualified)]
        if not rules:
            return
        starred = any(isinstance(arg, ast.Starred) for arg in node.args)
        arguments: dict[str, ast.expr] = {}
        for kw in node.keywords:
            if kw.arg is not None:
                arguments[kw.arg] = kw.value
        for i, arg in enumerate(node.args):
            if isinstance(arg, ast.Starred):
                break
            arguments[f"arg{i}"] = arg
        needs_positional = any(r.arg not in arguments and r.arg != CALLEE for r in rules)
        if needs_positional and node.args and not starred:
            positional = _positional_names(self.imports, self.defs, node.func, qualified)
            if positional:
                for name, arg in zip(positional, node.args):
                    arguments.setdefault(name, arg)
        # for where: "n_args == 0" (how many arguments the call passes)
        arguments.setdefault("n_args", len(node.args) + len(node.keywords))
        func = node.func
        callee = self.text[self.offsets.offset(func.lineno, func.col_offset):
                           self.offsets.offset(func.end_lineno, func.end_col_offset)]
        for rule in rules:
            if rule.arg == CALLEE:
                if self._in_scope(rule):
                    self._take_callee(rule, node, arguments, qualified, callee)
                continue
            value = arguments.get(rule.arg)
            if isinstance(value, ast.expr):
                self.passed.add(rule.index)
            else:
                self.near.setdefault(rule.index, set()).update(
                    name for name, node in arguments.items() if isinstance(node, ast.expr))
            if not isinstance(value, ast.expr) or not self._in_scope(rule):
                continue
            self._take(rule, value, "arg", arguments, param=rule.arg, callee=callee,
                       qualified=qualified, call=node)

    def _where(self, rule: Rule, x, arguments: dict) -> bool:
        names = {}
        for name, node in arguments.items():
            if isinstance(node, int):  # n_args
                names[name] = node
                continue
            ok, v = literal_value(node)
            names[name] = v if ok else UNKNOWN
        names.update({"x": x, "True": True, "False": False, "None": None})
        for sub in ast.walk(rule.where):
            if isinstance(sub, ast.Name):
                names.setdefault(sub.id, UNKNOWN)
        try:
            return bool(evaluate(rule.where, names))
        except _TemplateError:
            return False

    def _take_callee(self, rule: Rule, call: ast.Call, arguments: dict, qualified: str,
                     callee: str) -> None:
        """``arg = "callee"``: the called name itself, x being its last part (``ReLU`` in
        ``nn.ReLU()``); candidates are sibling names in the same module."""
        func = call.func
        if isinstance(func, ast.Attribute):
            x, prefix = func.attr, callee[: len(callee) - len(func.attr)]
        elif isinstance(func, ast.Name):
            x, prefix = func.id, None
        else:
            return
        if not self._claim(rule, func, x, arguments, check_where=True):
            return
        offsets = self.offsets
        line, col = func.lineno, offsets.col(func.lineno, func.col_offset)
        try:
            names = instantiate_names(rule.template, x, rule.dedupe)
            if prefix is None:  # a bare imported name: every candidate must be imported too
                module = qualified.rsplit(".", 1)[0]
                for name in names:
                    if name != x and self.imports.names.get(name, "").rsplit(".", 1)[0] != module:
                        raise _MatchError(f"{name} is not imported from {module} (import it, or "
                                          "call it through its module)")
            texts = [(prefix or "") + name for name in names]
        except _MatchError as exc:
            if not rule.optional:
                self.diagnostics.append(Diagnostic(
                    "GV310", f"{rule.label} selects this callee, but {exc}", line, col + 1,
                    path=self.path))
            return
        options = "".join(f", {k}={_format(v)}" for k, v in sorted(rule.template.options.items()))
        end_line, end_col = func.end_lineno, offsets.col(func.end_lineno, func.end_col_offset)
        self.sites.append(RuleSite(
            rule, f"oneof([{', '.join(texts)}]{options})", "callee",
            offsets.starts[line - 1] + col, offsets.starts[end_line - 1] + end_col, line, col + 1,
            end_line, end_col + 1, param=None, callee=callee, qualified=qualified,
            call_start=offsets.offset(call.lineno, call.col_offset), scope=tuple(self.scope)))

    def _site_id(self, rule: Rule, x, arguments: dict, **known) -> str | None:
        """The rule's ``id`` for this value (unique among the rules' ids), or None when a field
        it names has no value here (the compiler's id applies)."""
        fields = {k: v for k, v in known.items() if v is not None}
        fields["x"] = x
        fields["function"] = self.scope[-1] if self.scope else fields.get("function", "")
        for name, node in arguments.items():
            if isinstance(node, ast.expr):
                ok, value = literal_value(node)
                if ok and value is not None:
                    fields.setdefault(name, value)
        dest = _dest(arguments)
        if dest is not None:
            fields.setdefault("dest", dest)
        try:
            text = rule.site_id.format_map(fields)
        except (KeyError, ValueError, IndexError):
            return None
        base = _ID_JUNK.sub("_", text).strip("_.") or None
        if base is None or not base[0].isalnum() and base[0] != "_":
            return None
        name, n = base, 1
        while name in self.ids:
            n += 1
            name = f"{base}_{n}"
        self.ids.add(name)
        return name

    # -- taking a value --
    def _claim(self, rule: Rule, node: ast.AST, x, arguments: dict, *, check_where: bool) -> bool:
        """Whether ``rule`` takes ``node`` (x its value) and should turn it into a site.

        Counts the rule as matched (GV312) whenever it selects the value, even when the value is
        then held out: on a `# glovec: fixed` line (kept out of every search) or by ``skip``.
        A value an earlier rule claimed, or one its ``where`` refuses, is not selected."""
        if node.lineno in self.fixed_lines:
            self.matched.add(rule.index)
            return False
        key = (node.lineno, node.col_offset)
        if key in self.claimed:
            return False
        if check_where and rule.where is not None and not self._where(rule, x, arguments):
            return False
        self.claimed[key] = rule
        self.matched.add(rule.index)
        return not rule.skip

    def _take(self, rule: Rule, value: ast.expr, kind: str, arguments: dict, *, param=None,
              callee=None, qualified=None, target=None, function=None, call=None) -> None:
        is_literal, x = literal_value(value)
        if not is_literal and not (rule.template is not None and rule.template.kind == "marker"):
            return  # rules choose among literals; expressions stay as they are
        if not self._claim(rule, value, x, arguments, check_where=is_literal):
            return
        offsets = self.offsets
        line, col = value.lineno, offsets.col(value.lineno, value.col_offset)
        end_line, end_col = value.end_lineno, offsets.col(value.end_lineno, value.end_col_offset)
        try:
            spec = instantiate(rule.template, x, rule.dedupe)
            if rule.site_id is not None and rule.template.kind != "marker":
                name = self._site_id(rule, x, arguments, param=param, target=target,
                                     function=function)
                if name is not None:
                    spec = spec[:-1] + f', name="{name}")'
        except _MatchError as exc:
            if not rule.optional:
                self.diagnostics.append(Diagnostic(
                    "GV310", f"{rule.label} selects this value, but {exc}", line, col + 1,
                    path=self.path))
            return
        self.sites.append(RuleSite(
            rule, spec, kind, offsets.starts[line - 1] + col,
            offsets.starts[end_line - 1] + end_col, line, col + 1, end_line, end_col + 1,
            param=param, callee=callee, qualified=qualified, target=target, function=function,
            call_start=(offsets.offset(call.lineno, call.col_offset) if call is not None else None),
            scope=tuple(self.scope)))


_FIXED_RE = re.compile(r"#\s*glovec:\s*fixed\s*$")


def _fixed_lines(text: str) -> set[int]:
    if "glovec:" not in text:
        return set()
    return {n for n, line in enumerate(text.splitlines(), 1) if _FIXED_RE.search(line)}


def match_rules(ruleset, text: str, path: str | None = None, tree: ast.Module | None = None
                ) -> RulesResult:
    """Every value the rules select in program ``text`` (never raises for a program that
    parses; a program that does not parse gives no sites: the compiler reports it)."""
    ruleset = load_rules(ruleset)
    if tree is None:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            return RulesResult([], [])
    matcher = _Matcher(ruleset, text, tree, path)
    matcher.visit(tree)
    sites = sorted(matcher.sites, key=lambda s: s.start)
    return RulesResult(sites, matcher.diagnostics, _unmatched(ruleset, matcher, path))


def _own_rules(ruleset: RuleSet) -> list[Rule]:
    """The rules written in the rules file itself: not those of ``extends``, and none of a
    preset's (a preset has rules that a given program legitimately does not use)."""
    top = os.path.abspath(ruleset.path)
    if os.path.dirname(top) == os.path.dirname(os.path.abspath(preset_path("keras"))):
        return []
    return [r for r in ruleset.rules if os.path.abspath(r.path) == top]


def _unmatched(ruleset: RuleSet, matcher: "_Matcher", path: str | None) -> list[Diagnostic]:
    """GV312, a warning at each rule of the user's own file that selected nothing (a typo in a
    callee, an arg or a name quietly searches nothing); ``optional = true`` rules never warn."""
    warnings: list[Diagnostic] = []
    for rule in _own_rules(ruleset):
        if rule.optional or rule.index in matcher.matched:
            continue
        who = f"rule {rule.name!r}" if rule.name else "this rule"
        hint = ""
        # a guess at the name meant, for one plain name (a typo); not for globs or lists
        plain = len(rule.pattern) == 1 and not any(c in rule.pattern[0] for c in "*?[")

        def guess(choices) -> str:
            return suggest(rule.pattern[0], choices) if plain else ""

        if rule.selector == "call":
            callees = [q for q, rules in matcher._by_callee.items() if rule in rules]
            if not callees:
                hint = f": no call to {' or '.join(rule.pattern)}{guess(matcher._by_callee)}"
            elif rule.arg != CALLEE and rule.index not in matcher.passed:
                hint = (f": no call to {' or '.join(rule.pattern)} passes {rule.arg}"
                        f"{suggest(rule.arg, sorted(matcher.near.get(rule.index, ())))}")
        elif not any(_any_glob(rule.pattern, n.lower()) for n in matcher.names):
            what = "name" if rule.selector == "assign" else "parameter"
            hint = (f": no {what} {' or '.join(rule.pattern)}"
                    f"{guess(sorted({n.lower() for n in matcher.names}))}")
        warnings.append(RuleDiagnostic(
            "GV312", f"{who} matched nothing in {path or 'the program'}{hint}", rule.line,
            rule.col, path=rule.path, severity="warning"))
    return warnings


# ---- the compiler's hook -----------------------------------------------------------------

_LITERAL_NODES = None


def _literal_node_types():
    global _LITERAL_NODES
    if _LITERAL_NODES is None:
        import libcst as cst

        _LITERAL_NODES = (cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString,
                          cst.Name, cst.UnaryOperation)
    return _LITERAL_NODES


class RulesHook:
    """What ``compile_source(..., rules=...)`` hands the site finder: ``find_sites(program)``
    returns one ``SpecRequest`` per value the rules select; diagnostics about the matches
    (templates that do not fit a value) collect in ``self.diagnostics``."""

    def __init__(self, ruleset) -> None:
        self.ruleset = load_rules(ruleset)
        self.diagnostics: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []  # GV312: the compiler's CompileResult.warnings
        self.sites: list[RuleSite] = []

    def find_sites(self, program) -> list:
        from .sites import SpecRequest

        text = program.text.text
        result = match_rules(self.ruleset, text, program.path, getattr(program, "tree", None))
        self.sites = result.sites
        self.diagnostics.extend(result.diagnostics)
        self.warnings = list(result.warnings)
        if not result.sites:
            return []
        import libcst as cst

        # the libcst node of each value: the innermost expression with the value's span
        # (spans are recorded children first)
        wanted = {(site.start, site.end) for site in result.sites}
        by_span: dict[tuple[int, int], object] = {}
        for node, span in program.spans.items():
            if span in wanted and span not in by_span and isinstance(node, cst.BaseExpression):
                by_span[span] = node
        requests = []
        for site in result.sites:
            node = by_span.get((site.start, site.end))
            if node is None:  # parenthesised: the libcst node's span holds the parentheses
                best = None
                for candidate, span in program.spans.items():
                    if span[0] <= site.start and site.end <= span[1] and isinstance(
                            candidate, _literal_node_types()) and (
                            best is None or span[1] - span[0] < best[0][1] - best[0][0]):
                        best = (span, candidate)
                node = best[1] if best is not None else None
            if node is None:  # never expected: say so rather than drop the site
                self.diagnostics.append(Diagnostic(
                    "GV310", f"{site.rule.label} selects this value, but glovec could not find "
                    "it in its syntax tree (an internal problem; please report it)", site.line,
                    site.col, path=program.path))
                continue
            rule = site.rule
            shown = rule.path
            if os.path.dirname(os.path.abspath(shown)) == os.path.dirname(preset_path("keras")):
                shown = "preset " + os.path.basename(shown)[:-len(".toml")]
            origin = f"{shown}:{rule.line}" + (f" ({rule.name})" if rule.name else "")
            requests.append(SpecRequest(node, site.spec, origin))
        return requests


def rules_hook(rules) -> tuple[RulesHook | None, list[Diagnostic]]:
    """A hook for ``rules`` (a path, a preset name, a RuleSet or a RulesHook), or the
    diagnostics that say why the rules file cannot be used."""
    if rules is None:
        return None, []
    if isinstance(rules, RulesHook):
        return rules, []
    try:
        return RulesHook(rules), []
    except RulesError as exc:
        return None, exc.diagnostics
