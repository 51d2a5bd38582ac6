"""Train every architecture that earlier `bench/oneshot.py` results know alone again, on this machine.

`bench/oneshot.py --reuse` takes stand-alone accuracies from earlier results instead of training
those architectures again; results from another machine or another torch carry that machine's
floating-point noise (a seeded program gives the same accuracy on one machine, not on every
one). This writes each architecture's accuracy as trained here, `glovec materialize --dna` then
the plain program, into bench/results/<name>.json in the results format `--reuse` reads (one
entry, "alone", with no pick): pass it last in `--reuse` so its accuracies win.

    python bench/oneshot_alone.py --results $(ls bench/results/oneshot*.json | paste -sd,) --workers 2
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oneshot  # noqa: E402
from _common import machine, parse_args, save, versions  # noqa: E402


def main() -> None:
    args = parse_args(__doc__, lambda p: (
        p.add_argument("--example", default=str(oneshot.EXAMPLE), help="the program searched"),
        p.add_argument("--results", required=True, help="bench/oneshot.py results JSONs, "
                       "comma-separated: the architectures to train"),
        p.add_argument("--workers", type=int, default=1, help="trainings at once (each one thread)"),
        p.add_argument("--name", default="oneshot_alone", help="the results file's stem")))
    example = Path(args.example).resolve()
    before = oneshot.known_accuracies(args.results.split(","))  # decisions JSON -> accuracy
    keys = sorted(before)[:4] if args.quick else sorted(before)
    work = Path(tempfile.mkdtemp(prefix="glovec-alone-"))

    def train(i_key):
        i, key = i_key
        program = work / f"alone-{i}.py"
        oneshot.glovec("materialize", example, "--dna", key, "-o", program)
        return key, *oneshot.standalone(program)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:
        rows = list(pool.map(train, enumerate(keys)))
    changed = [(before[k], acc) for k, acc, _ in rows if round(before[k], 4) != round(acc, 4)]
    print(f"{len(rows)} architectures trained alone in {time.perf_counter() - t0:.0f} s "
          f"({args.workers} at once); {len(changed)} differ from the results they came from "
          f"(mean absolute difference "
          f"{sum(abs(a - b) for a, b in changed) / max(len(changed), 1):.4f})")
    payload = {"machine": machine(), "versions": versions("torch", "keras", "tensorflow"),
               "example": str(example.relative_to(oneshot.ROOT)), "results": args.results,
               "methods": {"alone": {"architectures": [
                   {"decisions": json.loads(k), "alone": acc, "seconds": s} for k, acc, s in rows],
                   "pick": None}}}
    save(args.name, payload, args)


if __name__ == "__main__":
    main()
