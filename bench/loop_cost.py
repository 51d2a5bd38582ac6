"""Loop cost per trial on the 100-site space: glovec against PyGlove, Optuna and a bare-loop floor.

Every contender runs the same trivial objective (the sum of the chosen values, see space100.py), so
what is timed is the search framework: proposing, turning decisions into values, feeding back and,
where asked, storing. Each row is the mean wall time per trial over the loop (space/study creation
excluded). Fast contenders run many trials and report the median of three runs; slow ones run fewer
trials once. Ratios are computed from figures measured in this same run.

    python bench/loop_cost.py            # full run, about two minutes
    python bench/loop_cost.py --quick    # smoke run, a few seconds per contender
"""

from __future__ import annotations

import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import space100 as S  # noqa: E402
from _common import machine, measure, note, parse_args, print_contenders, ratios_table, save, versions  # noqa: E402


# ---- contenders: each runs n trials and returns the seconds the loop took ----------------------


def floor_memory(n: int, tmp: Path) -> float:
    rng = random.Random(0)
    t0 = time.perf_counter()
    for _ in range(n):
        S.floor_objective(S.floor_draw(rng))
    return time.perf_counter() - t0


def _floor_db(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("CREATE TABLE trials (id INTEGER PRIMARY KEY, state TEXT, decisions TEXT)")
    con.execute("CREATE TABLE results (trial_id INTEGER PRIMARY KEY, value REAL)")
    return con


def floor_sqlite(n: int, tmp: Path) -> float:
    """Two committed rows per trial: the trial with its decisions when it starts, its result at the end."""
    rng = random.Random(0)
    con = _floor_db(tmp / "floor.db")
    t0 = time.perf_counter()
    for i in range(n):
        decisions = S.floor_draw(rng)
        with con:
            con.execute("BEGIN")
            con.execute("INSERT INTO trials VALUES (?, 'running', ?)", (i, json.dumps(decisions)))
        value = S.floor_objective(decisions)
        with con:
            con.execute("BEGIN")
            con.execute("INSERT INTO results VALUES (?, ?)", (i, value))
    elapsed = time.perf_counter() - t0
    con.close()
    return elapsed


def _glovec_run(algorithm: str, n: int, study=None) -> float:
    from glovec.runtime.loop import sample

    spec = S.glovec_spec()
    objective = S.glovec_objective
    kwargs = {} if study is None else {"study": study}
    t0 = time.perf_counter()
    for trial, feedback in sample(spec, algorithm=algorithm, num_trials=n, seed=0, **kwargs):
        feedback(objective())  # sample() has activated the trial's decisions
    return time.perf_counter() - t0


def glovec_open_study(path: Path):
    """glovec's SQLite study (runtime/study/), opened the way the driver opens a new one."""
    from glovec.runtime.study import Study

    return Study.open(path, S.glovec_space())


def glovec_random(n: int, tmp: Path) -> float:
    return _glovec_run("random", n)


def glovec_evolution(n: int, tmp: Path) -> float:
    return _glovec_run("evolution", n)


def glovec_tpe(n: int, tmp: Path) -> float:
    return _glovec_run("tpe", n)


def glovec_random_sqlite(n: int, tmp: Path) -> float:
    return _glovec_run("random", n, study=glovec_open_study(tmp / f"glovec-random-{n}.db"))


def glovec_evolution_sqlite(n: int, tmp: Path) -> float:
    return _glovec_run("evolution", n, study=glovec_open_study(tmp / f"glovec-evolution-{n}.db"))


def _pyglove_run(algorithm, n: int) -> float:
    import pyglove as pg

    space = S.pyglove_space()
    t0 = time.perf_counter()
    for example, feedback in pg.sample(space, algorithm, num_examples=n):
        feedback(S.pyglove_objective(example))
    return time.perf_counter() - t0


def pyglove_random(n: int, tmp: Path) -> float:
    import pyglove as pg

    return _pyglove_run(pg.geno.Random(seed=0), n)


def pyglove_evolution(n: int, tmp: Path) -> float:
    import pyglove as pg

    return _pyglove_run(pg.evolution.regularized_evolution(pg.evolution.mutators.Uniform(seed=0), seed=0), n)


def _optuna_run(sampler_name: str, n: int, storage=None) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = getattr(optuna.samplers, sampler_name)(seed=0)
    study = optuna.create_study(direction="maximize", sampler=sampler, storage=storage)
    t0 = time.perf_counter()
    study.optimize(S.optuna_objective, n_trials=n)
    return time.perf_counter() - t0


def optuna_random(n: int, tmp: Path) -> float:
    return _optuna_run("RandomSampler", n)


def optuna_tpe(n: int, tmp: Path) -> float:
    return _optuna_run("TPESampler", n)


def optuna_random_sqlite(n: int, tmp: Path) -> float:
    return _optuna_run("RandomSampler", n, f"sqlite:///{tmp / f'optuna-random-{n}.db'}")


def optuna_tpe_sqlite(n: int, tmp: Path) -> float:
    return _optuna_run("TPESampler", n, f"sqlite:///{tmp / f'optuna-tpe-{n}.db'}")


# name -> (function, trials in a full run, trials in a quick run, repeats)
CONTENDERS = {
    "floor": (floor_memory, 20000, 2000, 3),
    "floor+sqlite": (floor_sqlite, 5000, 500, 3),
    "glovec random": (glovec_random, 20000, 2000, 3),
    "glovec evolution": (glovec_evolution, 10000, 1000, 3),
    "glovec tpe": (glovec_tpe, 200, 20, 1),  # as many trials as Optuna TPE: its cost grows with history
    "glovec random+sqlite": (glovec_random_sqlite, 5000, 500, 3),
    "glovec evolution+sqlite": (glovec_evolution_sqlite, 5000, 500, 3),
    "pyglove random": (pyglove_random, 30, 5, 1),
    "pyglove evolution": (pyglove_evolution, 30, 5, 1),
    "optuna random": (optuna_random, 300, 30, 1),
    "optuna tpe": (optuna_tpe, 200, 20, 1),
    "optuna random+sqlite": (optuna_random_sqlite, 30, 5, 1),
    "optuna tpe+sqlite": (optuna_tpe_sqlite, 30, 5, 1),
}

# (label, numerator row, denominator row, goal as (op, bound) or None)
RATIOS = [
    ("PyGlove random / glovec random", "pyglove random", "glovec random", (">=", 300)),
    ("PyGlove evolution / glovec evolution", "pyglove evolution", "glovec evolution", (">=", 300)),
    ("Optuna random (memory) / glovec random", "optuna random", "glovec random", (">=", 10)),
    ("Optuna TPE (memory) / glovec tpe", "optuna tpe", "glovec tpe", None),
    ("Optuna TPE (memory) / glovec evolution", "optuna tpe", "glovec evolution", None),
    ("Optuna random+SQLite / glovec random+SQLite", "optuna random+sqlite", "glovec random+sqlite", (">=", 100)),
    ("Optuna TPE+SQLite / glovec evolution+SQLite", "optuna tpe+sqlite", "glovec evolution+sqlite", None),
    ("glovec random+SQLite / floor+SQLite", "glovec random+sqlite", "floor+sqlite", ("<=", 4)),
    ("glovec random / floor", "glovec random", "floor", None),
]


def main() -> int:
    args = parse_args(__doc__, lambda p: p.add_argument(
        "--only", nargs="*", help="measure only these contenders (names as in the table)"))
    names = args.only or list(CONTENDERS)
    results = {}
    with tempfile.TemporaryDirectory(prefix="glovec-bench-") as tmp:
        for name in names:
            note(f"measuring {name} ...")
            results[name] = measure(CONTENDERS, name, args.quick, Path(tmp))

    print_contenders(results)

    ratios = ratios_table(results, RATIOS)

    info = machine()
    print(f"\nload average {info['loadavg_1_5_15']} on {info['cpus']} CPUs (shared machine: figures are noisy)")
    save("loop_cost", {"benchmark": "loop_cost", "quick": args.quick, "machine": info,
                       "versions": versions("glovec", "pyglove", "optuna"),
                       "contenders": results, "ratios": ratios}, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
