"""Does a study slow down as it grows, and does resuming it cost its history?

The 100-site program of ``glovec run`` (default SQLite study, inline executor, random search), run
through the driver exactly as bench/run_overhead.py does. The study grows in stages to 100,000
trials (by resuming it). The per-trial cost is read afterwards from the study itself: each trial
row carries the time it was created, so the cost of trials a..b is
``(created[b] - created[a]) / (b - a)``. Printed: the first and the last 1,000 trials, a few
windows in between, their ratio (flat means close to 1), and the study file's size.

Resume: at 1,000, 20,000 and 100,000 trials a copy of the study is resumed for more trials
(``glovec run --resume``, each in a fresh process, as a user runs it) by each algorithm of
``--algorithms`` (default random, evolution, ppo, tpe). Timed: the resume itself (open the study,
restore the algorithm or replay its history: until the first new proposal) and the whole call
(resume, the new trials, summary), set against the first 1,000 trials of the study it resumes
(for random and evolution, which grew it). ``+1,000`` trials
for random, evolution and ppo; tpe adds ``--tpe-trials`` (default 20), because each of its
proposals models every earlier trial and costs seconds at 100,000 whatever the resume costs.

Which history: random resumes the random study; evolution grows its own study (about as cheap per
trial). ppo (25 ms a trial here) and tpe (a cost per trial that grows with the study) would take
hours to grow 100,000 trials themselves, so they resume the random study, given the checkpoint a
run of theirs that long would leave (``plant``: the dedup keys of every trial, TPE's observation
count and digest, the controller's ranked rewards; the policy itself is the initial one, the same
size as a trained one): the restore reads and checks as much as after a real run. An algorithm
whose checkpoint cannot be planted (glovec before resumable algorithms) replays the history, as
it would. A resume that runs past ``--timeout`` seconds is stopped and shown as ``> timeout``.

    python bench/study_scale.py            # 100,000 trials, ten minutes or more
    python bench/study_scale.py --quick    # 10,000 trials (resume at 1,000 and 10,000)
    python bench/study_scale.py --algorithms random,evolution --label before
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine, note, parse_args, save, table, versions  # noqa: E402
from run_overhead import glovec_run  # noqa: E402

WINDOW = 1000
RESUME_AT = (1_000, 20_000, 100_000)
ALGORITHMS = ("random", "evolution", "ppo", "tpe")
OWN_HISTORY = ("random", "evolution")  # grown by the algorithm itself; the others resume random's


def plant(db: Path, name: str) -> bool:
    """Give the study at ``db`` the checkpoint that ``name`` (seed 0) would leave after running
    all its trials (see the module docstring); False when this glovec has no such checkpoint."""
    try:
        from glovec.runtime.algorithms import get_algorithm
        from glovec.runtime.algorithms.checkpoint import dna_key, fsums, pack_keys
        from glovec.runtime.algorithms.tpe import _absorb
    except ImportError:
        return False
    import hashlib

    from glovec.runtime.loop import Search
    from glovec.runtime.study import Study

    with Study.load(db) as old:
        space = old.space_doc
    with Study.open(db, space, resume=True) as study:
        algo = get_algorithm(name, seed=0)
        algo.setup(study.spec)
        search = Search(study.spec, algo, study.directions, study=study)
        state = algo.checkpoint()
        if state is None:
            return False
        n = study.last_id()
        state["num_proposed"] = state["num_feedback"] = n
        if "seen" in state:
            state["seen"] = pack_keys(dna_key(d) for d, _ in study.history(as_dna=False))
        rewards = [(d, algo._normalise(search._reward(o, f))) for d, o, f in study.results(n)]
        if "digest" in state:
            digest = hashlib.blake2b(digest_size=16)
            for d, r in rewards:
                _absorb(digest, d, r)
            state["trials"], state["digest"] = len(rewards), digest.hexdigest()
        if "controller" in state:
            state["controller"]["scored"] = len(rewards)
            state["controller"]["sums"] = fsums(r for _, r in rewards)
        study.save_checkpoint({**search._identity(), "last_id": n, "pending": [], "state": state})
    return True


def resume_one(db: str, total: int, algorithm: str) -> None:
    """(In a fresh process.) ``glovec run --resume`` of ``db`` to ``total`` trials; prints
    {"recover": seconds until the first new proposal, "total": seconds for the whole call}."""
    from glovec.runtime.loop import Search

    recover, took = Search.recover, {}

    def timed(self):
        t0 = time.perf_counter()
        recover(self)
        took.setdefault("recover", time.perf_counter() - t0)

    Search.recover = timed
    t0 = time.perf_counter()
    total_s = glovec_run(total, Path(db).parent, algorithm, study=Path(db), resume=True)
    took["total"] = total_s
    took["wall"] = time.perf_counter() - t0
    print(json.dumps(took))


def resume(db: Path, total: int, algorithm: str, timeout: float) -> dict | None:
    cmd = [sys.executable, __file__, "--resume-one", str(db), str(total), algorithm]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--resume-one":
        resume_one(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return 0

    def options(p):
        p.add_argument("--trials", type=int, default=None, help="trials in the study (default 100,000)")
        p.add_argument("--algorithms", default=",".join(ALGORITHMS), help="comma-separated")
        p.add_argument("--tpe-trials", type=int, default=20, help="trials tpe adds on resume")
        p.add_argument("--timeout", type=float, default=300.0, help="seconds before a resume is stopped")
        p.add_argument("--label", default="", help="saved as study_scale_<label>.json (e.g. before)")

    args = parse_args(__doc__, options)
    n = args.trials or (10_000 if args.quick else 100_000)
    algorithms = [a.strip() for a in args.algorithms.split(",") if a.strip()]
    stages = sorted({size for size in RESUME_AT if size < n} | {n})
    resumes: dict = {a: [] for a in algorithms}
    firsts: dict = {}
    planted: dict = {}
    with tempfile.TemporaryDirectory(prefix="glovec-scale-") as tmp:
        t0 = time.perf_counter()
        growers = [a for a in OWN_HISTORY if a in algorithms or a == "random"]
        for grower in growers:
            db = Path(tmp) / f"glovec-{grower}.db"
            users = [a for a in algorithms if a == grower or (grower == "random" and a not in OWN_HISTORY)]
            for size in stages:
                note(f"growing the {grower} study to {size:,} trials ...")
                took = glovec_run(size, Path(tmp), grower, study=db, resume=grower in firsts)
                firsts.setdefault(grower, took)
                for algorithm in users:
                    copy = Path(tmp) / f"resume-{algorithm}-{size}.db"
                    shutil.copyfile(db, copy)
                    if algorithm != grower:
                        planted[algorithm] = plant(copy, algorithm)
                    more = args.tpe_trials if algorithm == "tpe" else WINDOW
                    note(f"resuming a copy with {algorithm} for {more:,} more ...")
                    got = resume(copy, size + more, algorithm, args.timeout)
                    resumes[algorithm].append([size, more, got])
                    copy.unlink()
            if grower == "random":
                random_db = db
        total = time.perf_counter() - t0
        size = os.path.getsize(random_db) + sum(os.path.getsize(p) for p in Path(tmp).glob("glovec-random.db-wal"))
        con = sqlite3.connect(random_db)
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
    print(f"\n{n:,} random trials; {total:.1f} s in all, resumes included; statuses {statuses}")
    print(f"last 1,000 / first 1,000: {last / head:.2f}x (flat is ~1)")
    print(f"study file: {size / 2**20:.1f} MiB ({size / n:.0f} bytes/trial)")
    rows = []
    for algorithm, runs in resumes.items():
        base = firsts.get(algorithm if algorithm in OWN_HISTORY else "random")
        for at, more, got in runs:
            if got is None:
                rows.append([algorithm, f"{at:,}", f"+{more:,}", f"> {args.timeout:.0f}", f"> {args.timeout:.0f}", ""])
                continue
            ratio = f"{got['total'] / base:.2f}x" if more == WINDOW and algorithm in OWN_HISTORY else ""
            rows.append([algorithm, f"{at:,}", f"+{more:,}", f"{got['recover']:.2f}", f"{got['total']:.2f}", ratio])
    print(f"\nthe studies' first {stages[0]:,} trials: "
          + ", ".join(f"{a} {s:.2f} s" for a, s in firsts.items()))
    if any(not v for v in planted.values()):
        print("no checkpoint could be planted for " + ", ".join(a for a, v in planted.items() if not v)
              + ": they replay the history")
    print(table(rows, ["algorithm", "resume at", "trials", "resume s", "whole call s", "/ first 1,000"]))
    info = machine()
    print(f"load average {info['loadavg_1_5_15']} on {info['cpus']} CPUs")
    name = f"study_scale_{args.label}" if args.label else "study_scale"
    save(name, {"benchmark": "study_scale", "quick": args.quick, "machine": info,
                "versions": versions("glovec"), "trials": n, "seconds": total,
                "windows_ms_per_trial": [[a, b, c * 1e3] for a, b, c in windows],
                "last_over_first": last / head, "file_bytes": size,
                "first_trials_s": firsts.get("random"), "first_trials_s_by_algorithm": firsts,
                "timeout_s": args.timeout, "planted": planted,
                "resume_plus_1000_s": [[at, got["total"] if got else None]
                                       for at, more, got in resumes.get("random", [])],
                "resumes": {a: [{"at": at, "trials": more,
                                 "recover_s": got["recover"] if got else None,
                                 "total_s": got["total"] if got else None} for at, more, got in runs]
                            for a, runs in resumes.items()}}, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
