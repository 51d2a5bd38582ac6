"""One-shot NAS on the NAS-Bench-201-style digits cell: supernet estimates against stand-alone training.

For each method (spos, enas, darts) this runs `glovec run examples/nas_cell_torch.py --one-shot M`,
then trains architectures alone (`glovec materialize --trial N`, then the plain program) and
reports:

- Kendall tau between the supernet's estimate and the stand-alone accuracy over architectures
  spread over the estimates' range (sorted by estimate, evenly spaced ranks);
- where the method's pick (`--best`) ranks by stand-alone accuracy among them, and against the
  program's default architecture;
- the same for the best estimate alone, when the run trained finalists (``--finalists``: the pick
  is then the best finalist), and what 1..K finalists would have picked;
- Kendall tau over every estimated architecture whose stand-alone accuracy is known (for darts,
  its whole pool);
- the method's wall time against one stand-alone training (the default architecture's, trained
  first, and the mean of its trainings just before and after the one-shot run, which a drifting
  load on a shared machine moves less), and the best stand-alone accuracy that per-trial
  evolution (`glovec run --algorithm evolution`) reaches in the same wall time.

darts records one architecture (its argmax, the pick). For its tau, every architecture whose
stand-alone accuracy this run knows (the spos and enas spreads, and those reused with --reuse) is
then proposed into the darts study and estimated on the trained darts supernet with its one-hot
weights (each switch's candidate alone: `glovec run --one-shot darts --resume` evaluates proposed
trials without training, from the supernet checkpoint); the spread is taken over those
estimates. Where more than 24 estimates have a known accuracy (darts), tau is also given over
spreads of 24 and 48 and over all of them: a spread of 12 moves by 0.2-0.5 with the cells it lands
on. `--tau-by-spread RESULTS --reuse ...` prints those from saved results without running
anything. Every figure comes from this run; nothing is asserted. Results:
bench/results/oneshot.json and oneshot.png; with `--example examples/nas_cell_keras.py` (the
same cell in Keras, the same three methods) bench/results/oneshot_keras_cell.*, with
`--example examples/nas_mlp_keras.py` bench/results/oneshot_keras.*.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, machine, parse_args, save, versions  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "nas_cell_torch.py"
PY = sys.executable
ESTIMATE = "glovec.one_shot"  # the metric that marks a trial as an estimate on shared weights
WORKING = 0.9  # stand-alone accuracy of a "working" cell (broken ones train to 0.1-0.75)
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def glovec(*args, timeout=None) -> tuple[str, str, float]:
    t0 = time.perf_counter()
    p = subprocess.run([PY, "-m", "glovec.cli", *map(str, args)], capture_output=True, text=True,
                       env=ENV, cwd=ROOT, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"glovec {' '.join(map(str, args))} failed:\n{p.stderr[-3000:]}")
    return p.stdout, p.stderr, time.perf_counter() - t0


def standalone(program: Path) -> tuple[float, float]:
    """(validation accuracy, wall seconds) of a plain program trained alone."""
    t0 = time.perf_counter()
    p = subprocess.run([PY, str(program)], capture_output=True, text=True, env=ENV, cwd=ROOT)
    seconds = time.perf_counter() - t0
    m = re.search(r"validation accuracy: ([0-9.]+)", p.stdout)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"{program} failed:\n{p.stderr[-3000:]}")
    return float(m.group(1)), seconds


def kendall_tau(xs, ys) -> float:
    """Kendall's tau-b (ties in either list handled)."""
    n, conc, disc, tx, ty = len(xs), 0, 0, 0, 0
    for i in range(n):
        for j in range(i + 1, n):
            dx, dy = xs[i] - xs[j], ys[i] - ys[j]
            if dx == 0 and dy == 0:
                continue
            if dx == 0:
                tx += 1
            elif dy == 0:
                ty += 1
            elif (dx > 0) == (dy > 0):
                conc += 1
            else:
                disc += 1
    denom = ((conc + disc + tx) * (conc + disc + ty)) ** 0.5
    return (conc - disc) / denom if denom else 0.0


def percentile_of(value: float, values: list) -> float:
    """Where ``value`` ranks among ``values`` (ties count half), 0-100."""
    below = sum(1 for v in values if v < value)
    ties = sum(1 for v in values if v == value)
    return 100.0 * (below + 0.5 * ties) / len(values)


