"""Loading a rules file: TOML text -> a checked ``RuleSet`` (``extends`` followed, presets
resolved), or ``RulesError`` with diagnostics that point into the rules file."""

from __future__ import annotations

import ast
import os
import re

from ..diagnostics import Diagnostic, suggest
from .locator import Locator
from .schema import (CALLEE, PRESETS, RULE_KEYS, SELECTORS, TOP_KEYS, TYPES, Rule,
                     RuleDiagnostic, RuleSet, RulesError, option_name, preset_path)
from .template import Template, TemplateError, check_where, parse_template


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
    where = Locator(text)
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


def _parse_rule(raw: dict, number: int, path: str, where: "Locator", error) -> Rule | None:
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
    for key in (*SELECTORS, "help", "type", "tie"):
        if key in raw:
            value = raw[key]
            if isinstance(value, str):
                value = [value]
            if not (isinstance(value, list) and value
                    and all(isinstance(v, str) and v.strip() for v in value)):
                error("GV303", f"{key} is a pattern (a string, * and ? as wildcards) or a list "
                      "of patterns", at(key))
                ok = False
    for key in ("optional", "skip", "dedupe", "fallback"):
        if key in raw and not isinstance(raw[key], bool):
            error("GV303", f"{key} is true or false", at(key))
            ok = False
    if not ok:
        return None
    selectors = [key for key in SELECTORS if key in raw]
    if len(selectors) != 1:
        what = "none" if not selectors else " and ".join(selectors)
        error("GV304", f"a rule has exactly one selector: call (with arg), assign, param, "
              f"option, key or factor; this one has {what}",
              at(selectors[1]) if len(selectors) > 1 else header)
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
    if "help" in raw and selector not in ("option", "key"):
        error("GV306", f"help goes with option (an argparse option's help text) or key (a "
              f"YAML value's trailing comment), not with {selector}", at("help"))
        return None
    ties = raw.get("tie")
    if ties is not None:
        ties = [ties] if isinstance(ties, str) else ties
        bad = next((t for t in ties if "." not in t.strip()
                    or not t.strip().rsplit(".", 1)[1].isidentifier()), None)
        if selector != "call" or raw.get("arg") == CALLEE:
            what = "a callee rule" if selector == "call" else selector
            error("GV304", "tie goes with call and arg (the argument that holds a layer's "
                  f"width), not with {what}", at("tie"))
            return None
        if bad is not None:
            error("GV303", f"tie names a callee and the parameter the value flows into "
                  f"(\"torch.nn.Linear.in_features\"), not {bad!r}", at("tie"))
            return None
        ties = tuple(tuple(t.strip().rsplit(".", 1)) for t in ties)
    types = raw.get("type")
    if types is not None:
        types = [types] if isinstance(types, str) else types
        unknown = [t for t in types if t.strip() not in TYPES]
        if unknown:
            error("GV306", f"type {unknown[0]!r} is not one glovec reads (type is one of "
                  f"{', '.join(TYPES)}, or a list of them){suggest(unknown[0], TYPES)}", at("type"))
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
        if template.choices and selector != "option":
            error("GV305", 'values = "choices" searches an argparse option\'s own choices= '
                  "list; use it with option", at("values"))
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
            check_where(condition)
        except SyntaxError as exc:
            error("GV305", f"where: not a Python expression: {exc.msg}", at("where"))
            return None
        except TemplateError as exc:
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
    if selector == "option":  # --batch-size, --batchSize and batch_size are one name
        patterns = [option_name(p.strip()) for p in patterns]
    elif selector == "key":  # each dotted part spelled as an option: model.hiddenDim, model.hidden-dim
        patterns = [".".join(option_name(part) for part in p.strip().split(".")) for p in patterns]
    elif selector != "call":  # names in programs vary in case: LR, lr, Batch_Size
        patterns = [p.lower() for p in patterns]
    helps = raw.get("help")
    if helps is not None:
        helps = tuple(" ".join(h.lower().split()) for h in ([helps] if isinstance(helps, str)
                                                            else helps))
    rule = Rule(number, path, header[0], raw.get("name"), selector,
                tuple(p.strip() for p in patterns), raw.get("arg"), template, condition,
                raw.get("in_function"), raw.get("in_class"), raw.get("optional", False), skip,
                raw.get("dedupe", False), {key: at(key) for key in raw}, raw.get("id"), header[1],
                helps, tuple(t.strip() for t in types) if types is not None else None,
                raw.get("fallback", False), ties)
    return rule


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


def _template_or_error(text: str, at: tuple[int, int], where: "Locator", error) -> Template | None:
    try:
        return parse_template(text)
    except TemplateError as exc:
        line, col = at
        if exc.node is not None and "\n" not in text and where.plain_string(at):
            stripped = len(text) - len(text.lstrip())
            col = col + 1 + stripped + exc.node.col_offset  # after the opening quote
        error("GV305", f"values: {exc.message}", (line, col))
        return None

