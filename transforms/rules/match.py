"""Matching: every value the rules select in a program, read with ``ast`` (never run).

Rules are tried in file order and the first one that selects a value takes it; each taken
value becomes a ``RuleSite`` with the spec text its template gives."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from ..diagnostics import Diagnostic
from ..names import LAZY_CALLS, PARTIALS, Names, canonical
from ..specs import number
from .load import load_rules
from .schema import CALLEE, Rule, RuleSet, any_glob, first_glob, glob, option_name
from .template import (UNKNOWN, MatchError, TemplateError, evaluate, format_value,
                       instantiate, instantiate_names, literal_value)
from .unmatched import own_rules, unmatched_warnings


@dataclass(eq=False)
class RuleSite:
    """One value a rule selects in the program: what the compiler makes a site of.

    ``start``/``end`` are character offsets of the value expression in the program text;
    ``line``/``col`` are 1-based (col in characters). ``kind`` says what the value is:
    ``"arg"`` (argument ``param`` of the call whose callee text is ``callee``; ``call_start``
    is the call's offset), ``"assign"`` (right-hand side of an assignment to ``target``) or
    ``"param"`` (default of parameter ``param`` of function ``function``) or ``"option"``
    (the ``default=`` of an argparse ``add_argument`` call; ``options`` its option strings).
    ``why`` says in words why the rule chose it (``glovec space --explain``)."""

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
    options: tuple[str, ...] = ()
    why: str = ""
    tie: int | None = None  # one key: a width and the input sizes it flows into, one decision


@dataclass(eq=False)
class Refusal:
    """A literal a rule selected and then left out of the search, and why (``--explain``)."""

    rule: Rule
    line: int
    col: int
    x: object
    reason: str


@dataclass
class RulesResult:
    sites: list[RuleSite]
    diagnostics: list[Diagnostic]
    warnings: list[Diagnostic] = field(default_factory=list)  # GV312, at rules in the file
    refusals: list[Refusal] = field(default_factory=list)  # literals that are no site, and why


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


class Matcher(ast.NodeVisitor):
    def __init__(self, ruleset: RuleSet, text: str, tree: ast.Module, path: str | None,
                 names: Names | None = None, given: frozenset = frozenset()) -> None:
        self.ruleset = ruleset
        self.text = text
        self.offsets = _Offsets(text)
        self.resolver = names if names is not None else Names.of(tree)
        self.tree = tree
        self.functions: list[str] = []
        self.classes: list[str] = []
        self.scope: list[str] = []
        self.claimed: dict[tuple[int, int], Rule] = {}
        self.sites: list[RuleSite] = []
        self.diagnostics: list[Diagnostic] = []
        self.path = path
        self.call_rules = [r for r in ruleset.rules if r.selector == "call" and r.tie is None]
        self.tie_rules = [r for r in ruleset.rules if r.selector == "call" and r.tie is not None]
        self.tie_events: list[_TieEvent] = []  # values tie rules see, resolved by resolve_ties
        self._ties_by_callee: dict[str, list[tuple[Rule, str, bool]]] = {}
        self._containers: list[int] = []  # nn.Sequential(...) calls around the visit (tie scopes)
        self.assign_rules = [r for r in ruleset.rules if r.selector == "assign"]
        self.param_rules = [r for r in ruleset.rules if r.selector == "param"]
        self.option_rules = [r for r in ruleset.rules if r.selector == "option"]
        self.factor_rules = [r for r in ruleset.rules if r.selector == "factor"]
        self._in_product: set[int] = set()  # products inside a product or quotient (factor)
        self._methods: dict[str, list] | None = None  # the program's methods by name
        self.given = given  # option names given on the command line (option_name spelling)
        self.option_names: set[str] = set()  # options the program declares (for suggestions)
        self.refusals: list[Refusal] = []
        self.fixed_lines = _fixed_lines(text)
        self.ids: set[str] = set()  # site ids given by rules' `id`
        self.matched: set[int] = set()  # indices of rules that selected some value
        self.near: dict[int, set[str]] = {}  # call rules: argument names of calls to the callee
        self.passed: set[int] = set()  # call rules whose arg some call to the callee passes
        self.names: set[str] = set()  # assigned names and parameter names (for suggestions)
        self._by_callee: dict[str, list[Rule]] = {}
        self._hit_cache: dict[tuple, list[tuple[Rule, str]]] = {}
        self._reads: set[str] | None = None  # names the module reads (_unread), once computed
        self._dests: dict[str, str] | None = None  # the program's argparse options (_option_dests)
        self._where_names: dict[int, tuple[str, ...]] = {}  # rule index -> names its where reads
        self._script = False  # whether it reads module-level names of its own (_unread)
        # value -> the first rule naming it (not by `*` or help) whose where refused it
        self.refused: dict[tuple[int, int], Rule] = {}
        self._dispatch = {
            ast.ClassDef: self.visit_ClassDef, ast.FunctionDef: self.visit_FunctionDef,
            ast.AsyncFunctionDef: self.visit_FunctionDef, ast.Assign: self.visit_Assign,
            ast.AnnAssign: self.visit_AnnAssign, ast.Call: self.visit_Call,
            ast.JoinedStr: self.visit_JoinedStr, ast.Dict: self.visit_Dict,
            ast.BinOp: self.visit_BinOp,
        }

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
        if rule.in_function is not None and not any(glob(rule.in_function, f)
                                                    for f in self.functions):
            return False
        if rule.in_class is not None and not any(glob(rule.in_class, c) for c in self.classes):
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
            for rule, pattern in self._hits(self.param_rules, (arg.arg.lower(),)):
                if self._in_scope(rule):
                    option = self._option_dests().get(option_name(arg.arg))
                    if option is not None and rule not in own_rules(self.ruleset):
                        # One knob, one site: the program hands the option's value to the
                        # parameter (Model(**vars(args))), so its default is never used.
                        self._refuse(rule, default, literal_value(default)[1],
                                     f"default of parameter {arg.arg} of {node.name}(): the name "
                                     f"matches {pattern!r}, but the program's option {option} "
                                     "has the same name and gives it its value (the option is "
                                     "the site)")
                        self.claimed.setdefault((default.lineno, default.col_offset), rule)
                        break
                    self._take(rule, default, "param", {"passed": "default"}, param=arg.arg,
                               function=node.name,
                               declared=_annotation(arg.annotation),
                               why=f"default of parameter {arg.arg} of {node.name}(): the name "
                                   f"matches {pattern!r}")
                    if self._settled(default):
                        break

    def _option_dests(self) -> dict[str, str]:
        """The argparse options the program declares anywhere (``add_argument("--lr", ...)``),
        by dest in ``option_name`` spelling -> the option as written; computed once."""
        if self._dests is None:
            self._dests = {}
            if "add_argument" not in self.text:  # a walk of the whole tree costs ~10% of a pass
                return self._dests
            for node in ast.walk(self.tree):
                read = _option_call(node) if isinstance(node, ast.Call) and isinstance(
                    node.func, ast.Attribute) and node.func.attr == "add_argument" else None
                dest = _dest(read[1]) if read is not None else None
                if dest is not None:
                    self._dests.setdefault(option_name(dest), read[0][-1])
        return self._dests

    def visit_Assign(self, node: ast.Assign) -> None:
        if self.assign_rules and len(node.targets) == 1:
            self._assign(node.targets[0], node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if self.assign_rules and node.value is not None:
            self._assign(node.target, node.value, _annotation(node.annotation))
        self.generic_visit(node)

    def _assign(self, target: ast.expr, value: ast.expr, declared: str | None = None) -> None:
        if isinstance(value, ast.Call) and _is_field(value.func):  # dataclass field(default=...)
            value = next((kw.value for kw in value.keywords if kw.arg == "default"), value)
        if isinstance(target, ast.Name):
            full = last = target.id
            if not self.functions and not self.classes and self._unread(target.id):
                self._preset_refusal(target.id, value, f"the program never reads {target.id}, "
                                     f"so it is no hyper-parameter of it")
                return
        elif isinstance(target, ast.Attribute):
            full = ast.unparse(target)
            last = target.attr
        elif _key_of(target) is not None:  # config["optimizer"]["lr"] = 0.1: config.optimizer.lr
            full, last = _subscript_path(target), _key_of(target)
        else:
            return
        self._named(full, last, value, declared)

    def _unread(self, name: str) -> bool:
        """Whether the module-level ``name`` is assigned but never read, in a program that reads
        other module-level constants of its own (a script; a config module, whose names other
        files import, reads none of them): such a constant is no hyper-parameter of the program."""
        if self._reads is None:
            reads: set[str] = set()
            for node in ast.walk(self.tree):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                    reads.add(node.id)
                elif isinstance(node, (ast.Global, ast.Nonlocal)):
                    reads.update(node.names)
                elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                    reads.add(node.value)  # __all__, globals()["lr"], getattr(module, "lr")
            top = {t.id for stmt in self.tree.body if isinstance(stmt, (ast.Assign, ast.AnnAssign))
                   and stmt.value is not None and literal_value(stmt.value)[0]
                   for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
                   if isinstance(t, ast.Name)}
            self._reads, self._script = reads, bool(top & reads)
        return self._script and name not in self._reads

    def _preset_refusal(self, name: str, value: ast.expr, why: str, how: str = "") -> None:
        """A value the presets leave alone although its name matches (``why`` says what the
        program shows instead: an unread constant, a parameter group's exception); it is said
        in --explain. A rule the user wrote takes it all the same (the user named it)."""
        ok, x = literal_value(value)
        hits = [(r, p) for r, p in self._hits(self.assign_rules, (name.lower(),))
                if self._in_scope(r)]
        if not hits or not ok:
            return
        rule, pattern = hits[0]
        if rule in own_rules(self.ruleset):
            self._named(name, name, value, None, how)
            return
        said = f"dict {how} {name}" if how else f"assigned to {name}"
        self._refuse(rule, value, x, f"{said}: the name matches {pattern!r}, but {why}")
        self.claimed.setdefault((value.lineno, value.col_offset), rule)

    def visit_Dict(self, node: ast.Dict) -> None:
        """``{"lr": 0.01, "batch_size": 64}``: a string key names its value as an assignment
        does (W&B and Ray Tune configs, hyper-parameter dicts)."""
        if self.assign_rules:
            keys = [k.value if isinstance(k, ast.Constant) and isinstance(k.value, str) else None
                    for k in node.keys]
            for key, value in zip(keys, node.values):
                if key is None or not key.isidentifier():
                    continue
                if "params" in keys and key != "params":  # an optimizer's parameter group:
                    # its literals are the program's exceptions for those parameters (no decay
                    # for biases and norms); the knob is the optimizer's own argument
                    self._preset_refusal(key, value, "the dict is an optimizer's parameter group "
                                         "(it has \"params\"), whose values are the program's "
                                         "exceptions for those parameters", "key")
                else:
                    self._named(key, key, value, None, "key")
        self.generic_visit(node)

    def _dict_call(self, node: ast.Call) -> None:
        """``dict(lr=0.01, momentum=0.9)`` (the builtin: mmdetection-style configs, keyword
        dicts): each keyword names its value as an assignment does."""
        if self.resolver.binding("dict", node.lineno) is not None:
            return  # a dict of the program's own or an import
        for kw in node.keywords:
            if kw.arg is not None:
                self._named(kw.arg, kw.arg, kw.value, None, "keyword")

    def _named(self, full: str, last: str, value: ast.expr, declared: str | None,
               how: str = "") -> None:
        self.names.add(last)
        for rule, pattern in self._hits(self.assign_rules, (last.lower(), full.lower())):
            if self._in_scope(rule):
                said = f"dict {how} {full}" if how else f"assigned to {full}"
                self._take(rule, value, "assign", {}, target=full, declared=declared,
                           why=f"{said}: the name matches {pattern!r}")
                if self._settled(value):
                    return

    def visit_BinOp(self, node: ast.BinOp) -> None:
        """``args.lr * 10``, ``losses["out"] + 0.5 * losses["aux"]``: a literal that multiplies
        a named value is selected by ``factor`` rules under that value's name. A product that is
        itself a factor or a quotient's operand (``base_lr * 0.5 * (1 + cos(t))``, a formula)
        is not: only a product that stands on its own (a term of a sum, an argument, a value)."""
        if self.factor_rules and isinstance(node.op, ast.Mult) and id(node) not in self._in_product:
            for literal, other in ((node.left, node.right), (node.right, node.left)):
                names = _value_names(other)
                if names and number(literal) is not None:
                    self._factor(literal, names, ast.unparse(other))
        if isinstance(node.op, (ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)):
            self._in_product.update(id(side) for side in (node.left, node.right)
                                    if isinstance(side, ast.BinOp))
        self.generic_visit(node)

    def _factor(self, literal: ast.expr, names: tuple[str, ...], shown: str) -> None:
        self.names.update(names)
        for rule, pattern in self._hits(self.factor_rules, tuple(n.lower() for n in names)):
            if self._in_scope(rule):
                self._take(rule, literal, "factor", {}, target=names[0],
                           why=f"the literal multiplies {shown}: the name matches {pattern!r}")
                if self._settled(literal):
                    return

    def visit_Call(self, node: ast.Call) -> None:
        container = False
        if self.call_rules or self.tie_rules:
            container = self._call(node) in TIE_SCOPES
        if self.param_rules and isinstance(node.func, ast.Name):
            self._own_call(node, node.func.id)
        elif self.param_rules and isinstance(node.func, ast.Attribute) and node.keywords:
            self._own_method_call(node, node.func.attr)
        if self.assign_rules and isinstance(node.func, ast.Name) and node.func.id == "dict":
            self._dict_call(node)
        if self.option_rules and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "add_argument":
            self._option(node)
        if container:  # the layers written as its arguments are one scope of their own
            self._containers.append(id(node))
            self.generic_visit(node)
            self._containers.pop()
        else:
            self.generic_visit(node)

    def _own_call(self, node: ast.Call, name: str) -> None:
        """``build_model(num_heads=4)``, a call to a function or class the program defines: a
        literal passed for one of its parameters (by keyword, or positionally when no ``*args``
        comes first) is that parameter's value, so ``param`` rules select it by the parameter's
        name, as they select its default."""
        binding = self.resolver.definition(name, node.lineno)
        if binding is None:
            return
        pairs = [(kw.arg, kw.value, "keyword") for kw in node.keywords if kw.arg is not None]
        if binding.params is not None:
            for param, arg in zip(binding.params, node.args):
                if isinstance(arg, ast.Starred):
                    break
                pairs.append((param, arg, "position"))
        self.functions.append(name)  # as for a default: the parameter's function counts
        try:
            for param, value, passed in pairs:
                for rule, pattern in self._hits(self.param_rules, (param.lower(),)):
                    if self._in_scope(rule):
                        self._take(rule, value, "param", {"passed": passed}, param=param,
                                   function=name,
                                   why=f"passed for parameter {param} of {name}(), defined in "
                                       f"this program: the name matches {pattern!r}")
                        if self._settled(value):
                            break
        finally:
            self.functions.pop()

    def _own_method_call(self, node: ast.Call, method: str) -> None:
        """``distiller.compile(alpha=0.1, temperature=10)``, where a class of the program
        defines ``compile(self, ..., alpha=..., temperature=...)``: a literal passed by keyword
        for one of that method's parameters is its value, as for a function of the program (the
        receiver's class is not known, so any class of the program defining the method counts,
        and only keywords: a positional argument's parameter depends on the class)."""
        if self._methods is None:  # method name -> [(class, params)], once
            self._methods = {}
            for (cls, name), params in self.resolver.methods.items():
                self._methods.setdefault(name, []).append((cls, params))
        owners = self._methods.get(method)
        if not owners:
            return
        known = {p for _cls, (positional, keyword_only) in owners for p in (*positional, *keyword_only)}
        shown = f"{owners[0][0]}.{method}" if len(owners) == 1 else method
        self.functions.append(method)  # as for a default: the parameter's method counts
        try:
            for kw in node.keywords:
                if kw.arg is None or kw.arg not in known:
                    continue
                for rule, pattern in self._hits(self.param_rules, (kw.arg.lower(),)):
                    if self._in_scope(rule):
                        self._take(rule, kw.value, "param", {"passed": "keyword"}, param=kw.arg,
                                   function=method,
                                   why=f"passed for parameter {kw.arg} of {shown}(), defined in "
                                       f"this program: the name matches {pattern!r}")
                        if self._settled(kw.value):
                            break
        finally:
            self.functions.pop()

    def _option(self, node: ast.Call) -> None:
        """``parser.add_argument("-l", "--lr", type=float, default=0.1, help="...")``: the
        default, chosen by the option's names, help text and type."""
        read = _option_call(node)
        if read is None or read[1].get("default") is None:
            return
        strings, arguments = read
        value = arguments["default"]
        arguments.setdefault("n_args", len(node.args) + len(node.keywords))
        names = [option_name(t) for t in strings]
        self.option_names.update(names)
        dest = _dest(arguments)
        if dest is not None and option_name(dest) not in names:
            names.append(option_name(dest))
        ok, help_text = literal_value(arguments["help"]) if "help" in arguments else (False, None)
        help_text = " ".join(help_text.lower().split()) if ok and isinstance(help_text, str) \
            else None
        declared = _declared_type(arguments)
        shown = " ".join(strings)
        for rule, pattern in self._hits(self.option_rules, tuple(names)):
            if not self._in_scope(rule):
                continue
            said = "" if pattern == "*" else f"the name matches {pattern!r}"
            if rule.help is not None:
                matched = first_glob(rule.help, help_text) if help_text is not None else None
                if matched is None:
                    continue
                said += ("; " if said else "") + f"the help {help_text!r} matches {matched!r}"
            if self.given and any(n in self.given for n in names[:len(strings)]):
                ok, x = literal_value(value)
                if ok:
                    self._refuse(rule, value, x, f"option {shown} is given after `--` on the "
                                 "command line: the program uses that value, so it is not searched")
                self.claimed.setdefault((value.lineno, value.col_offset), rule)
                return
            self._take(rule, value, "option", arguments, param="default", declared=declared,
                       options=tuple(strings), call=node,
                       why=f"option {shown}: {said or 'any option'}")
            # a rule whose type or where refuses the value leaves it to the next rule

    def _call(self, node: ast.Call) -> str | None:
        """Call rules on one call; returns the callee's qualified name."""
        func, positional_args, qualified = node.func, node.args, self.resolver.qualify(node.func)
        deferred = _deferred(self.resolver, node, qualified)
        if deferred is not None:  # LazyCall(torch.optim.SGD)(lr=...), partial(SGD, lr=...)
            func, positional_args, qualified = deferred
        if qualified is None:
            return None
        rules = self._by_callee.get(qualified)
        if rules is None:  # most programs call a few names many times
            rules = self._by_callee[qualified] = [
                r for r in self.call_rules if any_glob(r.pattern, qualified)]
        ties = self._ties_by_callee.get(qualified)
        if ties is None:  # (rule, parameter, whether it is the rule's own arg) of tie rules
            ties = self._ties_by_callee[qualified] = [
                (r, param, own) for r in self.tie_rules
                for param, own in ([(r.arg, True)] if any_glob(r.pattern, qualified) else [])
                + [(p, False) for pattern, p in r.tie if glob(pattern, qualified)]]
        if not rules and not (ties and deferred is None):
            return qualified
        starred = any(isinstance(arg, ast.Starred) for arg in positional_args)
        arguments: dict[str, ast.expr] = {}
        for kw in node.keywords:
            if kw.arg is not None:
                arguments[kw.arg] = kw.value
        for i, arg in enumerate(positional_args):
            if isinstance(arg, ast.Starred):
                break
            arguments[f"arg{i}"] = arg
        needs_positional = any(r.arg not in arguments and r.arg != CALLEE for r in rules) \
            or any(param not in arguments for _r, param, _own in ties)
        if needs_positional and positional_args and not starred:
            from ..signatures import signature_of  # the compiler's tables, loaded on need

            signature = signature_of(self.resolver, func, qualified)
            positional = signature.positional if signature is not None else None
            if positional:
                for name, arg in zip(positional, positional_args):
                    arguments.setdefault(name, arg)
        # for where: "n_args == 0" (how many arguments the call passes)
        arguments.setdefault("n_args", len(positional_args) + len(node.keywords))
        callee = self.text[self.offsets.offset(func.lineno, func.col_offset):
                           self.offsets.offset(func.end_lineno, func.end_col_offset)]
        how = "" if deferred is None else f", built lazily by {self.resolver.qualify(_wrapper(node))}"
        for rule in rules:
            if rule.arg == CALLEE:
                if self._in_scope(rule) and deferred is None:  # a deferred callee is an argument
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
                       qualified=qualified, call=node,
                       why=f"argument {rule.arg} of {qualified}{how}: the callee matches "
                           f"{first_glob(rule.pattern, qualified)!r}")
        if deferred is None:
            scope = (tuple(self.scope), self._containers[-1] if self._containers else None)
            for rule, param, own in ties:
                value = arguments.get(param)
                if isinstance(value, ast.expr):
                    if own:
                        self.passed.add(rule.index)
                    self.tie_events.append(_TieEvent(
                        rule, param, own, value, arguments, callee, qualified, node, scope,
                        tuple(self.scope), self._in_scope(rule)))
        return qualified

    def _where(self, rule: Rule, x, arguments: dict) -> bool:
        names = {}
        for name, node in arguments.items():
            if not isinstance(node, ast.AST):  # n_args, a param rule's passed
                names[name] = node
                continue
            ok, v = literal_value(node)
            names[name] = v if ok else UNKNOWN
        names.update({"x": x, "True": True, "False": False, "None": None})
        used = self._where_names.get(rule.index)
        if used is None:  # the names a where reads, once per rule (it runs for every value)
            used = self._where_names[rule.index] = tuple(
                sub.id for sub in ast.walk(rule.where) if isinstance(sub, ast.Name))
        for name in used:
            names.setdefault(name, UNKNOWN)
        try:
            return bool(evaluate(rule.where, names))
        except TemplateError:
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
                    imported = self.resolver.imported(name, func.lineno) or ""
                    if name != x and canonical(imported).rsplit(".", 1)[0] != module:
                        raise MatchError(f"{name} is not imported from {module} (import it, or "
                                          "call it through its module)")
            texts = [(prefix or "") + name for name in names]
        except MatchError as exc:
            if not rule.optional:
                self.diagnostics.append(Diagnostic(
                    "GV310", f"{rule.label} selects this callee, but {exc}", line, col + 1,
                    path=self.path))
            return
        options = "".join(f", {k}={format_value(v)}" for k, v in sorted(rule.template.options.items()))
        end_line, end_col = func.end_lineno, offsets.col(func.end_lineno, func.end_col_offset)
        self.sites.append(RuleSite(
            rule, f"oneof([{', '.join(texts)}]{options})", "callee",
            offsets.starts[line - 1] + col, offsets.starts[end_line - 1] + end_col, line, col + 1,
            end_line, end_col + 1, param=None, callee=callee, qualified=qualified,
            call_start=offsets.offset(call.lineno, call.col_offset), scope=tuple(self.scope),
            why=f"the called name {qualified}: it matches "
                f"{first_glob(rule.pattern, qualified)!r}"))

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

    # -- ties: a layer's width and the input sizes it flows into --
    def resolve_ties(self) -> None:
        """Tie rules (``tie = [...]``): within one scope (a function body, or the arguments of
        one ``nn.Sequential(...)``), a literal N the rule selects (a layer's width) that a later
        call takes as its literal input size N (a ``tie`` parameter) is one decision with every
        later literal N among those values. A width nothing later takes (an output layer's) and
        an input size no earlier layer gives (the data's) stay alone."""
        scopes: dict[tuple, list[_TieEvent]] = {}
        for event in self.tie_events:
            scopes.setdefault((event.rule.index, event.scope), []).append(event)
        groups: list[list[_TieEvent]] = []
        for events in scopes.values():
            events.sort(key=lambda e: (e.value.lineno, e.value.col_offset))
            open_: dict[object, list[_TieEvent]] = {}
            fed: set[int] = set()
            for event in events:
                ok, x = literal_value(event.value)
                if not ok or type(x) is not int:
                    continue
                group = open_.get(x)
                if event.own:
                    if group is None:
                        group = open_[x] = []
                        groups.append(group)
                    group.append(event)
                elif group is not None:
                    group.append(event)
                    fed.add(id(group))
            for x, group in open_.items():
                if id(group) not in fed:
                    first = group[0]
                    if first.in_scope and literal_value(first.value)[0]:
                        self._refuse(first.rule, first.value, x, f"argument {first.param} of "
                                     f"{first.qualified}: no later layer of its scope takes {x} "
                                     "as its input size (an output's width stays)")
        groups = [g for g in groups if any(not e.own for e in g)]
        groups.sort(key=lambda g: (g[0].value.lineno, g[0].value.col_offset))
        for group in groups:
            self._take_tie(group)

    def _take_tie(self, group: list["_TieEvent"]) -> None:
        first = group[0]
        rule = first.rule
        x = literal_value(first.value)[1]
        fed = next(e for e in group if not e.own)
        if not first.in_scope:
            return
        for event in group:  # one of them kept out (a fixed line, another rule): all stay
            if (event.value.lineno, event.value.col_offset) in self.claimed \
                    or event.value.lineno in self.fixed_lines:
                self._refuse(rule, first.value, x, f"argument {first.param} of {first.qualified}"
                             f": it is the input size of line {fed.value.lineno}, but line "
                             f"{event.value.lineno}'s {x} is kept out, so the tie stays")
                return
        saved = self.scope
        taken: list[RuleSite] = []
        try:
            for event in group:
                self.scope = list(event.names)
                if event is first:
                    why = (f"argument {first.param} of {first.qualified}: the callee matches "
                           f"{first_glob(rule.pattern, first.qualified)!r}; line "
                           f"{fed.value.lineno}'s {fed.qualified.rsplit('.', 1)[-1]} takes {x} "
                           f"as its {fed.param}, so the width and the sizes it flows into are "
                           "one decision")
                else:
                    why = (f"argument {event.param} of {event.qualified}: tied to the "
                           f"{first.param} {x} of line {first.value.lineno} (one decision)")
                count = len(self.sites)
                self._take(rule, event.value, "arg", event.arguments, param=event.param,
                           callee=event.callee, qualified=event.qualified, call=event.call,
                           why=why)
                if len(self.sites) == count:
                    if event is first:
                        return  # where or the template refused the width: nothing is tied
                    continue
                site = self.sites[-1]
                if taken:
                    site.spec = taken[0].spec  # one decision: the first value's spec and id
                site.tie = id(first)
                taken.append(site)
        finally:
            self.scope = saved
        if len(taken) == 1:  # nothing took the tie's other values: an ordinary site
            taken[0].tie = None

    # -- taking a value --
    def _hits(self, rules: list[Rule], names: tuple[str, ...]) -> list[tuple[Rule, str]]:
        """(rule, the first of its patterns that matches) for each of ``rules`` whose pattern
        matches one of ``names`` (tried in order), in rule order. Names repeat (``self.x``,
        ``lr``), and a preset has many patterns: computed once per name."""
        key = (id(rules), names)
        hits = self._hit_cache.get(key)
        if hits is None:
            hits = []
            for rule in rules:
                pattern = next((p for n in names for p in rule.pattern if glob(p, n)), None)
                if pattern is not None:
                    hits.append((rule, pattern))
            self._hit_cache[key] = hits
        return hits

    def _settled(self, node: ast.expr) -> bool:
        """Whether a rule took ``node`` (or it is held out): a value a rule's type or where
        refused is left to the next rule whose pattern matches, as for call rules."""
        return (node.lineno, node.col_offset) in self.claimed or node.lineno in self.fixed_lines \
            or not literal_value(node)[0]

    def _refuse(self, rule: Rule, node: ast.AST, x, reason: str) -> None:
        self.refusals.append(Refusal(rule, node.lineno,
                                     self.offsets.col(node.lineno, node.col_offset) + 1, x, reason))

    def _claim(self, rule: Rule, node: ast.AST, x, arguments: dict, *, check_where: bool,
               why: str = "") -> bool:
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
            if rule.help is None and "*" not in rule.pattern:  # it knows the name
                self.refused.setdefault(key, rule)
            if why and x is not UNKNOWN and not rule.fallback:  # a fallback says nothing
                self._refuse(rule, node, x, f"{why}, but where is false for x = {x!r}: "
                             f"{ast.unparse(rule.where)}")
            return False
        self.claimed[key] = rule
        self.matched.add(rule.index)
        if rule.skip and why and x is not UNKNOWN:
            self._refuse(rule, node, x, f"{why}: kept out of the search (skip = true)")
        return not rule.skip

    def _take(self, rule: Rule, value: ast.expr, kind: str, arguments: dict, *, param=None,
              callee=None, qualified=None, target=None, function=None, call=None,
              declared: str | None = None, options: tuple = (), why: str = "") -> None:
        is_literal, x = literal_value(value)
        if is_literal and kind == "arg" and computed(value):
            # Dense(7 * 7 * 64): arithmetic in a call's argument is a shape another part of the
            # program repeats (Reshape((7, 7, 64))); a setting a name declares is its value
            if why and (value.lineno, value.col_offset) not in self.claimed:
                self._refuse(rule, value, x, f"{why}, but the argument is computed "
                             f"({ast.unparse(value)}), not written as a literal")
                self.claimed[(value.lineno, value.col_offset)] = rule
            return
        earlier = self.refused.get((value.lineno, value.col_offset))
        if rule.fallback and earlier is not None and not earlier.fallback:
            return  # a rule that knows the name refused the value: --explain says why
        if rule.types is not None and is_literal:
            found = declared or _type_name(x)
            if found not in rule.types:
                if (value.lineno, value.col_offset) not in self.claimed \
                        and value.lineno not in self.fixed_lines and not rule.fallback:
                    what = "a flag" if found == "bool" and declared == "bool" else f"type {found}"
                    self._refuse(rule, value, x, f"{why}, but it is {what} and the rule takes "
                                 f"{' or '.join(rule.types)}")
                return
        if rule.skip:  # holds out what it selects, an expression too (a marker rule could take it)
            self._claim(rule, value, x if is_literal else UNKNOWN, arguments, check_where=True,
                        why=why)
            return
        if not is_literal and not (rule.template is not None and rule.template.kind == "marker"):
            return  # rules choose among literals; expressions stay as they are
        if not self._claim(rule, value, x, arguments, check_where=is_literal, why=why):
            return
        offsets = self.offsets
        line, col = value.lineno, offsets.col(value.lineno, value.col_offset)
        end_line, end_col = value.end_lineno, offsets.col(value.end_lineno, value.end_col_offset)
        try:
            template = rule.template
            assert template is not None  # a rule without values is a skip rule
            spec = instantiate(template, x, rule.dedupe,
                               _choices(arguments) if template.choices else None)
            if rule.site_id is not None and rule.template.kind != "marker":
                name = self._site_id(rule, x, arguments, param=param, target=target,
                                     function=function)
                if name is not None:
                    spec = spec[:-1] + f', name="{name}")'
        except MatchError as exc:
            if not rule.optional:
                self.diagnostics.append(Diagnostic(
                    "GV310", f"{rule.label} selects this value, but {exc}", line, col + 1,
                    path=self.path))
            elif why:
                self._refuse(rule, value, x, f"{why}, but {exc}")
            return
        if rule.where is not None and rule.template.kind != "marker":
            why += f"; where holds: {ast.unparse(rule.where)}"
        self.sites.append(RuleSite(
            rule, spec, kind, offsets.starts[line - 1] + col,
            offsets.starts[end_line - 1] + end_col, line, col + 1, end_line, end_col + 1,
            param=param, callee=callee, qualified=qualified, target=target, function=function,
            call_start=(offsets.offset(call.lineno, call.col_offset) if call is not None else None),
            scope=tuple(self.scope), options=options, why=why))


@dataclass(eq=False)
class _TieEvent:
    """A literal a tie rule sees: its own ``arg`` (``own``: a width) or a ``tie`` parameter (an
    input size), in ``scope``; ``names`` is the scope's names (a site's id), ``in_scope``
    whether the rule's in_function / in_class hold there."""

    rule: Rule
    param: str
    own: bool
    value: ast.expr
    arguments: dict
    callee: str
    qualified: str
    call: ast.Call
    scope: tuple
    names: tuple
    in_scope: bool


TIE_SCOPES = ("torch.nn.Sequential",)  # calls whose arguments are a tie scope of their own
_ID_JUNK = re.compile(r"[^A-Za-z0-9_.\-/]+")
_FLAG_ACTIONS = ("store_true", "store_false", "store_const", "count", "append_const",
                 "help", "version")


def _wrapper(node: ast.Call) -> ast.expr:
    """The deferring callee of a deferred call: ``LazyCall`` or ``partial``."""
    return node.func.func if isinstance(node.func, ast.Call) else node.func


def _deferred(names: Names, node: ast.Call, qualified: str | None):
    """(wrapped callee, its positional arguments, its qualified name) when ``node`` is a
    deferred call to a named callee (``LazyCall(X)(...)``, ``partial(X, ...)``: names.LAZY_CALLS
    and PARTIALS), else None: call rules read its arguments as the wrapped callee's."""
    func = node.func
    if qualified in PARTIALS and node.args and not isinstance(node.args[0], ast.Starred):
        inner = names.qualify(node.args[0])
        return None if inner is None else (node.args[0], node.args[1:], inner)
    if qualified is None and isinstance(func, ast.Call) and len(func.args) == 1 \
            and not func.keywords and names.qualify(func.func) in LAZY_CALLS:
        inner = names.qualify(func.args[0])
        return None if inner is None else (func.args[0], node.args, inner)
    return None


def _value_names(node: ast.expr) -> tuple[str, ...]:
    """The names a value goes by, innermost first: ``args.lr`` -> (lr, args.lr),
    ``losses["aux"]`` -> (aux, losses), ``aux_loss`` -> (aux_loss,), ``F.kl_div(p, q)`` ->
    (kl_div,); () for anything else (an arithmetic expression, a literal)."""
    if isinstance(node, ast.Name):
        return (node.id,)
    if isinstance(node, ast.Attribute):
        return (node.attr, ast.unparse(node))
    if _key_of(node) is not None:
        return (_key_of(node), *_value_names(node.value))
    if isinstance(node, ast.Call):  # 0.1 * F.kl_div(...): the value the callee names
        return _value_names(node.func)[:1]
    return ()


def computed(node: ast.expr) -> bool:
    """Whether a constant value is written as arithmetic or a cast (``7 * 7 * 64``,
    ``int(1e6)``) rather than as a literal (``64``, ``-1.5``)."""
    return isinstance(node, (ast.BinOp, ast.Call)) or isinstance(node, ast.UnaryOp) \
        and not isinstance(node.operand, ast.Constant)


def _key_of(target: ast.expr) -> str | None:
    """The string key of a subscript target (``config["lr"]``: ``lr``), else None."""
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) \
            and isinstance(target.slice.value, str) and target.slice.value.isidentifier():
        return target.slice.value
    return None


