"""Finding sites: which value each marker attaches to, its default, and its id.

Before:

    def build_model():
        return keras.Sequential([
            layers.Dense(128),  # glovec: units=oneof([64, 128, 256])
        ])

After: one Site, id ``build_model.Dense.units``, kind oneof, candidates ``64, 128, 256``,
default 1 (the program's ``128``), attached to the ``128`` on line 3.

How a marker finds its value (``line`` is the marker's line):

- a named spec (``units=...``) takes the argument passed as ``units=`` to a call on the line,
  or passed in ``units``' place when the callee's signature is known (``signatures.py``);
  ``argN=`` takes positional argument N. An argument whose value starts on the line wins over
  arguments of calls that merely start or end there.
- an unnamed spec takes the single value on the line: the right-hand side of an assignment,
  what a return returns, an expression statement, a header's condition / iterable / parameter
  defaults; inside a bracketed multi-line statement, the outermost expressions that start on
  the line. If that value is not a legal point of the spec, the one expression on the line that
  is (a candidate; a number for floatv/intv) is taken instead: so ``oneof([Adam, SGD])`` on
  ``opt = Adam(1e-3)`` chooses the callee, and ``floatv(0, 0.5)`` on
  ``model.add(layers.Dropout(0.2))`` takes ``0.2``.
- ``Annotated[T, oneof(...)]`` (markers from ``glovec.hints``) takes the assigned value or the
  parameter's default.

Ids (docs/internals.md section 11, "Site ids"): the enclosing functions and classes, then the target: the assigned
name, ``Callee.param`` for a call argument, ``function.param`` for a parameter default;
``name=`` replaces the whole id; the second site with an id gets ``_2``, the third ``_3``.
Nested specs get ``parent[=k].child``, k being the candidate that holds them.

Ties: sites with the same ``name=`` and the same spec and default (or rule sites a rule tied:
``SpecRequest.tie``) are one decision. The first in the text is the site (in ``Found.sites``,
the space, the DNA); the others are its ``ties``, rewritten and materialized with its id, so
every location takes the one value. The same name with another spec is GV109.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

import libcst as cst

from .diagnostics import Diagnostic, suggest
from .program import Place, Program
from .names import LAZY_CALLS, PARTIALS, dotted_parts
from .signatures import dotted
from .specs import (CHOICES, RANGES, Spec, SpecError, diagnostic, number,
                    parse_comment_spec, parse_marker_call)

MARKER_RE = re.compile(r"#\s*glovec:")
_ARG_INDEX_RE = re.compile(r"arg(\d+)\Z")
_ID_CHARS_RE = re.compile(r"[^A-Za-z0-9_\-]+")
# Expressions that must be parenthesised to be a call argument, a tuple item or a lambda body.
_CST_NEEDS_PARENS = (cst.Tuple, cst.GeneratorExp, cst.Yield, cst.NamedExpr)
_AST_NEEDS_PARENS = (ast.Tuple, ast.GeneratorExp, ast.Yield, ast.YieldFrom, ast.NamedExpr)
# Holders in which any expression fits without parentheses.
_FREE_HOLDERS = (cst.Arg, cst.Element, cst.DictElement, cst.Param)
# What a deferred candidate (a lambda body) cannot contain.
_NOT_DEFERRABLE = (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)
# Values that need parentheses as an operand of a conditional expression (class-body sites).
_CST_LOW = (cst.Lambda, cst.IfExp)
_AST_LOW = (ast.Lambda, ast.IfExp)
# Expressions whose parts (but the first iterable) run in a scope of their own.
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


@dataclass(eq=False)
class Site:
    """A search-space site (or, with a marker kind, an objective/metric/report marker).

    ``start``/``end`` are offsets of the value in the program; None for a nested site in a
    candidate other than the program's own (that site only exists in the candidate's text).
    ``line``/``col`` (1-based) point at the value, or at the nested spec for nested sites.
    """

    spec: Spec
    line: int
    col: int
    start: int | None = None
    end: int | None = None
    default: object = None
    id: str = ""
    base_id: str = ""
    node: object = None  # the libcst value node, for top-level sites
    parens: bool = False  # the value needs parentheses inside a call or lambda
    is_tuple: bool = False  # a manyof/permutate value written as a tuple (not a list)
    free: bool = False  # any expression fits there (assigned value, argument, item, default)
    low: bool = False  # a lambda or conditional expression: parenthesised as a conditional's operand
    class_body: bool = False  # runs in a class body, where lambdas cannot see the class's names
    children: dict[int, list["Site"]] = field(default_factory=dict)
    parent: "Site | None" = None
    choice: int | None = None
    file: str | None = None  # a config file's site: that file (transforms/configs.py)
    tie: object = None  # a rules hook's tie key: sites with one key are one decision
    ties: list["Site"] = field(default_factory=list)  # other locations of this decision
    tied: "Site | None" = None  # the decision this site is a later location of

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def repeat(self) -> int:
        return self.spec.repeat

    @property
    def candidates(self) -> list[str]:
        return [c.text for c in self.spec.candidates]

    @property
    def literal(self) -> bool:
        """All candidates are constants: the site is a constant tuple, no lambdas."""
        return all(c.literal for c in self.spec.candidates)

    @property
    def bound(self) -> bool:
        return self.start is not None

    def locations(self) -> list["Site"]:
        """Where the program holds this decision: this site, then the sites tied to it."""
        return [self, *self.ties]

    def walk(self):
        """This site and every nested site, depth-first in candidate order."""
        yield self
        for index in sorted(self.children):
            for child in self.children[index]:
                yield from child.walk()


@dataclass
class SpecRequest:
    """A spec attached to a value by something other than a comment (a rules file).

    ``node`` is an expression of ``program.module``; ``spec`` one unnamed primitive, e.g.
    ``'oneof([32, 64, 128], name="width")'``; ``origin`` (e.g. ``"rules.toml:12"``) begins
    the messages of its diagnostics.
    """

    node: cst.BaseExpression
    spec: str
    origin: str | None = None
    tie: object = None  # requests with one tie key (and one spec) are one decision


@dataclass
class Found:
    sites: list[Site]
    markers: list[Site]
    diagnostics: list[Diagnostic]


class _SpecText:
    """A spec that is not in the program's text: its diagnostics point at the value."""

    def __init__(self, text: str, where: tuple[int, int]) -> None:
        self.text = text
        self._where = where

    def position(self, offset: int) -> tuple[int, int]:
        return self._where


