"""Search flows: part of a space searched with the rest fixed, given first points, warm starts,
and one search nested in another; all of them on the one loop (``glovec.runtime.loop.Search``).

A site's ``group="NAME"`` (in a spec comment, an annotation, a rules file, or ``gv.oneof(...,
group=...)`` in a hand-written ``Space``) puts it in a group. A nested site belongs to the group
of the top-level site it hangs under (it is decided only together with that site).

The pieces, each usable from Python (``docs/flows.md``):

- ``groups_of(spec)``: group name -> the top-level point ids in it;
- ``restrict(spec, groups)``: the ``DNASpec`` of those groups' sites only (what an algorithm of a
  partial search sees);
- ``Flow(algorithm, searched=..., fixed=..., enqueue=..., warm=...)``: an algorithm over the
  whole space whose wrapped algorithm proposes only the searched sites; every other site takes its
  ``fixed`` decision (default: the site's default). ``enqueue``: points proposed first; ``warm``:
  earlier ``(decisions, reward)`` fed to the wrapped algorithm before it proposes. The loop, the
  study and the evaluator see whole-space DNA, so a study of a partial search is a study of the
  program like any other;
- ``Nest``: the evaluator of an outer search whose every trial is an inner search (the same
  ``Search`` loop) over the remaining sites, with the outer decisions fixed; the outer objective
  is the best inner one. ``sample(..., fixed=...)`` nested in a ``for`` over ``sample(...)`` is
  the same flow written by hand.
"""

from __future__ import annotations

import copy
from typing import Any, Iterable, Mapping, Sequence

from .geno import DNA, DNASpec, InvalidDNA

__all__ = ["FlowError", "groups_of", "restrict", "Flow", "Nest", "fit_point"]


class FlowError(ValueError):
    """A flow that cannot run as asked; ``code`` is its GV7xx diagnostic code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def groups_of(spec: DNASpec) -> dict[str, list[str]]:
    """Group name -> the ids of the top-level points in it, in space order."""
    out: dict[str, list[str]] = {}
    for p in spec.roots:
        if p.group is not None:
            out.setdefault(p.group, []).append(p.id)
    return out


def _clone(point):
    q = copy.copy(point)
    q.index, q.parent, q.parent_choice = -1, None, None
    q.children = tuple(tuple(_clone(c) for c in kids) for kids in point.children)
    return q


def points_of_groups(spec: DNASpec, groups: Iterable[str], where: str = "--only") -> list[str]:
    """The top-level point ids of ``groups`` (FlowError GV701 for a group no site has)."""
    known = groups_of(spec)
    wanted = [g for g in groups]
    for g in wanted:
        if g not in known:
            from difflib import get_close_matches

            close = get_close_matches(g, list(known), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            have = ", ".join(known) or "none: mark sites with group=\"NAME\""
            raise FlowError("GV701", f"{where} names the group {g!r}, which no site has{hint}; "
                                     f"the groups are: {have}")
    return [pid for p in spec.roots if p.group in wanted for pid in [p.id]]


def restrict(spec: DNASpec, groups: Iterable[str] | None = None, *,
             points: Iterable[str] | None = None) -> DNASpec:
    """The space of ``groups``' sites (or of the top-level ``points``), nested sites included."""
    keep = set(points_of_groups(spec, groups) if points is None else points)
    sub = DNASpec([_clone(p) for p in spec.roots if p.id in keep])
    sub.owner = spec.owner
    return sub


def fit_point(spec: DNASpec, point: Mapping, base: Mapping | None = None, what: str = "point",
              literal: bool = True):
    """A whole-space decisions dict from ``point`` (site id -> a value as ``report --json``
    prints it under "decisions"; with ``literal=False``, site id -> decision); sites it leaves out take ``base``'s decision, else
    their default. FlowError GV703 when a value is not one of the site's candidates (or out of
    its range) or names no site."""
    if not isinstance(point, Mapping):
        raise FlowError("GV703", f"{what} is not a JSON object of site id -> value")
    for key in point:
        if key not in spec:
            raise FlowError("GV703", f"{what} names the site {key!r}, which is not in this "
                                     f"program's space")
    merged: dict = {}
    base = base or {}

    def walk(level):
        for p in level:
            if p.id in point:
                try:
                    value = point[p.id]
                    merged[p.id] = p.check(_decision(p, value) if literal else value)
                except (InvalidDNA, TypeError, ValueError) as exc:
                    raise FlowError("GV703", f"{what}: {exc}") from None
            else:
                merged[p.id] = base[p.id] if p.id in base else p.default
            if p.children:
                walk(p.children[merged[p.id]])

    walk(spec.roots)
    return merged


