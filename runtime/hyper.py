"""What generated code calls at each site, and the trial context those calls read.

This module is on the user's critical path: a site inside a training loop runs once per
iteration, so each site function is a dict lookup plus an index. Nothing here imports more
than the standard library.

Decisions are a plain dict keyed by point id (see ``glovec.runtime.geno.DNA.decisions``):
oneof -> candidate index, manyof/permutate -> tuple of indices, floatv/intv -> the value.
Outside a trial the dict is empty and every site returns its default.

The primitives (``oneof``, ``manyof``, ``permutate``, ``floatv``, ``intv``) double as the
user-facing API for hand-written spaces: called with candidates or a range instead of a site id
they return a ``glovec.runtime.values.Hyper`` (see ``glovec.runtime.Space``).
"""

from __future__ import annotations

__all__ = [
    "TrialContext",
    "TrialPruned",
    "activate",
    "deactivate",
    "current",
    "oneof",
    "oneof_lazy",
    "index",
    "manyof",
    "manyof_lazy",
    "permutate",
    "permutate_lazy",
    "floatv",
    "intv",
    "rep",
    "objective",
    "metric",
    "report",
    "constraint",
    "ConstraintError",
]

_EMPTY: dict = {}

# The active trial's decisions, rebound (never mutated) by activate()/deactivate().
_decisions: dict = _EMPTY
_context: "TrialContext | None" = None
# Per-trial execution counters of repeat=N sites, and their id strings (cached across trials).
_counters: dict = {}
_rep_ids: dict = {}
# What the end of the running trial undoes (the config files' views: glovec.runtime.configs).
_on_deactivate: list = []


class TrialPruned(Exception):
    """Raised by ``report()`` when the early-stopping policy stops the running trial."""


class TrialContext:
    """What one running trial has recorded so far: its final objective, metrics and reports."""

    __slots__ = ("decisions", "objective", "metrics", "reports", "should_stop", "trial_id")

    def __init__(self, decisions: dict, trial_id=None, should_stop=None) -> None:
        self.decisions = decisions
        self.trial_id = trial_id
        self.objective = None
        self.metrics: dict = {}
        self.reports: list = []
        # should_stop(step, value) -> bool, supplied by the loop's early-stopping policy.
        self.should_stop = should_stop


def activate(decisions: dict, trial_id=None, should_stop=None) -> TrialContext:
    """Begin a trial in this process: every site now returns the decided value."""
    global _decisions, _context
    _counters.clear()
    _decisions = decisions
    _context = TrialContext(decisions, trial_id, should_stop)
    return _context


def deactivate() -> TrialContext | None:
    """End the trial: sites return their defaults again. Returns the finished context."""
    global _decisions, _context
    ctx = _context
    _decisions = _EMPTY
    _context = None
    _counters.clear()
    while _on_deactivate:
        _on_deactivate.pop()()
    return ctx


def on_deactivate(undo) -> None:
    """Call ``undo()`` when the running trial ends (``deactivate``)."""
    if undo not in _on_deactivate:
        _on_deactivate.append(undo)


def current() -> TrialContext | None:
    """The running trial's context, or None outside a trial."""
    return _context


# ---- site functions (hot path) -------------------------------------------------------------
#
# Each primitive has two uses. Generated code calls it with a site id string first (the hot
# path: one dict lookup). People who write a search space by hand call it with candidates or a
# range (``oneof([64, 128])``, ``floatv(1e-4, 1e-1, scale="log")``) and get a ``Hyper`` for a
# ``glovec.runtime.Space``. The generated call never passes the trailing options, so telling the
# two apart costs one identity test.

_USER = object()  # "argument not given": the call is the user-facing one


def _hyper(kind, *args, **options):
    from .values import make_hyper

    return make_hyper(kind, *args, **{k: v for k, v in options.items() if v is not None and v is not _USER})


def _first_if_missing(default):
    # None may be a real candidate (``oneof([None, 1], default=None)``), so keep it apart.
    if default is _USER:
        return _USER
    from .values import Given

    return Given(default)


def oneof(candidates, default=_USER, cands=_USER, name=None, repeat=None, group=None):
    """One of the candidates.

    Site (generated code): ``oneof(site, default_index, cands)`` returns ``cands[decision]``.
    By hand: ``oneof([64, 128, 256], default=128, name=None, repeat=1)`` returns a ``Hyper``;
    ``default`` is a candidate (the first when omitted).
    """
    if cands is _USER:
        return _hyper("oneof", candidates, default=_first_if_missing(default), name=name, repeat=repeat, group=group)
    return cands[_decisions.get(candidates, default)]


def oneof_lazy(site, default, thunks):
    """One of expression candidates: only the chosen thunk is called."""
    return thunks[_decisions.get(site, default)]()


def index(site, default):
    """The decided candidate index of a oneof site (``default`` outside a trial).

    For a site in a class body, where a lambda cannot see the class's names, generated code
    picks among expression candidates itself: ``(c0 if index(site, d) == 0 else c1)``.
    """
    return _decisions.get(site, default)


