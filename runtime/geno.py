"""DNASpec and DNA: the search space as algorithms see it.

A ``DNASpec`` is a tree of ``DecisionPoint``s, one per site (``repeat=N`` sites expand into N
points ``id[0]`` .. ``id[N-1]``). A ``oneof`` point may hold a conditional sub-space per
candidate: those points are *active* only when their parent chose that candidate.

A ``DNA`` is one decision per active point, kept as a plain dict keyed by point id:

======================  ===========================================================
kind                    decision
======================  ===========================================================
``oneof``               candidate index (``int``)
``manyof``              tuple of ``k`` candidate indices
``permutate``           tuple of all ``n`` candidate indices, in the decided order
``floatv``              the float
``intv``                the int (on the grid ``lo + i * step``)
``custom``              the value the custom point's sampler returned (lists as tuples)
======================  ===========================================================

That dict is exactly what the site functions read (``glovec.runtime.hyper.activate``), so
running a trial costs no conversion. Algorithms draw values with ``point.sample(rng)`` and
``point.mutate(value, rng)`` (``rng`` is a ``random.Random``), or a whole DNA with
``spec.random_dna(rng)``; ``DNA(spec, decisions, validate=False)`` skips validation for
decisions an algorithm built from those helpers.

Nothing here imports more than the standard library.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import operator
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

__all__ = ["DNA", "DNASpec", "DecisionPoint", "InvalidDNA", "InvalidSpec", "KINDS"]

KINDS = ("oneof", "manyof", "permutate", "floatv", "intv", "custom")
SCALES = ("linear", "log")
DNA_SCHEMA = 1
SPACE_SCHEMA = 1


class InvalidDNA(ValueError):
    """Decisions that are not a legal point of the spec. ``site_id`` names the offending point."""

    def __init__(self, message: str, site_id: str | None = None) -> None:
        super().__init__(message)
        self.site_id = site_id


class InvalidSpec(ValueError):
    """A decision point whose definition is inconsistent (e.g. a default outside its range)."""

    def __init__(self, message: str, site_id: str | None = None) -> None:
        super().__init__(message)
        self.site_id = site_id


def _freeze(value: Any) -> Any:
    """Lists (from JSON, or from a custom sampler) as tuples, so custom decisions stay hashable."""
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


class _Freezing:
    """A custom point's sampler whose lists come back as tuples."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable) -> None:
        self.fn = fn

    def __call__(self, rng) -> Any:
        return _freeze(self.fn(rng))


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        operator.index(value)
    except TypeError:
        return False
    return True


# ---- decision points ---------------------------------------------------------------------