def _decision(p, value):
    """A value as ``report --json`` prints it (candidate text, or the candidate's value: ``64``
    for the candidate ``64``; a number for a range) as the point's decision."""
    if p.kind in ("oneof", "manyof", "permutate"):
        many = p.kind != "oneof"
        values = list(value) if many and isinstance(value, (list, tuple)) else [value]
        if many and not isinstance(value, (list, tuple)):
            raise InvalidDNA(f"site {p.id!r}: {value!r} is not a list of candidates", p.id)
        out = []
        for v in values:
            if isinstance(v, str):
                out.append(p.decision_of(v))
                continue
            match = [i for i in range(p.n) if type(p._candidate_value(i)) is type(v)
                     and p._candidate_value(i) == v]
            if not match:
                raise InvalidDNA(f"site {p.id!r}: {v!r} is not one of its candidates "
                                 f"{list(p.candidates)}", p.id)
            out.append(match[0])
        return tuple(out) if many else out[0]
    return value


class Flow:
    """An algorithm over the whole space that searches only ``searched`` (top-level point ids;
    None: all) with the wrapped ``algorithm``; see the module docstring. ``fixed``: decisions
    (site id -> decision, as ``Trial.decisions`` holds them); ``enqueue``: points as ``report
    --json`` prints decisions (candidate text or value), or with ``literal=False`` decisions;
    ``warm``: (decisions, reward)."""

    def __init__(self, algorithm, searched: Sequence[str] | None = None,
                 fixed: Mapping | None = None, enqueue: Sequence[Mapping] = (),
                 warm: Sequence[tuple[Mapping, Any]] = (), literal: bool = True) -> None:
        self.algorithm = algorithm
        self.literal = literal  # False: the enqueued points hold decisions, not report values
        self.searched = None if searched is None else list(searched)
        self.fixed = dict(fixed or {})
        self.enqueue = list(enqueue)
        self.warm = list(warm)
        self.spec = self.sub = None
        self.base: dict = {}
        self.given = 0  # enqueued points proposed so far
        self.warmed = 0  # warm trials the algorithm took

    @property
    def seed(self):
        return getattr(self.algorithm, "seed", None)

    @property
    def name(self) -> str:
        return getattr(self.algorithm, "name", type(self.algorithm).__name__)

    @property
    def multi_objective(self) -> bool:
        return getattr(self.algorithm, "multi_objective", False)

    def setup(self, spec: DNASpec) -> None:
        self.spec = spec
        self.base = fit_point(spec, {k: v for k, v in self.fixed.items() if k in spec},
                              what="the fixed decisions", literal=False)
        self.sub = spec if self.searched is None else restrict(spec, points=self.searched)
        if not self.sub.points:
            raise FlowError("GV702", "nothing is left to search: the flow fixes every site")
        self.algorithm.setup(self.sub)
        self.enqueue = [fit_point(spec, p, self.base, what=f"enqueued point {i + 1}",
                                  literal=self.literal)
                        for i, p in enumerate(self.enqueue)]
        warm = []
        for decisions, reward in self.warm:
            dna = self._project(decisions)
            if dna is not None:
                warm.append((dna, reward))
        self.warmed = len(warm)
        if warm:
            self._replay(warm)

    def _replay(self, history) -> None:
        recover = getattr(self.algorithm, "recover", None)
        if recover is not None:
            recover(history)
        else:
            for dna, reward in history:
                self.algorithm.propose()
                self.algorithm.feedback(dna, reward)

    def _project(self, decisions: Mapping) -> DNA | None:
        """The searched sites' part of whole-space decisions (None when it does not fit)."""
        sub = self.sub
        if sub is self.spec:
            try:
                return DNA(sub, decisions)
            except (InvalidDNA, TypeError, ValueError):
                return None
        part: dict = {}

        def walk(level) -> bool:
            for p in level:
                if p.id not in decisions:
                    return False
                part[p.id] = decisions[p.id]
                if p.children:
                    v = decisions[p.id]
                    if not (isinstance(v, int) and 0 <= v < p.n and walk(p.children[v])):
                        return False
            return True

        if not walk(sub.roots):
            return None
        try:
            return DNA(sub, part)
        except (InvalidDNA, TypeError, ValueError):
            return None

    def _whole(self, part: Mapping) -> DNA:
        merged: dict = {}
        for p in self.spec.roots:
            source = part if p.id in part else self.base
            merged[p.id] = source[p.id]
            self._copy_children(p, source, merged)
        return DNA(self.spec, merged, validate=False)

    def _copy_children(self, p, source, merged) -> None:
        if p.children:
            for c in p.children[source[p.id]]:
                merged[c.id] = source[c.id]
                self._copy_children(c, source, merged)

    def propose(self) -> DNA:
        if self.given < len(self.enqueue):
            point = self.enqueue[self.given]
            self.given += 1
            return DNA(self.spec, point)
        dna = self.algorithm.propose()
        return dna if self.sub is self.spec else self._whole(dna.decisions)

    def feedback(self, dna, reward) -> None:
        part = self._project(dna.decisions)
        if part is None:
            return
        if self._was_given(dna):
            self._replay([(part, reward)])  # the algorithm did not propose it: replay it
        else:
            self.algorithm.feedback(part, reward)

    def _was_given(self, dna) -> bool:
        return any(dict(dna.decisions) == p for p in self.enqueue[:self.given])

    def recover(self, history) -> None:
        """Replay a study's trials (oldest first): the first ones were the enqueued points."""
        self.given = min(len(self.enqueue), len(history))
        parts = [(part, reward) for part, reward in
                 ((self._project(dna.decisions), reward) for dna, reward in history)
                 if part is not None]
        if parts:
            self._replay(parts)


