"""What each executor costs on the real examples: the same N trials inline, in processes, and Optuna.

Runs `glovec run EXAMPLE --trials N --algorithm random --seed 0` with `--executor inline`,
`--executor process --workers 1` and `--executor process --workers 2`, each a fresh `glovec run`
timed from start to exit as a user would see it, on the Keras digits example and on the PyTorch
digits example; for Keras also an Optuna study of the same model and the same N trials in one
process (what a user of Optuna gets); and inline with each numeric library held to 1 thread
(how much an inline trial gains from the second core). Prints wall times, the per-trial overhead against inline,
the ratios to inline against the goals (process 1 worker <= 1.15x, 2 workers <= 0.65x on 2
cores), the best two workers can do (the 1-worker run's start-up, which runs once, plus half
its trials' time), and whether every executor gave the same objective trial by trial (the
1-thread inline row excepted: fewer threads may round differently). The load average is noted
with each figure: the machine may be shared.

    python bench/executor_overhead.py [--trials 6] [--examples keras,torch] [--before DIR]

``--before DIR`` also runs each process configuration on another checkout of glovec (a worktree
of main, say), right before the same configuration on this one, so that both meet the same load.
Besides wall time, each row gives the CPU seconds of the whole run (the driver and every process
it started, all reaped), which a busy machine disturbs much less than wall time.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, parse_args, save  # noqa: E402

HERE = Path(__file__).resolve().parent.parent
EXAMPLES = {"keras": "examples/digits_keras.py", "torch": "examples/torch_digits.py"}
# Imported once in a throwaway process before an example's rows, so that the first row (inline)
# does not alone pay reading the framework's files from a cold disk cache (up to +5 s here).
WARM_UP = {"keras": "import keras, sklearn.model_selection",
           "torch": "import torch, torch._dynamo, sklearn.model_selection"}
CONFIGS = [
    ("inline", ["--executor", "inline"]),
    ("inline, 1 thread", ["--executor", "inline"]),
    ("process, 1 worker", ["--executor", "process", "--workers", "1"]),
    ("process, 2 workers", ["--executor", "process", "--workers", "2"]),
]
GOALS = {"process, 1 worker": 1.15, "process, 2 workers": 0.65}
# Each numeric library's thread pool held to one thread, as each of two workers gets on 2 CPUs:
# how much of both cores an inline trial uses (what two trials at once can gain at most).
ONE_THREAD = {var: "1" for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                   "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")}


def _load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _glovec_run(repo: Path, example: str, flags: list, trials: int, tmp: str, env_extra=None) -> dict:
    study = os.path.join(tmp, f"{Path(example).stem}-{len(os.listdir(tmp))}.db")
    env = {**os.environ, "PYTHONPATH": str(repo), **(env_extra or {})}
    cmd = [sys.executable, "-m", "glovec.cli", "run", str(repo / example), "--trials", str(trials),
           "--algorithm", "random", "--seed", "0", "--study", study, *flags]
    load = _load()
    cpu = _cpu()
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp)
    seconds = time.perf_counter() - start
    cpu = _cpu() - cpu
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    report = subprocess.run([sys.executable, "-m", "glovec.cli", "report", study, "--json"], env=env,
                            capture_output=True, text=True, check=True)
    trials_ = json.loads(report.stdout)["trials"]
    first = [line for line in out.stderr.splitlines() if line.startswith("glovec:")][:2]
    return {"seconds": seconds, "cpu": cpu, "load_before": load, "load_after": _load(), "first_lines": first,
            "objectives": [t["objective"] for t in sorted(trials_, key=lambda t: t["id"])],
            "trial_seconds": [t["seconds"] for t in sorted(trials_, key=lambda t: t["id"])],
            "completed": sum(t["status"] == "completed" for t in trials_)}


OPTUNA_KERAS = """
import os, sys, time
import optuna
import keras
from keras import layers
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

optuna.logging.set_verbosity(optuna.logging.WARNING)
digits = load_digits()
x = digits.data.astype("float32") / 16.0
data = train_test_split(x, digits.target, test_size=0.25, random_state=0, stratify=digits.target)

