"""``glovec run``, ``glovec report`` and ``glovec materialize``: run a search, read a study, and
write a chosen trial back into the program as plain Python.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import TYPE_CHECKING

import click

from glovec.files import read_input, write_atomic, write_stdout
from glovec.terminal import printable

from glovec.commands._configs import config_option, materialized_path, read_configs
from glovec.commands._options import rules_for, rules_option
from glovec.runtime.algorithms.registry import DEFAULT_RULE
from glovec.runtime.driver import ONE_SHOT_DEFAULTS

if TYPE_CHECKING:
    from glovec.compiler import CompileResult

# ---- shared helpers -------------------------------------------------------------------------




def _show(diagnostics) -> None:
    for d in diagnostics:
        render = getattr(d, "render", None)
        click.echo(render() if callable(render) else str(d), err=True)


def _compile(path: str, source: bytes, objective: str | None = None,
             rules: str | None = None, configs=()) -> "CompileResult | None":
    """Compile in memory (with the ``--config`` files); print diagnostics; the
    ``CompileResult`` (its code, space document and header line), or None when the program has
    errors."""
    from glovec.notebook import is_notebook

    if is_notebook(path) and configs:
        raise click.UsageError("--config goes with a .py program, not a notebook")
    if is_notebook(path):  # its script equivalent; diagnostics name the cells
        from glovec.commands._notebook import compile_file

        compiled = compile_file(path, source, objective=objective, rules=rules or None)
        return None if compiled is None else compiled.result
    from glovec.compiler import compile_source

    result = compile_source(source, path, objective=objective, rules=rules or None,
                            configs=read_configs(configs))
    _show([*result.diagnostics, *getattr(result, "warnings", ())])
    if result.diagnostics or result.code is None:
        return None
    return result


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


# ---- glovec run -----------------------------------------------------------------------------


@click.command("run", context_settings={"ignore_unknown_options": False})
@click.argument("src")
@click.option("--algorithm", default=None, help="search algorithm: random, grid, evolution, "
              "hillclimb, tpe, nsga2, ppo, reinforce, optuna[:Sampler], or module:Class (or "
              "module:function, e.g. an evolve.py composition)  [default: chosen from the space: "
              + DEFAULT_RULE + "; the run's first line says which]")
@click.option("--trials", type=click.IntRange(min=0), default=None,
              help="finished trials (failed ones count) the study holds when the run ends"
                   "  [default: 20]")
@click.option("--study", default=None, type=click.Path(dir_okay=False),
              help="study file  [default: <program stem>.glovec.db beside the program]")
@click.option("--seed", type=int, default=None, help="the algorithm's seed")
@click.option("--executor", type=click.Choice(["inline", "process", "ray"]), default=None,
              help="where trials run  [default: inline; process with --workers > 1]")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="trials at once (process, ray; more than 1 picks process unless --executor says "
                   "otherwise)  [default: 1]")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="seconds a trial may run before it is stopped and failed")
@click.option("--gpus-per-trial", type=click.FloatRange(min=0), default=None,
              help="GPUs given to each trial (CUDA_VISIBLE_DEVICES); on Ray a fraction shares "
                   "one (0.5: two trials per GPU)")
@click.option("--cpus-per-trial", type=click.FloatRange(min=0), default=None,
              help="CPUs each trial asks Ray for  [ray; default: 1]")
@click.option("--resources", default=None, metavar="JSON",
              help="custom Ray resources each trial asks for, e.g. '{\"TPU\": 1}'  [ray]")
@click.option("--retries", type=click.IntRange(min=0), default=None,
              help="runs again of a trial whose Ray node is lost before it counts as failed"
                   "  [ray; default: 1]")
@click.option("--ray-address", default=None,
              help="an existing Ray cluster, e.g. ray://head:10001 or head:6379 (default: a "
                   "local one); glovec travels with the job")
@click.option("--ray-runtime-env", default=None, metavar="JSON",
              help="added to the job's Ray runtime environment, e.g. '{\"working_dir\": \".\"}' "
                   "to ship the program's folder  [ray]")
@click.option("--resume", is_flag=True, default=None, help="continue the study")
@click.option("--migrate", is_flag=True, default=None,
              help="with --resume: keep the trials whose decisions fit a changed space")
@click.option("--objective", default=None,
              help="the metric (or Keras metric name) to use as the objective")
@click.option("--memory-limit", default=None, metavar="SIZE",
              help="cap each process trial's memory (e.g. 4G); a trial that exceeds it fails")
@click.option("--preload", default=None, metavar="MODULE,...",
              help="modules the warm workers (process, ray) import once, beyond the program's "
                   "module-level imports")
@click.option("--early-stopping", type=click.Choice(["median", "halving"]), default=None,
              help="stop unpromising trials from their intermediate reports")
@click.option("--top", type=click.IntRange(min=0), default=None,
              help="best trials shown at the end  [default: 5]")
@click.option("--only", default=None, metavar="GROUP[,GROUP...]",
              help="search only these groups' sites; the others keep their default (or "
                   "--fix-from's decisions)")
@click.option("--fix-from", default=None, metavar="STUDY[:best|:TRIAL_ID]",
              help="with --only: the other sites take this trial's decisions  [default: :best]")
@click.option("--nest", default=None, metavar="GROUP",
              help="nested search: the outer search proposes GROUP's sites (--trials counts "
                   "outer trials), an inner search of --inner-trials the rest")
@click.option("--inner-trials", type=click.IntRange(min=1), default=None,
              help="with --nest: trials of each inner search  [default: 10]")
@click.option("--inner-algorithm", default=None,
              help="with --nest: the inner searches' algorithm  [default: --algorithm]")
@click.option("--enqueue", default=None, metavar="JSON|FILE|STUDY:best|STUDY:topK",
              help="points proposed first: {site id: value as `report --json` prints it} or a "
                   "list of them; missing sites take their default")
@click.option("--warm-start", default=None, metavar="STUDY",
              help="feed an earlier study's finished trials to the algorithm before it proposes")
@click.option("--one-shot", "one_shot", type=click.Choice(["spos", "enas", "darts"]), default=None,
              help="weight sharing: train one supernet with the program's own loop, then "
                   "evaluate --trials architectures on it [default: %(trials)s], spos "
                   "with --algorithm [default: %(algorithm)s] (docs/oneshot.md)"
                   % ONE_SHOT_DEFAULTS)
@click.option("--finalists", type=click.IntRange(min=0), default=None,
              help="with --one-shot: train this many of the best estimates alone, and the "
                   "program's own architecture; the best trained alone is the pick, 0 keeps "
                   "estimates only  [default: %(finalists)s]" % ONE_SHOT_DEFAULTS)
@rules_option
@config_option
@click.argument("program_args", nargs=-1, type=click.UNPROCESSED)
def run_command(src, program_args, **options) -> int:
    """Run a search over the sites marked in SRC (compiled in memory; SRC is not modified).

    Arguments after `--` go to the program in every trial. The GLOVEC_* environment variables
    (GLOVEC_TRIALS, GLOVEC_ALGORITHM, GLOVEC_STUDY, GLOVEC_SEED, GLOVEC_EXECUTOR, GLOVEC_WORKERS,
    GLOVEC_TIMEOUT, ...) set the same things; a flag wins over the environment.
    """
    text = read_input(src)
    rules = rules_for(options.pop("rules", None), program_args)
    _start_warm_worker(src, text, program_args, options)
    compiled = _compile(src, text, options.get("objective"), rules, options.pop("configs", ()))
    if compiled is None:
        return 1
    for refusal in getattr(rules, "refusals", ()):  # argparse options given after `--`
        if "given after `--`" in refusal.reason:
            click.echo(f"glovec: {src}:{refusal.line}:{refusal.col}: {refusal.reason}",
                       err=True)
    return search(src, compiled, program_args, options)


def _start_warm_worker(src: str, text: bytes, program_args, options: dict) -> None:
    """Where the flags and the environment ask for the process executor, start its fork server
    now: it imports the program's module-level imports while the program compiles, on another
    core, and the executor adopts it (``warm.start_early``). Settings the program itself gives
    are not known yet: then the executor starts its own worker, as it always did."""
    from glovec.runtime.driver import Settings, settings_from_env

    if src.lower().endswith(".ipynb"):
        return
    try:
        s = settings_from_env(Settings()).update(
            **{k: v for k, v in options.items() if k in Settings.FIELDS})
    except Exception:  # noqa: BLE001 - the search itself reports bad settings
        return
    if (s.executor or ("process" if s.workers > 1 else "inline")) != "process" \
            or s.gpus_per_trial or s.one_shot or s.nest:
        return
    from glovec.runtime.executors.resources import thread_env
    from glovec.runtime.executors.warm import start_early

    preload = [m.strip() for m in (s.preload or "").split(",") if m.strip()]
    start_early(os.path.abspath(src), text.decode("utf-8", "replace"), list(program_args),
                os.getcwd(), thread_env(s.workers), preload)


def search(src: str, compiled: "CompileResult", program_args, options: dict, out=None, err=None) -> int:
    """Run the search for a compiled program (``glovec run``, and ``%glovec run`` in a notebook):
    settings from the environment, then ``options`` (the command's flags; None = not given)."""
    from glovec.runtime.driver import (Settings, UsageError, apply_one_shot_defaults,
                                       default_study_path, run_search)
    from glovec.runtime.driver import settings_from_env
    from glovec.runtime.executors import ProgramRef

    if options.pop("configs", None):  # `glovec run` compiled them; %glovec run cannot
        click.echo("glovec: --config goes with a .py program, not a notebook", err=True)
        return 2
    try:
        settings = settings_from_env(Settings())
    except UsageError as exc:
        click.echo(f"glovec: {exc}", err=True)
        return 2
    for flag in ("resume", "migrate"):  # an absent flag must not undo GLOVEC_RESUME=1
        if not options.get(flag):
            options[flag] = None
    settings.update(**options)
    apply_one_shot_defaults(settings, {k for k, v in options.items() if v is not None})
    if settings.migrate and not settings.resume:
        click.echo("glovec: --migrate only makes sense with --resume", err=True)
        return 2
    for flag, needs in (("inner_trials", "nest"), ("inner_algorithm", "nest")):
        if getattr(settings, flag) is not None and not getattr(settings, needs):
            click.echo(f"glovec: --{flag.replace('_', '-')} only makes sense with --nest", err=True)
            return 2
    if settings.study is None:
        settings.study = default_study_path(src)
    prog = ProgramRef(code=compiled.code, path=None, source_path=os.path.abspath(src),
                      header_line=compiled.header_line, argv=list(program_args), cwd=os.getcwd())
    return _run_with_exec_errors(run_search, prog, compiled.space_doc, settings, out, err)


def _run_with_exec_errors(run_search, prog, space_doc, settings, out=None, err=None) -> int:
    from glovec.runtime.executors import ExecutorError

    try:
        return run_search(prog, space_doc, settings, out, err)
    except ExecutorError as exc:
        click.echo(f"glovec: {exc}", err=True)
        return 2


# ---- glovec report --------------------------------------------------------------------------


def _chosen_trial(path: str, best: bool, trial: int | None):
    """(The study's best trial or trial ``trial``, the study's stored space document); None (said
    on stderr) when there is no such trial."""
    study = _open_study(path)
    if study is None:
        return None
    try:
        with _study_errors():
            if best:
                top = study.best(1)
                record = top[0] if top else None
            else:
                record = study.trial(trial)
    except _Reported:
        return None
    finally:
        study.close()
    if record is None:
        what = "completed trial" if best else f"trial {trial}"
        click.echo(f"{study.path}:1:1: GV507 the study has no {what}", err=True)
        return None
    return record, study.space_doc


def _fitted_decisions(src: str, record, recorded: dict, current: dict) -> dict | None:
    """The trial's decisions for the program as it is now. A study stores candidate indices of
    the space it ran; when the program's space changed since (candidates added or reordered, a
    site added), the decisions are matched to it by candidate text, as ``run --resume --migrate``
    does, and stderr says so. None (GV503 said) when a chosen value no longer exists."""
    from glovec.runtime.geno import describe_diff, space_fingerprint
    from glovec.runtime.study.migrate import fit_decisions, flat_points

    if space_fingerprint(recorded) == space_fingerprint(current):
        return record.decisions
    detail = describe_diff(recorded, current) or "the structure differs"
    fitted = fit_decisions(dict(record.decisions), flat_points(recorded), flat_points(current),
                           current)
    if fitted is None:
        click.echo(f"{src}:1:1: GV503 the program's space changed since the study ran ({detail}) "
                   f"and trial {record.id}'s choices are no longer in it; materialize another "
                   f"trial, or give the values with --dna", err=True)
        return None
    click.echo(f"glovec materialize: the program's space changed since the study ran ({detail}); "
               f"trial {record.id}'s choices were matched to it by value", err=True)
    return fitted


def _open_study(path: str):
    from glovec.runtime.study import Study, StudyError

    try:
        return Study.load(path)
    except StudyError as exc:
        click.echo(exc.render(), err=True)
        return None


def trial_json(study, t, levels=None) -> dict:
    """One trial of ``study_json``: its decisions by site id (literal values) and the raw DNA;
    ``parent`` is the outer trial of an inner trial of a nested run (null otherwise), and
    ``kind`` is "outer" for outer trials, "inner" for inner ones, "trial" for the others."""
    from glovec.runtime.driver import literal_decisions
    from glovec.runtime.oneshot import ESTIMATE_METRIC

    parent, kind = (levels if levels is not None else study.levels()).get(t.id, (None, "trial"))
    return {
        "id": t.id,
        "parent": parent,
        "kind": kind,
        "status": t.status,
        "feasible": t.metrics.get("feasible") is not False,  # false: a constraint was false
        "objective": list(t.objective) if isinstance(t.objective, tuple) else t.objective,
        "decisions": literal_decisions(study, t.decisions),
        "dna": {k: list(v) if isinstance(v, tuple) else v for k, v in t.decisions.items()},
        "metrics": t.metrics,
        "error": t.error,
        "seconds": t.seconds,
        "node": t.node,
        "attempts": t.attempts,
        "estimate": ESTIMATE_METRIC in (t.metrics or {}),  # a one-shot supernet's estimate
    }


def study_json(study, trials=None) -> dict:
    """The study as JSON: every trial with its decisions by site id (literal values).
    ``trials`` (TrialRecords) replaces the full list: the dashboard sends the study's summary
    with ``[]`` and the trials that changed since its last update."""
    rows = study.trials() if trials is None else trials
    best = study.best(1)
    levels = study.levels()
    return {
        "glovec_study": 1,
        "study": os.path.abspath(study.path),
        "source": study.space_doc.get("source"),
        "directions": list(study.directions),
        "counts": study.counts(),
        "best": best[0].id if best else None,
        "trials": [trial_json(study, t, levels) for t in rows],
    }


@click.command("report")
@click.argument("study_path", metavar="STUDY", type=click.Path(dir_okay=False))
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True,
              help="best trials in the table")