class DecisionPoint:
    """One decision of the space.

    Fields (all kinds): ``id``, ``kind``, ``site_id`` (the id before ``repeat`` expansion),
    ``default`` (a decision, see the module docstring), ``parent`` / ``parent_choice`` (the
    oneof point id and candidate index this point depends on, or None), ``index`` (position in
    ``spec.points``), ``line`` / ``col`` (in the original file, when known).
    Choices: ``candidates`` (source text), ``n``, ``children`` (oneof only: one tuple of points
    per candidate), ``k``, ``distinct``, ``sorted`` (manyof). Ranges: ``lo``, ``hi``, ``step``
    (intv), ``scale`` ("linear" | "log"). Custom: ``sampler``, ``mutator``, ``domain``.
    ``values`` optionally holds the candidates' Python objects (hand-written spaces).
    """

    __slots__ = (
        "id", "kind", "site_id", "candidates", "n", "children", "k", "distinct", "sorted",
        "lo", "hi", "step", "scale", "default", "parent", "parent_choice", "index", "line",
        "col", "values", "sampler", "mutator", "domain", "sample", "_size", "_count",
        "_log_lo", "_log_span",
    )

    def __init__(
        self,
        id: str,
        kind: str,
        *,
        candidates: Sequence[str] = (),
        children: Sequence[Sequence["DecisionPoint"]] | None = None,
        k: int | None = None,
        distinct: bool = True,
        sorted: bool = False,
        lo: float | int | None = None,
        hi: float | int | None = None,
        step: int | None = None,
        scale: str = "linear",
        default: Any = None,
        site_id: str | None = None,
        line: int | None = None,
        col: int | None = None,
        values: Sequence[Any] | None = None,
        sampler: Callable | None = None,
        mutator: Callable | None = None,
        domain: Sequence[Any] | None = None,
    ) -> None:
        if kind not in KINDS:
            raise InvalidSpec(f"site {id!r}: unknown kind {kind!r} (expected one of {', '.join(KINDS)})", id)
        self.id = id
        self.kind = kind
        self.site_id = site_id if site_id is not None else id
        self.candidates = tuple(str(c) for c in candidates)
        self.n = len(self.candidates)
        self.values = tuple(values) if values is not None else None
        self.k = k
        self.distinct = bool(distinct)
        self.sorted = bool(sorted)
        self.lo = lo
        self.hi = hi
        self.step = step
        self.scale = scale
        self.parent = None
        self.parent_choice = None
        self.index = -1
        self.line = line
        self.col = col
        # Wrapped so that every path to a custom value (``sample``, or ``sampler`` called directly)
        # gives the same hashable form.
        self.sampler = _Freezing(sampler) if sampler is not None and not isinstance(sampler, _Freezing) else sampler
        self.mutator = mutator
        self.domain = tuple(_freeze(v) for v in domain) if domain is not None else None
        self._size: Any = ...
        self._count = 0
        if kind == "oneof":
            kids = tuple(tuple(c) for c in children) if children else ()
            if kids and len(kids) != self.n:
                raise InvalidSpec(f"site {id!r}: {len(kids)} children lists for {self.n} candidates", id)
            self.children = kids if any(kids) else ()
        else:
            if children and any(children):
                raise InvalidSpec(f"site {id!r}: only oneof candidates may hold nested sites", id)
            self.children = ()
        getattr(self, "_init_" + kind)()
        if default is None:
            default = self._first()
        try:
            self.default = self.check(default)
        except InvalidDNA as exc:
            problem = str(exc).removeprefix(f"site {id!r}: ")
            raise InvalidSpec(f"site {id!r}: the default {default!r} is not a legal value: {problem}", id) from None
        self.sample = getattr(self, "_sample_" + kind)

    # -- per-kind set-up: check the definition, precompute what sampling needs --

    def _need_candidates(self) -> None:
        if self.n == 0:
            raise InvalidSpec(f"site {self.id!r}: {self.kind} needs at least one candidate", self.id)
        if self.values is not None and len(self.values) != self.n:
            raise InvalidSpec(f"site {self.id!r}: {len(self.values)} values for {self.n} candidates", self.id)

    def _init_oneof(self) -> None:
        self._need_candidates()

    def _init_manyof(self) -> None:
        self._need_candidates()
        if not _is_int(self.k) or self.k < 1:
            raise InvalidSpec(f"site {self.id!r}: manyof needs k >= 1, got {self.k!r}", self.id)
        if self.distinct and self.k > self.n:
            raise InvalidSpec(
                f"site {self.id!r}: cannot choose {self.k} distinct of {self.n} candidates", self.id
            )

    def _init_permutate(self) -> None:
        self._need_candidates()
        self.k = self.n

    def _init_range(self) -> None:
        if self.scale not in SCALES:
            raise InvalidSpec(f"site {self.id!r}: scale must be 'linear' or 'log', got {self.scale!r}", self.id)
        if self.lo is None or self.hi is None:
            raise InvalidSpec(f"site {self.id!r}: {self.kind} needs lo and hi", self.id)
        if not self.lo <= self.hi:
            raise InvalidSpec(f"site {self.id!r}: lo {self.lo!r} is above hi {self.hi!r}", self.id)
        if self.scale == "log":
            if self.lo <= 0:
                raise InvalidSpec(f"site {self.id!r}: scale='log' needs lo > 0, got {self.lo!r}", self.id)
            self._log_lo = math.log(self.lo)
            self._log_span = math.log(self.hi) - self._log_lo

    def _init_floatv(self) -> None:
        try:
            self.lo, self.hi = float(self.lo), float(self.hi)
        except (TypeError, ValueError):
            raise InvalidSpec(f"site {self.id!r}: floatv bounds must be numbers", self.id) from None
        if math.isnan(self.lo) or math.isnan(self.hi) or math.isinf(self.lo) or math.isinf(self.hi):
            raise InvalidSpec(f"site {self.id!r}: floatv bounds must be finite", self.id)
        self._init_range()

    def _init_intv(self) -> None:
        if self.step is None:
            self.step = 1
        if not (_is_int(self.lo) and _is_int(self.hi) and _is_int(self.step)):
            raise InvalidSpec(f"site {self.id!r}: intv bounds and step must be integers", self.id)
        self.lo, self.hi, self.step = int(self.lo), int(self.hi), int(self.step)
        if self.step < 1:
            raise InvalidSpec(f"site {self.id!r}: intv step must be >= 1, got {self.step}", self.id)
        self._init_range()
        self._count = (self.hi - self.lo) // self.step + 1

    def _init_custom(self) -> None:
        if self.sampler is None:
            raise InvalidSpec(f"site {self.id!r}: a custom point needs a sampler", self.id)
        if self.domain is not None and not self.domain:
            raise InvalidSpec(f"site {self.id!r}: a custom point's domain is empty", self.id)

    def _first(self) -> Any:
        kind = self.kind
        if kind == "oneof":
            return 0
        if kind == "manyof":
            return tuple(range(self.k)) if self.distinct else (0,) * self.k
        if kind == "permutate":
            return tuple(range(self.n))
        if kind in ("floatv", "intv"):
            return self.lo
        if self.domain is not None:
            return self.domain[0]
        raise InvalidSpec(f"site {self.id!r}: a custom point over an infinite domain needs a default", self.id)

    # -- validation --

    def _bad(self, problem: str) -> InvalidDNA:
        return InvalidDNA(f"site {self.id!r}: {problem}", self.id)

    def _index(self, value: Any, n: int, what: str = "index") -> int:
        if not _is_int(value):
            raise self._bad(f"{what} must be an integer, got {value!r}")
        i = operator.index(value)
        if not 0 <= i < n:
            raise self._bad(f"{what} {i} is out of range 0..{n - 1}")
        return i

    def check(self, value: Any) -> Any:
        """Return ``value`` normalised (tuples, ints, floats), or raise InvalidDNA naming this point."""
        kind = self.kind
        if kind == "oneof":
            return self._index(value, self.n, "candidate index")
        if kind in ("manyof", "permutate"):
            if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
                raise self._bad(f"{kind} decision must be a sequence of indices, got {value!r}")
            value = tuple(self._index(v, self.n, "candidate index") for v in value)
            if kind == "permutate":
                if sorted(value) != list(range(self.n)):
                    raise self._bad(f"permutate decision {list(value)} is not an ordering of 0..{self.n - 1}")
                return value
            if len(value) != self.k:
                raise self._bad(f"manyof needs {self.k} indices, got {len(value)}")
            if self.distinct and len(set(value)) != len(value):
                raise self._bad(f"manyof indices {list(value)} must be distinct")
            if self.sorted and any(a > b for a, b in zip(value, value[1:])):
                raise self._bad(f"manyof indices {list(value)} must be sorted")
            return value
        if kind == "floatv":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                try:
                    value = float(value)  # numpy floats and the like
                except (TypeError, ValueError):
                    raise self._bad(f"floatv decision must be a number, got {value!r}") from None
            value = float(value)
            if not self.lo <= value <= self.hi:  # also rejects NaN
                raise self._bad(f"{value!r} is outside [{self.lo!r}, {self.hi!r}]")
            return value
        if kind == "intv":
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if not _is_int(value):
                raise self._bad(f"intv decision must be an integer, got {value!r}")
            value = operator.index(value)
            if not self.lo <= value <= self.hi:
                raise self._bad(f"{value} is outside [{self.lo}, {self.hi}]")
            if (value - self.lo) % self.step:
                raise self._bad(f"{value} is off the grid {self.lo} + i * {self.step}")
            return value
        # custom
        value = _freeze(value)
        try:
            hash(value)
        except TypeError:
            raise self._bad(f"a custom decision must be hashable (numbers, strings, lists), got {value!r}") from None
        if self.domain is not None and value not in self.domain:
            raise self._bad(f"{value!r} is not in the custom point's domain")
        return value

    # -- sampling (rng: random.Random); each returns a legal decision --

    def _sample_oneof(self, rng) -> int:
        return int(rng.random() * self.n)

    def _sample_manyof(self, rng) -> tuple:
        n, k, r = self.n, self.k, rng.random
        if self.distinct:
            if k == 1:
                out = [int(r() * n)]
            else:
                pool = list(range(n))
                out = []
                for j in range(k):  # partial Fisher-Yates
                    i = j + int(r() * (n - j))
                    pool[j], pool[i] = pool[i], pool[j]
                    out.append(pool[j])
        else:
            out = [int(r() * n) for _ in range(k)]
        if self.sorted:
            out.sort()
        return tuple(out)

    def _sample_permutate(self, rng) -> tuple:
        order = list(range(self.n))
        rng.shuffle(order)
        return tuple(order)

    def _sample_floatv(self, rng) -> float:
        if self.scale == "log":
            v = math.exp(self._log_lo + rng.random() * self._log_span)
            return min(max(v, self.lo), self.hi)  # exp/log rounding
        return self.lo + rng.random() * (self.hi - self.lo)

    def _sample_intv(self, rng) -> int:
        if self.scale == "log":
            v = math.exp(self._log_lo + rng.random() * self._log_span)
            i = round((v - self.lo) / self.step)
            return self.lo + min(max(i, 0), self._count - 1) * self.step
        return self.lo + int(rng.random() * self._count) * self.step

    def _sample_custom(self, rng) -> Any:
        return self.sampler(rng)

    def mutate(self, value: Any, rng) -> Any:
        """A legal decision near ``value`` (different from it when the domain allows)."""
        kind = self.kind
        if kind == "oneof":
            if self.n < 2:
                return value
            i = int(rng.random() * (self.n - 1))
            return i + 1 if i >= value else i
        if kind == "manyof":
            out = list(value)
            pos = int(rng.random() * self.k)
            choices = [i for i in range(self.n) if i != out[pos] and not (self.distinct and i in out)]
            if not choices:
                return value
            out[pos] = choices[int(rng.random() * len(choices))]
            if self.sorted:
                out.sort()
            return tuple(out)
        if kind == "permutate":
            if self.n < 2:
                return value
            out = list(value)
            i = int(rng.random() * self.n)
            j = int(rng.random() * (self.n - 1))
            j = j + 1 if j >= i else j
            out[i], out[j] = out[j], out[i]
            return tuple(out)
        if kind == "floatv":
            if self.scale == "log":
                x = math.log(value) + rng.gauss(0.0, 0.1 * self._log_span)
                v = math.exp(x)
            else:
                v = value + rng.gauss(0.0, 0.1 * (self.hi - self.lo))
            return min(max(v, self.lo), self.hi)
        if kind == "intv":
            if self._count < 2:
                return value
            i = (value - self.lo) // self.step
            delta = max(1, round(abs(rng.gauss(0.0, 0.1 * self._count))))
            j = i + (delta if rng.random() < 0.5 else -delta)
            if not 0 <= j < self._count:
                j = i - (j - i)
            j = min(max(j, 0), self._count - 1)
            return self.lo + j * self.step
        if self.mutator is not None:
            return _freeze(self.mutator(value, rng))
        return self._sample_custom(rng)

    # -- size and enumeration --

    @property
    def size(self) -> int | None:
        """Number of distinct decisions of this point *and* its conditional sub-spaces (None: infinite)."""
        if self._size is ...:
            self._size = self._compute_size()
        return self._size

    def _compute_size(self) -> int | None:
        kind, n = self.kind, self.n
        if kind == "oneof":
            if not self.children:
                return n
            total = 0
            for kids in self.children:
                sub = _product_size(kids)
                if sub is None:
                    return None
                total += sub
            return total
        if kind == "manyof":
            k = self.k
            if self.distinct:
                return math.comb(n, k) if self.sorted else math.perm(n, k)
            return math.comb(n + k - 1, k) if self.sorted else n**k
        if kind == "permutate":
            return math.factorial(n)
        if kind == "intv":
            return self._count
        if kind == "floatv":
            return None
        return len(self.domain) if self.domain is not None else None

    def grid(self) -> list:
        """Every legal decision of this point alone (finite kinds; custom needs a domain)."""
        import itertools

        kind = self.kind
        if kind == "oneof":
            return list(range(self.n))
        if kind == "manyof":
            r = range(self.n)
            if self.distinct:
                it = itertools.combinations(r, self.k) if self.sorted else itertools.permutations(r, self.k)
            else:
                it = itertools.combinations_with_replacement(r, self.k) if self.sorted else itertools.product(r, repeat=self.k)
            return list(it)
        if kind == "permutate":
            return list(itertools.permutations(range(self.n)))
        if kind == "intv":
            return [self.lo + i * self.step for i in range(self._count)]
        if kind == "custom" and self.domain is not None:
            return list(self.domain)
        raise ValueError(f"site {self.id!r}: a {kind} point has no finite grid")

    # -- values --

    def literal(self, decision: Any) -> Any:
        """The decision in the user's words: candidate text (or texts), or the number."""
        kind = self.kind
        if kind == "oneof":
            return self.candidates[decision]
        if kind in ("manyof", "permutate"):
            return [self.candidates[i] for i in decision]
        return decision

    def value(self, decision: Any) -> Any:
        """The Python value a decision stands for (candidate objects when known)."""
        kind = self.kind
        if kind == "oneof":
            return self._candidate_value(decision)
        if kind in ("manyof", "permutate"):
            return [self._candidate_value(i) for i in decision]
        return decision

    def _candidate_value(self, i: int) -> Any:
        if self.values is not None:
            return self.values[i]
        import ast

        text = self.candidates[i]
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return text

    def decision_of(self, literal: Any) -> Any:
        """Inverse of ``literal()``: candidate text (or, failing that, literal value) to index."""
        kind = self.kind
        if kind == "oneof":
            if isinstance(literal, str):
                return self._index_of(literal)
            return literal
        if kind in ("manyof", "permutate") and isinstance(literal, (list, tuple)):
            return tuple(self._index_of(x) if isinstance(x, str) else x for x in literal)
        return literal

    def _index_of(self, text: str) -> int:
        try:
            return self.candidates.index(text)
        except ValueError:
            pass
        for i in range(self.n):  # "relu" for the candidate written '"relu"'
            if self._candidate_value(i) == text:
                return i
        raise InvalidDNA(f"site {self.id!r}: {text!r} is not one of its candidates {list(self.candidates)}", self.id)

    # -- structure --

    def to_site(self) -> dict:
        """This point as a site dict of the space JSON (``repeat`` is always 1 here)."""
        site: dict = {"id": self.id, "kind": self.kind}
        if self.line is not None:
            site["line"], site["col"] = self.line, self.col
        if self.kind in ("oneof", "manyof", "permutate"):
            site["candidates"] = list(self.candidates)
        if self.kind == "manyof":
            site.update(k=self.k, distinct=self.distinct, sorted=self.sorted)
        if self.kind in ("floatv", "intv"):
            site.update(lo=self.lo, hi=self.hi, scale=self.scale)
            if self.kind == "intv":
                site["step"] = self.step
        if self.kind == "custom" and self.domain is not None:
            site["domain"] = list(self.domain)
        site["default"] = list(self.default) if isinstance(self.default, tuple) else self.default
        site["repeat"] = 1
        if self.children:
            site["children"] = {str(i): [c.to_site() for c in kids] for i, kids in enumerate(self.children) if kids}
        return site

    def _structure(self) -> list:
        kids = [[c._structure() for c in ks] for ks in self.children]
        return [self.id, self.kind, list(self.candidates), self.k, self.distinct, self.sorted,
                self.lo, self.hi, self.step, self.scale, kids]

    def __repr__(self) -> str:
        if self.kind in ("floatv", "intv"):
            detail = f"[{self.lo}, {self.hi}]" + (f" step {self.step}" if self.kind == "intv" else "") + (
                " log" if self.scale == "log" else "")
        elif self.kind == "custom":
            detail = f"domain={self.domain!r}" if self.domain is not None else "infinite"
        else:
            detail = f"{list(self.candidates)}" + (f" k={self.k}" if self.kind == "manyof" else "")
        return f"DecisionPoint({self.id!r}, {self.kind} {detail})"


