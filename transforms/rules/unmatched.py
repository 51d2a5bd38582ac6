"""GV312: warnings at the rules of the user's own file that selected nothing."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..diagnostics import Diagnostic, suggest
from .schema import CALLEE, Rule, RuleDiagnostic, RuleSet, any_glob, preset_path

if TYPE_CHECKING:
    from .match import Matcher


def own_rules(ruleset: RuleSet) -> list[Rule]:
    """The rules written in the rules file itself: not those of ``extends``, and none of a
    preset's (a preset has rules that a given program legitimately does not use)."""
    top = os.path.abspath(ruleset.path)
    if os.path.dirname(top) == os.path.dirname(os.path.abspath(preset_path("keras"))):
        return []
    return [r for r in ruleset.rules if os.path.abspath(r.path) == top]


def unmatched_warnings(ruleset: RuleSet, matcher: "Matcher", path: str | None) -> list[Diagnostic]:
    """GV312, a warning at each rule of the user's own file that selected nothing (a typo in a
    callee, an arg or a name quietly searches nothing); ``optional = true`` rules never warn."""
    warnings: list[Diagnostic] = []
    for rule in own_rules(ruleset):
        if rule.optional or rule.index in matcher.matched or rule.selector == "key":
            continue  # key rules select in config files: rules/keys.py warns for them
        who = f"rule {rule.name!r}" if rule.name else "this rule"
        hint = ""
        # a guess at the name meant, for one plain name (a typo); not for globs or lists
        plain = len(rule.pattern) == 1 and not any(c in rule.pattern[0] for c in "*?[")

        def guess(choices) -> str:
            return suggest(rule.pattern[0], choices) if plain else ""

        if rule.selector == "call":
            callees = [q for q, rules in matcher._by_callee.items() if rule in rules] + [
                q for q, ties in matcher._ties_by_callee.items()
                if any(r is rule and own for r, _param, own in ties)]
            if not callees:
                hint = f": no call to {' or '.join(rule.pattern)}{guess(matcher._by_callee)}"
            elif rule.arg != CALLEE and rule.index not in matcher.passed:
                hint = (f": no call to {' or '.join(rule.pattern)} passes {rule.arg}"
                        f"{suggest(rule.arg, sorted(matcher.near.get(rule.index, ())))}")
            elif rule.tie is not None:
                hint = (f": no literal {rule.arg} is passed again later as "
                        f"{' or '.join(f'{c}.{p}' for c, p in rule.tie)} in its scope")
        elif rule.selector == "option":
            if not any(any_glob(rule.pattern, n) for n in matcher.option_names):
                hint = (f": no option {' or '.join(rule.pattern)}"
                        f"{guess(sorted(matcher.option_names))}")
        elif not any(any_glob(rule.pattern, n.lower()) for n in matcher.names):
            what = {"assign": "name", "factor": "literal multiplies a value named"}.get(
                rule.selector, "parameter")
            hint = (f": no {what} {' or '.join(rule.pattern)}"
                    f"{guess(sorted({n.lower() for n in matcher.names}))}")
        warnings.append(RuleDiagnostic(
            "GV312", f"{who} matched nothing in {path or 'the program'}{hint}", rule.line,
            rule.col, path=rule.path, severity="warning"))
    return warnings