def find_sites(program: Program, rules=None) -> Found:
    """Every site and marker of the program (and those a rules hook adds), with ids."""
    finder = _Finder(program)
    finder.comments()
    if program.annotated:
        finder.annotations()
    if rules is not None:
        requests = rules(program) if callable(rules) else rules.find_sites(program)
        finder.requests(requests)
    return finder.finish()


class _Finder:
    def __init__(self, program: Program) -> None:
        self.program = program
        self.sites: list[Site] = []
        self.markers: list[Site] = []
        self.diagnostics: list[Diagnostic] = []

    def error(self, code: str, message: str, offset: int) -> None:
        line, col = self.program.position(offset)
        self.diagnostics.append(Diagnostic(code, message, line, col))

    # ---- comments ---------------------------------------------------------------------

    def comments(self) -> None:
        program = self.program
        text = program.text
        for comment in program.comments:
            match = MARKER_RE.search(comment.value)
            if match is None or (match.start() and not comment.value[match.start() - 1].isspace()):
                continue
            if comment.value[match.end():].strip() == "fixed":
                continue  # `# glovec: fixed`: check-only, the line's literals are deliberate
            start, end = program.spans[comment]
            line = text.line_of(start)
            before = text.text[text.line_starts[line - 1]:start]
            place = None if not before.strip() else program.locate(start)
            specs, problems = parse_comment_spec(text, start + match.end(), end)
            self.diagnostics.extend(problems)
            if not specs:
                continue
            if place is None:
                self.error("GV201", "a `# glovec:` marker goes at the end of the line that "
                           "holds the value, not on a line of its own", start)
                continue
            for spec in specs:
                try:
                    if spec.param is not None:
                        node, path = self._named_target(spec, place, line)
                    else:
                        node, path = self._unnamed_target(spec, place, line, start)
                    self._add(spec, node, path, place)
                except SpecError as exc:
                    self.diagnostics.append(diagnostic(text, exc))

    def _named_target(self, spec: Spec, place: Place, line: int):
        program, param = self.program, spec.param
        calls: list[tuple] = []

        def visit(node, path):
            if isinstance(node, cst.Call):
                calls.append((node, path))
            return False

        for root, path in place.roots:
            program.walk_line(root, path, line, visit)
        first: list[tuple] = []  # arguments whose value starts on the line
        second: list[tuple] = []  # arguments of calls that start or end on the line
        for call, path in calls:
            arg = self._argument(call, param, place.class_name)
            if arg is not None:
                target = (arg.value, path + (call, arg))
                if program.lines(arg.value)[0] == line:
                    first.append(target)
                elif line in program.lines(call):
                    second.append(target)
        holder = place.holder
        if isinstance(holder, cst.FunctionDef):  # a parameter default on a def line
            for root, path in place.roots:
                if len(path) == 2 and path[1].name.value == param and program.lines(root)[0] == line:
                    first.append((root, path))
        found = first or second
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise SpecError("GV202", f"{param}= matches {len(found)} arguments on this line "
                            f"({self._texts(found)}); split the line so each call has its own "
                            "marker", spec.start)
        raise SpecError("GV203", self._no_argument_message(spec, calls, place), spec.start)

    def _no_argument_message(self, spec: Spec, calls: list, place: Place) -> str:
        param = spec.param
        known: set[str] = set()
        for call, _ in calls:
            known.update(a.keyword.value for a in call.args if a.keyword is not None)
            signature = self.program.resolver.signature(call.func, place.class_name)
            if signature is not None:
                if param in signature.names:
                    name = _callee_name(call.func)
                    return (f"{name}(...) does not pass {param}; write it out ({param}=...) so "
                            "its value in the program is the default")
                known.update(signature.names)
        if not calls and not isinstance(place.holder, cst.FunctionDef):
            return f"{param}= names a call argument, but there is no call on this line"
        return f"no call on this line passes {param!r}{suggest(param, known)}"

    def _argument(self, call: cst.Call, param: str, class_name: str | None):
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == param:
                return arg
        signature = self.program.resolver.signature(call.func, class_name)
        index = signature.index_of(param) if signature is not None else None
        if index is None:
            match = _ARG_INDEX_RE.match(param)
            if match and (signature is None or param not in signature.names):
                index = int(match.group(1))
        if index is None:
            return None
        positional = []
        for arg in call.args:
            if arg.keyword is not None or arg.star == "**":
                break
            if arg.star == "*":
                return None  # positions after *args are unknown
            positional.append(arg)
        return positional[index] if index < len(positional) else None

    def _unnamed_target(self, spec: Spec, place: Place, line: int, comment_start: int):
        program = self.program
        outer, inner = program.values_on_line(place, line)
        if not outer and not inner:
            raise SpecError("GV201", f"the {spec.kind} marker is on a line with no value to "
                            "attach to", comment_start)
        if spec.is_marker:
            group = outer or inner
            if len(group) == 1:
                return group[0]
            raise SpecError("GV202", f"{spec.kind} applies to the single value on the line, and "
                            f"this line holds {len(group)}: {self._texts(group)}", spec.start)
        if spec.kind in RANGES:
            accept = self._numeric
        else:
            def accept(node):
                parsed, snippet = self._parsed(node)
                return parsed is not None and _legal(spec, parsed, snippet) is not None
        direct: list[tuple] = []
        for group in (outer, inner):
            direct = [v for v in group if accept(v[0])]
            if direct:
                break
        else:
            def visit(node, node_path):
                if accept(node):
                    direct.append((node, node_path))
                    return True
                return False
            for root, path in outer or inner:
                program.walk_line(root, path, line, visit)
        if len(direct) == 1:
            return direct[0]
        if len(direct) > 1:
            what = "numbers" if spec.kind in RANGES else "candidates"
            raise SpecError("GV202", f"{len(direct)} values on this line are {what} of the spec "
                            f"({self._texts(direct)}); name the parameter, e.g. "
                            f"{_param_hint(direct[0])}={spec.kind}(...)", spec.start)
        # nothing fits: explain with the value itself
        values = outer or inner
        node, _ = values[0]
        if len(values) > 1:
            raise SpecError("GV112" if spec.kind in CHOICES else "GV114",
                            f"none of the values on this line ({self._texts(values)}) is a "
                            f"legal point of {spec.kind}", spec.start)
        parsed, snippet = self._parsed(node)
        if parsed is None:
            raise SpecError("GV205", "this value cannot be a site on its own", program.spans[node][0])
        raise SpecError(*_illegal(spec, parsed, snippet), program.spans[node][0])

    def _numeric(self, node) -> bool:
        if not isinstance(node, (cst.Integer, cst.Float, cst.UnaryOperation, cst.BinaryOperation)):
            return False
        parsed, _ = self._parsed(node)
        return parsed is not None and number(parsed) is not None

    def _parsed(self, node):
        try:
            return self.program.ast_of(node)
        except SyntaxError:  # a fragment that is not an expression on its own
            return None, None

    def _texts(self, values) -> str:
        text = self.program.text.text
        shown = []
        for node, _ in values[:4]:
            start, end = self.program.spans[node]
            piece = " ".join(text[start:end].split())
            shown.append(piece if len(piece) <= 30 else piece[:27] + "...")
        return ", ".join(shown) + (", ..." if len(values) > 4 else "")

    # ---- annotations ------------------------------------------------------------------

    def annotations(self) -> None:
        program = self.program
        for kind, node, holder, scope, class_name, in_class in program.annotated:
            if kind == "assign":
                targets = [(node.annotation.annotation, node.value, (node,))]
            else:
                params = node.params
                targets = [(p.annotation.annotation, p.default, (node, p))
                           for p in (*params.posonly_params, *params.params, *params.kwonly_params)
                           if p.annotation is not None]
            for annotation, value, path in targets:
                for call in self._hint_calls(annotation):
                    start, end = program.spans[call]
                    try:
                        spec = parse_marker_call(program.text, start, end)
                        if value is None:
                            raise SpecError("GV201", "an Annotated marker needs a value: assign one, "
                                            "or give the parameter a default", start)
                        self._add(spec, value, path, Place(holder, scope, class_name, [], in_class))
                    except SpecError as exc:
                        self.diagnostics.append(diagnostic(program.text, exc))

    def _hint_calls(self, annotation) -> list:
        if not (isinstance(annotation, cst.Subscript)
                and (dotted(annotation.value) or "").rsplit(".", 1)[-1] == "Annotated"):
            return []
        found = []
        for element in annotation.slice[1:]:
            value = getattr(element.slice, "value", None)
            if isinstance(value, cst.Call):
                qualified = self.program.resolver.qualified(value.func) or ""
                if qualified.startswith("glovec.hints."):
                    found.append(value)
        return found

    # ---- rules files ------------------------------------------------------------------

    def requests(self, requests) -> None:
        program = self.program
        marked = {(s.start, s.end): s for s in self.sites + self.markers}
        for request in requests:
            origin = f"{request.origin}: " if request.origin else ""
            where = program.position(program.spans[request.node][0])
            src = _SpecText(request.spec, where)
            specs, problems = parse_comment_spec(src, 0, len(request.spec))
            located = program.path_to(request.node)
            if not problems and (len(specs) != 1 or specs[0].param is not None):
                problems = [Diagnostic("GV117", "a rule gives one unnamed primitive per value", *where)]
            in_source = marked.get(program.spans[request.node])
            if not problems and in_source is not None:
                problems = [Diagnostic("GV311", "the rule selects a value already marked in the "
                                       f"program (line {in_source.spec.position[0]}); remove the "
                                       "marker or narrow the rule", *where)]
            if not problems and located is None:
                problems = [Diagnostic("GV201", "a rule's value is not an expression of the program", *where)]
            if problems:
                self.diagnostics.extend(Diagnostic(d.code, origin + d.message, d.line, d.col)
                                        for d in problems)
                continue
            place, path = located
            try:
                site = self._add(specs[0], request.node, path, place)
                if site is not None:
                    site.tie = request.tie
            except SpecError as exc:
                self.diagnostics.append(Diagnostic(exc.code, origin + exc.message, *where))

    # ---- building sites ---------------------------------------------------------------

    def _add(self, spec: Spec, node, path: tuple, place: Place) -> Site | None:
        program = self.program
        start, end = program.spans[node]
        line, col = program.position(start)
        site = Site(spec, line, col, start, end, node=node,
                    parens=isinstance(node, _CST_NEEDS_PARENS) and not node.lpar,
                    low=isinstance(node, _CST_LOW) and not node.lpar,
                    free=len(path) == 1 or isinstance(path[-1], _FREE_HOLDERS))
        if spec.is_marker:
            self.markers.append(site)
            return None
        parsed, snippet = self._parsed(node)
        _bind(site, parsed, snippet)
        if _in_class_body(place, path + (node,)):
            _class_body(site)
        site.base_id = spec.name or ".".join(place.scope + (_local_name(program, node, path, place),))
        self.sites.append(site)
        return site

    def finish(self) -> Found:
        program = self.program
        self.sites.sort(key=lambda s: s.start)
        self.markers.sort(key=lambda s: s.start)
        objectives = [m for m in self.markers if m.kind == "objective"]
        for extra in objectives[1:]:
            self.error("GV116", f"a second objective (the first is on line {objectives[0].line}); "
                       "mark other values with metric(\"name\")", extra.start)
        self._check_overlaps()
        header = program.header_offset()
        for site in self.sites + self.markers:
            if site.start < header:
                self.error("GV205", "a value before glovec's header line (the module docstring "
                           "or a __future__ import) cannot be a site", site.start)
        self.sites = assign_ids(self.sites, lambda code, message, site: self.error(
            code, message, site.start), program.resolver)
        self.diagnostics.sort(key=lambda d: (d.line, d.col, d.code))
        return Found(self.sites, self.markers, self.diagnostics)

    def _check_overlaps(self) -> None:
        spans = []
        for site in self.sites + self.markers:
            for each in site.walk():
                if each.bound:
                    spans.append((each.start, -each.end, each))
        spans.sort(key=lambda item: (item[0], item[1]))
        open_replacements: list[Site] = []
        previous = None
        for start, neg_end, site in spans:
            end = -neg_end
            if previous is not None and (previous.start, previous.end) == (start, end):
                self.error("GV204", "two specs attach to the same value (the other is on line "
                           f"{previous.spec.position[0]})", start)
            open_replacements = [r for r in open_replacements if r.end > start]
            if open_replacements:
                self.error("GV204", f"this site lies inside the {open_replacements[-1].kind} site "
                           f"{open_replacements[-1].base_id!r}, whose value is replaced", start)
            if site.kind in ("manyof", "permutate") and site.parent is None:
                open_replacements.append(site)
            previous = site


