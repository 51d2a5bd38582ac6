"""Memory of a long search: peak RSS of 100,000 glovec `random` trials on the 100-site space
(goal: under 300 MB), the same with glovec's SQLite study recording every trial, and PyGlove's
memory growth per trial on a smaller count for comparison.

Each contender runs in a fresh subprocess, which reports its resident set after imports and space
construction, after the loop, and its peak (``resource.getrusage`` max RSS), so one contender's
garbage never counts against another.

    python bench/memory.py            # 100,000 glovec trials (twice); 100 PyGlove trials
    python bench/memory.py --quick    # 10,000 glovec trials (twice); 25 PyGlove trials
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import machine, note, parse_args, save, table, versions  # noqa: E402

GOAL_MB = 300


def _rss_mb() -> float:
    """Current resident set of this process (Linux /proc), in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child_glovec(n: int, warmup: int, study=None) -> dict:
    import space100 as S
    from glovec.runtime.loop import sample

    spec = S.glovec_spec()
    objective = S.glovec_objective
    marks = {}
    for i, (trial, feedback) in enumerate(sample(spec, algorithm="random", num_trials=n, seed=0, study=study)):
        if i == warmup:
            marks["rss_after_warmup_mb"] = _rss_mb()
        feedback(objective())  # sample() has activated the trial's decisions
    marks["rss_end_mb"] = _rss_mb()
    return marks


def child_glovec_sqlite(n: int, warmup: int) -> dict:
    """The same search recording every transition in glovec's SQLite study, as `glovec run` does."""
    import tempfile

    import space100 as S
    from glovec.runtime.study import Study

    with tempfile.TemporaryDirectory(prefix="glovec-bench-") as tmp:
        study = Study.open(Path(tmp) / "study.db", S.glovec_space())
        try:
            return child_glovec(n, warmup, study)
        finally:
            study.close()


def child_pyglove(n: int, warmup: int) -> dict:
    import pyglove as pg
    import space100 as S

    space = S.pyglove_space()
    marks = {}
    for i, (example, feedback) in enumerate(pg.sample(space, pg.geno.Random(seed=0), num_examples=n)):
        if i == warmup:
            marks["rss_after_warmup_mb"] = _rss_mb()
        feedback(S.pyglove_objective(example))
    marks["rss_end_mb"] = _rss_mb()
    return marks


CHILDREN = {"glovec": child_glovec, "glovec+sqlite": child_glovec_sqlite, "pyglove": child_pyglove}


def run_child(kind: str, n: int, warmup: int) -> dict:
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", kind, str(n), str(warmup)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child_main(kind: str, n: int, warmup: int) -> None:
    marks = CHILDREN[kind](n, warmup)
    # ru_maxrss is sampled by the kernel; never report a peak below the RSS just read.
    marks.update(trials=n, warmup=warmup, peak_rss_mb=max(_peak_mb(), marks["rss_end_mb"]))
    print(json.dumps(marks))


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child_main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return 0
    args = parse_args(__doc__)
    plan = {"glovec": (10_000, 1_000) if args.quick else (100_000, 1_000),
            "glovec+sqlite": (10_000, 1_000) if args.quick else (100_000, 1_000),
            "pyglove": (25, 5) if args.quick else (100, 20)}
    results = {}
    for kind, (n, warmup) in plan.items():
        note(f"running {kind}: {n} trials in a subprocess ...")
        results[kind] = r = run_child(kind, n, warmup)
        if "error" not in r:
            r["growth_kib_per_trial"] = (r["rss_end_mb"] - r["rss_after_warmup_mb"]) * 1024 / (n - warmup)

    rows = []
    for kind, r in results.items():
        if "error" in r:
            note(f"{kind}: {r['error']}")
            rows.append([kind, plan[kind][0], "n/a", "n/a", "n/a", "n/a"])
            continue
        rows.append([kind, r["trials"], f"{r['rss_after_warmup_mb']:.1f}", f"{r['rss_end_mb']:.1f}",
                     f"{r['peak_rss_mb']:.1f}", f"{r['growth_kib_per_trial']:.2f}"])
    print(table(rows, ["contender", "trials", f"RSS after warm-up (MiB)", "RSS at end (MiB)",
                       "peak RSS (MiB)", "growth KiB/trial"]))
    g, p = results.get("glovec", {}), results.get("pyglove", {})
    summary = {}
    if "peak_rss_mb" in g:
        met = g["peak_rss_mb"] * 1.048576 < GOAL_MB  # MiB -> MB
        summary["glovec_peak_under_goal"] = met
        print(f"\nglovec peak RSS over {g['trials']:,} trials: {g['peak_rss_mb']:.1f} MiB "
              f"(goal < {GOAL_MB} MB: {'met' if met else 'MISSED'})")
    if "growth_kib_per_trial" in g and "growth_kib_per_trial" in p:
        print(f"PyGlove grows {p['growth_kib_per_trial']:.1f} KiB per trial; glovec {g['growth_kib_per_trial']:.3f} KiB "
              f"(PyGlove at {g['trials']:,} trials would hold about "
              f"{p['growth_kib_per_trial'] * g['trials'] / 1024:,.0f} MiB more than after its warm-up)")
    save("memory", {"benchmark": "memory", "quick": args.quick, "machine": machine(),
                    "versions": versions("glovec", "pyglove"), "goal_mb": GOAL_MB,
                    "results": results, "summary": summary}, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
