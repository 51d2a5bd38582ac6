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

PRESETS = ("argparse", "keras", "pytorch")  # as in glovec.transforms.rules (not imported: keeps start-up short)


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