# ---- defaults: is a value a legal point of a spec? ----------------------------------------


def _bind(site: Site, parsed: ast.expr, snippet) -> None:
    """Set the site's default from the program's value and attach nested sites."""
    spec = site.spec
    if snippet is None:
        raise SpecError("GV205", "this value cannot be a site on its own", site.start)
    result = _legal(spec, parsed, snippet)
    if result is None:
        raise SpecError(*_illegal(spec, parsed, snippet), site.start)
    site.default, binds = result
    site.is_tuple = isinstance(parsed, ast.Tuple)
    if spec.kind in CHOICES and not site.literal:
        bad = _first(parsed, _NOT_DEFERRABLE) or next(
            (n for c in spec.candidates for n in [_first(c.node, _NOT_DEFERRABLE)] if n), None)
        if bad is not None:
            what = {ast.Await: "await", ast.NamedExpr: "an assignment expression (:=)"}.get(
                type(bad), "yield")
            raise SpecError("GV205", f"{spec.kind} with expression candidates runs them in a "
                            f"lambda, which cannot hold {what}", site.start)
    _attach_children(site, binds, snippet)


def _in_class_body(place: Place, chain: tuple) -> bool:
    """Whether the last node of ``chain`` (statement first, the value last) runs in a class
    body: not in a method, a lambda or a comprehension (whose first iterable does run there)."""
    holder = place.holder
    if chain[0] is not holder and isinstance(holder, (cst.FunctionDef, cst.ClassDef)):
        in_class = isinstance(holder, cst.ClassDef)  # a one-line body: `class C: x = 1`
    else:
        in_class = place.in_class
    if not in_class:
        return False
    for i, node in enumerate(chain[:-1]):
        child = chain[i + 1]
        if isinstance(node, cst.Lambda) and child is node.body:
            return False
        if isinstance(node, _COMPREHENSIONS) and not (
                child is node.for_in and i + 2 < len(chain) and chain[i + 2] is node.for_in.iter):
            return False
    return True


