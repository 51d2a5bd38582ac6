"""Options shared by several commands.

``@rules_option`` adds ``--rules FILE|PRESET`` (a rules file, or a preset shipped with glovec:
``keras``, ``pytorch``) to ``convert``, ``diff``, ``space``, ``check``, ``run`` and
``materialize``. The value reaches the command as a string (a preset name or an existing
path) and goes to ``compile_source(..., rules=...)`` / ``materialize_source(..., rules=...)``
as is; problems inside the file are diagnostics from the compiler (exit 1), a file that does
not exist is a usage error (exit 2).
"""

from __future__ import annotations

import os

import click

PRESETS = ("argparse", "config_keys", "keras", "pytorch")  # as in glovec.transforms.rules (not imported: keeps start-up short)


def _check_rules(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None or value in PRESETS or os.path.isfile(value):
        return value
    import difflib

    close = difflib.get_close_matches(value, PRESETS, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise click.BadParameter(f"no rules file {value!r} and no preset of that name (presets: "
                             f"{', '.join(PRESETS)}){hint}", ctx=ctx, param=param)


def rules_option(command):
    """``--rules FILE|PRESET``: select sites with a rules file, no edit to the program."""
    return click.option(
        "--rules", "rules", metavar="FILE|PRESET", default=None, callback=_check_rules,
        help="A rules file (TOML) that selects sites without editing the program, or a preset "
             "shipped with glovec: argparse, keras, pytorch. See docs/rules.md.")(command)


def rules_for(rules: str | None, program_args=()):
    """What ``compile_source(rules=...)`` gets: the rules spec itself, or a ``RulesHook`` that
    knows the options given on the program's command line (their argparse defaults are not
    searched) and keeps what ``--explain`` prints. A rules file that cannot be used is left to
    the compiler, which reports it."""
    if rules is None:
        return rules
    from glovec.transforms.rules import given_options, rules_hook

    hook, problems = rules_hook(rules, given_options(program_args))
    return rules if problems else hook
