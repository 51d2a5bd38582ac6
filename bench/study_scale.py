"""Does a study slow down as it grows, and does resuming it cost its history?

The 100-site program of ``glovec run`` (default SQLite study, inline executor, random search), run
through the driver exactly as bench/run_overhead.py does. The study grows in stages to 100,000
trials (by resuming it). The per-trial cost is read afterwards from the study itself: each trial
row carries the time it was created, so the cost of trials a..b is
``(created[b] - created[a]) / (b - a)``. Printed: the first and the last 1,000 trials, a few
windows in between, their ratio (flat means close to 1), and the study file's size.

Resume: at 1,000, 20,000 and 100,000 trials a copy of the study is resumed for 1,000 more trials
(``glovec run --resume``), timed from the call to its end (open, recover, 1,000 trials, summary),
and set against the study's first 1,000 trials, timed the same way.

    python bench/study_scale.py            # 100,000 trials, a few minutes
    python bench/study_scale.py --quick    # 10,000 trials (resume at 1,000 and 10,000)
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine, note, parse_args, save, table, versions  # noqa: E402
from run_overhead import glovec_run  # noqa: E402

WINDOW = 1000
RESUME_AT = (1_000, 20_000, 100_000)


def main() -> int:
    args = parse_args(__doc__, lambda p: p.add_argument(
        "--trials", type=int, default=None, help="trials in the study (default 100,000)"))
    n = args.trials or (10_000 if args.quick else 100_000)
    stages = sorted({size for size in RESUME_AT if size < n} | {n})
    resumes = []
    with tempfile.TemporaryDirectory(prefix="glovec-scale-") as tmp:
        db = Path(tmp) / "glovec-random.db"
        t0 = time.perf_counter()
        first = None
        for size in stages:
            note(f"growing the study to {size:,} trials ...")
            took = glovec_run(size, Path(tmp), study=db, resume=first is not None)
            first = took if first is None else first
            copy = Path(tmp) / f"resume-{size}.db"
            shutil.copyfile(db, copy)
            note(f"resuming a copy of it for {WINDOW:,} more ...")
            resumes.append((size, glovec_run(size + WINDOW, Path(tmp), study=copy, resume=True)))
            copy.unlink()
        total = time.perf_counter() - t0
        size = os.path.getsize(db) + sum(os.path.getsize(p) for p in Path(tmp).glob("*.db-wal"))
        con = sqlite3.connect(db)
        created = [row[0] for row in con.execute("SELECT created FROM trials ORDER BY id")]
        statuses = dict(con.execute("SELECT status, count(*) FROM trials GROUP BY status").fetchall())
        con.close()
    assert len(created) == n, (len(created), n)

    def per_trial(start: int) -> float:  # trials start+1 .. start+WINDOW, all inside one stage
        end = min(start + WINDOW - 1, n - 1)
        return (created[end] - created[start]) / (end - start)

    starts = sorted({0, n // 4, n // 2, 3 * n // 4, n - WINDOW})
    windows = [(s + 1, min(s + WINDOW, n), per_trial(s)) for s in starts]
    rows = [[f"trials {a:,}-{b:,}", f"{cost * 1e3:.3f}"] for a, b, cost in windows]
    print(table(rows, ["window", "ms/trial"]))
    head, last = windows[0][2], windows[-1][2]
    print(f"\n{n:,} trials in {total:.1f} s, resumes included; statuses {statuses}")
    print(f"last 1,000 / first 1,000: {last / head:.2f}x (flat is ~1)")
    print(f"study file: {size / 2**20:.1f} MiB ({size / n:.0f} bytes/trial)")
    rows = [[f"{at:,}", f"{secs:.2f}", f"{secs / first:.2f}x"] for at, secs in resumes]
    print(f"\nthe study's first {stages[0]:,} trials: {first:.2f} s")
    print(table(rows, ["resume at", f"s for +{WINDOW:,}", "/ first"]))
    info = machine()
    print(f"load average {info['loadavg_1_5_15']} on {info['cpus']} CPUs")
    save("study_scale", {"benchmark": "study_scale", "quick": args.quick, "machine": info,
                         "versions": versions("glovec"), "trials": n, "seconds": total,
                         "windows_ms_per_trial": [[a, b, c * 1e3] for a, b, c in windows],
                         "last_over_first": last / head, "file_bytes": size,
                         "first_trials_s": first,
                         "resume_plus_1000_s": [[at, secs] for at, secs in resumes]}, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