def _class_body(site: Site) -> None:
    """Mark a site in a class body (and its nested sites): its expression candidates become a
    conditional expression (a lambda there cannot see the class's names) that reads the decision
    once per candidate it tests, so a repeat=N site (each ``_gv.rep`` call counts an execution)
    and manyof/permutate (several candidates) with expression candidates are refused (GV212)."""
    for each in site.walk():
        each.class_body = True
        if each.literal:
            continue
        what = "a nested" if each is not site else "a"
        if each.kind in ("manyof", "permutate"):
            why = (f"{what} {each.kind} site with expression candidates cannot be in a class "
                   "body: it would run them in lambdas, which cannot see the class's names")
        elif each.repeat != 1:
            why = (f"{what} oneof site with repeat={each.repeat} and expression candidates cannot "
                   "be in a class body: the conditional expression that chooses among them there "
                   "cannot count the site's executions")
        else:
            continue
        raise SpecError("GV212", why + "; use literal candidates, or move the site into a method "
                        "or to module level", site.start)


def _attach_children(site: Site, binds: list, snippet) -> None:
    spec = site.spec
    if spec.kind != "oneof" or not spec.has_nested:
        return
    by_spec = {id(nested): (node, result) for nested, node, result in binds}
    for index, candidate in enumerate(spec.candidates):
        if not candidate.nested:
            continue
        kids = []
        for nested in candidate.nested:
            line, col = nested.position
            child = Site(nested, line, col, parent=site, choice=index)
            if index == site.default:
                node, (default, sub_binds) = by_spec[id(nested)]
                child.start, child.end = snippet.span(node)
                child.default = default
                child.parens = isinstance(node, _AST_NEEDS_PARENS)
                child.low = isinstance(node, _AST_LOW)
                child.is_tuple = isinstance(node, ast.Tuple)
                if nested.kind in CHOICES and not child.literal and _first(node, _NOT_DEFERRABLE):
                    raise SpecError("GV205", "a nested site with expression candidates cannot "
                                    "hold await, yield or :=", child.start)
                _attach_children(child, sub_binds, snippet)
            else:
                _unbound(child)
            kids.append(child)
        site.children[index] = kids