def spread(trials: list, k: int) -> list:
    """k trials with distinct decisions at evenly spaced ranks of the estimate."""
    seen, unique = set(), []
    for t in sorted(trials, key=lambda t: t["objective"]):
        key = json.dumps(t["decisions"], sort_keys=True)
        if key not in seen:
            seen.add(key)
            unique.append(t)
    if len(unique) <= k:
        return unique
    return [unique[round(i * (len(unique) - 1) / (k - 1))] for i in range(k)]


SPREADS = (12, 24, 48)  # the spread sizes kendall_tau_by_spread measures, then every known cell


def tau_by_spread(estimates: list, known: dict) -> dict:
    """Kendall tau over spreads of 12, 24 and 48 of the ``estimates`` (dicts with "objective" and
    "decisions") whose stand-alone accuracy ``known`` holds, and over all of them ("all"): a
    spread of 12 moves by 0.2-0.5 with which 12 cells it lands on, a larger one less."""
    have = [t for t in estimates if json.dumps(t["decisions"], sort_keys=True) in known]
    out = {}
    for k in (*SPREADS, None):
        chosen = spread(have, k) if k else have
        if len(chosen) > 2 and (k is None or len(have) > k):
            out[str(k or "all")] = {"n": len(chosen), "tau": kendall_tau(
                [t["objective"] for t in chosen],
                [known[json.dumps(t["decisions"], sort_keys=True)] for t in chosen])}
    return out


def print_tau_by_spread(files: list, reuse: list) -> None:
    """``--tau-by-spread``: tau by spread size for each method of saved results ``files`` with
    more than 24 known estimates (darts' pool), against the stand-alone accuracies of ``reuse``
    (later files win)."""
    known = known_accuracies(reuse)
    for f in files:
        for method, entry in json.loads(Path(f).read_text())["methods"].items():
            estimates = [{"objective": t["estimate"], "decisions": t["decisions"]}
                         for t in entry.get("estimates", ())]
            taus = tau_by_spread(estimates, known)
            if len(taus) < 3:  # fewer than 25 known estimates: the run's own spread says it
                continue
            print(f"{Path(f).name} {method}: " + ", ".join(
                f"{k} ({v['n']}): {v['tau']:.2f}" for k, v in taus.items()))


def result_files() -> list:
    """The PyTorch cell's bench/oneshot.py results files (not Keras, not derived summaries)."""
    files = [p for p in sorted(RESULTS.glob("oneshot*.json"))
             if not any(w in p.name for w in ("keras", "seeds", "search", "torch_mlp"))]
    # bench/oneshot_alone.py's accuracies (trained again on one machine) last: they win.
    return sorted(files, key=lambda p: p.name.startswith("oneshot_alone"))


def known_accuracies(files) -> dict:
    """decisions JSON -> stand-alone accuracy, from bench/oneshot.py results files."""
    known = {}
    for f in files:
        for entry in json.loads(Path(f).read_text())["methods"].values():
            for r in entry["architectures"] + ([entry["pick"]] if entry.get("pick") else []):
                known[json.dumps(r["decisions"], sort_keys=True)] = r["alone"]
    return known


def estimate_known(study: Path, decisions: list, method: str = "darts") -> float:
    """Propose ``decisions`` (candidate texts per site) into a finished one-shot study and
    estimate them on its supernet (``--resume``: no training, no search beyond them); returns
    the seconds it took."""
    sys.path.insert(0, str(ROOT))
    from glovec.runtime.geno import DNA, DNASpec
    from glovec.runtime.study import Study

    stored = Study.load(str(study))
    space = stored.space_doc
    # Architectures already estimated (not the finalists: their objective is an accuracy alone).
    seen = {json.dumps(t.decisions, sort_keys=True) for t in stored.trials()
            if ESTIMATE in t.metrics}
    stored.close()
    spec = DNASpec.from_space_doc(space)
    texts = {site["id"]: site["candidates"] for site in space["sites"]}
    opened = Study.open(str(study), space, resume=True)
    try:
        for d in decisions:
            index = {k: texts[k].index(v) for k, v in d.items()}
            if json.dumps(index, sort_keys=True) not in seen:
                seen.add(json.dumps(index, sort_keys=True))
                opened.add_trial(DNA(spec, index, validate=False))
    finally:
        opened.close()
    return glovec("run", EXAMPLE, "--one-shot", method, "--study", study, "--resume",
                  "--trials", len(seen), "--finalists", 0)[2]


