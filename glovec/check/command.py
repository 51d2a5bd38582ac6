"""``glovec check``: search-space coverage for CI (static checks, dynamic smoke runs, baseline diff)."""

from __future__ import annotations

import json
import os

import click

from glovec.commands._configs import config_option, read_configs
from glovec.commands._options import rules_option
from glovec.files import FileProblem, write_atomic

_HELP = """Check that the search space of PATHS is what you think it is.

PATHS are programs or directories (their *.py files and *.ipynb notebooks that carry glovec
markers; generated programs are skipped). A notebook is checked as its script equivalent and
its findings name the cell (model.ipynb:cell 3:2:17). Static checks never import or run the program: every marker attaches
to one site, specs are valid, an objective is marked (a warning), and no hyper-parameter of
a common Keras, PyTorch or scikit-learn call is a literal that no site searches (GV401).
Silence a deliberate literal with a fixed marker on its line, --allow, or pyproject.toml:

\b
    layers.Dense(10)  # glovec: fixed
    glovec check --allow Dense.units,epochs model.py
    [tool.glovec.check]  allow = ["Dense.units"]

--dynamic N runs the program at most N times (GLOVEC_SMOKE=1, a fresh interpreter per run,
killed after --timeout) under DNAs chosen to exercise every candidate of every site, and
reports sites never reached, failing candidates with their line, and per-site coverage.
Arguments after `--` go to the program in every dynamic run (its sys.argv[1:]); with several
PATHS each program gets the same arguments. --workers N runs up to N of them at once, in waves
planned from the runs finished so far; the report is the one --workers 1 gives (for a
deterministic program); runs started on a plan that an earlier run changed are killed and
not reported.

\b
    glovec check train.py --dynamic 4 --workers 2 -- --epochs 1

\b
Coverage figures:
  dynamic: candidates exercised / candidates (a floatv/intv counts its two bounds),
           and sites reached / sites;
  static:  markers attached to a site / markers written.
--min-coverage F applies to the candidates figure with --dynamic, to the markers figure
without it.

--config PATH (repeatable) adds the sites of a YAML config file the program reads (its
`# glovec:` markers, the rules' `key` selectors), as for `glovec space`: they count in every
figure, a dynamic run reads the trial's values from the file, and a finding about a config
site names the YAML file's line. With several PATHS each program gets the same files.

\b
    glovec check train.py --rules pytorch --config conf/config.yaml --min-coverage 1

Exit 0 clean, 1 findings or coverage below --min-coverage (warnings fail only with
--strict), 2 usage or internal error. `glovec explain GV401` ... `GV407` describe the
findings; docs/ci.md shows a CI job.
"""


def _fraction(value: str | None) -> float | None:
    if value is None:
        return None
    text = value.strip()
    try:
        number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a fraction (0.8) or a percentage (80%)",
                                 param_hint="--min-coverage")
    if not 0 <= number <= 1:
        raise click.BadParameter(f"{value!r} is outside 0..1 (or 0%..100%)",
                                 param_hint="--min-coverage")
    return number


def _split(values) -> list[str]:
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


_PROGRAM_ARGS = "glovec.check.program_args"


