"""The compiler's hook: rule sites handed to the site finder as spec requests."""

from __future__ import annotations

import os

from ..diagnostics import Diagnostic
from .load import load_rules
from .match import Refusal, RuleSite, match_rules
from .schema import RulesError, preset_path

_LITERAL_NODES = None


def _literal_node_types():
    global _LITERAL_NODES
    if _LITERAL_NODES is None:
        import libcst as cst

        _LITERAL_NODES = (cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString,
                          cst.Name, cst.UnaryOperation, cst.BinaryOperation, cst.Call)
    return _LITERAL_NODES


class RulesHook:
    """What ``compile_source(..., rules=...)`` hands the site finder: ``find_sites(program)``
    returns one ``SpecRequest`` per value the rules select; diagnostics about the matches
    (templates that do not fit a value) collect in ``self.diagnostics``."""

    def __init__(self, ruleset, given: frozenset = frozenset()) -> None:
        self.ruleset = load_rules(ruleset)
        self.given = given  # option names on the program's command line (match.given_options)
        self.diagnostics: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []  # GV312: the compiler's CompileResult.warnings
        self.sites: list[RuleSite] = []
        self.refusals: list[Refusal] = []  # literals rules looked at and left alone (--explain)
        self.text: str | None = None  # the program's text, once find_sites has read it

    def find_sites(self, program) -> list:
        from ..sites import SpecRequest

        text = self.text = program.text.text
        result = match_rules(self.ruleset, text, program.path, getattr(program, "tree", None),
                             getattr(program, "names", None), self.given)
        self.sites = result.sites
        self.refusals = result.refusals
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
            requests.append(SpecRequest(node, site.spec, rule_origin(site.rule), site.tie))
        return requests


def rule_origin(rule) -> str:
    """Where a rule is written: ``rules.toml:12 (name)``, ``preset argparse:88 (name)``."""
    shown = rule.path
    if os.path.dirname(os.path.abspath(shown)) == os.path.dirname(preset_path("keras")):
        shown = "preset " + os.path.basename(shown)[:-len(".toml")]
    return f"{shown}:{rule.line}" + (f" ({rule.name})" if rule.name else "")


def rules_hook(rules, given: frozenset = frozenset()) -> tuple[RulesHook | None, list[Diagnostic]]:
    """A hook for ``rules`` (a path, a preset name, a RuleSet or a RulesHook), or the
    diagnostics that say why the rules file cannot be used. ``given``: option names on the
    program's command line, whose argparse defaults are not searched."""
    if rules is None:
        return None, []
    if isinstance(rules, RulesHook):
        return rules, []
    try:
        return RulesHook(rules, given), []
    except RulesError as exc:
        return None, exc.diagnostics
