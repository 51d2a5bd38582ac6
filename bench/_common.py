"""Helpers shared by the benchmarks: argument parsing, machine notes, tables and JSON results."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(doc: str, extra=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run (figures are rough)")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    if extra is not None:
        extra(parser)
    return parser.parse_args()


def machine() -> dict:
    """What a reader needs to weigh the figures: the box and how busy it was."""
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg_1_5_15": load,
        "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def versions(*modules: str) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in modules:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def save(name: str, payload: dict, args: argparse.Namespace) -> None:
    if args.no_save:
        return
    RESULTS.mkdir(exist_ok=True)
    suffix = "_quick" if args.quick else ""
    path = RESULTS / f"{name}{suffix}.json"
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")


def table(rows: list[list], header: list[str]) -> str:
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def fmt_ms(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    ms = seconds * 1e3
    return f"{ms:.4f}" if ms < 0.1 else f"{ms:.3f}" if ms < 10 else f"{ms:.1f}"


def note(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def measure(contenders: dict, name: str, quick: bool, tmp: Path) -> dict:
    """Seconds per trial of one contender: ``contenders[name] = (fn, n_full, n_quick, repeats)``,
    ``fn(n, folder) -> seconds for n trials``; the median over the repeats."""
    import statistics

    fn, n_full, n_quick, repeats = contenders[name]
    n = n_quick if quick else n_full
    per_trial = []
    try:
        for r in range(repeats):
            run_dir = tmp / f"{name.replace(' ', '_').replace('+', '_')}-{r}"
            run_dir.mkdir()
            per_trial.append(fn(n, run_dir) / n)
    except Exception as exc:  # one broken contender must not hide the others
        note(f"{name}: skipped ({type(exc).__name__}: {exc})")
        return {"trials": n, "error": f"{type(exc).__name__}: {exc}"}
    return {"trials": n, "repeats": repeats, "runs_s_per_trial": per_trial,
            "s_per_trial": statistics.median(per_trial)}


def print_contenders(results: dict) -> None:
    rows = [[name, r["trials"], r.get("repeats", "-"), fmt_ms(r.get("s_per_trial"))]
            for name, r in results.items()]
    print(table(rows, ["contender", "trials", "runs", "ms/trial"]))
    print()


def ratios_table(results: dict, specs: list) -> dict:
    """Print ``num / den`` for each ``(label, num, den, goal)`` whose two sides were measured;
    ``goal`` is ``(">=" | "<=", value)`` or None. Returns the ratios for the JSON."""
    rows, ratios = [], {}
    for label, num, den, goal in specs:
        a = results.get(num, {}).get("s_per_trial")
        b = results.get(den, {}).get("s_per_trial")
        if a is None or b is None:
            continue
        ratio = a / b
        met = None if goal is None else (ratio >= goal[1] if goal[0] == ">=" else ratio <= goal[1])
        goal_text = None if goal is None else f"{goal[0]} {goal[1]}"
        ratios[label] = {"ratio": ratio, "goal": goal_text, "met": met}
        rows.append([label, f"{ratio:,.1f}x", goal_text or "", "" if met is None else ("met" if met else "MISSED")])
    print(table(rows, ["ratio", "value", "goal", ""]))
    return ratios
