"""Search flows on examples/flow_hw_arch.py: nested vs flat search, warm vs cold start.

The example's space is small (8 hardware x 8 architecture points), so the bench trains every
point once (the table, cached in bench/results/flows_table.json: the timing part of the
objective is measured once, which makes the joint optimum well defined) and then runs the
searches against the table over 10 seeds:

- nested (outer random over the hardware group, inner evolution over the rest) against flat
  evolution and flat random with the same total number of trials: the best objective reached and
  how often each finds the joint optimum;
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
        ("nested (random x evolution)", lambda s: ex.nested(lookup, outer, inner, seed=s)),
        ("flat evolution", lambda s: ex.flat(lookup, outer * inner, seed=s)),
        ("flat random", lambda s: ex.flat(lookup, outer * inner, seed=s, algorithm="random")),
    ):
        values = [run(s)[0] for s in seeds]
        rows[name] = {"mean_best": statistics.mean(values), "min_best": min(values),
                      "found_optimum": sum(abs(v - best_value) < 1e-12 for v in values),
                      "seeds": len(values)}
        print(f"{name:30s} best {rows[name]['mean_best']:.4f} (worst {rows[name]['min_best']:.4f}), "
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
        warm_reach = None
        for i, (trial, feedback) in enumerate(gv.sample(ex.SPACE, "tpe", n, seed=s, warm=history)):
            value = lookup(trial)
            feedback(value)
            if value >= target and warm_reach is None:
                warm_reach = i + 1
        warm_rows.append({"seed": s, "cold_best": target, "cold_trials": cold_reach,
                          "warm_trials": warm_reach})
    reached = [r["warm_trials"] for r in warm_rows if r["warm_trials"] is not None]
    summary = {"cold_trials_to_best_mean": statistics.mean(r["cold_trials"] for r in warm_rows),
               "warm_trials_to_cold_best_mean": statistics.mean(reached) if reached else None,
               "warm_reached": len(reached), "seeds": len(warm_rows)}
    print(f"warm start (50-trial study) vs cold TPE, {n} trials: cold needs "
          f"{summary['cold_trials_to_best_mean']:.1f} trials to its best; warm reaches it in "
          f"{summary['warm_trials_to_cold_best_mean']} trials on average "
          f"({summary['warm_reached']}/{summary['seeds']} seeds)", flush=True)
    out = {"machine": machine(), "space_size": len(tab), "joint_optimum": optimum,
           "joint_optimum_value": best_value, "outer": outer, "inner": inner,
           "nested_vs_flat": rows, "warm_start": {"runs": warm_rows, **summary}}
    if not args.no_save:
        (RESULTS / "flows.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
