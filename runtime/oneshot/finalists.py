"""A one-shot run's finalists: its best estimates and the program's own architecture, trained alone.

After the search on shared weights, the ``--finalists K`` best-estimated architectures and the
program's own are each trained alone by the program itself (a plain per-trial run in this
process, so nothing is imported again) and recorded as ordinary trials.

A supernet ranks architectures roughly (Kendall tau 0.3-0.7 on the cell example): its single
best estimate can train alone to less than the program's own architecture. Training a few
finalists measures the pick instead of trusting one estimate, and the program's own
architecture among them makes "better than what I wrote" a measured fact. In a study with
finalists, a trial trained alone ranks above every estimate (``Study.best``), so ``glovec
materialize --best`` writes the best measured one. ``--finalists 0`` skips this phase.
"""

from __future__ import annotations

import json
import time

from ..study.rows import ESTIMATE_METRIC

FINALIST_METRIC = "glovec.finalist"  # the one-shot method whose finalist a trial was
ESTIMATE_OF = "glovec.estimate"  # a finalist's estimate on the shared weights (None: not estimated)
RANK = "glovec.estimate_rank"  # 1 for the best estimate, ...; None: the program's own, not among them


def arch_key(decisions: dict) -> str:
    """An architecture (site id -> decision) as a hashable key (a manyof's decision is a list);
    the search phase's too (imported by the package)."""
    return json.dumps(decisions, sort_keys=True, default=list)


def choose(study, spec, k: int) -> list[tuple[dict, float | None, int | None, str]]:
    """(whole-space decisions, estimate or None, rank among the estimates or None, why) of each
    finalist, in training order: the ``k`` best estimates (distinct architectures, told apart by
    their whole-space decisions: an estimate's plain-value sites are at their defaults; ties: the
    first estimated), then the program's own architecture when it is not among them."""
    if k <= 0:
        return []
    estimates = [t for t in study.trials("completed") if ESTIMATE_METRIC in t.metrics
                 and t.metrics.get("feasible") is not False]
    estimates.sort(key=lambda t: (study.reward(t.objective), -t.id), reverse=True)
    out, seen = [], set()
    for t in estimates:
        key = arch_key(t.decisions)
        if key not in seen:
            seen.add(key)
            rank = len(out) + 1
            out.append((dict(t.decisions), t.objective, rank,
                        "the best estimate" if rank == 1 else f"estimate no. {rank}"))
            if len(out) == k:
                break
    default = spec.default_dna().decisions
    own_key = arch_key(default)
    if own_key not in seen:
        own = next((t.objective for t in estimates if arch_key(t.decisions) == own_key), None)
        out.append((dict(default), own, None, "the program's own architecture"))
    return out


def train(prog, study, spec, k: int, method: str, err, timeout=None) -> float:
    """Train the finalists that the study does not hold yet (a resumed run trains only the rest;
    one a killed run left unfinished trains again); returns the seconds it took."""
    from ..executors import InlineExecutor
    from ..geno import DNA

    wanted = choose(study, spec, k)
    if not wanted:
        return 0.0
    listed = study.finalist_ids() or []
    finished, pending = {}, {}
    for t in study.trials():
        if t.id in listed:
            done = t.status in ("completed", "failed")
            (finished if done else pending)[arch_key(t.decisions)] = t
    todo = [w for w in wanted if arch_key(w[0]) not in finished]
    t0 = time.perf_counter()
    if todo:
        print(f"glovec: {method}: training {len(todo)} finalist(s) alone with the program "
              f"({', '.join(w[3] for w in todo)}); --finalists 0 (GLOVEC_FINALISTS=0) skips "
              "this", file=err, flush=True)
    executor = InlineExecutor(prog, timeout=timeout)  # --timeout: each finalist's
    for decisions, estimate, rank, why in todo:
        old = pending.get(arch_key(decisions))
        if old is not None:  # left running by a killed run
            tid = old.id
            study.start(tid)
        else:
            tid = study.add_trial(DNA(spec, decisions, validate=False), status="running")
            study.add_finalist(tid)
        started = time.perf_counter()
        try:
            result = executor.run(tid, decisions)
        except KeyboardInterrupt:
            print(f"glovec: interrupted; finalist trial {tid} trains again when you resume "
                  "(--resume, or GLOVEC_RESUME=1), without training the supernet", file=err)
            raise
        metrics = {**result.metrics, FINALIST_METRIC: method, ESTIMATE_OF: estimate, RANK: rank}
        objective = result.objective
        if result.status == "completed" and objective is not None:
            study.complete(tid, objective, metrics, result.reports)
            what = f"{_text(objective)} trained alone"
        else:
            error = result.error or "the program finished without an objective"
            study.fail(tid, error, metrics, result.reports)
            what = f"failed: {error.strip().splitlines()[-1] if error.strip() else 'failed'}"
        shown = "not estimated" if estimate is None else f"estimate {_text(estimate)}"
        print(f"glovec: finalist trial {tid} ({why}, {shown}): {what} in "
              f"{time.perf_counter() - started:.1f} s", file=err, flush=True)
    return time.perf_counter() - t0


def _text(value) -> str:
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(_text(v) for v in value) + ")"
    return f"{value:.4g}" if isinstance(value, (int, float)) else str(value)


def verdict(study, spec) -> str | None:
    """One line on the pick against the program's own architecture, both trained alone; None
    when the study has no finalist trained alone."""
    alone = [t for t in study.trials("completed") if FINALIST_METRIC in t.metrics]
    if not alone:
        return None
    best = max(alone, key=lambda t: (study.reward(t.objective), -t.id))
    default = arch_key(spec.default_dna().decisions)
    own = next((t for t in alone if arch_key(t.decisions) == default), None)
    line = f"pick: trial {best.id}, {_text(best.objective)} trained alone"
    if own is None:
        return line
    if own.id == best.id:
        return line + " (the program's own architecture: no finalist trained better)"
    return line + f"; the program's own architecture: {_text(own.objective)} (trial {own.id})"
