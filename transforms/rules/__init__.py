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

    [[rule]]
    option = ["lr", "*_lr"]          # an argparse option's default (names in one spelling)
    help = "*learning rate*"         # optional, with option: globs over its help text
    type = "float"                   # optional, any selector: the declared or literal type
    values = 'floatv(x / 10, x * 10, scale="log")'

This pass reads the program with ``ast`` (it never runs it), finds each literal a rule
selects, evaluates the template with a tiny arithmetic evaluator (never ``eval``), checks that
the literal is a legal point of the result, and hands the compiler a spec text per value
(``RuleSite``); from there a rule site is a site like a ``# glovec:`` marker's. Rules are tried
in file order and the first one that selects a value takes it; a rule whose ``where`` or
``type`` refuses a value leaves it to the next. What a rule refused, and why, is kept
(``Refusal``) for ``glovec space --explain``, with each site's ``RuleSite.why``.

Diagnostics about the rules file point into the rules file (``RuleDiagnostic`` carries its
path); diagnostics about a match point into the program.

One file per job:

- ``schema.py``: what a rule is (``Rule``, ``RuleSet``, the keys and selectors, the presets,
  ``option_name``: the one spelling of option names);
- ``template.py``: the ``values``/``where`` expressions and their evaluator;
- ``locator.py``: lines and columns of keys in the TOML text;
- ``load.py``: a rules file -> a checked ``RuleSet`` (or ``RulesError``);
- ``match.py``: the values the rules select in a program (``RuleSite``, ``Refusal``), and
  ``given_options`` (the options on a program's command line, which are not searched);
- ``unmatched.py``: GV312, rules of the user's file that selected nothing;
- ``hook.py``: the compiler's hook (``rules_hook``), rule sites -> spec requests.

Adding a selector (a kind of value rules can select), as ``option`` was added:

1. ``schema.py``: its key in ``SELECTORS`` and ``RULE_KEYS`` (and any key that goes with it,
   such as ``help``); a field on ``Rule`` for such a key.
2. ``load.py``, ``_parse_rule``: the pattern checks run for every name in ``SELECTORS``; add
   what is particular to it (keys allowed only with it: GV306; how its patterns are normalised)
   and name it in the GV304 message ("exactly one selector: ...").
3. ``match.py``: the ``Matcher`` keeps the rules of that selector (``self.option_rules``); a
   ``visit_*`` method (registered in ``self._dispatch`` if it is a new node type) finds the
   candidate values, matches names with ``self._hits`` (cached per name), and calls
   ``self._take(rule, value, kind, arguments, ..., declared=..., why=...)``: ``kind`` is
   ``RuleSite.kind``, ``arguments`` the names a ``where`` may use, ``declared`` the type for
   ``type``, ``why`` the sentence ``--explain`` prints. ``_take`` checks the literal, ``type``,
   ``where``, ``skip``, ``# glovec: fixed`` and earlier claims, and records refusals.
4. ``unmatched.py``: the GV312 hint for a rule of that selector that selected nothing (keep the
   names it saw on the ``Matcher`` for a "did you mean").
5. ``hook.py`` needs nothing: it finds the libcst node by the value's span.
6. ``transforms/diagnostics.py``: the GV303/GV304 texts list the keys and selectors.
7. ``docs/rules.md`` (the key table, the diagnostics table), a golden case in
   ``fixtures/rules/`` if the output is new, and tests (``tests/test_rules*.py``,
   ``tests/test_presets*.py``).
"""

from .hook import RulesHook, rule_origin, rules_hook
from .load import load_rules, parse_rules, resolve_rules_path
from .match import Refusal, RuleSite, RulesResult, computed, given_options, match_rules
from .schema import (CALLEE, PRESETS, RULE_KEYS, SELECTORS, TOP_KEYS, Rule, RuleDiagnostic,
                     RuleSet, RulesError, preset_path)
from .template import (FUNCTIONS, MARKERS, TEMPLATE_PRIMITIVES, UNKNOWN, MatchError, Template,
                       TemplateError, evaluate, instantiate, instantiate_names, literal_value,
                       parse_template)

__all__ = [
    "CALLEE", "FUNCTIONS", "MARKERS", "PRESETS", "RULE_KEYS", "SELECTORS", "TEMPLATE_PRIMITIVES",
    "TOP_KEYS", "UNKNOWN", "MatchError", "Refusal", "Rule", "RuleDiagnostic", "RuleSet",
    "RuleSite", "RulesError", "RulesHook", "RulesResult", "Template", "TemplateError", "computed",
    "evaluate",
    "given_options", "instantiate", "instantiate_names", "literal_value", "load_rules",
    "match_rules", "parse_rules", "parse_template", "preset_path", "resolve_rules_path",
    "rule_origin", "rules_hook",
]
