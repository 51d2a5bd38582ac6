"""Per-execution cost of a site in generated code, inside and outside a trial, and import cost.

A site executed in a training loop is on the user's critical path. This measures, in nanoseconds
per execution (best of several timeit repeats), the expressions generated code contains:

- a literal ``oneof`` site   ``_gv.oneof("units", 1, (64, 128, 256))``
- a lazy ``oneof`` site      ``_gv.oneof_lazy("act", 0, (lambda: relu, lambda: gelu))`` (the
  lambdas are rebuilt per execution, as in generated code)
- a ``floatv`` site          ``_gv.floatv("lr", 0.001)``
- a ``repeat=3`` oneof site  ``_gv.oneof(_gv.rep("edge", 3), 0, (...))``

next to what the original program paid (the bare constant) and a bare dict lookup
(``d.get("units", 1)``), the floor of any decision read. "Inside" runs with a 100-decision trial
active. Also: ``Space["units"]`` of a hand-written space, and ``import glovec.runtime`` (fresh
interpreter, minus the interpreter's own start-up; best of several).

    python bench/site_cost.py            # about 20 seconds
    python bench/site_cost.py --quick
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine, note, parse_args, save, table  # noqa: E402

SETUP = """
import glovec.runtime as _gv
relu, gelu = object(), object()
d = {"units": 2}
space = _gv.Space(units=_gv.oneof([64, 128, 256], default=128))
"""

CASES = [
    # (label, statement)
    ("empty statement (loop overhead)", "pass"),
    ("original constant", "x = 128"),
    ("bare dict lookup", 'x = d.get("units", 1)'),
    ("bare dict lookup + index", 'x = (64, 128, 256)[d.get("units", 1)]'),
    ("oneof literal site", 'x = _gv.oneof("units", 1, (64, 128, 256))'),
    ("oneof lazy site", 'x = _gv.oneof_lazy("act", 0, (lambda: relu, lambda: gelu))'),
    ("floatv site", 'x = _gv.floatv("lr", 0.001)'),
    ("oneof repeat=3 site", 'x = _gv.oneof(_gv.rep("edge", 3), 0, (1, 2, 3))'),
    ("Space['units'] (hand-written)", 'x = space["units"]'),
]


def decisions_100() -> dict:
    d = {f"o{i}": i % 4 for i in range(97)}
    d.update({"units": 2, "act": 1, "lr": 0.01, "edge[0]": 1, "edge[1]": 2, "edge[2]": 0})
    return d


def per_execution(stmt: str, inside: bool, number: int, repeats: int) -> float:
    setup = SETUP + (f"\n_gv.activate({decisions_100()!r})\n" if inside else "\n_gv.deactivate()\n")
    times = timeit.repeat(stmt, setup=setup, number=number, repeat=repeats)
    return min(times) / number


def import_cost(runs: int) -> dict:
    def wall(code: str) -> float:
        best = float("inf")
        for _ in range(runs):
            out = subprocess.run(
                [sys.executable, "-c", f"import time; t=time.perf_counter(); {code}; print(time.perf_counter()-t)"],
                capture_output=True, text=True, check=True)
            best = min(best, float(out.stdout))
        return best

    def importtime() -> float:
        samples = []
        for _ in range(runs):
            err = subprocess.run([sys.executable, "-X", "importtime", "-c", "import glovec.runtime"],
                                 capture_output=True, text=True, check=True).stderr
            m = re.search(r"\|\s*(\d+) \| glovec\.runtime\s*$", err, re.M)
            samples.append(int(m.group(1)) / 1e6)
        return min(samples)

    return {"import_glovec_runtime_s": wall("import glovec.runtime"),
            "import_glovec_runtime_importtime_s": importtime(),
            "import_json_s_for_scale": wall("import json")}


def main() -> int:
    args = parse_args(__doc__)
    number, repeats, runs = (200_000, 3, 3) if args.quick else (1_000_000, 7, 9)
    rows, results = [], {}
    for label, stmt in CASES:
        note(f"measuring {label} ...")
        out_ = per_execution(stmt, False, number, repeats)
        in_ = per_execution(stmt, True, number, repeats)
        results[label] = {"outside_ns": out_ * 1e9, "inside_ns": in_ * 1e9}
        rows.append([label, f"{out_ * 1e9:.0f}", f"{in_ * 1e9:.0f}"])
    print(table(rows, ["statement", "outside ns", "inside ns"]))
    base = results["bare dict lookup + index"]
    lit = results["oneof literal site"]
    print()
    print(f"literal oneof site / bare lookup+index: outside {lit['outside_ns'] / base['outside_ns']:.1f}x, "
          f"inside {lit['inside_ns'] / base['inside_ns']:.1f}x")
    note("measuring import glovec.runtime ...")
    imp = import_cost(runs)
    print(f"import glovec.runtime: {imp['import_glovec_runtime_s'] * 1e3:.1f} ms wall in a fresh interpreter "
          f"(-X importtime cumulative {imp['import_glovec_runtime_importtime_s'] * 1e3:.1f} ms; "
          f"import json for scale {imp['import_json_s_for_scale'] * 1e3:.1f} ms)")
    info = machine()
    print(f"load average {info['loadavg_1_5_15']} on {info['cpus']} CPUs (shared machine: figures are noisy)")
    save("site_cost", {"benchmark": "site_cost", "quick": args.quick, "machine": info,
                       "sites_ns": results, "import": imp,
                       "median_inside_ns": statistics.median(r["inside_ns"] for r in results.values())}, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