def objective(trial):
    keras.utils.set_random_seed(0)
    x_train, x_val, y_train, y_val = data
    model = keras.Sequential([
        keras.Input(shape=(64,)),
        layers.Dense(trial.suggest_categorical("units", [32, 64, 128]),
                     activation=trial.suggest_categorical("activation", ["relu", "tanh", "gelu"])),
        layers.Dropout(rate=trial.suggest_categorical("rate", [0.0, 0.1, 0.3])),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(
        learning_rate=trial.suggest_float("lr", 1e-4, 0.03, log=True)),
        loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=10,
                        batch_size=trial.suggest_categorical("batch_size", [16, 32, 64]), verbose=0)
    keras.backend.clear_session()
    return history.history["val_accuracy"][-1]

study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
study.optimize(objective, n_trials=int(sys.argv[1]))
"""


def _optuna_keras(trials: int) -> dict:
    load = _load()
    cpu = _cpu()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", OPTUNA_KERAS, str(trials)], check=True,
                   capture_output=True, text=True)
    return {"seconds": time.perf_counter() - start, "cpu": _cpu() - cpu, "load_before": load,
            "load_after": _load()}


def main() -> None:
    def extra(parser):
        parser.add_argument("--trials", type=int, default=6)
        parser.add_argument("--examples", default="keras,torch")
        parser.add_argument("--repo", default=str(HERE), help="the glovec checkout to measure")
        parser.add_argument("--before", default=None, help="another checkout, measured beside it")
        parser.add_argument("--name", default="executor_overhead", help="results file name")

    args = parse_args(__doc__, extra)
    repo = Path(args.repo).resolve()
    trials = 2 if args.quick else args.trials
    before = Path(args.before).resolve() if args.before else None
    results = {"machine": machine(), "trials": trials, "repo": str(repo),
               "before": str(before) if before else None, "examples": {}}
    for name in args.examples.split(","):
        example = EXAMPLES[name]
        rows = {}
        subprocess.run([sys.executable, "-c", WARM_UP[name]], check=True, capture_output=True)
        with tempfile.TemporaryDirectory(prefix="glovec-bench-") as tmp:
            for label, flags in CONFIGS:
                runs = [(label, repo)]
                if before is not None and not label.startswith("inline"):  # the same code in both
                    runs.insert(0, (f"{label} (before)", before))
                env_extra = ONE_THREAD if label == "inline, 1 thread" else None
                for row_label, where in runs:
                    rows[row_label] = _glovec_run(where, example, flags, trials, tmp, env_extra)
                    row = rows[row_label]
                    print(f"  {name} {row_label}: {row['seconds']:.1f} s, cpu {row['cpu']:.1f} s "
                          f"(load {row['load_before']} -> {row['load_after']})", flush=True)
        if name == "keras":
            rows["optuna, one process"] = _optuna_keras(trials)
        results["examples"][name] = rows
        base = rows["inline"]["seconds"]
        base_cpu = rows["inline"]["cpu"]
        print(f"\n{example}: {trials} trials, random search, seed 0 (wall time of the whole run)")
        print("| executor | wall s | vs inline | wall overhead per trial | goal | CPU s | CPU overhead "
              "per trial | load 1/5/15 after |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for label, row in rows.items():
            ratio = row["seconds"] / base
            goal = GOALS.get(label)
            goal_text = f"<= {goal:.2f}x {'met' if ratio <= goal else 'missed'}" if goal else ""
            over = (row["seconds"] - base) / trials
            over_cpu = (row["cpu"] - base_cpu) / trials
            print(f"| {label} | {row['seconds']:.1f} | {ratio:.2f}x | {over:+.2f} s | {goal_text} | "
                  f"{row['cpu']:.1f} | {over_cpu:+.2f} s | {row['load_after']} |")
        one = rows.get("process, 1 worker")
        if one:
            # What runs once whatever the workers (starting glovec, the warm worker's imports,
            # the study): the whole run less its trials. Two workers can halve only the trials.
            start = one["seconds"] - sum(one["trial_seconds"])
            ideal = start + sum(one["trial_seconds"]) / 2
            print(f"start-up that runs once: {start:.1f} s of the 1-worker run; 2 workers at best "
                  f"(start-up + half its trials): {ideal:.1f} s = {ideal / base:.2f}x inline "
                  f"(the goal's ideal half: {base / 2:.1f} s)")
            results.setdefault("ideal_two_workers", {})[name] = {"start_seconds": start,
                                                                 "seconds": ideal}
        objs = {label: row["objectives"] for label, row in rows.items()
                if "objectives" in row and label != "inline, 1 thread"}
        same = len({json.dumps(v) for v in objs.values()}) == 1
        print(f"same objective trial by trial in every executor: {same}")
        if not same:
            for label, values in objs.items():
                print(f"  {label}: {values}")
        for label, row in rows.items():
            for line in row.get("first_lines", ()):
                print(f"  [{label}] {line}")
        print()
    save(args.name, results, args)


if __name__ == "__main__":
    main()