def _subscript_path(target: ast.expr) -> str:
    """``config["optimizer"]["lr"]`` -> ``config.optimizer.lr`` (string keys as attributes)."""
    parts = []
    while _key_of(target) is not None or isinstance(target, ast.Attribute):
        parts.append(_key_of(target) or target.attr)
        target = target.value
    parts.append(ast.unparse(target))
    return ".".join(reversed(parts))


def _is_field(func: ast.expr) -> bool:
    """``field`` or ``dataclasses.field`` (``x: int = field(default=128, metadata=...)``)."""
    return isinstance(func, ast.Name) and func.id == "field" or isinstance(
        func, ast.Attribute) and func.attr == "field" and isinstance(func.value, ast.Name) \
        and func.value.id == "dataclasses"


def _annotation(node: ast.expr | None) -> str | None:
    """The type a parameter or field declares, when it is a plain name (``lr: float``)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # "float"
        return node.value
    return None


def _declared_type(arguments: dict) -> str | None:
    """The type an add_argument call declares: ``type=float`` (a plain name), or ``bool`` for a
    flag (``action="store_true"``); None when it declares none."""
    node = arguments.get("type")
    if isinstance(node, ast.Name):
        return node.id
    ok, action = literal_value(arguments["action"]) if "action" in arguments else (False, None)
    if ok and action in _FLAG_ACTIONS:
        return "bool"
    return None


def _choices(arguments: dict) -> tuple | None:
    """An add_argument call's ``choices=[...]`` when every choice is a literal, else None."""
    node = arguments.get("choices")
    if not isinstance(node, (ast.List, ast.Tuple)) or not node.elts:
        return None
    values = []
    for element in node.elts:
        ok, value = literal_value(element)
        if not ok:
            return None
        values.append(value)
    return tuple(values)