def _product_size(points: Iterable[DecisionPoint]) -> int | None:
    total = 1
    for p in points:
        s = p.size
        if s is None:
            return None
        total *= s
    return total


# ---- the spec --------------------------------------------------------------------------------


class DNASpec:
    """The tree of decision points of a search space.

    Build it from the space JSON the compiler writes (``DNASpec.from_space``), from site dicts,
    or by hand: ``DNASpec([DecisionPoint("lr", "floatv", lo=1e-4, hi=0.1, scale="log"), ...])``.
    ``space`` keeps the dict it came from (objective, metrics, source) when there was one.
    """

    def __init__(self, roots: Iterable[DecisionPoint], space: Mapping | None = None) -> None:
        self.roots: tuple[DecisionPoint, ...] = tuple(roots)
        self.space = space
        points: list[DecisionPoint] = []
        by_id: dict[str, DecisionPoint] = {}

        def walk(level, parent, choice):
            for p in level:
                if p.id in by_id:
                    raise InvalidSpec(f"site id {p.id!r} appears twice in the space", p.id)
                if p.index != -1:
                    raise InvalidSpec(f"decision point {p.id!r} already belongs to another spec", p.id)
                p.parent = parent
                p.parent_choice = choice
                p.index = len(points)
                points.append(p)
                by_id[p.id] = p
                for i, kids in enumerate(p.children):
                    walk(kids, p.id, i)

        walk(self.roots, None, None)
        self.points: tuple[DecisionPoint, ...] = tuple(points)
        self._by_id = by_id
        # Without conditional points every DNA decides every point, in this order.
        self.conditional = len(points) != len(self.roots)
        self._fingerprint: str | None = None
        # The glovec.runtime.Space that built this spec, if any (it turns decisions into values).
        self.owner = None

    # -- construction from the space JSON --

    @classmethod
    def from_space(cls, space: Mapping | str | Sequence) -> "DNASpec":
        """The spec of a space dict (schema ``glovec_space: 1``), its JSON text, or a list of sites."""
        if isinstance(space, (str, bytes)):
            space = json.loads(space)
        if isinstance(space, Mapping):
            version = space.get("glovec_space", SPACE_SCHEMA)
            if version != SPACE_SCHEMA:
                raise InvalidSpec(f"unsupported space schema {version!r} (this runtime reads {SPACE_SCHEMA})")
            sites = space.get("sites", ())
        else:
            sites, space = space, None
        roots: list[DecisionPoint] = []
        for site in sites:
            roots.extend(_points_of_site(site))
        return cls(roots, space)

    def to_space(self) -> dict:
        """A space dict (schema 1) holding these points; objective etc. kept from ``space``."""
        out = {k: v for k, v in (self.space or {}).items() if k != "sites"}
        out["glovec_space"] = SPACE_SCHEMA
        out["sites"] = [p.to_site() for p in self.roots]
        return out

    # -- lookup --

    def point(self, id: str) -> DecisionPoint:
        try:
            return self._by_id[id]
        except KeyError:
            raise KeyError(f"no site {id!r} in this space") from None

    def __contains__(self, id: object) -> bool:
        return id in self._by_id

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self) -> Iterator[DecisionPoint]:
        return iter(self.points)

    def active_points(self, decisions: Mapping[str, Any]) -> list[DecisionPoint]:
        """The points a decisions dict activates, depth-first (stops below an undecided oneof)."""
        if not self.conditional:
            return list(self.points)
        out: list[DecisionPoint] = []

        def walk(level):
            for p in level:
                out.append(p)
                if p.children:
                    v = decisions.get(p.id)
                    if _is_int(v) and 0 <= v < p.n:
                        walk(p.children[v])

        walk(self.roots)
        return out

    # -- properties of the space --

    @property
    def size(self) -> int | None:
        """The exact number of distinct DNA, or None when any reachable point is infinite."""
        return _product_size(self.roots)

    @property
    def fingerprint(self) -> str:
        """A stable hash of the structure (ids, kinds, candidates, ranges); defaults excluded."""
        if self._fingerprint is None:
            text = json.dumps([p._structure() for p in self.roots], separators=(",", ":"))
            self._fingerprint = hashlib.sha256(text.encode()).hexdigest()[:16]
        return self._fingerprint

    # -- DNA makers --

    def default_dna(self) -> "DNA":
        d: dict = {}

        def walk(level):
            for p in level:
                d[p.id] = p.default
                if p.children:
                    walk(p.children[p.default])

        walk(self.roots)
        return DNA(self, d, validate=False)

    def random_dna(self, rng) -> "DNA":
        """A uniformly random decision per active point (``rng``: a ``random.Random``)."""
        return DNA(self, self.random_decisions(rng), validate=False)

    def random_decisions(self, rng) -> dict:
        if not self.conditional:
            return {p.id: p.sample(rng) for p in self.points}
        d: dict = {}

        def walk(level):
            for p in level:
                v = d[p.id] = p.sample(rng)
                if p.children:
                    walk(p.children[v])

        walk(self.roots)
        return d

    def iter_dna(self) -> Iterator["DNA"]:
        """Every DNA of a finite space, in spec order (the first point varies slowest)."""

        def expand(level: tuple, i: int, acc: dict):
            if i == len(level):
                yield acc
                return
            p = level[i]
            for v in p.grid():
                acc2 = dict(acc)
                acc2[p.id] = v
                if p.children and p.children[v]:
                    for sub in expand(p.children[v], 0, acc2):
                        yield from expand(level, i + 1, sub)
                else:
                    yield from expand(level, i + 1, acc2)

        for d in expand(self.roots, 0, {}):
            yield DNA(self, self._ordered(d), validate=False)

    def _ordered(self, d: Mapping) -> dict:
        return {p.id: d[p.id] for p in self.active_points(d)}

    # -- validation --

    def validate(self, decisions: Mapping[str, Any]) -> dict:
        """Check ``decisions`` against the spec; return them normalised, in depth-first order."""
        if not isinstance(decisions, Mapping):
            raise InvalidDNA(f"decisions must be a mapping of site id to decision, got {type(decisions).__name__}")
        out: dict = {}

        def walk(level):
            for p in level:
                try:
                    raw = decisions[p.id]
                except KeyError:
                    where = f" (active because {p.parent!r} chose candidate {p.parent_choice})" if p.parent else ""
                    raise InvalidDNA(f"site {p.id!r}: no decision for this active site{where}", p.id) from None
                v = out[p.id] = p.check(raw)
                if p.children:
                    walk(p.children[v])

        walk(self.roots)
        if len(out) != len(decisions):
            for key in decisions:
                if key in out:
                    continue
                p = self._by_id.get(key)
                if p is None:
                    raise InvalidDNA(f"site {key!r}: unknown site id (not in this space)", key)
                chosen = out.get(p.parent)
                raise InvalidDNA(
                    f"site {key!r}: decided but inactive: it belongs to candidate {p.parent_choice} of "
                    f"{p.parent!r}, which chose {chosen!r}",
                    key,
                )
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DNASpec) and other.fingerprint == self.fingerprint

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __repr__(self) -> str:
        return f"DNASpec({len(self.points)} points, size={self.size}, fingerprint={self.fingerprint})"