def _unbound(site: Site) -> None:
    """A nested site in a candidate the program does not use: first choice / low end."""
    spec = site.spec
    if spec.kind == "oneof":
        site.default = 0
    elif spec.kind == "manyof":
        site.default = tuple(range(spec.k))
    elif spec.kind == "permutate":
        site.default = tuple(range(len(spec.candidates)))
    else:
        site.default = float(spec.lo) if spec.kind == "floatv" else spec.lo
    for index, candidate in enumerate(spec.candidates):
        if candidate.nested:
            site.children[index] = [Site(n, *n.position, parent=site, choice=index) for n in candidate.nested]
            for child in site.children[index]:
                _unbound(child)


def _legal(spec: Spec, node: ast.expr, snippet) -> tuple | None:
    """(default, nested bindings) when ``node`` is a legal point of ``spec``, else None."""
    kind = spec.kind
    if kind == "oneof":
        for index, candidate in enumerate(spec.candidates):
            binds: list = []
            if _match(candidate.node, node, binds, _nested_of(candidate)):
                return index, binds
        value = number(node) if not isinstance(node, ast.Constant) else None
        if value is not None:  # a constant expression (int(1e6), 2 ** 10) is the number it is
            for index, candidate in enumerate(spec.candidates):
                if type(number(candidate.node)) is type(value) and number(candidate.node) == value:
                    return index, []
        return None
    if kind in ("manyof", "permutate"):
        if not isinstance(node, (ast.List, ast.Tuple)):
            return None
        want = spec.k if kind == "manyof" else len(spec.candidates)
        if len(node.elts) != want:
            return None
        indices = []
        for element in node.elts:
            index = next((i for i, c in enumerate(spec.candidates) if _match(c.node, element, [], {})), None)
            if index is None:
                return None
            indices.append(index)
        distinct = spec.distinct if kind == "manyof" else True
        if distinct and len(set(indices)) != len(indices):
            return None
        if kind == "manyof" and spec.sorted and indices != sorted(indices):
            return None
        return tuple(indices), []
    value = number(node)
    if value is None or not spec.lo <= value <= spec.hi:
        return None
    if kind == "intv":
        if not isinstance(value, int) or (value - spec.lo) % spec.step:
            return None
        return value, []
    return float(value), []


