"""The search loop, and ``sample()``: the loop with the caller's own code as the evaluator.

One loop serves every door: ``glovec run``, a generated program run as ``python gen.py``
(both through ``glovec.runtime.driver``, which evaluates trials with an executor) and
``sample()`` (which hands each trial to the body of the caller's ``for``). ``Search.run``
recovers the algorithm from the study, runs interrupted trials again first, asks the algorithm
for DNA up to the evaluator's capacity, and records each result (study, algorithm, the curves
early stopping compares to)::

    import glovec.runtime as gv

    space = gv.Space(lr=gv.floatv(1e-4, 1e-1, scale="log"), units=gv.oneof([64, 128, 256]))
    for trial, feedback in gv.sample(space, "evolution", num_trials=50, seed=0):
        acc = train(lr=trial["lr"], units=trial["units"])
        feedback(acc)

``sample()`` also takes a ``DNASpec`` or the space document of a converted program.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any, Iterator, Mapping, Sequence

from . import hyper
from .early_stopping import MedianStopping, SuccessiveHalving, curves_for, make_policy
from .geno import DNA, DNASpec

__all__ = ["sample", "Search", "Trial", "Feedback", "MedianStopping", "SuccessiveHalving",
           "resolve_algorithm", "objective_value"]

# While a search runs, the algorithm's checkpoint is also saved at most this often (seconds), so
# that a killed driver's successor replays at most this much of the history.
CHECKPOINT_SECONDS = 60.0

NO_FEEDBACK = "no feedback: the loop moved on before feedback(...) or skip(...) was called"
ENDED_DURING_TRIAL = "no feedback: the loop ended during this trial"


# ---- objectives ---------------------------------------------------------------------------------


def objective_value(value: Any) -> tuple[Any, str | None]:
    """``(objective, None)`` as a float (a tuple of floats for several objectives), or
    ``(None, why)`` when ``value`` is not finite (NaN, an infinity, or an integer beyond a
    float's range): a study keeps only finite objectives, so its report is strict JSON and its
    best trial a real one (docs/internals.md, section 7). Raises TypeError for a non-number."""
    several = isinstance(value, (tuple, list))
    out = []
    for v in (value if several else (value,)):
        try:
            f = float(v)
        except OverflowError:
            digits = len(str(abs(int(v))))
            return None, (f"the objective is not a finite number (an integer of {digits} digits, "
                          f"beyond a float's range)")
        except (TypeError, ValueError):
            raise TypeError(f"the objective {value!r} is not a number") from None
        if not math.isfinite(f):
            return None, f"the objective is not a finite number ({f!r})"
        out.append(f)
    return (tuple(out) if several else out[0]), None


# ---- the one loop --------------------------------------------------------------------------------


class Search:
    """One search: an algorithm over ``spec``, an optional study, and early stopping.

    ``run(evaluator, num_trials)`` is the loop (a generator; see ``run``). ``observer``, when
    given, hears ``trial_done(trial_id, status, objective, error)`` after each recorded trial
    and ``running(n, waited)`` around each wait, for progress output.
    """

    def __init__(self, spec: DNASpec, algorithm, directions: Sequence[str], *, study=None,
                 early_stopping=None, objective_metric: str | None = None, observer=None) -> None:
        for d in directions:
            if d not in ("maximize", "minimize"):
                raise ValueError(f"direction must be 'maximize' or 'minimize', got {d!r}")
        self.spec = spec
        self.algorithm = algorithm
        self.directions = tuple(directions)
        self.signs = tuple(1.0 if d == "maximize" else -1.0 for d in self.directions)
        self.study = study
        self.early_stopping = early_stopping
        self.objective_metric = objective_metric
        self.observer = observer
        # Reports of finished trials for the early-stopping policy: completed ones, and completed
        # plus pruned ones (for a policy that counts_pruned).
        self.curves: list = []
        self.all_curves: list = []
        self.pending: list = []  # (trial id, DNA) of trials a stopped driver left in flight
        self.in_flight: dict = {}  # trial id -> DNA
        self.done = 0  # finished trials (completed, failed, pruned), the study's included
        self.exhausted = False
        self.owns_study = False  # close the study when run() ends
        self._recovered = False
        self._saved_at = time.monotonic()

    # -- start -------------------------------------------------------------------------------

    def recover(self) -> None:
        """Catch up with the study: the algorithm's state, the finished count, the curves, and the
        trials to run again. A no-op without a study (or the second time)."""
        if self._recovered:
            return
        self._recovered = True
        study = self.study
        if study is None:
            return
        after = self._restore()
        # in-flight trials included, as proposals with reward None
        history = study.history(after=after, reward=self._reward)
        if history:
            recover = getattr(self.algorithm, "recover", None)
            if recover is not None:
                recover(history)
            else:  # the bare protocol: replay one proposal and one feedback per trial
                for dna, reward in history:
                    self.algorithm.propose()
                    self.algorithm.feedback(dna, reward)
        counts = study.counts()
        self.done = counts["completed"] + counts["failed"] + counts["pruned"]
        if self.early_stopping is not None:
            status = {t.id: t.status for t in study.trials(("completed", "pruned"))}
            for tid, curve in study.all_reports().items():
                if tid in status:
                    self.all_curves.append(list(curve))
                    if status[tid] == "completed":
                        self.curves.append(self.all_curves[-1])
        self.pending = [(t.id, DNA(self.spec, t.decisions)) for t in study.trials("proposed")]

    def _identity(self) -> dict:
        algorithm = self.algorithm
        kind = type(algorithm)
        return {"algorithm": f"{kind.__module__}.{kind.__qualname__}",
                "seed": getattr(algorithm, "seed", None), "fingerprint": self.study.fingerprint}

    def _restore(self) -> int:
        """Restore the algorithm from the study's checkpoint when it has one that this algorithm
        (same class, seed and options, same space; an unseeded one takes any seed's) took; return the id of the last trial it had
        seen (0 without one: the whole history is replayed). A checkpoint that cannot be used
        is said (``note``) and the history replayed instead."""
        study, algorithm = self.study, self.algorithm
        if not getattr(algorithm, "resumable", False):
            return 0
        saved = study.checkpoint()
        if saved is None:
            return 0
        mine = self._identity()
        if mine["seed"] is None:  # an unseeded search continues any seed's random stream
            mine["seed"] = saved.get("seed")
        if saved and any(saved.get(k) != v for k, v in mine.items()):
            if saved.get("fingerprint") == mine["fingerprint"]:  # (a migrated study: replayed silently)
                self._replaying(f"it was left by {saved.get('algorithm')} (seed {saved.get('seed')!r}), "
                                f"not {mine['algorithm']} (seed {mine['seed']!r})")
            return 0
        last, pending = saved.get("last_id"), saved.get("pending")
        ok = (isinstance(last, int) and 0 < last <= study.last_id() and isinstance(pending, list)
              and all(isinstance(t, int) for t in pending))
        if ok:
            from .algorithms.checkpoint import Past

            past = Past(lambda: ((d, self._reward(o, f)) for d, o, f in study.results(last, pending)),
                        lambda: (self._reward(o, f) for _, o, f in study.results(last, pending, decisions=False)))
            try:
                ok = bool(algorithm.restore(saved.get("state"), past))
            except Exception:  # noqa: BLE001 - any damage: replay, which needs no checkpoint
                ok = False
        if not ok:
            algorithm.setup(getattr(algorithm, "spec", None) or self.spec)  # undo what restore changed
            self._replaying("it is damaged or does not fit this algorithm's options")
            return 0
        # Trials in flight at the checkpoint that a later (killed) driver finished: their results
        # reached that driver's algorithm before its next proposal; give them to this one too.
        for tid in pending:
            t = study.trial(tid)
            if t is not None and t.status in ("completed", "failed", "pruned"):
                reward = None
                if t.status == "completed":
                    reward = self._reward(t.objective, (t.metrics or {}).get("feasible") is not False)
                algorithm.feedback(DNA(self.spec, t.decisions), reward)
        return last

    def _replaying(self, why: str) -> None:
        n = self.study.last_id()
        self._note(f"the study's checkpoint of the algorithm is not used ({why}); replaying its "
                   f"{n:,} trial{'s' if n != 1 else ''} instead")

    def _note(self, message: str) -> None:
        note = getattr(self.observer, "note", None)
        if note is not None:
            note(message)
        else:
            import warnings

            warnings.warn(f"glovec: {message}", RuntimeWarning, stacklevel=4)

    def _reward(self, objective, feasible: bool = True):
        """A recorded objective as the algorithm was given it (``record``)."""
        reward = self.reward(objective)
        return reward if feasible else infeasible(reward)

    def _save(self) -> None:
        """Leave the algorithm's checkpoint in the study, so that the next resume continues from
        it instead of replaying every trial (when the loop stops, and at most once a
        ``CHECKPOINT_SECONDS`` while it runs)."""
        study = self.study
        checkpoint = getattr(self.algorithm, "checkpoint", None)
        self._saved_at = time.monotonic()
        if study is None or checkpoint is None or not self._recovered:
            return
        try:
            state = checkpoint()
            if state is None:
                return
            pending = [t.id for t in study.trials(("proposed", "running"))]
            study.save_checkpoint({**self._identity(), "last_id": study.last_id(),
                                   "pending": pending, "state": state})
        except Exception:  # noqa: BLE001 - a closed or read-only study: the next resume replays
            pass

    # -- the loop ----------------------------------------------------------------------------

    def run(self, evaluator, num_trials: int | None, tick: float | None = None):
        """Run trials until the study holds ``num_trials`` finished ones (None: until the
        algorithm is exhausted), through ``evaluator``.

        An evaluator has ``capacity``, ``submit(trial_id, decisions, history=curves)`` and
        ``wait(timeout) -> [result, ...]`` (``glovec.runtime.executors``). An evaluator whose
        ``passes_on`` is True returns a generator from ``wait`` instead, whose values this
        generator passes on to its consumer and whose return value is the list of results: that is how ``sample()`` hands a trial to the body
        of the caller's loop. With an executor nothing is passed on and the consumer just runs
        the generator to its end.
        """
        try:
            self.recover()
            algorithm, study, observer = self.algorithm, self.study, self.observer
            propose, pending, in_flight = algorithm.propose, self.pending, self.in_flight
            exhausted_errors = _exhausted_errors()
            capacity = evaluator.capacity
            curves = curves_for(self.early_stopping, self.curves, self.all_curves)
            record = self.record
            passes_on = getattr(evaluator, "passes_on", False)
            while True:
                while (not self.exhausted and len(in_flight) < capacity
                       and (num_trials is None or self.done + len(in_flight) < num_trials)):
                    if pending:
                        tid, dna = pending.pop(0)
                        study.start(tid)
                    else:
                        try:
                            dna = propose()
                        except exhausted_errors:  # a finite algorithm (grid) has nothing left
                            self.exhausted = True
                            break
                        tid = study.add_trial(dna, status="running") if study is not None \
                            else self.done + len(in_flight) + 1
                    in_flight[tid] = dna
                    evaluator.submit(tid, dna.decisions, history=curves)
                if not in_flight:
                    return
                if observer is not None:
                    observer.running(len(in_flight), False)
                results = evaluator.wait(tick)
                if passes_on:
                    results = yield from results
                for result in results:
                    dna = in_flight.pop(result.trial_id, None)
                    if dna is not None:
                        record(result, dna)
                if time.monotonic() - self._saved_at > CHECKPOINT_SECONDS:
                    self._save()
                if observer is not None:
                    observer.running(len(in_flight), True)
        finally:
            self._save()
            if self.owns_study:
                self.study.close()

    def record(self, result, dna) -> None:
        """Record a finished trial: in the study, for the algorithm, in the curves."""
        self.done += 1
        study, tid, status = self.study, result.trial_id, result.status
        objective, error = None, result.error
        if status == "completed":
            objective, error = self._objective(result)
            if objective is None:
                status = "failed"
        where = {"node": getattr(result, "node", None), "attempts": getattr(result, "attempts", 1)}
        if status == "completed":
            if study is not None:
                study.complete(tid, objective, result.metrics, result.reports, **where)
            reward = self.reward(objective)
            if result.metrics and result.metrics.get("feasible") is False:
                reward = infeasible(reward)  # a `# glovec: constraint` was false
            self.algorithm.feedback(dna, reward)
        else:
            if study is not None:
                if status == "pruned":
                    study.prune(tid, None, result.metrics, result.reports, reason=error, **where)
                else:
                    study.fail(tid, error or "failed", result.metrics, result.reports, **where)
            self.algorithm.feedback(dna, None)
        if result.reports and status != "failed" and self.early_stopping is not None:
            self.all_curves.append(list(result.reports))
            if status == "completed":
                self.curves.append(self.all_curves[-1])
        if self.observer is not None:
            self.observer.trial_done(tid, status, objective, error)

    def _objective(self, result) -> tuple[Any, str | None]:
        """(objective, None) or (None, why the trial has none)."""
        name = self.objective_metric
        value = None
        if name:
            value = (result.metrics or {}).get(name)
        if value is None:
            value = result.objective
        if value is None and result.reports:
            value = result.reports[-1][1]
        if value.__class__ is float and value - value == 0.0:  # a finite float (inf - inf is nan)
            return value, None
        if value is None:
            what = f"a metric named {name!r}, " if name else ""
            return None, (f"the trial finished without {what}an objective or a reported value: mark "
                          f"the final result with `# glovec: objective`, or call "
                          f"glovec.runtime.report(value)")
        try:
            return objective_value(value)
        except TypeError as exc:
            return None, str(exc)

    def reward(self, objective):
        """The objective as the algorithm sees it: larger is better (minimised ones negated)."""
        if isinstance(objective, tuple):
            return tuple(s * v for s, v in zip(self.signs, objective))
        return objective if self.signs[0] > 0 else -objective


def infeasible(reward):
    """The reward of an infeasible trial as the algorithm sees it: below every feasible reward
    (each objective, so NSGA-II's feasible trials dominate it, as in constrained NSGA-II, and TPE
    puts it among the bad ones, as constrained TPE does), still ordered by the objective among
    infeasible trials. Feasible rewards are assumed above -1e9."""
    if isinstance(reward, tuple):
        return tuple(infeasible(r) for r in reward)
    return -1e9 + math.atan(reward)


def _exhausted_errors() -> tuple:
    try:
        from .algorithms.base import SearchExhausted
    except ImportError:  # pragma: no cover - algorithms package without the base module
        return (StopIteration,)
    return (SearchExhausted, StopIteration)


# ---- sample(): the caller's loop body as the evaluator ------------------------------------------


class Trial:
    """One proposal: ``id``, ``dna``, ``decisions`` (point id -> decision, what sites read).

    ``trial["units"]`` / ``trial.value("units")`` give the decided Python value of a point
    (candidate object for hand-written spaces, literal value or candidate text otherwise);
    ``trial.literal("units")`` the candidate text.
    """

    __slots__ = ("id", "dna", "decisions")

    def __init__(self, id: int, dna: DNA) -> None:
        self.id = id
        self.dna = dna
        self.decisions = dna.decisions

    def value(self, id: str) -> Any:
        spec = self.dna.spec
        if spec.owner is not None:  # a hand-written Space: entries, nested values, repeats
            return spec.owner.value(id, self.decisions)
        if id not in self.decisions and id not in spec:
            raise KeyError(f"no site {id!r} in this space")
        if id not in self.decisions:
            raise KeyError(f"site {id!r} is not active in trial {self.id}")
        return spec.point(id).value(self.decisions[id])

    __getitem__ = value

    def literal(self, id: str) -> Any:
        return self.dna.spec.point(id).literal(self.decisions[id])

    def __repr__(self) -> str:
        return f"Trial({self.id}, {self.decisions!r})"


class Feedback:
    """How the body of ``sample()``'s loop reports a trial's outcome. Exactly one of:

    - ``feedback(value)``: the objective (a number, or a tuple for several objectives);
    - ``feedback(metrics={...})``: named metrics; the objective is taken from them (see ``sample``);
    - ``feedback.skip(reason)``: the trial is unusable (recorded as failed, reward ``None``);
    - nothing after ``should_stop()`` said True: the trial is recorded as pruned;
    - nothing at all: the trial is recorded as **failed** ("no feedback") when the loop moves on.

    ``report(step, value)`` records an intermediate value; ``should_stop()`` then answers from the
    early-stopping policy. The outcome is recorded (study, algorithm) when the loop moves on.
    """

    __slots__ = ("trial", "trial_id", "status", "objective", "metrics", "reason", "reports", "_body",
                 "_stop")

    def __init__(self, body: "_Body", trial: Trial) -> None:
        self._body = body
        self.trial = trial
        self.trial_id = trial.id
        self.status: str | None = None  # completed | failed | pruned, once given
        self.objective = None
        self.metrics: dict | None = None
        self.reason: str | None = None
        self.reports: list = []
        self._stop = False

    def __call__(self, value: Any = None, *, metrics: Mapping[str, Any] | None = None) -> None:
        self._check_open()
        body = self._body
        if value is None and metrics is None:
            raise TypeError("feedback() needs the objective value or metrics={...}")
        if value is None:
            value = body.objective_from_metrics(metrics)
        n = len(body.search.directions)
        if isinstance(value, (list, tuple)):
            if len(value) != n:
                raise ValueError(f"feedback got {len(value)} objective values for {n} direction(s)")
        elif n != 1:
            raise ValueError(f"feedback got one value; the search has {n} objectives")
        if value.__class__ is float and value - value == 0.0:  # the common case: a finite float
            objective, why = value, None
        else:
            objective, why = objective_value(value)  # TypeError for a non-number
        self.metrics = dict(metrics) if metrics else None
        if objective is None:  # not finite: the trial fails with the reason
            self.status, self.reason = "failed", why
        else:
            self.status, self.objective = "completed", objective

    def skip(self, reason: str = "skipped") -> None:
        """Drop this trial: recorded as failed with ``reason``; the algorithm gets ``None``."""
        self._check_open()
        self.status, self.reason = "failed", f"skipped: {reason}"

    def report(self, step: int, value: float) -> bool:
        """Record an intermediate value at ``step``; returns ``should_stop()``."""
        self._check_open()
        value = hyper.intermediate(value)
        self.reports.append((step, value))
        body = self._body
        study = body.search.study
        if study is not None:
            study.report(self.trial.id, step, value)
        policy = body.search.early_stopping
        if policy is not None and not self._stop:
            self._stop = bool(policy.should_stop(step, value, body.history, own=self.reports))
            if self._stop:
                self.reason = f"pruned at step {step} (value {value!r})"
        return self._stop

    def should_stop(self) -> bool:
        """True when the early-stopping policy says this trial should stop (after a report)."""
        return self._stop

    def _check_open(self) -> None:
        if self.status is not None:
            raise RuntimeError(f"trial {self.trial.id} is already recorded as {self.status}"
                               + (f" ({self.reason})" if self.reason else ""))

    def _result(self, unfed: str) -> "Feedback":
        """The outcome (this object is the loop's result: trial_id, status, objective, metrics,
        reports, error); a trial the body gave nothing for is pruned if told to stop, else failed."""
        if self.status is None:
            if self._stop:
                self.status = "pruned"
            else:
                self.status, self.reason = "failed", unfed
        return self

    @property
    def error(self) -> str | None:
        return self.reason

    def __repr__(self) -> str:
        return f"Feedback(trial={self.trial.id}, status={self.status})"


class _Body:
    """The evaluator ``sample()`` gives the loop: each trial goes to the body of the caller's
    ``for`` (one at a time), with its decisions active so that sites and ``Space`` read them."""

    capacity = 1
    passes_on = True  # wait() yields (trial, feedback) to the caller's loop

    def __init__(self, search: Search, objectives) -> None:
        self.search = search
        self.objectives = tuple(objectives) if objectives else None
        self.trial_id = None
        self.history: list = []

    def submit(self, trial_id, decisions, history=()) -> None:
        self.trial_id, self.history = trial_id, history

    def wait(self, timeout=None):
        tid = self.trial_id
        dna = self.search.in_flight[tid]
        trial = Trial(tid, dna)
        fb = Feedback(self, trial)
        outer = hyper.current()  # a sample() nested in another one's body: the outer trial's
        hyper.activate(trial.decisions, tid, fb.report)  # glovec.runtime.report() lands in fb too
        try:
            yield trial, fb
        except GeneratorExit:  # the caller broke out (or raised) in the middle of a trial
            _back_to(outer)
            self.search.in_flight.pop(tid, None)
            self.search.record(fb._result(ENDED_DURING_TRIAL), dna)
            raise
        _back_to(outer)
        return [fb._result(NO_FEEDBACK)]

    def objective_from_metrics(self, metrics: Mapping[str, Any]):
        names = self.objectives
        n = len(self.search.directions)
        if names is None:
            if len(metrics) != n:
                raise ValueError(
                    f"cannot tell which of the metrics {list(metrics)} is the objective: pass "
                    f"sample(..., objectives=[names]) or call feedback(value, metrics=...)")
            names = tuple(metrics)
        missing = [name for name in names if name not in metrics]
        if missing:
            raise ValueError(f"feedback metrics lack the objective(s) {missing}")
        values = tuple(float(metrics[name]) for name in names)
        return values if len(values) > 1 else values[0]


def _back_to(outer) -> None:
    """End this trial; the decisions of the trial it was nested in (if any) are active again."""
    hyper.deactivate()
    if outer is not None:  # the same context, with what the outer trial recorded so far
        hyper._decisions, hyper._context = outer.decisions, outer


def resolve_algorithm(algorithm: Any, seed: int | None):
    """An algorithm object: a name/``module:Class`` goes through ``get_algorithm``."""
    if isinstance(algorithm, str):
        from .algorithms import get_algorithm

        return get_algorithm(algorithm, seed=seed)
    if isinstance(algorithm, type):
        return algorithm(seed=seed)
    return algorithm


def _directions_of(spec: DNASpec, study) -> tuple[str, ...]:
    if study is not None and getattr(study, "directions", None):
        return tuple(study.directions)
    obj = (spec.space_doc or {}).get("objective") if isinstance(spec.space_doc, Mapping) else None
    if isinstance(obj, Mapping):
        d = obj.get("directions") or obj.get("direction")
        if d:
            return (d,) if isinstance(d, str) else tuple(d)
    if isinstance(obj, list) and obj:  # several objectives
        return tuple(o.get("direction", "maximize") for o in obj)
    return ("maximize",)


def _open_study(path, spec: DNASpec, directions):
    """``sample(study="runs.db")``: open (or continue) the study file for this space."""
    from .study import Study

    space_doc = dict(spec.space_doc) if isinstance(spec.space_doc, Mapping) else spec.to_space_doc()
    if directions and not space_doc.get("objective"):
        space_doc["objective"] = ({"direction": directions[0]} if len(directions) == 1
                                  else [{"direction": d} for d in directions])
    return Study.open(path, space_doc, resume=True)


def _spec_of(space: Any) -> DNASpec:
    if isinstance(space, DNASpec):
        return space
    to_spec = getattr(space, "to_spec", None)  # glovec.runtime.Space
    if callable(to_spec):
        return to_spec()
    return DNASpec.from_space_doc(space)


def sample(
    space: Any,
    algorithm: Any = "random",
    num_trials: int | None = 10,
    seed: int | None = None,
    early_stopping: Any = None,
    study: Any = None,
    directions: Sequence[str] | str | None = None,
    objectives: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    fixed: Mapping[str, Any] | None = None,
    enqueue: Sequence[Mapping[str, Any]] = (),
    warm: Sequence[tuple[Mapping[str, Any], Any]] = (),
) -> Iterator[tuple[Trial, Feedback]]:
    """Propose ``num_trials`` trials from ``algorithm`` over ``space``; yield ``(trial, feedback)``.

    ``space``: a ``Space``, a ``DNASpec``, or a space document (the dict of ``glovec space
    --json``) or its JSON text. ``algorithm``: a name
    (``"random"``, ``"evolution"``, ``"tpe"``, ... or ``"module:Class"``) or an algorithm class,
    both made with ``seed``, or an object with ``setup/propose/feedback`` (already seeded). ``num_trials=None`` runs until the algorithm is
    exhausted (a finished grid) or the caller breaks out.

    ``directions``: ``"maximize"``/``"minimize"`` per objective (default: the study's, else the
    space's objective, else maximize). The algorithm always sees larger-is-better rewards:
    minimised objectives are negated first; several objectives give a tuple reward.
    ``objectives`` names the metrics that form the objective when feedback comes as
    ``feedback(metrics={...})``; without it, a dict with exactly one value per direction is used
    in its order. An objective that is not a finite number (NaN, an infinity, an integer beyond a
    float's range) fails the trial with that reason.

    **Forgotten feedback.** A trial whose feedback was neither given nor skipped by the time the
    next trial is asked for (or the loop ends) is recorded as *failed* with the reason
    "no feedback" and fed back to the algorithm as ``None``: it is never silently proposed
    again and the loop does not wait on it. A trial whose last ``report`` made ``should_stop()``
    true and that got no feedback is recorded as *pruned* instead.

    While the body runs, the trial's decisions are active (``glovec.runtime.hyper.activate``), so
    site functions and ``Space["id"]`` return the decided values, and ``glovec.runtime.report(value,
    step=...)`` called by the body's code is ``feedback.report``: when the policy says stop it
    raises ``glovec.runtime.TrialPruned``, which the body catches (the trial is then pruned).

    ``early_stopping``: a ``MedianStopping`` or ``SuccessiveHalving`` (``"median"`` /
    ``"halving"`` for their defaults), or anything with ``should_stop(step, value, curves,
    own=...)`` (``curves``: the completed trials' reports; pruned ones' too for a policy with
    ``counts_pruned = True``).

    ``study``: a ``glovec.runtime.study.Study``, or a file path (opened, or continued when it
    holds trials of this space, and closed when the loop ends), that records every transition
    (proposed+running, completed/failed/pruned, reports). When it already holds finished trials
    the algorithm is recovered from them, in-flight ones run again first, and finished ones
    count towards ``num_trials``.

    **Flows** (``glovec.runtime.flow``, docs/flows.md): ``groups`` searches only the sites of
    those groups (``group="NAME"``); every other site takes its decision in ``fixed`` (site id ->
    decision, e.g. an outer trial's ``trial.decisions``), else its default. ``enqueue``: points
    proposed first ({site id: value}, values as ``report --json`` prints them); ``warm``: earlier
    ``(decisions, reward)`` pairs fed to the algorithm before it proposes. A ``sample(...,
    fixed=outer.decisions)`` inside the body of a ``for`` over ``sample(..., groups=[...])`` is a
    nested search. Trials always carry whole-space decisions.

    This is the same loop as ``glovec run`` and ``python gen.py`` (``Search.run``): one seed
    gives the same trials, decisions and prunings through each.
    """
    spec = _spec_of(space)
    algo = resolve_algorithm(algorithm, seed)
    if groups is not None or fixed or enqueue or warm:
        from .flow import Flow, points_of_groups

        searched = None if groups is None else points_of_groups(spec, list(groups), "groups=")
        algo = Flow(algo, searched=searched, fixed=fixed, enqueue=enqueue, warm=warm)
    algo.setup(spec)
    if isinstance(directions, str):
        directions = (directions,)
    owned = isinstance(study, (str, os.PathLike))
    if owned:
        study = _open_study(study, spec, tuple(directions) if directions else None)
    directions = tuple(directions) if directions else _directions_of(spec, study)
    policy = make_policy(early_stopping, directions[0])
    search = Search(spec, algo, directions, study=study, early_stopping=policy)
    search.owns_study = owned  # opened here from a path: closed when the loop ends
    return search.run(_Body(search, objectives), num_trials)
