"""How much a training's seed moves one architecture's stand-alone accuracy, and what the one-shot
figures of an earlier `bench/oneshot.py` run become when each architecture's stand-alone accuracy
is the mean over several seeds instead of one training.

For every architecture of the given results file (each method's spread and its pick), the
materialized program (`glovec materialize --dna`) is trained alone again with the framework's
seed moved (`torch.manual_seed(SEED + s)` / `keras.utils.set_random_seed(SEED + s)`, s = 1 ..
seeds - 1; the data split keeps SEED, so every training is scored on the validation set the
supernet was scored on). Seed 0 is the run's own recorded accuracy (CPU training with one thread
is deterministic). Printed per method: tau between the supernet's estimate and the mean, the
pick's percentile and its distance from the best by the mean, and the seed-to-seed spread.
Every figure comes from this run; nothing is asserted.

    python bench/oneshot_seeds.py --results bench/results/oneshot_seed1.json --seeds 3
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, machine, parse_args, save  # noqa: E402
from oneshot import ROOT, glovec, kendall_tau, percentile_of, standalone  # noqa: E402

SEEDED = re.compile(r"\b(manual_seed|set_random_seed)\(SEED\)")


def main() -> None:
    args = parse_args(__doc__, lambda p: (
        p.add_argument("--results", default=str(RESULTS / "oneshot_seed1.json"),
                       help="a bench/oneshot.py results file"),
        p.add_argument("--seeds", type=int, default=3, help="trainings per architecture")))
    results = json.loads(Path(args.results).read_text())
    example = ROOT / results["example"]
    seeds = 2 if args.quick else args.seeds
    work = Path(tempfile.mkdtemp(prefix="glovec-oneshot-seeds-"))
    accs: dict = {}  # decisions JSON -> [accuracy per seed]

    def trained(decisions: dict, first: float) -> list:
        key = json.dumps(decisions, sort_keys=True)
        if key not in accs:
            out = work / f"arch-{len(accs)}.py"
            glovec("materialize", example, "--dna", json.dumps(decisions), "-o", out)
            text = out.read_text()
            if not SEEDED.search(text):
                raise SystemExit(f"{example}: no manual_seed(SEED) / set_random_seed(SEED) to move")
            runs = [first]
            for s in range(1, seeds):
                moved = work / f"arch-{len(accs)}-seed{s}.py"
                moved.write_text(SEEDED.sub(lambda m: f"{m.group(1)}(SEED + {s})", text))
                runs.append(standalone(moved)[0])
            accs[key] = runs
            print(f"  {' '.join(str(v) for v in decisions.values())}: "
                  f"{' '.join(f'{a:.4f}' for a in runs)}", flush=True)
        return accs[key]

    report = {}
    for method, entry in results["methods"].items():
        rows = [(r["estimate"], trained(r["decisions"], r["alone"])) for r in entry["architectures"]]
        pick = trained(entry["pick"]["decisions"], entry["pick"]["alone"])
        means = [statistics.fmean(runs) for _, runs in rows]
        pool = means + ([statistics.fmean(pick)] if entry["pick"]["decisions"] not in
                        [r["decisions"] for r in entry["architectures"]] else [])
        pick_mean = statistics.fmean(pick)
        report[method] = {
            "kendall_tau_one_seed": entry["kendall_tau"],
            "kendall_tau_mean": kendall_tau([e for e, _ in rows], means) if len(rows) > 2 else None,
            "pick_percentile_one_seed": entry["pick_percentile"],
            "pick_percentile_mean": percentile_of(pick_mean, pool),
            "pick_mean": pick_mean,
            "best_mean": max(pool),
            "pick_below_best_points": 100 * (max(pool) - pick_mean),
            "architectures": len(pool),
        }
        r = report[method]
        tau = "n/a" if r["kendall_tau_mean"] is None else f"{r['kendall_tau_mean']:.2f}"
        print(f"{method}: tau {entry['kendall_tau']:.2f} (one seed) -> {tau} (mean of {seeds}); "
              f"pick {entry['pick_percentile']:.0f}th -> {r['pick_percentile_mean']:.0f}th "
              f"percentile, {r['pick_below_best_points']:.2f} points under the best mean "
              f"({r['best_mean']:.4f})", flush=True)
    spreads = [100 * (max(runs) - min(runs)) for runs in accs.values()]
    stdevs = [100 * statistics.stdev(runs) for runs in accs.values() if len(runs) > 1]
    print(f"seed-to-seed: median range {statistics.median(spreads):.2f} points, max "
          f"{max(spreads):.2f}; median standard deviation {statistics.median(stdevs):.2f} points "
          f"over {len(accs)} architectures")
    payload = {"machine": machine(), "results": str(Path(args.results).resolve().relative_to(ROOT)),
               "seeds": seeds, "methods": report,
               "seed_to_seed": {"median_range_points": statistics.median(spreads),
                                "max_range_points": max(spreads),
                                "median_stdev_points": statistics.median(stdevs)},
               "accuracies": [{"decisions": json.loads(k), "alone": v} for k, v in accs.items()]}
    save(Path(args.results).stem + "_seeds", payload, args)


if __name__ == "__main__":
    main()