class Nest:
    """The evaluator of an outer search (``Search.run(Nest(...), N)``): each outer trial runs an
    inner ``Search`` of ``inner_trials`` over the sites the outer one does not search, with the
    outer decisions fixed, through ``evaluator`` (an executor or any evaluator); its result is the
    best inner objective. ``scope(outer_id)`` gives the study view the inner trials go to;
    ``make_algorithm(outer_id)`` a fresh inner algorithm per outer trial."""

    capacity = 1
    passes_on = True  # wait() is a generator: the inner loop's values pass on to the consumer

    def __init__(self, spec: DNASpec, outer_points: Sequence[str], make_algorithm, evaluator,
                 inner_trials: int, directions, *, scope, search, observer=None,
                 early_stopping=None, objective_metric=None) -> None:
        self.spec = spec
        self.search = search  # the loop's Search class (passed in: the loop imports this module)
        self.inner_points = [p.id for p in spec.roots if p.id not in set(outer_points)]
        if not self.inner_points:
            raise FlowError("GV702", "nothing is left for the inner search: the nested group "
                                     "holds every site")
        self.make_algorithm = make_algorithm
        self.evaluator = evaluator
        self.inner_trials = inner_trials
        self.directions = tuple(directions)
        self.scope = scope
        self.observer = observer
        self.early_stopping = early_stopping
        self.objective_metric = objective_metric
        self.job = None

    def submit(self, trial_id, decisions, history=()) -> None:
        self.job = (trial_id, dict(decisions))

    def wait(self, timeout=None):
        return (yield from self._inner())

    def _inner(self):
        tid, decisions = self.job
        algorithm = Flow(self.make_algorithm(tid), searched=self.inner_points, fixed=decisions)
        algorithm.setup(self.spec)
        study = self.scope(tid)
        search = self.search(self.spec, algorithm, self.directions, study=study,
                        early_stopping=self.early_stopping, objective_metric=self.objective_metric,
                        observer=self.observer)
        yield from search.run(self.evaluator, self.inner_trials)
        top = study.best(1)  # feasible inner trials only
        objective = top[0].objective if top else None
        return [_Outcome(tid, objective, self.inner_trials)]


class _Outcome:
    """An outer trial's result: the best inner objective, or failed when no inner trial
    completed."""

    def __init__(self, trial_id: int, objective, inner: int) -> None:
        self.trial_id = trial_id
        self.objective = objective
        self.status = "completed" if objective is not None else "failed"
        self.error = None if objective is not None else \
            f"none of its {inner} inner trials completed feasible"
        self.metrics = None
        self.reports = []