def main() -> None:
    args = parse_args(__doc__, lambda p: (
        p.add_argument("--methods", default="spos,enas,darts"),
        p.add_argument("--example", default=str(EXAMPLE), help="the program searched"),
        p.add_argument("--trials", type=int, default=100, help="architectures each method evaluates"),
        p.add_argument("--spread", type=int, default=12, help="architectures trained alone per method"),
        p.add_argument("--seed", type=int, default=0, help="the one-shot runs' --seed (results "
                       "of another seed than 0 are saved as oneshot_seedN.*)"),
        p.add_argument("--reuse", default=None, help="previous results JSONs, comma-separated: "
                       "their stand-alone accuracies are reused (and their architectures join "
                       "the pool that darts' tau is measured over)"),
        p.add_argument("--name", default=None, help="the results files' stem under bench/results "
                       "(default: from the example and the seed, e.g. oneshot_keras_cell_seed1)"),
        p.add_argument("--finalists", type=int, default=None, help="the one-shot runs' "
                       "--finalists (default: glovec's)"),
        p.add_argument("--tau-by-spread", default=None, metavar="RESULTS", help="run nothing: "
                       "print tau over spreads of 12, 24 and 48 of each method's estimates in "
                       "these saved results (comma-separated), against --reuse's accuracies")))
    if args.tau_by_spread:
        return print_tau_by_spread(args.tau_by_spread.split(","), (args.reuse or "").split(","))
    global EXAMPLE
    EXAMPLE = Path(args.example).resolve()
    # nas_cell_torch.py -> oneshot, nas_mlp_keras.py -> oneshot_keras, nas_cell_keras.py ->
    # oneshot_keras_cell (each example's results keep their own files).
    name = {"nas_cell_torch": "oneshot", "nas_mlp_keras": "oneshot_keras"}.get(
        EXAMPLE.stem, "oneshot_" + "_".join(reversed(EXAMPLE.stem.split("_")[1:])))
    if args.seed:
        name += f"_seed{args.seed}"
    name = args.name or name
    k = 4 if args.quick else args.spread
    trials = 12 if args.quick else args.trials
    work = Path(tempfile.mkdtemp(prefix="glovec-oneshot-"))
    cache: dict = {}  # decisions JSON -> stand-alone accuracy
    alone_times: list = []  # wall seconds of every stand-alone training (one process each)

    def train_alone(study: Path, trial_id: int, decisions: dict) -> float:
        key = json.dumps(decisions, sort_keys=True)
        if key not in cache:
            out = work / f"alone-{len(cache)}.py"
            glovec("materialize", EXAMPLE, "--trial", trial_id, "--study", study, "-o", out)
            cache[key], seconds = standalone(out)
            alone_times.append(seconds)
        return cache[key]

    for previous in (json.loads(Path(f).read_text()) for f in (args.reuse or "").split(",") if f):
        for entry in previous["methods"].values():
            for r in entry["architectures"] + ([entry["pick"]] if entry.get("pick") else []):
                cache[json.dumps(r["decisions"], sort_keys=True)] = r["alone"]
    default_prog = work / "default.py"
    glovec("materialize", EXAMPLE, "--defaults", "-o", default_prog)
    default_acc, alone_seconds = standalone(default_prog)
    print(f"default architecture alone: {default_acc:.4f} in {alone_seconds:.1f} s")
    results = {"default_accuracy": default_acc, "standalone_seconds": alone_seconds, "methods": {},
               "reused": args.reuse}
    before = alone_seconds  # the default's training just before each one-shot run
    for method in args.methods.split(","):
        study = work / f"{method}.db"
        finalists = [] if args.finalists is None else ["--finalists", args.finalists]
        _, err, seconds = glovec("run", EXAMPLE, "--one-shot", method, "--trials", trials,
                                 "--study", study, "--seed", args.seed, *finalists)
        # The default trained again right after: on a shared machine the load drifts, so the
        # one-shot run is also divided by the mean of the trainings just before and after it.
        ahead, after = before, standalone(default_prog)[1]
        around = (ahead + after) / 2
        before = after
        report = json.loads(glovec("report", study, "--json")[0])
        # The pick is the study's best: the best finalist trained alone, when the run trained
        # finalists (their objective is a stand-alone accuracy, trained in the run's process);
        # the spread and tau are over the estimates only.
        pick = next(t for t in report["trials"] if t["id"] == report["best"])
        finals = [t for t in report["trials"] if "glovec.finalist" in t["metrics"]]
        done = [t for t in report["trials"] if t["status"] == "completed" and t["estimate"]]
        by_estimate = max(done, key=lambda t: (t["objective"], -t["id"]))
        pool_seconds = None
        if len(done) == 1 and cache:  # darts: estimate the known architectures, one-hot
            pool_seconds = estimate_known(study, [json.loads(key) for key in cache])
            report = json.loads(glovec("report", study, "--json")[0])
            done = [t for t in report["trials"] if t["status"] == "completed" and t["estimate"]]
        chosen = spread(done, k) if len(done) > 1 else []
        rows = []
        for t in chosen:
            rows.append({"id": t["id"], "estimate": t["objective"], "decisions": t["decisions"],
                         "alone": train_alone(study, t["id"], t["decisions"])})
        pick_alone = train_alone(study, pick["id"], pick["decisions"])
        estimate_pick_alone = train_alone(study, by_estimate["id"], by_estimate["decisions"])
        # What each number of finalists would have picked: the best trained alone among the
        # n best estimates' finalists and the program's own architecture.
        # (Rounded as the example prints its accuracy, which is what standalone() reads.)
        ranks = {t["metrics"].get("glovec.estimate_rank"): round(t["objective"], 4)
                 for t in finals if t["status"] == "completed"}
        by_k = {n: max([default_acc] + [a for r, a in ranks.items() if r and r <= n])
                for n in range(1, max([r for r in ranks if r] or [0]) + 1)}
        accs = sorted([r["alone"] for r in rows] + ([pick_alone] if not any(
            r["decisions"] == pick["decisions"] for r in rows) else []))
        percentile = percentile_of(pick_alone, accs) if accs else None
        tau = (kendall_tau([r["estimate"] for r in rows], [r["alone"] for r in rows])
               if len(rows) > 2 else None)
        # Over every estimated architecture whose stand-alone accuracy is known (this run's and
        # --reuse's): for darts, its whole pool; a larger sample than the spread's 12.
        known = [(t["objective"], cache[json.dumps(t["decisions"], sort_keys=True)]) for t in done
                 if json.dumps(t["decisions"], sort_keys=True) in cache]
        tau_known = kendall_tau(*zip(*known)) if len(known) > 2 else None
        taus = tau_by_spread(done, cache)
        # Among working cells only (stand-alone >= WORKING): broken cells (zero edges that cut
        # the input off) are easy to tell apart and inflate tau over the whole spread.
        working = [r for r in rows if r["alone"] >= WORKING]
        tau_working = (kendall_tau([r["estimate"] for r in working], [r["alone"] for r in working])
                       if len(working) > 2 else None)
        # Per-trial evolution given the same wall time: each trial trains alone.
        evo_study = work / f"evolution-{method}.db"
        cmd = [PY, "-m", "glovec.cli", "run", str(EXAMPLE), "--algorithm", "evolution",
               "--trials", "1000", "--study", str(evo_study), "--seed", str(args.seed)]
        # SIGINT stops it at the wall time; a shell's background job inherits SIGINT ignored,
        # so the child gets the default handler back before it starts.
        proc = subprocess.Popen(cmd, env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            pass
        # What it completed in that time, read before stopping it: a SIGINT that lands inside
        # TensorFlow's C++ code can reach the program as a RuntimeError (pybind11), which fails
        # that one trial and lets the search go on, so it may take a second signal or SIGTERM.
        evo = json.loads(glovec("report", evo_study, "--json")[0])
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.terminate()
                proc.wait()
        evo_done = [t for t in evo["trials"] if t["status"] == "completed"]
        evo_best = max((t["objective"] for t in evo_done), default=None)
        entry = {
            "wall_seconds": seconds,
            "pool": len(done),  # architectures estimated, the spread's pool
            "pool_estimate_seconds": pool_seconds,  # darts: the known ones, after its run
            "x_standalone": seconds / alone_seconds,
            "standalone_seconds_around": [ahead, after],
            "x_standalone_around": seconds / around,
            "architectures": rows,
            "kendall_tau": tau,
            "kendall_tau_working": tau_working,
            "kendall_tau_known": tau_known,
            "kendall_tau_by_spread": taus,  # spreads of 12, 24, 48 of the known estimates
            "known": len(known),
            "estimates": [{"id": t["id"], "estimate": t["objective"], "decisions": t["decisions"]}
                          for t in done],
            "working": len(working),
            "pick": {"id": pick["id"], "decisions": pick["decisions"], "alone": pick_alone,
                     # a finalist's objective is its accuracy alone; its estimate is a metric
                     "estimate": (pick["metrics"].get("glovec.estimate") if not pick["estimate"]
                                  else pick["objective"])},
            "pick_percentile": percentile,
            "best_alone_of_spread": max(accs) if accs else None,
            "pick_vs_default": pick_alone - default_acc,
            "finalists": [{"id": t["id"], "estimate": t["metrics"].get("glovec.estimate"),
                           "rank": t["metrics"].get("glovec.estimate_rank"),
                           "alone_in_run": t["objective"], "decisions": t["decisions"]}
                          for t in finals],
            "pick_by_estimate": {"id": by_estimate["id"], "estimate": by_estimate["objective"],
                                 "decisions": by_estimate["decisions"],
                                 "alone": estimate_pick_alone,
                                 "percentile": percentile_of(estimate_pick_alone, accs)
                                 if accs else None},
            "pick_by_finalists": {n: {"alone": a, "percentile": percentile_of(a, accs)}
                                  for n, a in by_k.items()},
            "evolution_same_wall_time": {"trials": len(evo_done), "best_alone": evo_best},
        }
        results["methods"][method] = entry
        tau_text = "n/a" if tau is None else f"{tau:.2f}"
        if tau_working is not None:
            tau_text += f" ({tau_working:.2f} among {len(working)} working)"
        if tau_known is not None:
            tau_text += f", {tau_known:.2f} over the {len(known)} known"
        if len(taus) > 2:  # (darts: its pool is known)
            tau_text += " (by spread: " + ", ".join(
                f"{v['n']}: {v['tau']:.2f}" for v in taus.values()) + ")"
        print(f"{method}: tau {tau_text} over {len(rows)}, pick alone {pick_alone:.4f} "
              f"(percentile {percentile:.0f}, best of spread {max(accs):.4f}, default "
              f"{default_acc:.4f}), {seconds:.1f} s = {seconds / alone_seconds:.1f}x one training "
              f"({seconds / around:.1f}x the default's trainings just before and after it: "
              f"{ahead:.1f} s, {after:.1f} s); "
              f"evolution in the same time: {len(evo_done)} trials, best {evo_best}", flush=True)
        if finals:
            print(f"  {len(finals)} finalist(s); the best estimate alone: {estimate_pick_alone:.4f} "
                  f"(percentile {percentile_of(estimate_pick_alone, accs):.0f}); with n finalists: "
                  + ", ".join(f"{n}: {a:.4f} ({percentile_of(a, accs):.0f})"
                              for n, a in by_k.items()), flush=True)
    # On a shared machine one training's time drifts with the load: the median of every
    # stand-alone training of this run is the unit too (x_median_standalone).
    median = sorted(alone_times)[len(alone_times) // 2] if alone_times else alone_seconds
    results["median_standalone_seconds"] = median
    for entry in results["methods"].values():
        entry["x_median_standalone"] = entry["wall_seconds"] / median
    payload = {"machine": machine(), "versions": versions("torch", "keras", "tensorflow", "scikit-learn"),
               "example": str(EXAMPLE.relative_to(ROOT)), "trials": trials, "spread": k,
               "seed": args.seed, **results}
    save(name, payload, args)
    try:
        plot(results, RESULTS / (f"{name}_quick.png" if args.quick else f"{name}.png"), args)
    except ImportError:
        pass


def plot(results, path, args) -> None:
    if args.no_save:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    for method, entry in results["methods"].items():
        rows = entry["architectures"]
        if not rows:
            continue
        points = ax.scatter([r["estimate"] for r in rows], [r["alone"] for r in rows], label=
                            f"{method} (tau {entry['kendall_tau']:.2f})", alpha=0.7)
        if entry["pick"]["estimate"] is not None:  # (the program's own, when not estimated)
            ax.scatter([entry["pick"]["estimate"]], [entry["pick"]["alone"]], marker="*", s=160,
                       color=points.get_facecolor()[0][:3], edgecolor="black")  # the pick
    ax.axhline(results["default_accuracy"], color="grey", ls="--", label="default architecture")
    ax.set_xlabel("supernet estimate (validation accuracy)")
    ax.set_ylabel("stand-alone validation accuracy")
    ax.legend(loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