def _type_name(x) -> str:
    return "none" if x is None else type(x).__name__


def _option_call(node: ast.Call) -> tuple[list[str], dict] | None:
    """An ``add_argument`` call's option strings and its arguments by name (keywords, and
    ``arg0``... for the strings); None for a positional argument or a computed name."""
    arguments: dict = {kw.arg: kw.value for kw in node.keywords if kw.arg is not None}
    strings = []
    for i, arg in enumerate(node.args):
        ok, text = literal_value(arg)
        if not (ok and isinstance(text, str)) or not text.startswith("-"):
            return None
        strings.append(text)
        arguments[f"arg{i}"] = arg
    return (strings, arguments) if strings else None


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


_FIXED_RE = re.compile(r"#\s*glovec:\s*fixed\s*$")


def _fixed_lines(text: str) -> set[int]:
    if "glovec:" not in text:
        return set()
    return {n for n, line in enumerate(text.splitlines(), 1) if _FIXED_RE.search(line)}


def given_options(argv) -> frozenset:
    """The option names (``option_name`` spelling) given in a program's command line:
    ``["--lr", "0.5", "--batch-size=64"]`` -> ``{"lr", "batch_size"}``."""
    names = set()
    for token in argv:
        token = str(token)
        if token == "--":
            break
        if token.startswith("-") and len(token) > 1 and not _NUMBER.match(token):
            names.add(option_name(token.split("=", 1)[0]))
    return frozenset(names)


_NUMBER = re.compile(r"-\d|-\.\d")


def match_rules(ruleset, text: str, path: str | None = None, tree: ast.Module | None = None,
                names: Names | None = None, given: frozenset = frozenset()) -> RulesResult:
    """Every value the rules select in program ``text`` (never raises for a program that
    parses; a program that does not parse gives no sites: the compiler reports it). ``tree``
    and ``names`` (the program's resolver) are built from ``text`` when not given. ``given``:
    option names given on the program's command line (``given_options``): those argparse
    defaults are not searched."""
    ruleset = load_rules(ruleset)
    if tree is None:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            return RulesResult([], [])
    matcher = Matcher(ruleset, text, tree, path, names, given)
    matcher.visit(tree)
    if matcher.tie_events:
        matcher.resolve_ties()
    sites = sorted(matcher.sites, key=lambda s: s.start)
    taken = {(s.line, s.col) for s in sites}
    refusals = [r for r in matcher.refusals if (r.line, r.col) not in taken]
    return RulesResult(sites, matcher.diagnostics, unmatched_warnings(ruleset, matcher, path),
                       refusals)

