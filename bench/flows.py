"""Search flows on examples/flow_hw_arch.py: nested vs flat search, warm vs cold start.

The example's space is small (8 hardware x 8 architecture points), so the bench trains every
point once (the table, cached in bench/results/flows_table.json: the timing part of the
objective is measured once, which makes the joint optimum well defined) and then runs the
searches against the table over 10 seeds:

- nested (outer random or TPE over the hardware group, inner evolution or grid over the rest)
  against flat evolution and flat random with the same total number of trials (16): the best
  objective reached and how often each finds the joint optimum;
- warm start: a 50-trial TPE study, then for each seed a cold TPE run of N trials and a run
  warm-started from that study; trials the warm run needs to reach the cold run's best.

    PYTHONPATH=. python bench/flows.py [--quick]
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

import flow_hw_arch as ex  # noqa: E402
from _common import RESULTS, machine, parse_args  # noqa: E402

import glovec.runtime as gv  # noqa: E402


def table(path: Path) -> dict:
    """{decisions key: objective} for every point of the space (trained once each)."""
    cached = json.loads(path.read_text()) if path.exists() else {}
    spec = ex.SPACE.to_spec()
    for dna in spec.iter_dna():
        key = _key(dna.decisions)
        if key not in cached:
            values = ex.SPACE.materialize(dna.decisions)
            accuracy, latency = ex.train(**values)
            cached[key] = {"values": values, "accuracy": accuracy, "latency_ms": latency,
                           "objective": accuracy - ex.PENALTY * latency}
            path.write_text(json.dumps(cached, indent=1))
            print(f"{len(cached)}/{spec.size} {values} -> {cached[key]['objective']:.4f}", flush=True)
    return cached


def _key(decisions) -> str:
    return json.dumps(dict(sorted(decisions.items())))


def main() -> None:
    args = parse_args(__doc__)
    RESULTS.mkdir(exist_ok=True)
    tab = table(RESULTS / "flows_table.json")
    best_value = max(v["objective"] for v in tab.values())
    optimum = [v["values"] for v in tab.values() if v["objective"] == best_value]

    def lookup(trial) -> float:
        return tab[_key(trial.decisions)]["objective"]

    seeds = range(3 if args.quick else 10)
    outer, inner = 4, 4
    rows = {}
    for name, run in (
        ("nested 4x4 (random x evolution)", lambda s: ex.nested(lookup, outer, inner, seed=s)),
        ("nested 4x4 (tpe x evolution)", lambda s: ex.nested(lookup, outer, inner, seed=s,
                                                             outer_algorithm="tpe")),
        ("nested 2x8 (random x grid)", lambda s: ex.nested(lookup, 2, 8, seed=s,
                                                           inner_algorithm="grid")),
        ("flat evolution", lambda s: ex.flat(lookup, outer * inner, seed=s)),
        ("flat random", lambda s: ex.flat(lookup, outer * inner, seed=s, algorithm="random")),
    ):
        values = [run(s)[0] for s in seeds]
        rows[name] = {"mean_best": statistics.mean(values), "min_best": min(values),
                      "found_optimum": sum(abs(v - best_value) < 1e-12 for v in values),
                      "seeds": len(values)}
        print(f"{name:32s} best {rows[name]['mean_best']:.4f} (worst {rows[name]['min_best']:.4f}), "
              f"joint optimum {rows[name]['found_optimum']}/{len(values)}", flush=True)

    # warm start: a 50-trial study, then cold vs warm TPE runs
    history = []
    for trial, feedback in gv.sample(ex.SPACE, "tpe", 50, seed=999):
        value = lookup(trial)
        feedback(value)
        history.append((dict(trial.decisions), value))
    n = 20
    warm_rows = []
    for s in seeds:
        cold = []
        for trial, feedback in gv.sample(ex.SPACE, "tpe", n, seed=s):
            cold.append(lookup(trial))
            feedback(cold[-1])
        target = max(cold)
        cold_reach = next(i + 1 for i, v in enumerate(cold) if v >= target)
        known = max(v for _, v in history)  # what the warm run knows before it proposes
        warm_reach = 0 if known >= target else None  # counting what it knows
        new_reach = None  # counting only its own new proposals
        warm_values = []
        for i, (trial, feedback) in enumerate(gv.sample(ex.SPACE, "tpe", n, seed=s, warm=history)):
            value = lookup(trial)
            feedback(value)
            warm_values.append(value)
            if value >= target:
                warm_reach = i + 1 if warm_reach is None else warm_reach
                new_reach = i + 1 if new_reach is None else new_reach
        warm_rows.append({"seed": s, "cold_best": target, "cold_trials": cold_reach,
                          "warm_trials": warm_reach, "warm_new_trials": new_reach,
                          "warm_new_best": max(warm_values), "warm_new_mean": statistics.mean(warm_values),
                          "cold_mean": statistics.mean(cold)})
    reached = [r["warm_trials"] for r in warm_rows if r["warm_trials"] is not None]
    new = [r["warm_new_trials"] for r in warm_rows if r["warm_new_trials"] is not None]
    summary = {"cold_trials_to_best_mean": statistics.mean(r["cold_trials"] for r in warm_rows),
               "warm_trials_to_cold_best_mean": statistics.mean(reached) if reached else None,
               "warm_reached": len(reached),
               "warm_new_trials_to_cold_best_mean": statistics.mean(new) if new else None,
               "warm_new_reached": len(new),
               "study_best": max(v for _, v in history), "seeds": len(warm_rows),
               "cold_mean_objective": statistics.mean(r["cold_mean"] for r in warm_rows),
               "warm_mean_objective": statistics.mean(r["warm_new_mean"] for r in warm_rows)}
    print(f"warm start (50-trial TPE study, best {summary['study_best']:.4f}) vs cold TPE, {n} "
          f"trials, {summary['seeds']} seeds: cold reaches its best in "
          f"{summary['cold_trials_to_best_mean']:.1f} trials; warm (counting the study's "
          f"trials it was fed) in {summary['warm_trials_to_cold_best_mean']} "
          f"({summary['warm_reached']}/{summary['seeds']} seeds); warm's own new proposals "
          f"reach it in {summary['warm_new_trials_to_cold_best_mean']} "
          f"({summary['warm_new_reached']}/{summary['seeds']}); mean objective of the new "
          f"trials: cold {summary['cold_mean_objective']:.4f}, warm "
          f"{summary['warm_mean_objective']:.4f}", flush=True)
    out = {"machine": machine(), "space_size": len(tab), "joint_optimum": optimum,
           "joint_optimum_value": best_value, "outer": outer, "inner": inner,
           "nested_vs_flat": rows, "warm_start": {"runs": warm_rows, **summary}}
    if not args.no_save:
        (RESULTS / "flows.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
