"""Dynamic coverage: a covering design of DNAs, run one by one, and what they reached.

``cover(spec, run, budget)`` plans each run greedily from what earlier runs actually reached:
every site picks the candidate that exercises the most not-yet-exercised candidates, counting
the conditional sub-space below a candidate (so a nested site is planned under the parent choice
that enables it); ties keep the default. The first run is therefore the default DNA where that
covers as much as anything else, and with a budget below the largest candidate count each run
still exercises one new candidate of every site it reaches (the best any single run can do).

Ranges count two "candidates", their bounds (``lo`` and the highest legal value), since
the bounds are where a smoke run most often breaks. A site planned in a run that completed
without looking it up is not targeted again until some run reaches it; among equally good
choices, a site prefers the value under which earlier runs reached sites still wanted, so a
site that only runs when another site picks a given candidate still gets its candidates.

Failures: a candidate exercised only in failing runs is a suspect. A lone suspect at the failing
line, or the only one of its run, is blamed; otherwise the budget left after covering runs the
default DNA with one suspect changed, to isolate it. Suspects the budget could not isolate are
reported with ``confirmed: false``.

Workers: ``cover(..., workers=N)`` keeps this sequential algorithm and its report as they are,
and only starts runs ahead of time, in waves of up to N at once. A wave is planned from every run
finished so far: its first run is the next run of the sequential plan, and each later one is the
plan that would follow if the runs before it in the wave completed and reached the sites they
decide (but sites given up that none of their choices reached before) (for failures: the isolating runs of one failed run's suspects). The algorithm then
asks for its runs in order as before; a run whose DNA matches a run of the wave takes that run's
result, and one that does not (an earlier run of the wave reached less or failed, so the plan
changed) stops and discards the rest of the wave (a ``run`` that takes ``stop=`` is given a
``threading.Event`` to end it early) and starts the next wave from there. Runs of a
deterministic program therefore give the same report for every N; discarded runs are not in
the report and do not count against the budget.
"""

from __future__ import annotations

import copy
import inspect
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["SiteCoverage", "DynamicReport", "cover"]


@dataclass
class SiteCoverage:
    id: str
    kind: str
    line: int | None
    col: int | None
    labels: list  # one label per countable candidate
    reached: bool = False
    dead: bool = False  # active in a completed run, yet never reached
    exercised: set = field(default_factory=set)
    failures: list = field(default_factory=list)  # {"candidate", "line", "error", "run", "confirmed"}


@dataclass
class DynamicReport:
    sites: list  # SiteCoverage, in space order
    runs: list  # {"run", "purpose", "decisions", "status", "error", "line", "seconds", "reached"}
    run_failures: list  # failed runs no candidate explains: {"run", "decisions", "error", "line"}


def _keys(p) -> tuple:
    if p.kind in ("oneof", "manyof", "permutate"):
        return tuple(range(p.n))
    if p.kind in ("floatv", "intv"):
        return ("lo", "hi")
    return ()