def manyof(k, candidates, cands=_USER, distinct=True, sorted=False, default=None, name=None,
           repeat=None, group=None):
    """``k`` of the candidates (``distinct``: no repeats; ``sorted``: in candidate order).

    Site: ``manyof(site, default_indices, cands)`` returns the list of chosen candidates.
    By hand: ``manyof(2, ["a", "b", "c"], distinct=True, sorted=False, default=["a", "b"])``.
    """
    if cands is _USER:
        return _hyper("manyof", k, candidates, distinct=distinct, sorted=sorted, default=default,
                      name=name, repeat=repeat, group=group)
    return [cands[i] for i in _decisions.get(k, candidates)]


def manyof_lazy(site, default, thunks):
    return [thunks[i]() for i in _decisions.get(site, default)]


def permutate(candidates, default=_USER, cands=_USER, name=None, repeat=None, group=None):
    """An ordering of all the candidates.

    Site: ``permutate(site, default_order, cands)``. By hand: ``permutate(["a", "b", "c"])``.
    """
    if cands is _USER:
        return _hyper("permutate", candidates, default=_first_if_missing(default), name=name,
                      repeat=repeat, group=group)
    return [cands[i] for i in _decisions.get(candidates, default)]


def permutate_lazy(site, default, thunks):
    return [thunks[i]() for i in _decisions.get(site, default)]


def floatv(lo, hi, scale="linear", default=None, name=None, repeat=None, group=None):
    """A float in ``[lo, hi]``, ``scale`` "linear" or "log".

    Site: ``floatv(site, default)`` returns the decided float. By hand:
    ``floatv(1e-4, 1e-1, scale="log", default=1e-3)`` (default: ``lo``).
    """
    if lo.__class__ is str:
        return _decisions.get(lo, hi)
    return _hyper("floatv", lo, hi, scale=scale, default=default, name=name, repeat=repeat, group=group)


def intv(lo, hi, step=1, scale="linear", default=None, name=None, repeat=None, group=None):
    """An integer on the grid ``lo, lo + step, ...`` up to ``hi``.

    Site: ``intv(site, default)`` returns the decided int. By hand:
    ``intv(16, 64, step=16, default=32)`` (default: ``lo``).
    """
    if lo.__class__ is str:
        return _decisions.get(lo, hi)
    return _hyper("intv", lo, hi, step=step, scale=scale, default=default, name=name, repeat=repeat, group=group)


def rep(site, n):
    """The id of this execution of a repeat=N site: ``site[i]``, i counting executions mod N."""
    i = _counters.get(site, 0)
    _counters[site] = i + 1
    ids = _rep_ids.get(site)
    if ids is None or len(ids) != n:
        ids = _rep_ids[site] = tuple(f"{site}[{j}]" for j in range(n))
    return ids[i % n]


# ---- objective and metrics ----------------------------------------------------------------


def objective(value):
    """Record ``value`` as the trial's final objective; returns it unchanged."""
    ctx = _context
    if ctx is not None:
        ctx.objective = value
    return value


class ConstraintError(RuntimeError):
    """A ``# glovec: constraint`` expression raised (GV705): a bug in the program, not an
    infeasible trial; ``glovec run`` stops with the diagnostic."""

    def __init__(self, line, exc: BaseException) -> None:
        super().__init__(f"GV705 the constraint on line {line} raised {type(exc).__name__}: {exc}")
        self.line = line


def constraint(check, line=None):
    """A ``# glovec: constraint`` marker: ``check()`` is the boolean expression on the line.
    When it is false the running trial is recorded infeasible (its objective kept); returns the
    expression's value unchanged. Raises ``ConstraintError`` when the expression raises."""
    try:
        value = check()
        ok = bool(value)
    except Exception as exc:  # noqa: BLE001 - any error of the expression is the user's bug
        raise ConstraintError(line, exc) from exc
    ctx = _context
    if ctx is not None and not ok:
        ctx.metrics["feasible"] = False
    return value


def metric(name, value):
    """Record a named metric of the trial; returns ``value`` unchanged."""
    ctx = _context
    if ctx is not None:
        ctx.metrics[name] = value
    return value


def intermediate(value) -> float:
    """``value`` as an intermediate value: a float. An integer beyond a float's range becomes an
    infinity of its sign; NaN and infinities stay (early stopping prunes a NaN; a study keeps only
    finite values). Anything that is not a number raises TypeError in the program that
    reported it."""
    if value.__class__ is float:
        return value
    try:
        return float(value)
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")
    except (TypeError, ValueError):
        raise TypeError(f"glovec.runtime.report() needs a number, not {value!r}") from None


def report(value, step=None):
    """Record an intermediate value; raises TrialPruned when early stopping says so.

    Outside a trial it does nothing and returns ``value``.
    """
    ctx = _context
    if ctx is None:
        return value
    if step is None:
        step = len(ctx.reports)
    ctx.reports.append((step, intermediate(value)))
    if ctx.should_stop is not None and ctx.should_stop(step, value):
        raise TrialPruned(f"pruned at step {step} (value {value!r})")
    return value