class _CheckCommand(click.Command):
    """PATHS is variadic, so the program's arguments after `--` are split off before parsing."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = list(args)
        if "--" in args:
            at = args.index("--")
            ctx.meta[_PROGRAM_ARGS] = tuple(args[at + 1:])
            args = args[:at]
        return super().parse_args(ctx, args)

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return super().collect_usage_pieces(ctx) + ["[-- PROGRAM_ARGS...]"]


@click.command("check", cls=_CheckCommand, help=_HELP)
@click.argument("paths", nargs=-1, required=True)
@click.option("--dynamic", "runs", type=click.IntRange(min=1), metavar="N",
              help="Run the program at most N times to measure reached sites and candidates.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=300.0,
              show_default=True, help="Seconds per dynamic run before it counts as failed.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
              help="Dynamic runs at once (same report as 1 for a deterministic program).")
@click.option("--min-coverage", "min_coverage", metavar="F",
              help="Fail below this coverage (0..1 or N%): candidates with --dynamic, else markers.")
@click.option("--baseline", type=click.Path(exists=True, dir_okay=False),
              help="A space JSON from `glovec space --json`: report added/removed/changed sites.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "github"]),
              default="text", show_default=True)
@click.option("--allow", multiple=True, metavar="NAME,...",
              help="Hyper-parameters that are fixed on purpose: units, Dense.units, lr, ...")
@click.option("--exclude", multiple=True, metavar="GLOB,...",
              help="Skip files under directories that match these globs.")
@rules_option
@config_option
@click.option("--objective", metavar="NAME",
              help="As for run: the Keras metric reported from model.fit (no objective marker needed).")
@click.option("--strict", is_flag=True, help="Warnings (a missing objective) fail the check too.")
@click.option("--only-marked", is_flag=True,
              help="Skip named files that do not mention glovec, and generated programs (as for "
                   "directories); for hooks that pass every changed file.")
@click.option("-o", "--output",
              help="Write the report to this file instead of stdout (written atomically).")
def check_command(paths, runs, timeout, workers, min_coverage, baseline, fmt, allow, exclude, rules,
                  objective, strict, only_marked, output, configs=()) -> int:
    from glovec.check.checker import check_files
    from glovec.check.inputs import discover, load_config
    from glovec.check.report import render

    program_args = click.get_current_context().meta.get(_PROGRAM_ARGS, ())
    if program_args and not runs:
        raise click.UsageError("program arguments after `--` need --dynamic N (static checks never "
                               "run the program)")
    for path in paths:  # one rule for every command: an input that is not there is GV601, exit 1
        if not os.path.exists(path):
            raise FileProblem("GV601", path, f"cannot read {path}: No such file or directory")
    config = load_config(paths[0])
    allow_list = _split(allow) + [str(a) for a in config.get("allow", [])]
    exclude_list = _split(exclude) + [str(e) for e in config.get("exclude", [])]
    threshold = _fraction(min_coverage if min_coverage is not None else
                          (str(config["min-coverage"]) if "min-coverage" in config else None))
    baseline_space = None
    if baseline:
        try:
            with open(baseline, encoding="utf-8") as f:
                baseline_space = json.load(f)
            if not isinstance(baseline_space, dict) or not isinstance(baseline_space.get("sites"), list):
                raise ValueError("no \"sites\" list")
        except (OSError, ValueError) as exc:
            raise click.BadParameter(f"{baseline}: not a space JSON from `glovec space --json` ({exc})",
                                     param_hint="--baseline")
    config_files = read_configs(configs)  # GV601 when one cannot be read, as for the others
    files = discover(paths, exclude_list, only_marked=only_marked,
                     rules=bool(rules) or bool(configs))
    if not files:
        if only_marked:
            return 0  # a hook run over files none of which is a glovec program
        raise click.UsageError("no glovec programs found in " + ", ".join(paths))
    if configs and any(f.endswith(".ipynb") for f in files):
        raise click.UsageError("--config goes with a .py program, not a notebook")
    from glovec.notebook import NotebookSupportMissing

    try:
        report = check_files(files, allow=allow_list, rules=rules, objective=objective, runs=runs,
                             timeout=timeout, argv=program_args, workers=workers,
                             baseline=baseline_space, baseline_path=baseline, threshold=threshold,
                             strict=strict, configs=config_files)
    except NotebookSupportMissing as exc:  # a notebook among PATHS, and no nbformat/IPython
        raise click.UsageError(str(exc)) from None
    out, err = render(report, fmt)
    if err:
        click.echo(err, err=True, nl=False)
    if output:
        write_atomic(output, out)
    else:
        click.echo(out, nl=False)
    return report.exit_status()