def _top(p):
    """The highest legal value of a range point (intv: on its step grid)."""
    if p.kind == "intv" and p.step:
        return p.lo + ((p.hi - p.lo) // p.step) * p.step
    return p.hi


def _exercised(p, value) -> set:
    if p.kind == "oneof":
        return {value}
    if p.kind in ("manyof", "permutate"):
        return set(value)
    if p.kind in ("floatv", "intv"):
        return {k for k, bound in (("lo", p.lo), ("hi", _top(p))) if value == bound}
    return set()


def _label(p, key) -> str:
    if isinstance(key, int):
        return p.candidates[key]
    return f"{key}={p.lo if key == 'lo' else _top(p)!r}"


class _Planner:
    def __init__(self, spec) -> None:
        self.spec = spec
        self.covered: set = set()  # (site id, key) exercised by some run
        self.given_up: set = set()  # site ids missed by a completed run and never reached since
        self.reached: set = set()  # site ids some run reached
        # (point id, value) -> sites reached in runs that chose that value: learns which choices
        # open code paths (`if opt == "momentum": beta = ...  # glovec: ...`).
        self.enables: dict = {}
        self.targets = {(p.site_id, k) for p in spec.points for k in _keys(p)}
        self.wanted: set = set()

    def guess(self, decisions: dict, points: dict) -> "_Planner":
        """A copy that assumes a run of ``decisions`` completed, reaching the sites it decides except
        those given up (missed by a completed run) that none of its choices reached before."""
        other = copy.copy(self)
        other.covered, other.given_up = set(self.covered), set(self.given_up)
        other.reached = set(self.reached)
        other.enables = {k: set(v) for k, v in self.enables.items()}
        opened = set().union(*(self.enables.get((pid, _hashable(v)), ())
                               for pid, v in decisions.items()))
        pairs, reached = set(), set()
        for pid, value in decisions.items():
            p = points.get(pid)
            if p is not None and (p.site_id not in self.given_up or p.site_id in opened):
                pairs |= {(p.site_id, k) for k in _exercised(p, value)}
                reached.add(p.site_id)
        other.covered |= pairs
        missed = {points[pid].site_id for pid in decisions if pid in points} - reached
        other.observe(decisions, reached, missed, True)
        return other

    def observe(self, decisions: dict, reached_sites: set, missed: set, completed: bool) -> None:
        self.reached |= reached_sites
        for pid, value in decisions.items():
            self.enables.setdefault((pid, _hashable(value)), set()).update(reached_sites)
        if completed:
            self.given_up |= missed
        self.given_up -= self.reached

    def _options(self, p, claimed) -> list:
        """Legal values for ``p``, the default first."""
        options = [p.default]
        if p.kind == "oneof":
            options += [k for k in range(p.n) if k != p.default]
        elif p.kind == "manyof":
            want = [k for k in range(p.n) if (p.site_id, k) not in claimed]
            if want:
                first = want[: p.k]
                pick = first + [k for k in p.default if not (p.distinct and k in first)]
                if p.distinct:
                    pick += [k for k in range(p.n) if k not in pick]
                pick = pick[: p.k]
                if p.sorted:
                    pick.sort()
                try:
                    options.append(p.check(tuple(pick)))
                except ValueError:
                    pass
        elif p.kind in ("floatv", "intv"):
            options += [p.lo, _top(p)]
        return options

    def _gain(self, p, value, claimed) -> int:
        new = 0
        if p.site_id not in self.given_up:
            new = len({(p.site_id, k) for k in _exercised(p, value)} - claimed)
        if p.kind == "oneof" and p.children:
            new += sum(self._best(c, claimed)[1] for c in p.children[value])
        return new

    def _best(self, p, claimed):
        best, best_score = p.default, (-1, -1)
        for value in self._options(p, claimed):
            gain = self._gain(p, value, claimed)
            # Ties go to the value that opened the code of sites still wanted, then the default.
            opened = len(self.enables.get((p.id, _hashable(value)), set()) & self.wanted)
            if (gain, opened) > best_score:
                best, best_score = value, (gain, opened)
        return best, best_score[0]

    def plan(self):
        """(decisions, planned (site, key) pairs) of the next run; no pairs when nothing is left."""
        claimed = set(self.covered)
        self.wanted = {site for site, _ in self.targets - claimed} - self.given_up
        decisions: dict = {}
        planned: set = set()

        def assign(level):
            for p in level:
                value, _ = self._best(p, claimed)
                decisions[p.id] = value
                if p.site_id not in self.given_up:
                    new = {(p.site_id, k) for k in _exercised(p, value)} - claimed
                    planned.update(new)
                    claimed.update(new)
                if p.kind == "oneof" and p.children:
                    assign(p.children[value])

        assign(self.spec.roots)
        return decisions, planned


def _isolating(spec, p, key) -> dict | None:
    """The default DNA with point ``p`` set to exercise ``key`` (its parents chosen to enable it)."""
    if p.kind == "oneof":
        value = key
    elif p.kind in ("floatv", "intv"):
        value = p.lo if key == "lo" else _top(p)
    elif p.kind == "manyof":
        rest = [k for k in p.default if k != key]
        value = [key] + rest[: p.k - 1]
        if p.sorted:
            value.sort()
        value = tuple(value)
    else:
        return None
    required = {p.id: value}
    q = p
    while q.parent is not None:
        required[q.parent] = q.parent_choice
        q = spec.point(q.parent)
    decisions: dict = {}

    def walk(level):
        for point in level:
            v = decisions[point.id] = required.get(point.id, point.default)
            if point.kind == "oneof" and point.children:
                walk(point.children[v])

    walk(spec.roots)
    try:
        return spec.validate(decisions)
    except ValueError:
        return None


class _Ahead:
    """Runs started ahead of the sequential algorithm's requests, in waves (see the module doc)."""

    def __init__(self, run: Callable[[dict], object], workers: int) -> None:
        self._run = run
        self._pool = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
        self._wave: list = []  # [decisions, future, stop event], in the order the algorithm asks
        try:
            self._stoppable = "stop" in inspect.signature(run).parameters
        except (TypeError, ValueError):
            self._stoppable = False

    @property
    def idle(self) -> bool:
        return not self._wave

    def start(self, wave: list) -> None:
        """Start a wave of DNAs (the first is the one the algorithm asks for next)."""
        self.discard()
        if self._pool is not None and len(wave) > 1:
            self._wave = [[d, *self._submit(d)] for d in wave]

    def _submit(self, decisions: dict) -> tuple:
        if not self._stoppable:
            return self._pool.submit(self._run, decisions), None
        stop = threading.Event()
        return self._pool.submit(self._run, decisions, stop=stop), stop

    def get(self, decisions: dict):
        """The result of running ``decisions``: from the wave where it is next, else a fresh run."""
        if self._wave and self._wave[0][0] == decisions:
            return self._wave.pop(0)[1].result()
        self.discard()
        return self._run(decisions)

    def discard(self) -> None:
        for _, future, stop in self._wave:
            if stop is not None:
                stop.set()  # a ``run(decisions, stop=...)`` kills a run it has started
        for _, future, _ in self._wave:
            if not future.cancel():
                future.result()  # wait until it has ended, so that it frees its worker
        self._wave = []

    def close(self) -> None:
        self.discard()
        if self._pool is not None:
            self._pool.shutdown()


def cover(spec, run: Callable[[dict], object], budget: int, *, workers: int = 1) -> DynamicReport:
    """Run the program at most ``budget`` times (``run(decisions) -> RunResult``) and report.

    ``workers`` > 1 runs up to that many at once (``run`` is called from threads); the report is
    the one ``workers=1`` gives when runs are deterministic.
    """
    ahead = _Ahead(run, workers)
    try:
        return _cover(spec, ahead, budget, max(1, workers))
    finally:
        ahead.close()


def _cover(spec, ahead: _Ahead, budget: int, workers: int) -> DynamicReport:
    planner = _Planner(spec)
    points = {p.id: p for p in spec.points}
    ok_pairs: set = set()
    runs: list = []
    results: list = []  # (decisions, result, exercised pairs)
    active_in_ok: set = set()  # site ids active in a completed run

    def do_run(decisions, purpose):
        result = ahead.get(decisions)
        pairs = set()
        for pid in result.reached:
            p = points.get(pid)
            if p is not None and pid in decisions:
                pairs |= {(p.site_id, k) for k in _exercised(p, decisions[pid])}
        reached_sites = {points[pid].site_id for pid in result.reached if pid in points}
        if result.status == "ok":
            ok_pairs.update(pairs)
            active_in_ok.update(points[pid].site_id for pid in decisions if pid in points)
        planner.covered |= pairs
        runs.append({"run": len(runs), "purpose": purpose, "decisions": _jsonable(decisions),
                     "status": result.status, "error": result.error, "line": result.line,
                     "seconds": round(result.seconds, 3), "reached": len(reached_sites)})
        results.append((decisions, result, pairs, reached_sites))
        return result, pairs, reached_sites

    while len(runs) < budget:
        decisions, planned = planner.plan()
        if not planned:
            break
        if workers > 1 and ahead.idle:
            wave, guess, last = [decisions], planner, decisions
            while len(wave) < min(workers, budget - len(runs)):
                guess = guess.guess(last, points)
                last, more = guess.plan()
                if not more:
                    break
                wave.append(last)
            ahead.start(wave)
        result, pairs, reached_sites = do_run(decisions, "cover")
        missed = {site for site, _ in planned if site not in reached_sites}
        planner.observe(decisions, reached_sites, missed,
                        result.status == "ok" or not (planned & pairs))

    # ---- failures --------------------------------------------------------------------------
    blamed: dict = {}  # (site, key) -> failure dict
    run_failures: list = []
    site_line = {p.site_id: p.line for p in spec.points}
    point_of_site: dict = {}
    for p in spec.points:
        point_of_site.setdefault(p.site_id, p)

    def blame(pair, run_index, result, confirmed):
        blamed.setdefault(pair, {"candidate": pair[1], "line": result.line, "error": result.error,
                                 "run": run_index, "confirmed": confirmed})

    for index, (decisions, result, pairs, _) in enumerate(results):
        if result.status == "ok":
            continue
        defaults = set()
        for pid, value in decisions.items():
            p = points.get(pid)
            if p is not None:
                defaults |= {(p.site_id, k) for k in _exercised(p, p.default)}
        suspects = sorted((pairs - ok_pairs - defaults) - set(blamed), key=str)
        if any(pair in blamed for pair in pairs - ok_pairs - defaults):
            continue  # explained by a candidate already blamed
        at_line = [s for s in suspects if result.line is not None and site_line.get(s[0]) == result.line]
        if len(at_line) == 1:
            suspects = at_line
        if len(suspects) == 1:
            blame(suspects[0], index, result, True)
            continue
        if not suspects:
            run_failures.append({"run": index, "decisions": _jsonable(decisions),
                                 "error": result.error, "line": result.line})
            continue
        if workers > 1:
            wave = []
            for pair in suspects:
                if len(wave) >= min(workers, budget - len(runs)):
                    break
                if pair not in ok_pairs:
                    iso = _isolating(spec, point_of_site[pair[0]], pair[1])
                    if iso is not None:
                        wave.append(iso)
            ahead.start(wave)
        unresolved = []
        for pair in suspects:
            if any(s in blamed for s in suspects):
                break  # the run's failure is explained; the rest stay unverified, not blamed
            if pair in ok_pairs:
                continue
            iso = _isolating(spec, point_of_site[pair[0]], pair[1]) if len(runs) < budget else None
            if iso is None:
                unresolved.append(pair)
                continue
            iso_result, iso_pairs, _ = do_run(iso, "isolate")
            if pair not in iso_pairs:
                unresolved.append(pair)  # not reached with defaults elsewhere: proves nothing
            elif iso_result.status == "ok":
                ok_pairs.add(pair)
            else:
                blame(pair, len(runs) - 1, iso_result, True)
        if len(unresolved) == 1 and not any(p in blamed for p in suspects):
            blame(unresolved[0], index, result, True)
        else:
            for pair in unresolved:
                blame(pair, index, result, False)

    # ---- per site ---------------------------------------------------------------------------
    reached_all = set().union(*(r[3] for r in results)) if results else set()
    sites: list = []
    by_site: dict = {}
    for p in spec.points:
        if p.site_id in by_site:
            continue
        cov = SiteCoverage(p.site_id, p.kind, p.line, p.col, [_label(p, k) for k in _keys(p)])
        cov.reached = p.site_id in reached_all
        cov.dead = not cov.reached and p.site_id in active_in_ok
        cov.exercised = {k for site, k in planner.covered if site == p.site_id}
        by_site[p.site_id] = cov
        sites.append(cov)
    for (site, key), failure in sorted(blamed.items(), key=lambda kv: str(kv[0])):
        p = point_of_site[site]
        by_site[site].failures.append({**failure, "candidate": _label(p, key)})
    return DynamicReport(sites, runs, run_failures)


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def _jsonable(decisions: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in decisions.items()}