def _illegal(spec: Spec, node: ast.expr, snippet) -> tuple[str, str]:
    """The code and message for a value that is not a legal point of ``spec``."""
    shown = " ".join(snippet.segment(node).split()) if snippet is not None else "this value"
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    kind = spec.kind
    if kind == "oneof":
        listed = ", ".join(c.text for c in spec.candidates)
        listed = listed if len(listed) <= 60 else listed[:57] + "..."
        return "GV112", f"the program's value {shown} is not one of the candidates ({listed})"
    if kind in ("manyof", "permutate"):
        what = (f"a list of {spec.k} {'distinct ' if spec.distinct else ''}candidates"
                f"{' in candidate order' if spec.sorted else ''}" if kind == "manyof"
                else "a list holding each candidate once")
        return "GV112", f"the program's value {shown} is not {what}"
    value = number(node)
    if value is None:
        return "GV114", f"{kind} needs a number in the program, found {shown}"
    if kind == "intv" and not isinstance(value, int):
        return "GV114", f"intv needs an integer in the program, found {shown}"
    if not spec.lo <= value <= spec.hi:
        return "GV113", f"the program's value {shown} is outside [{spec.lo}, {spec.hi}]"
    return "GV113", f"the program's value {shown} is not on intv's grid {spec.lo}, {spec.lo + spec.step}, ..."


def _nested_of(candidate) -> dict:
    return {id(n.node): n for n in candidate.nested} if candidate.nested else {}


def _match(cand: ast.AST, node: ast.AST, binds: list, nested: dict) -> bool:
    """Whether the program's ``node`` is the candidate ``cand`` (as syntax, ignoring layout);
    a nested spec in ``cand`` matches any legal point of it, recorded in ``binds``."""
    if nested and id(cand) in nested:
        spec = nested[id(cand)]
        result = _legal(spec, node, None)
        if result is None:
            return False
        binds.append((spec, node, result))
        return True
    if type(cand) is not type(node):
        return False
    if type(cand) is ast.Constant:
        return type(cand.value) is type(node.value) and repr(cand.value) == repr(node.value)
    for name in cand._fields:
        if name == "ctx" or name == "type_comment" or name == "kind":
            continue
        a, b = getattr(cand, name, None), getattr(node, name, None)
        if isinstance(a, list):
            if not isinstance(b, list) or len(a) != len(b):
                return False
            for x, y in zip(a, b):
                if isinstance(x, ast.AST):
                    if not (isinstance(y, ast.AST) and _match(x, y, binds, nested)):
                        return False
                elif x != y:
                    return False
        elif isinstance(a, ast.AST):
            if not (isinstance(b, ast.AST) and _match(a, b, binds, nested)):
                return False
        elif a != b:
            return False
    return True


def _first(node: ast.AST, kinds) -> ast.AST | None:
    for each in ast.walk(node):
        if isinstance(each, kinds):
            return each
    return None


# ---- ids -----------------------------------------------------------------------------------


