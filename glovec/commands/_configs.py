"""``--config PATH`` (repeatable): YAML config files whose sites join the program's space.

Given to ``convert``, ``diff``, ``space``, ``run`` and ``materialize`` (docs/rules.md, "Config
files"). Each file is read here (GV601 when it cannot be), compiled with the program
(``compile_source(..., configs=...)``), and written back by the command that writes: ``convert``
writes each file's search version (``<stem>_search.yaml`` beside it), ``materialize`` each
file with the chosen values (``<stem>_materialized.yaml`` beside it, or ``--config-output``).
"""

from __future__ import annotations

import os

import click

from glovec.files import read_input


def config_option(command):
    """``--config PATH``, repeatable: a YAML config file the program reads."""
    return click.option(
        "--config", "configs", metavar="PATH", multiple=True,
        help="a YAML config file the program reads (Hydra, OmegaConf, yaml.safe_load): its "
             "`# glovec:` markers and the rules' `key` selectors add sites; repeatable. See "
             "docs/rules.md.")(command)


def read_configs(paths) -> list[tuple[str, bytes]]:
    """``[(path, bytes)]`` of each ``--config`` file (GV601 when one cannot be read)."""
    return [(path, read_input(path)) for path in paths or ()]


def materialized_path(path: str) -> str:
    """``<stem>_materialized<ext>`` beside the config file."""
    stem, ext = os.path.splitext(path)
    return f"{stem}_materialized{ext or '.yaml'}"
