"""Search spaces written by hand in Python, without the compiler.

::

    import glovec.runtime as gv

    space = gv.Space(
        lr=gv.floatv(1e-4, 1e-1, scale="log", default=1e-3),
        model=gv.oneof([
            {"kind": "mlp", "units": gv.oneof([64, 128, 256])},    # a conditional sub-space
            {"kind": "cnn", "filters": gv.intv(16, 64, step=16)},
        ]),
        ops=gv.manyof(2, ["conv", "pool", "skip"]),
        seed_shift=gv.custom(lambda rng: rng.randint(0, 10**6), default=0),
    )
    for trial, feedback in gv.sample(space, "random", num_trials=20, seed=0):
        model = trial["model"]       # {"kind": "mlp", "units": 128}: nested values decided
        feedback(train(space["lr"], model))   # space["lr"] reads the running trial

The primitives are the same words as the compiler's spec language (``oneof``, ``manyof``,
``permutate``, ``floatv``, ``intv``; options ``default=``, ``name=``, ``repeat=``), plus
``custom`` for a decision point with its own sampler. They are the functions generated code calls
at sites (``glovec.runtime.hyper``): called with a site id string they are a site, called with
candidates or a range they return a ``Hyper`` (an undecided value) for a ``Space``.

Ids: a top-level entry's id is its key (or ``name=``); a hyper value nested in candidate ``k`` of
``parent`` has the id ``parent=k.key`` (dict keys, list indices joined by dots); ``repeat=N`` gives
``id[0]`` .. ``id[N-1]`` and its value is the list of the N decided values.

Values: outside a trial (``space["lr"]``) every entry is its default; inside ``sample()`` (or any
trial that ``glovec.runtime.activate``\\ d the decisions) it is the decided value.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping, Sequence

from . import hyper
from .geno import DNA, DecisionPoint, DNASpec, InvalidSpec
from .values import Given, Hyper, callable_text

__all__ = ["Hyper", "Space", "custom"]


def custom(sampler: Callable, default: Any = None, *, domain: Sequence | None = None,
           mutate: Callable | None = None, name: str | None = None, repeat: int = 1,
           group: str | None = None) -> Hyper:
    """A decision point with its own sampler.

    ``sampler(rng) -> value`` draws a value (``rng`` is a ``random.Random``, so runs are
    reproducible from the search's seed); the decision *is* that value, so keep it JSON-able and
    hashable: numbers, strings, None, and lists or tuples of those (lists are kept as tuples, so
    a value read back from a study's JSON equals the one sampled). ``domain``: the finite list of
    legal values, when there is one (validation checks membership and the space size counts it);
    without it the domain is infinite and ``default`` is required. ``mutate(value, rng)``: a
    neighbour of ``value`` for evolution/hill climbing (default: a fresh sample).

    Algorithms that know nothing of the point's structure (grid, TPE) treat it through
    ``sample``/``mutate`` only.
    """
    if not callable(sampler):
        raise TypeError("custom() needs a sampler: a function of a random.Random")
    return Hyper("custom", sampler=sampler, mutator=mutate, domain=domain, default=default,
                 name=name, repeat=repeat, group=group)


def _text(obj: Any) -> str:
    """Stable text for a candidate (part of the space's fingerprint, so no memory addresses)."""
    if getattr(obj, "__qualname__", None) is not None and callable(obj):
        return callable_text(obj)
    if isinstance(obj, Space):
        return f"Space({', '.join(f'{k}={_text(v)}' for k, v in obj._entries.items())})"
    if isinstance(obj, dict):
        return "{" + ", ".join(f"{k!r}: {_text(v)}" for k, v in obj.items()) + "}"
    if isinstance(obj, (list, tuple)):
        inner = ", ".join(_text(v) for v in obj)
        return f"[{inner}]" if isinstance(obj, list) else f"({inner}{',' if len(obj) == 1 else ''})"
    return repr(obj)


def _nested(obj: Any, prefix: str) -> list[tuple[str, Hyper]]:
    """The hyper values inside a candidate, with their ids under ``prefix``, in order."""
    out: list = []

    def walk(o, path):
        if isinstance(o, Hyper):
            out.append((o.name or path, o))
        elif isinstance(o, Space):
            for key, v in o._entries.items():
                walk(v, f"{path}.{key}")
        elif isinstance(o, dict):
            for key, v in o.items():
                walk(v, f"{path}.{key}")
        elif isinstance(o, (list, tuple)):
            for i, v in enumerate(o):
                walk(v, f"{path}.{i}")

    walk(obj, prefix)
    return out


def _index_of(h: Hyper, value: Any, id: str) -> int:
    for i, c in enumerate(h.candidates):
        if c is value or c == value:
            return i
    raise InvalidSpec(f"site {id!r}: default {value!r} is not one of the candidates", id)


def _points(id: str, h: Hyper) -> list[DecisionPoint]:
    kind = h.kind
    children = None
    default = h.default
    if kind == "oneof":
        kids = [_child_points(f"{id}={i}", c) for i, c in enumerate(h.candidates)]
        if any(kids):
            if h.repeat > 1:
                raise InvalidSpec(f"site {id!r}: a repeat={h.repeat} site cannot hold nested hyper values", id)
            children = kids
        if isinstance(default, Given):  # given explicitly: None may be a candidate
            default = _index_of(h, default.value, id)
        elif default is not None:
            default = _index_of(h, default, id)
    elif kind in ("manyof", "permutate"):
        for i, c in enumerate(h.candidates):
            if _nested(c, ""):
                raise InvalidSpec(f"site {id!r}: only oneof candidates may hold nested hyper values", id)
        if isinstance(default, Given):
            default = default.value
        if default is not None:
            default = tuple(_index_of(h, v, id) for v in default)
    options = dict(
        candidates=[_text(c) for c in h.candidates], values=h.candidates if h.candidates else None,
        children=children, k=h.k, distinct=h.distinct, sorted=h.sorted, lo=h.lo, hi=h.hi,
        step=h.step, scale=h.scale, default=default, site_id=id, sampler=h.sampler,
        mutator=h.mutator, domain=h.domain, group=h.group,
    )
    if h.repeat == 1:
        return [DecisionPoint(id, kind, **options)]
    return [DecisionPoint(f"{id}[{i}]", kind, **options) for i in range(h.repeat)]


def _child_points(prefix: str, candidate: Any) -> list[DecisionPoint]:
    out: list = []
    for cid, h in _nested(candidate, prefix):
        out.extend(_points(cid, h))
    return out


class Space:
    """A search space written in Python: named entries, each a hyper value or a constant.

    ``Space(lr=floatv(...), units=oneof([...]))`` or ``Space({"lr": ..., ...})``. A candidate may
    itself be a dict, list or ``Space`` holding hyper values: a conditional sub-space.
    ``space["key"]`` (or ``space.value("key")``) is the entry's value in the running trial, its
    default outside one; any point id (``"model=0.units"``, ``"block[1]"``) works too.
    """

    def __init__(self, entries: Mapping[str, Any] | None = None, /, **more: Any) -> None:
        self._entries: dict[str, Any] = dict(entries or {})
        self._entries.update(more)
        self._spec: DNASpec | None = None

    # -- structure --

    def to_spec(self) -> DNASpec:
        """The ``DNASpec`` of this space (built once; the points remember their candidates)."""
        if self._spec is None:
            roots: list = []
            for key, v in self._entries.items():
                if isinstance(v, Hyper):
                    roots.extend(_points(v.name or key, v))
                else:
                    roots.extend(_child_points(key, v))
            spec = DNASpec(roots)
            spec.owner = self
            self._spec = spec
        return self._spec

    def to_space_doc(self) -> dict:
        """The space document (schema 1) of this space, candidates as text: what studies store."""
        return self.to_spec().to_space_doc()

    @property
    def size(self) -> int | None:
        return self.to_spec().size

    def keys(self):
        return self._entries.keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    # -- values --

    def value(self, key: str, decisions: Mapping | DNA | None = None) -> Any:
        """The value of entry (or point) ``key`` under ``decisions`` (default: the running trial)."""
        d = _decisions_of(decisions)
        if key in self._entries:
            v = self._entries[key]
            if isinstance(v, Hyper):
                return _decide(self.to_spec(), v.name or key, v, d)
            return _materialize(self.to_spec(), v, key, d)
        spec = self.to_spec()
        if key in spec:
            p = spec.point(key)
            return _decide_point(spec, p, d)
        raise KeyError(f"no entry or site {key!r} in this space")

    __getitem__ = value

    def materialize(self, decisions: Mapping | DNA | None = None) -> dict:
        """Every entry's value under ``decisions`` (default: the running trial, else defaults)."""
        d = _decisions_of(decisions)
        return {key: self.value(key, d) for key in self._entries}

    def defaults(self) -> dict:
        return self.materialize({})

    def __repr__(self) -> str:
        return _text(self)


def _decisions_of(decisions) -> Mapping:
    if decisions is None:
        trial = hyper.current()
        return trial.decisions if trial is not None else {}
    if isinstance(decisions, DNA):
        return decisions.decisions
    return decisions


def _decide(spec: DNASpec, id: str, h: Hyper, d: Mapping) -> Any:
    if h.repeat > 1:
        return [_decide_point(spec, spec.point(f"{id}[{i}]"), d) for i in range(h.repeat)]
    return _decide_point(spec, spec.point(id), d)


def _decide_point(spec: DNASpec, p: DecisionPoint, d: Mapping) -> Any:
    v = d.get(p.id, p.default)
    kind = p.kind
    if kind == "oneof":
        return _materialize(spec, p.values[v], f"{p.id}={v}", d) if p.children else p.values[v]
    if kind in ("manyof", "permutate"):
        return [p.values[i] for i in v]
    return v


def _materialize(spec: DNASpec, obj: Any, path: str, d: Mapping) -> Any:
    """``obj`` with every hyper value inside it replaced by its decided value."""
    if isinstance(obj, Hyper):
        return _decide(spec, obj.name or path, obj, d)
    if isinstance(obj, Space):
        return {k: _materialize(spec, v, f"{path}.{k}", d) for k, v in obj._entries.items()}
    if isinstance(obj, dict):
        return {k: _materialize(spec, v, f"{path}.{k}", d) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        items = [_materialize(spec, v, f"{path}.{i}", d) for i, v in enumerate(obj)]
        return items if isinstance(obj, list) else type(obj)(items) if type(obj) is tuple else items
    return obj
