"""The search loop between an algorithm and code that evaluates DNA, and early-stopping policies.

::

    import glovec.runtime as gv

    space = gv.Space(lr=gv.floatv(1e-4, 1e-1, scale="log"), units=gv.oneof([64, 128, 256]))
    for trial, feedback in gv.sample(space, "evolution", num_trials=50, seed=0):
        acc = train(lr=trial["lr"], units=trial["units"])
        feedback(acc)

``sample()`` also takes a ``DNASpec`` or the space JSON of a converted program.
"""

from __future__ import annotations

import math
import os
from typing import Any, Iterator, Mapping, Sequence

from . import hyper
from .geno import DNA, DNASpec

__all__ = ["sample", "Trial", "Feedback", "MedianStopping", "SuccessiveHalving", "resolve_algorithm"]

NO_FEEDBACK = "no feedback: the loop moved on before feedback(...) or skip(...) was called"


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
    early-stopping policy.
    """

    __slots__ = ("trial", "status", "objective", "metrics", "reason", "reports", "_loop", "_stop")

    def __init__(self, loop: "_Loop", trial: Trial) -> None:
        self._loop = loop
        self.trial = trial
        self.status: str | None = None  # completed | failed | pruned, once recorded
        self.objective = None
        self.metrics: dict | None = None
        self.reason: str | None = None
        self.reports: list = []
        self._stop = False

    def __call__(self, value: Any = None, *, metrics: Mapping[str, Any] | None = None) -> None:
        self._check_open()
        loop = self._loop
        if value is None and metrics is None:
            raise TypeError("feedback() needs the objective value or metrics={...}")
        if value is None:
            value = loop.objective_from_metrics(metrics)
        if isinstance(value, (list, tuple)):
            value = tuple(float(v) for v in value)
            if len(value) != len(loop.directions):
                raise ValueError(
                    f"feedback got {len(value)} objective values for {len(loop.directions)} direction(s)")
        else:
            value = float(value)
            if len(loop.directions) != 1:
                raise ValueError(f"feedback got one value; the search has {len(loop.directions)} objectives")
        loop.finish(self, "completed", objective=value, metrics=dict(metrics) if metrics else None)

    def skip(self, reason: str = "skipped") -> None:
        """Drop this trial: recorded as failed with ``reason``; the algorithm gets ``None``."""
        self._check_open()
        self._loop.finish(self, "failed", reason=f"skipped: {reason}")

    def report(self, step: int, value: float) -> bool:
        """Record an intermediate value at ``step``; returns ``should_stop()``."""
        self._check_open()
        value = float(value)
        self.reports.append((step, value))
        loop = self._loop
        if loop.study is not None:
            loop.study.report(self.trial.id, step, value)
        policy = loop.early_stopping
        if policy is not None and not self._stop:
            curves = loop.all_curves if getattr(policy, "counts_pruned", False) else loop.curves
            self._stop = bool(policy.should_stop(step, value, curves, own=self.reports))
        return self._stop

    def should_stop(self) -> bool:
        """True when the early-stopping policy says this trial should stop (after a report)."""
        return self._stop

    def _check_open(self) -> None:
        if self.status is not None:
            raise RuntimeError(f"trial {self.trial.id} is already recorded as {self.status}"
                               + (f" ({self.reason})" if self.reason else ""))

    def __repr__(self) -> str:
        return f"Feedback(trial={self.trial.id}, status={self.status})"


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
    obj = (spec.space or {}).get("objective") if isinstance(spec.space, Mapping) else None
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

    space = dict(spec.space) if isinstance(spec.space, Mapping) else spec.to_space()
    if directions and not space.get("objective"):
        space["objective"] = ({"direction": directions[0]} if len(directions) == 1
                              else [{"direction": d} for d in directions])
    return Study.open(path, space, resume=True)


POLICIES = {"median": "MedianStopping", "halving": "SuccessiveHalving",
            "successive-halving": "SuccessiveHalving"}


def _spec_of(space: Any) -> DNASpec:
    if isinstance(space, DNASpec):
        return space
    to_spec = getattr(space, "to_spec", None)  # glovec.runtime.Space
    if callable(to_spec):
        return to_spec()
    return DNASpec.from_space(space)


class _Loop:
    """The state ``sample()`` carries from one trial to the next."""

    def __init__(self, spec, algorithm, directions, objectives, early_stopping, study) -> None:
        self.spec = spec
        self.algorithm = algorithm
        self.directions = directions
        self.objectives = tuple(objectives) if objectives else None
        self.early_stopping = early_stopping
        self.study = study
        # Reports of finished trials, for the early-stopping policy: completed ones, and completed
        # plus pruned ones (successive halving ranks everyone that reached a rung).
        self.curves: list = []
        self.all_curves: list = []
        self.signs = tuple(1.0 if d == "maximize" else -1.0 for d in directions)
        for d in directions:
            if d not in ("maximize", "minimize"):
                raise ValueError(f"direction must be 'maximize' or 'minimize', got {d!r}")

    def objective_from_metrics(self, metrics: Mapping[str, Any]):
        names = self.objectives
        if names is None:
            if len(metrics) != len(self.directions):
                raise ValueError(
                    f"cannot tell which of the metrics {list(metrics)} is the objective: pass "
                    f"sample(..., objectives=[names]) or call feedback(value, metrics=...)")
            names = tuple(metrics)
        missing = [n for n in names if n not in metrics]
        if missing:
            raise ValueError(f"feedback metrics lack the objective(s) {missing}")
        values = tuple(float(metrics[n]) for n in names)
        return values if len(values) > 1 else values[0]

    def reward(self, objective):
        if isinstance(objective, tuple):
            return tuple(s * v for s, v in zip(self.signs, objective))
        return objective if self.signs[0] > 0 else -objective

    def finish(self, fb: Feedback, status: str, objective=None, metrics=None, reason=None) -> None:
        fb.status, fb.objective, fb.metrics, fb.reason = status, objective, metrics, reason
        trial, study = fb.trial, self.study
        if status == "completed" and any(math.isnan(v) for v in (
                objective if isinstance(objective, tuple) else (objective,))):
            status = fb.status = "failed"
            reason = fb.reason = "the objective is NaN"
        if study is not None:
            if status == "completed":
                study.complete(trial.id, objective, metrics)
            elif status == "pruned":
                study.prune(trial.id, fb.reports[-1][0] if fb.reports else None, metrics)
            else:
                study.fail(trial.id, reason, metrics)
        if fb.reports and status in ("completed", "pruned"):
            self.all_curves.append(list(fb.reports))
            if status == "completed":
                self.curves.append(self.all_curves[-1])
        reward = self.reward(objective) if status == "completed" else None
        self.algorithm.feedback(trial.dna, reward)

    def close_unfed(self, fb: Feedback, reason: str) -> None:
        if fb._stop:
            self.finish(fb, "pruned", reason="stopped early")
        else:
            self.finish(fb, "failed", reason=reason)


def sample(
    space: Any,
    algorithm: Any = "random",
    num_trials: int | None = 10,
    seed: int | None = None,
    early_stopping: Any = None,
    study: Any = None,
    directions: Sequence[str] | str | None = None,
    objectives: Sequence[str] | None = None,
) -> Iterator[tuple[Trial, Feedback]]:
    """Propose ``num_trials`` trials from ``algorithm`` over ``space``; yield ``(trial, feedback)``.

    ``space``: a ``Space``, a ``DNASpec``, or a space dict/JSON. ``algorithm``: a name
    (``"random"``, ``"evolution"``, ``"tpe"``, ... or ``"module:Class"``) or an algorithm class,
    both made with ``seed``, or an object with ``setup/propose/feedback`` (already seeded). ``num_trials=None`` runs until the algorithm is
    exhausted (a finished grid) or the caller breaks out.

    ``directions``: ``"maximize"``/``"minimize"`` per objective (default: the study's, else the
    space's objective, else maximize). The algorithm always sees larger-is-better rewards:
    minimised objectives are negated first; several objectives give a tuple reward.
    ``objectives`` names the metrics that form the objective when feedback comes as
    ``feedback(metrics={...})``; without it, a dict with exactly one value per direction is used
    in its order.

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
    """
    spec = _spec_of(space)
    algo = resolve_algorithm(algorithm, seed)
    algo.setup(spec)
    if isinstance(directions, str):
        directions = (directions,)
    owned = isinstance(study, (str, os.PathLike))
    if owned:
        study = _open_study(study, spec, tuple(directions) if directions else None)
    directions = tuple(directions) if directions else _directions_of(spec, study)
    if isinstance(early_stopping, str):
        name = POLICIES.get(early_stopping)
        if name is None:
            raise ValueError(f"unknown early-stopping policy {early_stopping!r} (median, halving)")
        early_stopping = globals()[name]()
    if early_stopping is not None and hasattr(early_stopping, "bind"):
        early_stopping.bind(directions[0])
    loop = _Loop(spec, algo, directions, objectives, early_stopping, study)
    return _run(loop, num_trials, close_study=owned)


def _exhausted_errors() -> tuple:
    try:
        from .algorithms.base import SearchExhausted
    except ImportError:  # pragma: no cover - algorithms package without the base module
        return (StopIteration,)
    return (SearchExhausted, StopIteration)


def _run(loop: _Loop, num_trials: int | None, close_study: bool = False) -> Iterator[tuple[Trial, Feedback]]:
    algo, study, spec = loop.algorithm, loop.study, loop.spec
    exhausted = _exhausted_errors()
    pending: list = []
    done = 0
    if study is not None:
        history = study.history()  # in-flight trials included, as proposals with reward None
        if history:
            recover = getattr(algo, "recover", None)
            if recover is not None:
                recover(history)
            else:  # the bare protocol: replay one proposal and one feedback per trial
                for dna, reward in history:
                    algo.propose()
                    algo.feedback(dna, reward)
        counts = study.counts()
        done = counts["completed"] + counts["failed"] + counts["pruned"]
        status = {t.id: t.status for t in study.trials(("completed", "pruned"))}
        for tid, curve in study.all_reports().items():
            if tid in status:
                loop.all_curves.append(list(curve))
                if status[tid] == "completed":
                    loop.curves.append(loop.all_curves[-1])
        pending = [(t.id, DNA(spec, t.decisions)) for t in study.trials("proposed")]
    propose = algo.propose
    activate, deactivate = hyper.activate, hyper.deactivate
    fb = None
    try:
        while num_trials is None or done < num_trials:
            if pending:
                tid, dna = pending.pop(0)
                study.start(tid)
            else:
                try:
                    dna = propose()
                except exhausted:
                    return
                tid = study.add_trial(dna, status="running") if study is not None else done + 1
            trial = Trial(tid, dna)
            fb = Feedback(loop, trial)
            activate(trial.decisions, tid, fb.report)  # glovec.runtime.report() lands in fb too
            yield trial, fb
            deactivate()
            if fb.status is None:
                loop.close_unfed(fb, NO_FEEDBACK)
            fb = None
            done += 1
    finally:
        if fb is not None:  # the caller broke out (or raised) in the middle of a trial
            deactivate()
            if fb.status is None:
                loop.close_unfed(fb, "no feedback: the loop ended during this trial")
        if close_study:
            study.close()


# ---- early stopping ---------------------------------------------------------------------------


def _value_at(curve: Sequence, step) -> float | None:
    """The curve's value at the last step <= ``step``, if the curve reached ``step``."""
    if not curve or curve[-1][0] < step:
        return None
    best = None
    for s, v in curve:
        if s > step:
            break
        best = v
    return best


class _Policy:
    """Shared by the policies: a direction, and this trial's curve when the caller has none."""

    direction = "maximize"

    def bind(self, direction: str) -> None:
        """Set the direction of the reported values (``sample()`` passes its first objective's)."""
        if self._explicit_direction is None:
            self.direction = direction

    def _init_direction(self, direction: str | None) -> None:
        if direction not in (None, "maximize", "minimize"):
            raise ValueError(f"direction must be 'maximize' or 'minimize', got {direction!r}")
        self._explicit_direction = direction
        self.direction = direction or "maximize"

    def _own(self, step, value, own):
        """This trial's curve up to ``step`` (from ``own``, or the running trial's reports)."""
        if own is None:
            ctx = hyper.current()
            own = ctx.reports if ctx is not None else ()
        curve = [(s, v) for s, v in own if s <= step]
        if not curve or curve[-1][0] != step:
            curve.append((step, value))
        return curve

    def _better(self, a: float, b: float) -> bool:
        return a > b if self.direction == "maximize" else a < b


class MedianStopping(_Policy):
    """The median stopping rule (Golovin et al. 2017, Google Vizier).

    Stop a trial at step ``s`` when its best value so far is worse than the median of the values
    that previously finished trials had at ``s`` (each one's value at its last report <= ``s``;
    trials that never got to ``s`` are left out). Nothing is stopped before ``warmup_steps`` or
    while fewer than ``min_trials`` finished trials reached ``s``.
    """

    def __init__(self, warmup_steps: int = 0, min_trials: int = 5, direction: str | None = None) -> None:
        self.warmup_steps = warmup_steps
        self.min_trials = min_trials
        self._init_direction(direction)

    def should_stop(self, step, value, curves, own=None) -> bool:
        if step < self.warmup_steps:
            return False
        others = [v for v in (_value_at(c, step) for c in curves) if v is not None and v == v]
        if len(others) < max(1, self.min_trials):
            return False
        others.sort()
        m = len(others)
        median = others[m // 2] if m % 2 else (others[m // 2 - 1] + others[m // 2]) / 2
        values = [v for _, v in self._own(step, value, own) if v == v]
        if not values:
            return True  # only NaN so far
        best = max(values) if self.direction == "maximize" else min(values)
        return self._better(median, best)

    def __repr__(self) -> str:
        return f"MedianStopping(warmup_steps={self.warmup_steps}, min_trials={self.min_trials}, direction={self.direction!r})"


class SuccessiveHalving(_Policy):
    """Asynchronous successive halving (Li et al. 2018, ASHA), as an early-stopping rule.

    Rungs sit at steps ``min_step * eta**k``. When a trial first reports at or past a rung, it
    goes on only if its value is in the top ``1/eta`` of the values that previously finished
    trials had at that rung, itself included; it is stopped otherwise. A rung decides once it has
    at least ``eta`` values (before that, every trial goes on). ``sample()`` passes the curves of
    pruned trials too (``counts_pruned``): a trial stopped at a later rung still ranks at the
    earlier ones.
    """

    counts_pruned = True

    def __init__(self, min_step: int = 1, eta: int = 3, max_step: int | None = None,
                 direction: str | None = None) -> None:
        if eta < 2:
            raise ValueError("SuccessiveHalving needs eta >= 2")
        if min_step <= 0:
            raise ValueError("SuccessiveHalving needs min_step > 0")
        self.min_step = min_step
        self.eta = eta
        self.max_step = max_step
        self._init_direction(direction)

    def rungs(self, up_to) -> list:
        out, r = [], self.min_step
        while r <= up_to and (self.max_step is None or r < self.max_step):
            out.append(r)
            r *= self.eta
        return out

    def should_stop(self, step, value, curves, own=None) -> bool:
        rungs = self.rungs(step)
        if not rungs:
            return False
        rung = rungs[-1]
        curve = self._own(step, value, own)
        if len(curve) > 1 and curve[-2][0] >= rung:
            return False  # this rung was judged at an earlier report
        if value != value:
            return True
        values = [v for v in (_value_at(c, rung) for c in curves) if v is not None and v == v]
        values.append(value)
        if len(values) < self.eta:
            return False
        keep = max(1, len(values) // self.eta)
        reverse = self.direction == "maximize"
        values.sort(reverse=reverse)
        threshold = values[keep - 1]
        return self._better(threshold, value)

    def __repr__(self) -> str:
        return f"SuccessiveHalving(min_step={self.min_step}, eta={self.eta}, direction={self.direction!r})"