def assign_ids(sites: list[Site], error, resolver=None, earlier: list[Site] = ()) -> list[Site]:
    """Give ``sites`` (in text order) their ids and tie the sites that are one decision; returns
    the decisions (a site tied to an earlier one is in its ``ties``, not in the list).

    One name (``name=``), or one rules tie key, is one decision when every site that carries it
    has the same spec and default; a different one is GV109, reported through ``error(code,
    message, site)``. ``earlier``: sites that already have ids (a config file's sites come after
    the program's): their names tie, their other ids are taken."""
    first: dict[tuple, Site] = {}
    for site in earlier:
        if site.spec.name is not None:
            first.setdefault(("name", site.spec.name), site)
    taken = {s.id for s in earlier}
    decisions: list[Site] = []
    for site in sites:
        name = site.spec.name
        key = ("name", name) if name is not None else (
            ("tie", site.tie) if site.tie is not None else None)
        if name is not None and name in taken and key not in first:
            other = next((s for s in earlier if s.id == name), None)
            error("GV109", f"name={name!r} is also the id of the site at {_where(site, other)}", site)
        if key is None or key not in first:
            if key is not None:
                first[key] = site
            decisions.append(site)
            continue
        why = tie_problem(first[key], site)
        if why is not None:
            error("GV109", why, site)
            decisions.append(site)
            continue
        first[key].ties.append(site)
        site.tied = first[key]
    used = taken | {n for kind, n in first if kind == "name"}
    counts: dict[str, int] = {}
    for site in decisions:
        if site.spec.name is not None:
            site.id = site.spec.name
        else:
            site.id = _unique(site.base_id, used, counts)
        _child_ids(site, resolver)
    for site in first.values():  # an earlier site (the program's) may hold ties here too
        for tied in site.ties:
            tied.id = site.id
    return decisions


def tie_problem(first: Site, site: Site) -> str | None:
    """Why ``site`` cannot be a later location of ``first``'s decision (GV109), or None."""
    from .space_doc import site_dict

    named = f"name={site.spec.name!r}" if site.spec.name is not None else "this tied value"
    at = _where(site, first)
    if first.repeat != 1 or site.repeat != 1 or first.spec.has_nested or site.spec.has_nested:
        return (f"{named} is also the name of the site at {at}; sites with one name are one "
                "decision, and a tied site cannot have repeat= or nested specs")
    a, b = site_dict(first), site_dict(site)
    for key in ("kind", "candidates", "lo", "hi", "scale", "step", "k", "distinct", "sorted",
                "group", "default"):
        if a.get(key) != b.get(key):
            shown = {"candidates": lambda d: " | ".join(d.get("candidates") or ()),
                     "default": _default_shown}.get(key, lambda d: repr(d.get(key)))
            return (f"{named} is also the name of the site at {at}, and they differ in {key} "
                    f"({shown(b)} here, {shown(a)} there): sites with one name are one decision "
                    "and need the same spec and default; give this one another name")
    return None


def _default_shown(entry: dict) -> str:
    value = entry.get("default")
    if entry.get("candidates") and isinstance(value, int) and not isinstance(value, bool):
        return entry["candidates"][value]
    return repr(value)


def _where(site: Site, other: Site | None) -> str:
    """Where ``other`` is, seen from ``site``: ``line 3``, or ``conf.yaml:3:5`` in another file."""
    if other is None:
        return "another place"
    if other.file == site.file:
        return f"line {other.line}"
    return f"{other.file or 'the program'}:{other.line}:{other.col}"


def _unique(base: str, used: set, counts: dict) -> str:
    n = counts.get(base, 0)
    candidate = base if n == 0 else f"{base}_{n + 1}"
    while candidate in used:
        n += 1
        candidate = f"{base}_{n + 1}"
    counts[base] = n + 1
    used.add(candidate)
    return candidate


def _child_ids(site: Site, resolver) -> None:
    for index, kids in site.children.items():
        used: set = set()
        counts: dict = {}
        candidate = site.spec.candidates[index]
        for kid in kids:
            local = kid.spec.name or _ast_local_name(candidate.node, kid.spec.node, resolver,
                                                       site.line)
            kid.id = f"{site.id}[={index}].{_unique(local, used, counts)}"
            _child_ids(kid, resolver)