@click.option("--json", "as_json", is_flag=True, help="print every trial as JSON instead")
@click.option("--plot", default=None,
              help="write a PNG of the objective per trial and the best so far")
@click.option("--html", type=click.Path(dir_okay=False), default=None,
              help="write the dashboard's views as one self-contained HTML file")
@click.option("--by-node", is_flag=True,
              help="the finished trials per node they ran on (Ray's node id; a cluster run)")
def report_command(study_path, top, as_json, plot, html=None, by_node=False) -> int:
    """Show the best trials of a study (or all of it as JSON, a plot, an HTML report)."""
    study = _open_study(study_path)
    if study is None:
        return 1
    try:
        with _study_errors():
            if by_node:
                shown = (json.dumps(nodes_json(study), indent=2) if as_json
                         else _nodes_text(study))
            elif as_json:
                shown = json.dumps(study_json(study), indent=2)
            else:
                shown = _report_text(study, top)
        click.echo(shown)
        if plot:
            try:
                with _study_errors():
                    image = plot_png(study, os.path.splitext(plot)[1][1:].lower())
            except ImportError:
                click.echo("glovec: --plot needs matplotlib (pip install 'glovec[plot]')", err=True)
                return 2
            write_atomic(plot, image)
            if not as_json:
                click.echo(f"plot: {plot}")
        if html:
            from glovec.dashboard.page import static_report

            with _study_errors():
                page = static_report(study)
            write_atomic(html, page)
            if not as_json:
                click.echo(f"html: {html}")
    except _Reported:
        return 1
    finally:
        study.close()
    return 0


