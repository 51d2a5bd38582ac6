"""Does a study slow down as it grows? 100,000 trials of ``glovec run`` on the 100-site program.

The search runs through the driver exactly as bench/run_overhead.py does (default SQLite study,
inline executor, random search). The per-trial cost is read afterwards from the study itself:
each trial row carries the time it was created, so the cost of trials a..b is
``(created[b] - created[a]) / (b - a)``. Printed: the first and the last 1,000 trials, a few
windows in between, their ratio (flat means close to 1), and the study file's size.

    python bench/study_scale.py            # 100,000 trials, about a minute
    python bench/study_scale.py --quick    # 10,000 trials
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine, note, parse_args, save, table, versions  # noqa: E402
from run_overhead import glovec_run  # noqa: E402

WINDOW = 1000


def main() -> int:
    args = parse_args(__doc__, lambda p: p.add_argument(
        "--trials", type=int, default=None, help="trials in the study (default 100,000)"))
    n = args.trials or (10_000 if args.quick else 100_000)
    with tempfile.TemporaryDirectory(prefix="glovec-scale-") as tmp:
        note(f"running {n:,} trials ...")
        t0 = time.perf_counter()
        glovec_run(n, Path(tmp))
        total = time.perf_counter() - t0
        (db,) = Path(tmp).glob("*.db")
        size = os.path.getsize(db) + sum(os.path.getsize(p) for p in Path(tmp).glob("*.db-wal"))
        con = sqlite3.connect(db)
        created = [row[0] for row in con.execute("SELECT created FROM trials ORDER BY id")]
        statuses = dict(con.execute("SELECT status, count(*) FROM trials GROUP BY status").fetchall())
        con.close()
    assert len(created) == n, (len(created), n)

    def per_trial(start: int) -> float:
        end = min(start + WINDOW, n - 1)
        return (created[end] - created[start]) / (end - start)

    starts = sorted({0, n // 4, n // 2, 3 * n // 4, n - 1 - WINDOW})
    windows = [(s + 1, min(s + WINDOW, n - 1) + 1, per_trial(s)) for s in starts]
    rows = [[f"trials {a:,}-{b:,}", f"{cost * 1e3:.3f}"] for a, b, cost in windows]
    print(table(rows, ["window", "ms/trial"]))
    first, last = windows[0][2], windows[-1][2]
    print(f"\n{n:,} trials in {total:.1f} s ({total / n * 1e3:.3f} ms/trial overall); "
          f"statuses {statuses}")
    print(f"last 1,000 / first 1,000: {last / first:.2f}x (flat is ~1)")
    print(f"study file: {size / 2**20:.1f} MiB ({size / n:.0f} bytes/trial)")
    info = machine()
    print(f"load average {info['loadavg_1_5_15']} on {info['cpus']} CPUs")
    save("study_scale", {"benchmark": "study_scale", "quick": args.quick, "machine": info,
                         "versions": versions("glovec"), "trials": n, "seconds": total,
                         "windows_ms_per_trial": [[a, b, c * 1e3] for a, b, c in windows],
                         "last_over_first": last / first, "file_bytes": size}, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