# ---- glovec run's flags ---------------------------------------------------------------------


def _load(path: str):
    from .study import Study, StudyError

    try:
        return Study.load(path)
    except StudyError as exc:
        raise FlowError("GV704", f"cannot read the study {path}: {exc.message}") from None


def _split_source(text: str) -> tuple[str, str | None]:
    """``STUDY[:best|:topK|:TRIAL_ID]`` -> (path, selector or None)."""
    head, sep, tail = text.rpartition(":")
    if sep and head and (tail == "best" or tail.isdigit()
                         or (tail.startswith("top") and tail[3:].isdigit())):
        return head, tail
    return text, None


def _fitted(old, records, new_doc: Mapping, what: str) -> tuple[list, list]:
    """The records' decisions fitted to ``new_doc`` by site id, as ``--migrate`` fits a study's
    trials: (kept [(record, decisions)], dropped records)."""
    from .study.migrate import fit_decisions, flat_points

    old_sites, new_sites = flat_points(old.space_doc), flat_points(new_doc)
    kept, dropped = [], []
    for r in records:
        fitted = fit_decisions(dict(r.decisions), old_sites, new_sites, new_doc)
        (dropped if fitted is None else kept).append(r if fitted is None else (r, fitted))
    return kept, dropped


def _mismatch(old_doc: Mapping, new_doc: Mapping) -> str:
    from .geno.identity import describe_diff

    detail = describe_diff(old_doc, new_doc)
    return f" (sites {detail})" if detail else ""


def trials_of(source: str, new_doc: Mapping, default: str = "best") -> list[dict]:
    """The decisions (fitted to ``new_doc``, literal values by site id) of ``STUDY:best``, ``STUDY:topK`` or
    ``STUDY:TRIAL_ID`` (GV704 when there is no such trial or it does not fit)."""
    from .geno import DNASpec

    new_spec = DNASpec.from_space_doc(new_doc)
    path, selector = _split_source(source)
    selector = selector or default
    old = _load(path)
    try:
        if selector == "best":
            records = old.best(1)
        elif selector.startswith("top"):
            records = old.best(int(selector[3:]))
        else:
            one = old.trial(int(selector))
            records = [one] if one is not None else []
        if not records:
            what = "completed trial" if not selector.isdigit() else f"trial {selector}"
            raise FlowError("GV704", f"the study {path} has no {what}")
        kept, dropped = _fitted(old, records, new_doc, source)
        if dropped:
            raise FlowError("GV704", f"trial {dropped[0].id} of {path} does not fit this "
                                     f"program's space{_mismatch(old.space_doc, new_doc)}")
        return [DNA(new_spec, fitted).to_dict(literal=True) for _, fitted in kept]
    finally:
        old.close()


def enqueued(text: str, new_doc: Mapping) -> list[dict]:
    """``--enqueue``: a JSON object or list of them (or a file holding that), or
    ``STUDY:best`` / ``STUDY:topK``."""
    import json
    import os

    raw = text.strip()
    if not raw.startswith(("{", "[")):
        path, selector = _split_source(raw)
        if selector is not None and os.path.exists(path) and not path.endswith(".json"):
            return trials_of(raw, new_doc)
        try:
            with open(raw, encoding="utf-8") as fh:
                raw = fh.read()
        except OSError as exc:
            raise FlowError("GV704", f"--enqueue {text!r} is neither JSON, a readable file nor "
                                     f"STUDY:best / STUDY:topK ({exc.strerror})") from None
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise FlowError("GV704", f"--enqueue is not JSON: {exc}") from None
    points = data if isinstance(data, list) else [data]
    out = []
    for point in points:
        if isinstance(point, Mapping) and isinstance(point.get("decisions"), Mapping):
            point = point["decisions"]  # a trial of `report --json`
        out.append(point)
    return out