def nodes_json(study) -> dict:
    """``glovec report --by-node --json``: per node, its finished trials by status, the seconds
    they took, its best objective and their ids (``null``: trials that ran on this machine)."""
    nodes: dict = {}
    maximize = study.directions[0] == "maximize"
    for t in study.trials(("completed", "failed", "pruned")):
        entry = nodes.setdefault(t.node, {"node": t.node, "trials": 0, "completed": 0,
                                          "failed": 0, "pruned": 0, "retried": 0,
                                          "seconds": 0.0, "best": None, "ids": []})
        entry["trials"] += 1
        entry[t.status] += 1
        entry["retried"] += 1 if (t.attempts or 0) > 1 else 0
        entry["seconds"] += t.seconds or 0.0
        entry["ids"].append(t.id)
        value = t.objective[0] if isinstance(t.objective, tuple) else t.objective
        if t.status == "completed" and value is not None:
            best = entry["best"]
            if best is None or (value > best if maximize else value < best):
                entry["best"] = value
    rows = sorted(nodes.values(), key=lambda e: (e["node"] is None, e["node"] or ""))
    return {"study": os.path.abspath(study.path), "nodes": rows}


def _nodes_text(study) -> str:
    from glovec.runtime.driver import _fmt

    rows = nodes_json(study)["nodes"]
    lines = [f"study: {os.path.abspath(study.path)}"]
    if not rows:
        return "\n".join(lines + ["no finished trials"])
    header = ("node", "trials", "completed", "failed", "pruned", "retried", "seconds", "best")
    table = [header] + [
        (printable(e["node"] or "(this machine)"), str(e["trials"]), str(e["completed"]),
         str(e["failed"]), str(e["pruned"]), str(e["retried"]), f"{e['seconds']:.1f}",
         _fmt(e["best"])) for e in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for r in table:
        lines.append("  ".join(r[0].ljust(widths[0]) if i == 0 else r[i].rjust(widths[i])
                               for i in range(len(r))).rstrip())
    return "\n".join(lines)


def _report_text(study, top: int) -> str:
    """The plain report: counts, the best trials, the last failed trials' errors. Stored text
    (candidates, statuses, errors) is shown with its control characters escaped."""
    from glovec.runtime.driver import format_table

    counts = study.counts()
    lines = [f"study: {os.path.abspath(study.path)}",
             printable(", ".join(f"{n} {status}" for status, n in counts.items() if n))
             or "no trials"]
    best = study.best(top)
    if best:
        lines.append(printable(format_table(best, study, direction=study.directions[0]),
                               lines=True))
    infeasible = [t.id for t in study.trials("completed") if t.metrics.get("feasible") is False]
    if infeasible:
        shown = ", ".join(map(str, infeasible[:20])) + (", ..." if len(infeasible) > 20 else "")
        lines.append(f"infeasible (a constraint was false; never the best): {len(infeasible)} "
                     f"trial(s): {shown}")
    levels = study.levels()
    if levels:
        lines.append(_tree_text(study, levels))
    note = estimate_note(study.trials("completed"))
    if note:
        lines.append(note)
    failed = study.trials("failed")
    if failed:
        lines.append(f"failed trials (last {min(5, len(failed))} of {len(failed)}):")
        for t in failed[-5:]:
            errors = (t.error or "").strip().splitlines()
            lines.append(f"  trial {t.id}: {printable(errors[-1]) if errors else 'failed'}")
    return "\n".join(lines)


def _tree_text(study, levels: dict) -> str:
    """A nested run's trials as a tree: each outer trial (its decisions, its best inner
    objective) with its inner trials under it."""
    from glovec.runtime.driver import _short, literal_decisions

    trials = {t.id: t for t in study.trials()}
    children: dict = {}
    for tid, (parent, kind) in levels.items():
        if kind == "inner":
            children.setdefault(parent, []).append(tid)
    outer = sorted(tid for tid, (_, kind) in levels.items() if kind == "outer")
    nest = study.nested_group
    outer_sites = set()

    def walk(points, inside):
        for p in points:
            if inside or p.group == nest:
                outer_sites.add(p.id)
            for kids in p.children:
                walk(kids, inside or p.group == nest)

    walk(study.spec.roots, False)
    lines = [f"nested trials (outer trials search the group {nest!r}, their inner trials the "
             f"other sites):"]
    for oid in outer:
        o = trials.get(oid)
        if o is None:
            continue
        kids = sorted(children.get(oid, ()))
        decided = {sid: v for sid, v in literal_decisions(study, o.decisions).items()
                   if sid in outer_sites}
        text = ", ".join(f"{k}={_short(v)}" for k, v in decided.items())
        lines.append(f"  outer {oid}  {_status(o)}  {text}")
        for k in kids:
            t = trials.get(k)
            if t is not None:
                text = ", ".join(f"{sid}={_short(v)}" for sid, v in
                                 literal_decisions(study, t.decisions).items() if sid not in decided)
                lines.append(f"    inner {k}  {_status(t)}  {text}")
    return printable("\n".join(lines), lines=True)


def _status(t) -> str:
    from glovec.runtime.driver import _fmt

    return _fmt(t.objective) if t.status == "completed" else t.status


class _Reported(Exception):
    """A study problem already shown as a diagnostic (exit 1)."""


@contextlib.contextmanager
def _study_errors():
    """Show a study that fails while it is read (GV510 for a damaged one) as a diagnostic."""
    from glovec.runtime.study import StudyError

    try:
        yield
    except StudyError as exc:
        click.echo(exc.render(), err=True)
        raise _Reported from None


def estimate_note(trials) -> str | None:
    """A line saying which objectives are one-shot estimates, or None when none is."""
    from glovec.runtime.oneshot import ESTIMATE_METRIC

    methods = sorted({str(t.metrics[ESTIMATE_METRIC]) for t in trials
                      if ESTIMATE_METRIC in (t.metrics or {})})
    if not methods:
        return None
    alone = [t.id for t in trials if ESTIMATE_METRIC not in (t.metrics or {})]
    if alone:
        return (f"objectives are one-shot estimates ({', '.join(methods)}) except those of the "
                f"{len(alone)} trial(s) trained alone ({', '.join(map(str, alone[:10]))}"
                f"{', ...' if len(alone) > 10 else ''}); the best trial is the best trained alone")
    return (f"objectives are one-shot estimates ({', '.join(methods)}): each architecture was "
            f"evaluated on shared weights, not trained alone; materialize one and train it for its "
            f"real accuracy")


def plot_png(study, kind: str = "png") -> bytes:
    """An image of the objective per trial and the best so far: ``kind`` (the output's
    extension) when matplotlib writes that format, else PNG."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    maximize = study.directions[0] == "maximize"
    xs, ys, best_x, best_y, failed = [], [], [], [], []
    best = None
    for t in study.trials():
        if t.status != "completed" or t.objective is None:
            if t.status in ("failed", "pruned"):
                failed.append(t.id)
            continue
        value = t.objective[0] if isinstance(t.objective, tuple) else t.objective
        xs.append(t.id)
        ys.append(value)
        if best is None or (value > best if maximize else value < best):
            best = value
        best_x.append(t.id)
        best_y.append(best)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.scatter(xs, ys, s=14, alpha=0.6, label="objective")
    if best_x:
        ax.step(best_x, best_y, where="post", color="C3", label="best so far")
    if failed:
        ax.scatter(failed, [min(ys) if ys else 0] * len(failed), marker="x", color="grey",
                   label="failed / pruned")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("trial")
    ax.set_ylabel(f"objective ({study.directions[0]})")
    ax.set_title(os.path.basename(study.path))
    ax.legend(loc="best")
    fig.tight_layout()
    image = io.BytesIO()
    kind = kind if kind in fig.canvas.get_supported_filetypes() else "png"
    fig.savefig(image, format=kind, dpi=100)
    plt.close(fig)
    return image.getvalue()


# ---- glovec materialize ---------------------------------------------------------------------


def _with_defaults(spec, decisions: dict) -> dict:
    """``decisions`` (by site id, indices or candidate text) with every active site they leave
    out at its default: a missing decision keeps the program's own value."""
    out = dict(decisions)

    def walk(points) -> None:
        for point in points:
            out.setdefault(point.id, point.default)
            if point.children:
                try:
                    chosen = point.decision_of(out[point.id])
                except (ValueError, TypeError, KeyError):
                    continue  # DNA.from_dict names the bad decision
                if isinstance(chosen, int) and 0 <= chosen < len(point.children):
                    walk(point.children[chosen])

    walk(spec.roots)
    return out



@click.command("materialize")
@click.argument("src")
@click.option("--best", is_flag=True, help="the study's best completed trial")
@click.option("--trial", type=int, default=None, help="the study's trial with this id")
@click.option("--study", "study_path", type=click.Path(dir_okay=False), default=None,
              help="the study  [default: <program stem>.glovec.db beside the program]")
@click.option("--dna", default=None,
              help="decisions as JSON ({site id: index or candidate text}), or @FILE")
@click.option("--defaults", is_flag=True, help="every site at its default (gives back SRC)")
@click.option("-o", "--output", default=None,
              help="write here (atomically) instead of stdout")
@rules_option
@config_option
@click.option("--config-output", "config_outputs", metavar="OUT", multiple=True,
              help="where the i-th --config file goes with the chosen values  [default: "
                   "<stem>_materialized.yaml beside it]")
def materialize_command(src, best, trial, study_path, dna, defaults, output, rules=None,
                        configs=(), config_outputs=()) -> int:
    """Write SRC with the chosen decisions as plain values: a program that needs no glovec.

    With --config, each config file is written too, with the chosen values in place of its
    sites' values and every other byte as it was."""
    from glovec.runtime.driver import default_study_path

    chosen = [name for name, on in (("--best", best), ("--trial", trial is not None),
                                     ("--dna", dna is not None), ("--defaults", defaults)) if on]
    if len(chosen) != 1:
        click.echo("glovec materialize: choose exactly one of --best, --trial N, --dna JSON, "
                   "--defaults", err=True)
        return 2
    if output and os.path.exists(output) and _same_file(output, src):
        click.echo(f"glovec materialize: refusing to overwrite the input {src}", err=True)
        return 2
    if len(config_outputs) > len(configs):
        click.echo("glovec materialize: more --config-output than --config", err=True)
        return 2
    text = read_input(src)
    compiled = _compile(src, text, rules=rules, configs=configs)
    if compiled is None:
        return 1
    from glovec.runtime.geno import DNA, DNASpec, InvalidDNA

    spec = DNASpec.from_space_doc(compiled.space_doc)
    if defaults:
        decisions = spec.default_dna().decisions
    elif dna is not None:
        raw = dna
        if raw.startswith("@"):
            raw = read_input(raw[1:]).decode("utf-8", "replace")
        try:
            data = json.loads(raw)
        except ValueError as exc:
            click.echo(f"glovec materialize: --dna is not JSON: {exc}", err=True)
            return 2
        if isinstance(data, dict) and "decisions" in data and isinstance(data["decisions"], dict):
            data = data["decisions"]
        if not isinstance(data, dict):
            click.echo(f"{src}:1:1: GV506 the DNA does not fit this program: --dna needs a JSON "
                       f"object {{site id: decision}}, not {type(data).__name__}", err=True)
            return 1
        try:
            decisions = DNA.from_dict(spec, _with_defaults(spec, data)).decisions
        except (InvalidDNA, TypeError, ValueError) as exc:
            click.echo(f"{src}:1:1: GV506 the DNA does not fit this program: {exc}", err=True)
            return 1
    else:
        chosen = _chosen_trial(study_path or default_study_path(src), best, trial)
        if chosen is None:
            return 1
        record, recorded_space = chosen
        stored = _fitted_decisions(src, record, recorded_space, compiled.space_doc)
        if stored is None:
            return 1
        try:
            decisions = DNA(spec, stored).decisions
        except (InvalidDNA, TypeError, ValueError) as exc:
            click.echo(f"{src}:1:1: GV506 trial {record.id} does not fit this program (the program "
                       f"changed since the study ran?): {exc}", err=True)
            return 1
    in_configs = {site.id for config in compiled.configs for site in config.sites}
    config_decisions = {k: v for k, v in decisions.items() if k in in_configs}
    # a config value tied to a program site (one name=) is the program's decision too
    only_configs = {site.id for config in compiled.configs for site in config.sites
                    if (site.tied or site).file is not None}
    decisions = {k: v for k, v in decisions.items() if k not in only_configs}
    from glovec.notebook import is_notebook

    if is_notebook(src):  # the cells edited in place in the file's JSON (or, -o x.py, the script)
        from glovec.commands._notebook import materialized

        code = materialized(src, text, decisions, output, rules)
        if code is None:
            return 1
    else:
        from glovec.transforms.diagnostics import DiagnosticError
        from glovec.transforms.materialize import materialize_source

        try:
            code = materialize_source(text, src, decisions, rules=rules or None)
        except DiagnosticError as exc:
            _show(exc.diagnostics)
            return 1
    if text.startswith(b"\xef\xbb\xbf") and not code.startswith("\ufeff"):
        code = "\ufeff" + code  # the input's byte-order mark comes back too
    for i, config in enumerate(compiled.configs):
        target = config_outputs[i] if i < len(config_outputs) else materialized_path(config.path)
        if os.path.exists(target) and _same_file(target, config.path):
            click.echo(f"glovec materialize: refusing to overwrite the input {config.path}",
                       err=True)
            return 2
        write_atomic(target, config.materialize(config_decisions))
        click.echo(f"glovec: wrote {target}", err=True)
    if output:
        write_atomic(output, code)
    else:
        write_stdout(code)
    return 0
