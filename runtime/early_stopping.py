"""Early-stopping policies: when a trial's intermediate reports say it should stop.

A policy answers ``should_stop(step, value, curves, own=None)``: ``curves`` are the reports
(``[(step, value), ...]``) of trials finished before this one, ``own`` this trial's reports so far
(default: the running trial's, read from ``glovec.runtime.hyper.current()``). A policy with
``counts_pruned = True`` is given the curves of pruned trials too (successive halving ranks
everyone that reached a rung); others get the completed trials' only.

``make_policy("median" | "halving" | policy | None, direction)`` is how the search loop gets one.
Policies are pickled into process and Ray workers, so they hold plain data only.
"""

from __future__ import annotations

from typing import Any, Sequence

from . import hyper

__all__ = ["MedianStopping", "SuccessiveHalving", "POLICIES", "make_policy"]

# The names `glovec run --early-stopping`, GLOVEC_EARLY_STOPPING and sample(early_stopping=) take.
POLICIES = {"median": "MedianStopping", "halving": "SuccessiveHalving",
            "successive-halving": "SuccessiveHalving"}


def make_policy(policy: Any, direction: str):
    """A policy object from a name (with its defaults), a policy, or None; bound to ``direction``
    (the first objective's) unless it was given one. Raises ValueError for an unknown name."""
    if policy is None or policy == "":
        return None
    if isinstance(policy, str):
        name = POLICIES.get(policy)
        if name is None:
            raise ValueError(f"unknown early-stopping policy {policy!r} (median, halving)")
        policy = globals()[name]()
    if hasattr(policy, "bind"):
        policy.bind(direction)
    return policy


def curves_for(policy, completed: list, finished: list) -> list:
    """The curves ``policy`` compares a trial to: the completed trials' reports, or every
    finished trial's (pruned ones included) for a policy that ``counts_pruned``."""
    return finished if getattr(policy, "counts_pruned", False) else completed


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
