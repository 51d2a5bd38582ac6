"""One supernet, every architecture whose stand-alone accuracy is known: how well it ranks them.

A cheap check of a change to how one-shot search trains its supernet (one training, no
stand-alone ones): `glovec run examples/nas_cell_torch.py --one-shot METHOD` trains the supernet,
then every architecture that earlier `bench/oneshot.py` results trained alone is proposed into
the study and estimated on it (`--resume`: no training). Prints Kendall tau over all of them and
among the working ones (stand-alone >= 0.9), the estimates' range, and the stand-alone
percentile of the five best estimates. Knobs such as GLOVEC_ONE_SHOT_SANDWICH=0 pass through
the environment. Prints only; writes nothing under bench/results/.

    python bench/oneshot_known.py --method spos --results bench/results/oneshot.json,...
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oneshot  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--method", default="spos", choices=("spos", "enas", "darts"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--results", default=",".join(
        str(p) for p in oneshot.result_files()),
        help="bench/oneshot.py results whose stand-alone accuracies are used (comma-separated)")
    args = parser.parse_args()
    known = oneshot.known_accuracies(args.results.split(","))  # decisions JSON -> accuracy alone
    study = Path(tempfile.mkdtemp(prefix="glovec-known-")) / "s.db"
    t0 = time.perf_counter()
    oneshot.glovec("run", oneshot.EXAMPLE, "--one-shot", args.method, "--trials", 1,
                   "--study", study, "--seed", args.seed, "--finalists", 0)  # estimates only
    train = time.perf_counter() - t0
    evaluate = oneshot.estimate_known(study, [json.loads(k) for k in known], args.method)
    report = json.loads(oneshot.glovec("report", study, "--json")[0])
    rows = [(t["objective"], known[k]) for t in report["trials"] if t["status"] == "completed"
            and (k := json.dumps(t["decisions"], sort_keys=True)) in known]
    working = [r for r in rows if r[1] >= oneshot.WORKING]
    tau = oneshot.kendall_tau(*zip(*rows))
    tau_working = oneshot.kendall_tau(*zip(*working))
    accs = sorted(r[1] for r in rows)
    pct = lambda a: 100 * (sum(x < a for x in accs) + 0.5 * sum(x == a for x in accs)) / len(accs)  # noqa: E731
    top = sorted(rows, reverse=True)[:5]
    print(f"{args.method}: {len(rows)} known architectures, tau {tau:.2f} ({tau_working:.2f} among "
          f"{len(working)} working); estimates {min(r[0] for r in rows):.3f}-"
          f"{max(r[0] for r in rows):.3f}; run {train:.0f} s, estimates {evaluate:.0f} s")
    print("five best estimates -> alone (percentile): " + ", ".join(
        f"{e:.3f} -> {a:.4f} ({pct(a):.0f})" for e, a in top))


if __name__ == "__main__":
    main()