def _no_sampler(rng):
    raise InvalidSpec("this custom point was read from JSON: its sampler is only in the Python space that defined it")


def _points_of_site(site: Mapping) -> list[DecisionPoint]:
    sid = site.get("id")
    if not isinstance(sid, str) or not sid:
        raise InvalidSpec(f"a site has no id: {dict(site)!r}")
    repeat = site.get("repeat", 1) or 1
    kind = site.get("kind")
    kids_map = site.get("children") or {}
    n = len(site.get("candidates", ()))
    children = None
    if kids_map:
        if repeat != 1:
            raise InvalidSpec(f"site {sid!r}: a repeat={repeat} site cannot hold nested sites", sid)
        children = [[] for _ in range(n)]
        for key, subsites in kids_map.items():
            i = int(key)
            if not 0 <= i < n:
                raise InvalidSpec(f"site {sid!r}: children for candidate {i}, which does not exist", sid)
            for sub in subsites:
                children[i].extend(_points_of_site(sub))
    default = site.get("default")
    if isinstance(default, list):
        default = tuple(default)
    common = dict(
        candidates=site.get("candidates", ()),
        children=children,
        k=site.get("k"),
        distinct=site.get("distinct", True),
        sorted=site.get("sorted", False),
        lo=site.get("lo"),
        hi=site.get("hi"),
        step=site.get("step"),
        scale=site.get("scale", "linear"),
        default=default,
        site_id=sid,
        line=site.get("line"),
        col=site.get("col"),
        domain=site.get("domain"),
    )
    if kind == "custom":  # stored by a study: checkable (domain) but its sampler lives in Python
        common["sampler"] = _no_sampler
    if repeat == 1:
        return [DecisionPoint(sid, kind, **common)]
    return [DecisionPoint(f"{sid}[{i}]", kind, **common) for i in range(repeat)]