def _local_name(program: Program, node, path: tuple, place: Place) -> str:
    """The target part of an id: the assigned name, ``Callee.param``, ``function.param``."""
    chain = path + (node,)
    suffix: list[str] = []
    for i in range(len(chain) - 1, 0, -1):
        child, parent = chain[i], chain[i - 1]
        if isinstance(parent, cst.Arg) and i >= 2 and isinstance(chain[i - 2], cst.Call):
            call = chain[i - 2]
            name = _callee_name(_wrapped(program, call))
            return _join(f"{name}.{_param_name(program, call, parent, place)}", suffix)
        if isinstance(parent, cst.Param) and i >= 2 and isinstance(chain[i - 2], cst.FunctionDef):
            return _join(f"{chain[i - 2].name.value}.{parent.name.value}", suffix)
        if isinstance(parent, cst.DictElement) and parent.value is child \
                and isinstance(parent.key, cst.SimpleString):
            suffix.insert(0, _segment(str(parent.key.evaluated_value)))
    holder = chain[0]
    if isinstance(holder, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
        target = holder.targets[0].target if isinstance(holder, cst.Assign) else holder.target
        return _join(_target_name(target), suffix)
    if isinstance(holder, cst.Return):
        return _join("return", suffix)
    return _join("value", suffix)


def _join(base: str, suffix: list[str]) -> str:
    return ".".join([base] + suffix)


def _segment(text: str) -> str:
    return _ID_CHARS_RE.sub("_", text).strip("_") or "value"


def _target_name(target) -> str:
    if isinstance(target, cst.Name):
        return target.value
    if isinstance(target, cst.Attribute):
        return target.attr.value
    if isinstance(target, cst.Subscript):
        index = getattr(target.slice[0].slice, "value", None) if len(target.slice) == 1 else None
        if isinstance(index, cst.SimpleString):
            return _segment(str(index.evaluated_value))
        if isinstance(index, cst.Integer):
            return f"{_target_name(target.value)}_{index.value}"
        return _target_name(target.value)
    if isinstance(target, (cst.Tuple, cst.List)):
        return "_".join(_target_name(e.value) for e in target.elements) or "value"
    if isinstance(target, cst.StarredElement):
        return _target_name(target.value)
    return "value"


def _wrapped(program: Program, call: cst.Call):
    """The callee a deferred call builds (``SGD`` in ``LazyCall(SGD)(lr=...)`` and in
    ``partial(SGD, lr=...)``: names.LAZY_CALLS, PARTIALS), else the call's own callee."""
    func = call.func
    if isinstance(func, cst.Call) and len(func.args) == 1 and func.args[0].keyword is None \
            and not func.args[0].star and program.resolver.qualified(func.func) in LAZY_CALLS:
        return func.args[0].value
    if call.args and call.args[0].keyword is None and not call.args[0].star \
            and program.resolver.qualified(func) in PARTIALS:
        return call.args[0].value
    return func


def _callee_name(func) -> str:
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Call):
        return _callee_name(func.func)
    if isinstance(func, cst.Subscript):
        return _callee_name(func.value)
    return "call"


def _param_name(program: Program, call: cst.Call, arg: cst.Arg, place: Place) -> str:
    if arg.keyword is not None:
        return arg.keyword.value
    if arg.star:
        return "args" if arg.star == "*" else "kwargs"
    index = 0
    for each in call.args:
        if each is arg:
            break
        if each.star:
            return f"arg{index}"
        index += 1
    func = _wrapped(program, call)
    if func is not call.func and not isinstance(call.func, cst.Call):  # partial(f, a): a is f's first
        if index == 0:
            return "callee"
        index -= 1
    signature = program.resolver.signature(func, place.class_name)
    if signature is not None and index < len(signature.positional):
        return signature.positional[index]
    return f"arg{index}"


def _param_hint(value) -> str:
    node, path = value
    if path and isinstance(path[-1], cst.Arg) and path[-1].keyword is not None:
        return path[-1].keyword.value
    return "param"


def _ast_chain(root: ast.AST, target: ast.AST) -> list | None:
    if root is target:
        return [root]
    for child in ast.iter_child_nodes(root):
        found = _ast_chain(child, target)
        if found is not None:
            return [root] + found
    return None


def _ast_local_name(candidate: ast.AST, target: ast.AST, resolver, line: int) -> str:
    chain = _ast_chain(candidate, target) or [target]
    for i in range(len(chain) - 1, 0, -1):
        child, parent = chain[i], chain[i - 1]
        if isinstance(parent, ast.keyword) and i >= 2 and isinstance(chain[i - 2], ast.Call):
            return f"{_ast_callee(chain[i - 2].func)}.{parent.arg}"
        if isinstance(parent, ast.Call) and any(a is child for a in parent.args):
            index = next(k for k, a in enumerate(parent.args) if a is child)
            if any(isinstance(a, ast.Starred) for a in parent.args[:index]):
                return f"{_ast_callee(parent.func)}.arg{index}"
            signature = resolver.signature_of_dotted(".".join(dotted_parts(parent.func) or ()),
                                                     line)
            name = (signature.positional[index] if signature is not None
                    and index < len(signature.positional) else f"arg{index}")
            return f"{_ast_callee(parent.func)}.{name}"
    return "value"


def _ast_callee(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Call):
        return _ast_callee(func.func)
    return "call"
