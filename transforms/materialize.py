"""Materialize: write chosen decisions back into the original program, as plain Python.

Before (with decisions ``{"build.Dense.units": 2, "lr": 0.01}``):

    lr = 1e-3  # glovec: floatv(1e-4, 1e-1, scale="log")
    def build():
        return layers.Dense(128)  # glovec: units=oneof([64, 128, 256])

After:

    lr = 0.01  # glovec: floatv(1e-4, 1e-1, scale="log")
    def build():
        return layers.Dense(256)  # glovec: units=oneof([64, 128, 256])

No glovec import is added and the ``# glovec:`` comments stay, so the result can be converted
again. A decision equal to the default keeps the program's own text byte for byte (all-default
decisions return the input unchanged); a missing decision means the default. ``decisions`` is
a DNA-style dict keyed by point id: a candidate index for oneof, index lists for
manyof/permutate, a number for floatv/intv; nested points are ``parent[=k].child``.

A decision tied over several values (one ``name=`` on several sites) is written at each.
repeat=N sites have N points, ``id[0]`` .. ``id[N-1]`` (or ``id`` for all N), but one place in
the source: they are written back when all N decisions agree, and refused (GV211) otherwise.
Decisions naming no point of the program, or not fitting their point, are refused (GV210).
"""

from __future__ import annotations

import ast
from dataclasses import replace

from .diagnostics import Diagnostic, DiagnosticError, suggest
from .program import Program
from .rewrite import apply_edits, candidate_code, keep_lines
from .sites import find_sites

# Replacement texts that never need parentheses, whatever surrounds them.
_ATOMS = (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.List, ast.Dict, ast.Set,
          ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def materialize_source(source: bytes | str, path: str, decisions: dict, *, rules=None) -> str:
    """The original program with ``decisions`` written in at each site (raises
    DiagnosticError when the program or the decisions have problems)."""
    try:
        if rules is not None and not callable(rules) and not hasattr(rules, "find_sites"):
            from .rules import rules_hook  # a rules file path or preset name, as compile_source

            rules, problems = rules_hook(rules)
            if problems:
                raise DiagnosticError(problems)
        program = Program(source, path)
        found = find_sites(program, rules)
        found.diagnostics.extend(getattr(rules, "diagnostics", None) or ())
        if found.diagnostics:
            raise DiagnosticError(found.diagnostics)
        writer = _Writer(program, dict(decisions))
        for site in found.sites:
            for each in site.locations():  # a tied decision is written at each of its values
                writer.site(each)
        writer.check_unknown(found.sites)
        if writer.problems:
            raise DiagnosticError(writer.problems)
    except DiagnosticError as exc:
        raise DiagnosticError([d if d.path else replace(d, path=path)
                               for d in exc.diagnostics]) from None
    return apply_edits(program.text.text, writer.edits)


class _Writer:
    def __init__(self, program: Program, decisions: dict) -> None:
        self.program = program
        self.decisions = decisions
        self.edits: list[tuple] = []
        self.problems: list[Diagnostic] = []

    def problem(self, code: str, message: str, site=None) -> None:
        line, col = (site.line, site.col) if site is not None else (1, 1)
        self.problems.append(Diagnostic(code, message, line, col))

    # -- choosing values --
    def value(self, site):
        """The decided value of a site (its default when undecided); None on a problem."""
        if site.repeat == 1:
            return self._checked(site, site.id, self.decisions.get(site.id, site.default))
        shared = self.decisions.get(site.id, site.default)
        values = [self._checked(site, f"{site.id}[{i}]", self.decisions.get(f"{site.id}[{i}]", shared))
                  for i in range(site.repeat)]
        if any(v is None for v in values):
            return None
        if any(v != values[0] for v in values):
            self.problem("GV211", f"{site.id} has repeat={site.repeat} and different decisions "
                         f"{values}; one place in the source can hold one value", site)
            return None
        return values[0]

    def _checked(self, site, key: str, value):
        spec = site.spec
        kind = spec.kind
        n = len(spec.candidates)
        if kind == "oneof":
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < n:
                return value
            return self._bad(site, key, value, f"a candidate index 0..{n - 1}")
        if kind in ("manyof", "permutate"):
            if isinstance(value, (list, tuple)) and all(
                    isinstance(i, int) and not isinstance(i, bool) and 0 <= i < n for i in value):
                value = tuple(value)
                k = spec.k if kind == "manyof" else n
                distinct = spec.distinct if kind == "manyof" else True
                if len(value) == k and (not distinct or len(set(value)) == k) and (
                        kind != "manyof" or not spec.sorted or list(value) == sorted(value)):
                    return value
            return self._bad(site, key, value, f"{'k=' + str(spec.k) if kind == 'manyof' else n} "
                             f"candidate indices 0..{n - 1}")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and spec.lo <= value <= spec.hi:
            if kind == "floatv":
                return float(value)
            if float(value).is_integer() and (int(value) - spec.lo) % spec.step == 0:
                return int(value)
        return self._bad(site, key, value, f"a number in [{spec.lo}, {spec.hi}]"
                         + (f" on step {spec.step}" if kind == "intv" else ""))

    def _bad(self, site, key: str, value, wanted: str):
        self.problem("GV210", f"decision {key}={value!r} does not fit its {site.kind} site: "
                     f"expected {wanted}", site)
        return None

    def check_unknown(self, sites) -> None:
        known = set()
        for top in sites:
            for site in top.walk():
                known.add(site.id)
                known.update(f"{site.id}[{i}]" for i in range(site.repeat) if site.repeat != 1)
        for key in self.decisions:
            if key not in known:
                self.problem("GV210", f"no site has the id {key!r}{suggest(str(key), known)}")

    # -- writing --
    def site(self, site) -> None:
        """Edits for a site of the program's text (its children too)."""
        value = self.value(site)
        if value is None or value == site.default:
            if value is not None and site.kind == "oneof":
                for child in site.children.get(value, ()):
                    self.site(child)
            return
        text = self.text(site, value)
        if site.parens or (not site.free and _needs_parens(text)):
            text = f"({text})"
        text = keep_lines(self.program, site.start, site.end, text)
        self.edits.append((site.start, 1, -(site.end - site.start), site.end, text))

    def text(self, site, value) -> str:
        """The source text of ``value`` at ``site`` (nested sites written in)."""
        kind = site.kind
        if kind == "oneof":
            return candidate_code(site, value, render=self._child_text)
        if kind in ("manyof", "permutate"):
            items = [site.spec.candidates[i].text for i in value]
            if site.is_tuple:
                return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
            return "[" + ", ".join(items) + "]"
        return repr(value)

    def _child_text(self, child) -> str:
        value = self.value(child)
        if value is None:
            value = child.default
        return self.text(child, value)


def _needs_parens(text: str) -> bool:
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return True
    if isinstance(node, ast.Constant):
        return False
    return not isinstance(node, _ATOMS)