# ---- DNA -------------------------------------------------------------------------------------


@functools.total_ordering
class DNA:
    """One decision per active point of a spec; immutable, hashable, ordered by flat numbers.

    ``DNA(spec, decisions)`` validates and normalises (lists become tuples, numpy numbers plain
    ones) and raises ``InvalidDNA`` naming the offending site id. ``validate=False`` takes the
    dict as is, without a copy: for algorithms that built it from ``point.sample``/``mutate``.
    """

    __slots__ = ("spec", "_d", "_hash", "_numbers")

    def __init__(self, spec: DNASpec, decisions: Mapping[str, Any], *, validate: bool = True) -> None:
        self.spec = spec
        self._d = spec.validate(decisions) if validate else decisions
        self._hash: int | None = None
        self._numbers: tuple | None = None

    @property
    def decisions(self) -> dict:
        """{point id: decision} over the active points. Shared, not copied: do not mutate it."""
        return self._d

    def __getitem__(self, id: str) -> Any:
        return self._d[id]

    def get(self, id: str, default: Any = None) -> Any:
        return self._d.get(id, default)

    def __contains__(self, id: object) -> bool:
        return id in self._d

    def __len__(self) -> int:
        return len(self._d)

    def value(self, id: str) -> Any:
        """The Python value decided for point ``id`` (candidate object, list of them, or number)."""
        return self.spec.point(id).value(self._d[id])

    # -- flat numbers --

    def to_numbers(self) -> list:
        """Decisions flattened depth-first over active points (manyof/permutate: one per index)."""
        if self._numbers is None:
            out: list = []
            d = self._d
            points = self.spec.points if not self.spec.conditional else self.spec.active_points(d)
            for p in points:
                v = d[p.id]
                if p.kind in ("manyof", "permutate"):
                    out.extend(v)
                else:
                    out.append(v)
            self._numbers = tuple(out)
        return list(self._numbers)

    @classmethod
    def from_numbers(cls, spec: DNASpec, numbers: Sequence[Any]) -> "DNA":
        numbers = list(numbers)
        pos = 0
        d: dict = {}

        def take(p, count):
            nonlocal pos
            if pos + count > len(numbers):
                raise InvalidDNA(f"site {p.id!r}: the numbers end before this site ({len(numbers)} given)", p.id)
            chunk = numbers[pos:pos + count]
            pos += count
            return chunk

        def walk(level):
            for p in level:
                if p.kind in ("manyof", "permutate"):
                    v = d[p.id] = tuple(take(p, p.k))
                else:
                    v = d[p.id] = take(p, 1)[0]
                    if p.children:
                        v = p.check(v)
                        walk(p.children[v])

        walk(spec.roots)
        if pos != len(numbers):
            raise InvalidDNA(f"{len(numbers) - pos} numbers left over after the last active site")
        return cls(spec, d)

    # -- dict and JSON --

    def to_dict(self, literal: bool = False) -> dict:
        """{site id: decision}; ``literal=True`` gives candidate text instead of indices."""
        if not literal:
            return dict(self._d)
        by_id = self.spec._by_id
        return {k: by_id[k].literal(v) for k, v in self._d.items()}

    @classmethod
    def from_dict(cls, spec: DNASpec, d: Mapping[str, Any]) -> "DNA":
        """Accepts indices or literal candidate text (``"relu"`` or ``'"relu"'`` alike)."""
        by_id = spec._by_id
        conv = {}
        for k, v in d.items():
            p = by_id.get(k)
            conv[k] = p.decision_of(v) if p is not None else v
        return cls(spec, conv)

    def to_json(self) -> str:
        return json.dumps(
            {"glovec_dna": DNA_SCHEMA, "fingerprint": self.spec.fingerprint,
             "decisions": {k: list(v) if isinstance(v, tuple) else v for k, v in self._d.items()}},
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, spec: DNASpec, text: str | bytes | Mapping) -> "DNA":
        obj = json.loads(text) if isinstance(text, (str, bytes)) else text
        if not isinstance(obj, Mapping) or "decisions" not in obj:
            raise InvalidDNA('DNA JSON must be an object {"glovec_dna": 1, "decisions": {...}}')
        version = obj.get("glovec_dna")
        if version != DNA_SCHEMA:
            raise InvalidDNA(f"unsupported DNA schema {version!r} (this runtime reads {DNA_SCHEMA})")
        fp = obj.get("fingerprint")
        if fp is not None and fp != spec.fingerprint:
            raise InvalidDNA(f"this DNA was made for another space (fingerprint {fp}, this space {spec.fingerprint})")
        return cls.from_dict(spec, obj["decisions"])

    # -- tree --

    def to_tree(self) -> list:
        """[{"id", "value", "children": [...]}, ...] over the roots; children of the chosen candidate."""
        d = self._d

        def node(p):
            v = d[p.id]
            kids = p.children[v] if p.children else ()
            return {"id": p.id, "value": list(v) if isinstance(v, tuple) else v, "children": [node(c) for c in kids]}

        return [node(p) for p in self.spec.roots]

    @classmethod
    def from_tree(cls, spec: DNASpec, tree: Sequence[Mapping]) -> "DNA":
        d: dict = {}

        def walk(nodes):
            for n in nodes:
                v = n["value"]
                d[n["id"]] = tuple(v) if isinstance(v, list) else v
                walk(n.get("children", ()))

        walk(tree)
        return cls(spec, d)

    # -- identity --

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DNA):
            return NotImplemented
        return (self.spec is other.spec or self.spec == other.spec) and self._d == other._d

    def __hash__(self) -> int:
        if self._hash is None:
            self.to_numbers()
            try:
                self._hash = hash(self._numbers)
            except TypeError:  # unhashable custom values
                self._hash = hash(json.dumps(self._numbers, sort_keys=True, default=repr))
        return self._hash

    def __lt__(self, other: "DNA") -> bool:
        if not isinstance(other, DNA):
            return NotImplemented
        self.to_numbers()
        other.to_numbers()
        return self._numbers < other._numbers

    def __repr__(self) -> str:
        return f"DNA({self._d!r})"