def warm_trials(path: str, new_doc: Mapping) -> tuple[list, str]:
    """``--warm-start STUDY``: its finished trials as ``(decisions, reward)`` fitted to
    ``new_doc`` by site id, and the line that says what was kept (as ``--migrate`` says it)."""
    old = _load(path)
    try:
        records = old.trials(("completed", "failed", "pruned"))
        outer = set(old.outer_ids())
        records = [r for r in records if r.id not in outer]
        kept, dropped = _fitted(old, records, new_doc, path)
        warm = [(fitted, old.reward(r.objective) if r.status == "completed" else None)
                for r, fitted in kept]
        note = (f"warm start from {path}: kept {len(kept)}, dropped {len(dropped)} trial(s) whose "
                f"decisions no longer fit{_mismatch(old.space_doc, new_doc)}")
        return warm, note
    finally:
        old.close()


def _check_level(study, nest: str | None) -> None:
    """GV706 when a resumed study's trials are of another shape of search than this run's: a
    nested study resumed without ``--nest GROUP`` (its plain trials would mix with the tree), or
    with another group, or a plain study resumed with ``--nest``."""
    recorded = study.nested_group
    if recorded is not None and nest != recorded:
        how = "without --nest" if nest is None else f"with --nest {nest}"
        raise FlowError("GV706", f"study {study.path} holds a nested search (outer trials over "
                                 f"the group {recorded!r}); resume it with --nest {recorded}, not "
                                 f"{how}, or use a new --study")
    if recorded is None and nest is not None and sum(study.counts().values()):
        raise FlowError("GV706", f"study {study.path} holds trials of a search that is not "
                                 f"nested; --nest {nest} needs a new --study")


class Plan:
    """What ``glovec run``'s flow flags (``--only``, ``--fix-from``, ``--nest``, ``--enqueue``,
    ``--warm-start``) make of a run: ``algorithm`` (a ``Flow`` over the study's space, or the
    plain algorithm), ``study`` (the study, or its outer level), ``evaluator(executor, ...)``."""

    def __init__(self, settings, study, algorithm, make_algorithm, say) -> None:
        spec, doc = study.spec, study.space_doc
        self.nested = bool(getattr(settings, "nest", None))
        _check_level(study, getattr(settings, "nest", None))
        only = getattr(settings, "only", None)
        if only is not None and self.nested:
            raise FlowError("GV702", "--only and --nest do not go together: --nest searches the "
                                     "nested group outside and every other site inside")
        searched = None
        if only is not None:
            groups = [g.strip() for g in only.split(",") if g.strip()]
            if not groups:
                raise FlowError("GV702", "--only names no group: nothing is left to search")
            searched = points_of_groups(spec, groups, "--only")
        if self.nested:
            searched = points_of_groups(spec, [settings.nest], "--nest")
            if len(searched) == len(spec.roots):
                raise FlowError("GV702", f"nothing is left for the inner search: the group "
                                         f"{settings.nest!r} holds every site")
        fixed = {}
        if getattr(settings, "fix_from", None):
            if searched is None:
                raise FlowError("GV702", "--fix-from fixes the sites that --only leaves out; "
                                         "pass --only GROUP")
            fixed = fit_point(spec, trials_of(settings.fix_from, doc)[0], what="--fix-from")
        points = enqueued(settings.enqueue, doc) if getattr(settings, "enqueue", None) else []
        warm = []
        if getattr(settings, "warm_start", None):
            warm, note = warm_trials(settings.warm_start, doc)
            say(note)
        self.make_algorithm = make_algorithm
        if self.nested:
            study.nested_group = settings.nest  # for the report's tree
        self.study = study.scoped(kind="outer") if self.nested else study
        if searched is None and not fixed and not points and not warm:
            self.algorithm = algorithm
        else:
            self.algorithm = Flow(algorithm, searched=searched, fixed=fixed, enqueue=points,
                                  warm=warm)
        self.algorithm.setup(spec)
        self.searched = searched
        self.spec = spec
        self.inner_trials = getattr(settings, "inner_trials", None) or 10
        self.full = study

    def evaluator(self, executor, directions, *, search, observer=None, early_stopping=None,
                  objective_metric=None):
        """``executor`` itself, or for ``--nest`` the ``Nest`` over it (``search``: the loop's
        ``Search`` class, which runs each inner search)."""
        if not self.nested:
            return executor
        return Nest(self.spec, self.searched, self.make_algorithm, executor, self.inner_trials,
                    directions, scope=lambda tid: self.full.scoped(parent=tid), search=search,
                    observer=observer, early_stopping=early_stopping,
                    objective_metric=objective_metric)
