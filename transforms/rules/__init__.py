"""Rules files: sites chosen from outside the program, with no edit to it (docs/rules.md).

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

One file per job:

- ``schema.py``: what a rule is (``Rule``, ``RuleSet``, the keys and selectors, the presets);
- ``template.py``: the ``values``/``where`` expressions and their evaluator;
- ``locator.py``: lines and columns of keys in the TOML text;
- ``load.py``: a rules file -> a checked ``RuleSet`` (or ``RulesError``);
- ``match.py``: the values the rules select in a program (``RuleSite``);
- ``unmatched.py``: GV312, rules of the user's file that selected nothing;
- ``hook.py``: the compiler's hook (``rules_hook``), rule sites -> spec requests.

A new selector (a kind of value rules can select) is a name in ``schema.SELECTORS``, its
checks in ``load._parse_rule`` and a visitor method in ``match.Matcher``.
"""

from .hook import RulesHook, rule_origin, rules_hook
from .load import load_rules, parse_rules, resolve_rules_path
from .match import Refusal, RuleSite, RulesResult, given_options, match_rules
from .schema import (CALLEE, PRESETS, RULE_KEYS, SELECTORS, TOP_KEYS, Rule, RuleDiagnostic,
                     RuleSet, RulesError, preset_path)
from .template import (FUNCTIONS, MARKERS, TEMPLATE_PRIMITIVES, UNKNOWN, MatchError, Template,
                       TemplateError, evaluate, instantiate, instantiate_names, literal_value,
                       parse_template)

__all__ = [
    "CALLEE", "FUNCTIONS", "MARKERS", "PRESETS", "RULE_KEYS", "SELECTORS", "TEMPLATE_PRIMITIVES",
    "TOP_KEYS", "UNKNOWN", "MatchError", "Refusal", "Rule", "RuleDiagnostic", "RuleSet",
    "RuleSite", "RulesError", "RulesHook", "RulesResult", "Template", "TemplateError", "evaluate",
    "given_options", "instantiate", "instantiate_names", "literal_value", "load_rules",
    "match_rules", "parse_rules", "parse_template", "preset_path", "resolve_rules_path",
    "rule_origin", "rules_hook",
]
