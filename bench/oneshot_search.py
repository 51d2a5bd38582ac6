"""One-shot search phase: how high an estimate each search algorithm reaches on the same supernet.

spos trains one supernet of `examples/nas_cell_torch.py` per seed (`glovec run --one-shot spos
--trials 1`), then each algorithm searches it from a copy of that checkpoint (`--resume`: no
training), `--trials` proposals, with each of `--search-seeds` (three by default). An estimate is a forward pass on shared
weights and the same architecture always gets the same one, so the question is only how fast an
algorithm climbs. Printed per algorithm and supernet: the best estimate after `--at` proposals
and after `--trials`; with `--alone`, the stand-alone accuracy of each search's best (the
materialized program trained alone) and its percentile among every architecture of the cell whose
stand-alone accuracy earlier bench/oneshot.py results hold.

Every one-shot search estimates the program's own architecture first, whatever the algorithm.
`tpe` is one-shot's default (chosen from this bench: docs/oneshot.md); `evolution` draws 19
random cells before selection; `evolution (selects after 5)` selects after the program's
architecture and 4 random ones (tried as one-shot's default and dropped: docs/oneshot.md).
The `evolution (random start)` rows of `bench/results/oneshot_search.json` were measured before
every algorithm's first estimate was the program's architecture (20 random cells). Every figure
comes from this run; nothing is asserted.

    python bench/oneshot_search.py --seeds 0,1,2 --trials 60 --at 30 --alone
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, parse_args, save  # noqa: E402
from oneshot import (EXAMPLE, glovec, known_accuracies, percentile_of,  # noqa: E402
                     result_files, standalone)

ALGORITHMS = {
    "evolution": "evolution",
    "evolution (selects after 5)": "bench.oneshot_search:early_evolution",
    "hillclimb": "hillclimb",
    "tpe": "tpe",
    "random": "random",
}


def early_evolution(seed=None):
    """Evolution from the program's own architecture and 4 random ones, then selection."""
    from glovec.runtime.algorithms.evolution import RegularizedEvolution

    return RegularizedEvolution(seed=seed, init="default", init_size=5)


def main() -> None:
    args = parse_args(__doc__, lambda p: (
        p.add_argument("--seeds", default="0,1,2", help="supernets: the one-shot runs' --seed"),
        p.add_argument("--search-seeds", default="11,12,13"),
        p.add_argument("--trials", type=int, default=150),
        p.add_argument("--at", type=int, default=60, help="also report the best after this many"),
        p.add_argument("--algorithms", default=",".join(ALGORITHMS)),
        p.add_argument("--alone", action="store_true", help="train each search's best alone"),
        p.add_argument("--name", default="oneshot_search", help="bench/results/NAME.json")))
    if args.quick:
        args.seeds, args.search_seeds, args.trials, args.at = "0", "11", 20, 10
    work = Path(tempfile.mkdtemp(prefix="glovec-search-"))
    known = known_accuracies(result_files())
    cache: dict = {}  # decisions -> accuracy alone, trained in this run
    rows = []
    for sn in [int(s) for s in args.seeds.split(",")]:
        base = work / f"supernet{sn}.db"
        glovec("run", EXAMPLE, "--one-shot", "spos", "--trials", 1, "--study", base, "--seed", sn,
               "--finalists", 0)  # the search phase over estimates is what is measured
        for label in args.algorithms.split(","):
            for ss in [int(s) for s in args.search_seeds.split(",")]:
                study = work / f"s{sn}_{len(rows)}.db"
                shutil.copy(f"{base}.oneshot.pt", f"{study}.oneshot.pt")
                glovec("run", EXAMPLE, "--one-shot", "spos", "--resume", "--trials", args.trials,
                       "--study", study, "--seed", ss, "--algorithm", ALGORITHMS[label],
                       "--finalists", 0)
                report = json.loads(glovec("report", study, "--json")[0])
                done = sorted((t for t in report["trials"] if t["status"] == "completed"),
                              key=lambda t: t["id"])
                best = max(done, key=lambda t: t["objective"])
                row = {"supernet": sn, "algorithm": label, "search_seed": ss,
                       "best_at": max(t["objective"] for t in done[:args.at]),
                       "best": best["objective"], "decisions": best["decisions"]}
                if args.alone:
                    key = json.dumps(best["decisions"], sort_keys=True)
                    if key not in cache:
                        prog = work / f"best_{len(rows)}.py"
                        glovec("materialize", EXAMPLE, "--trial", best["id"], "--study", study,
                               "-o", prog)
                        cache[key] = standalone(prog)[0]
                    row["alone"] = cache[key]
                    row["percentile"] = percentile_of(cache[key], list(known.values()))
                rows.append(row)
                print(f"supernet {sn} {label:<24} search seed {ss}: best {row['best_at']:.4f} at "
                      f"{args.at}, {row['best']:.4f} at {args.trials}"
                      + (f"; alone {row['alone']:.4f} (percentile {row['percentile']:.0f} of "
                         f"{len(known)} known)" if args.alone else ""), flush=True)
    print(f"\nmean best estimate over supernets {args.seeds} x search seeds {args.search_seeds}")
    print(f"| algorithm | best at {args.at} | best at {args.trials} |"
          + (" mean alone | mean percentile |" if args.alone else ""))
    print("| --- | --- | --- |" + (" --- | --- |" if args.alone else ""))
    summary = {}
    for label in args.algorithms.split(","):
        mine = [r for r in rows if r["algorithm"] == label]
        summary[label] = {k: statistics.mean(r[k] for r in mine)
                          for k in ("best_at", "best", "alone", "percentile") if k in mine[0]}
        s = summary[label]
        print(f"| {label} | {s['best_at']:.4f} | {s['best']:.4f} |"
              + (f" {s['alone']:.4f} | {s['percentile']:.0f} |" if args.alone else ""))
    save(args.name, {"machine": machine(), "rows": rows, "summary": summary,
                            "trials": args.trials, "at": args.at, "known": len(known)}, args)


if __name__ == "__main__":
    main()
