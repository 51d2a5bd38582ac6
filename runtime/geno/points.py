"""Decision points: one decision of the space each, its legal values, its size and its words.

A ``DecisionPoint`` checks a decision (``check``), says how many decisions it has (``size``,
its conditional sub-spaces included), lists them (``grid``), and turns a decision into the
user's words (``literal``: candidate text) or Python value (``value``) and back
(``decision_of``). Drawing and mutating decisions is the algorithms' job
(``glovec.runtime.algorithms.ops``); a custom point carries the ``sampler`` and ``mutator``
its author gave, which those operators call.
"""

from __future__ import annotations

import math
import operator
from typing import Any, Callable, Iterable, Sequence

__all__ = ["DecisionPoint", "InvalidDNA", "InvalidSpec", "KINDS", "SCALES"]

KINDS = ("oneof", "manyof", "permutate", "floatv", "intv", "custom")
SCALES = ("linear", "log")


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
    """A custom point's sampler (or mutator) whose lists come back as tuples."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable) -> None:
        self.fn = fn

    def __call__(self, *args) -> Any:
        return _freeze(self.fn(*args))


def _frozen(fn: Callable | None) -> Callable | None:
    return _Freezing(fn) if fn is not None and not isinstance(fn, _Freezing) else fn


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
    ``default`` (a decision, see ``glovec.runtime.geno``), ``parent`` / ``parent_choice`` (the
    oneof point id and candidate index this point depends on, or None), ``index`` (position in
    ``spec.points``), ``line`` / ``col`` (in the original file, when known).
    Choices: ``candidates`` (source text), ``n``, ``children`` (oneof only: one tuple of points
    per candidate), ``k``, ``distinct``, ``sorted`` (manyof). Ranges: ``lo``, ``hi``, ``step``
    (intv), ``scale`` ("linear" | "log"). Custom: ``sampler``, ``mutator``, ``domain``.
    ``count``: how many decisions the point itself has (None: infinite); ``size`` adds its
    sub-spaces. ``values`` optionally holds the candidates' Python objects (hand-written spaces).
    """

    __slots__ = (
        "id", "kind", "site_id", "candidates", "n", "children", "k", "distinct", "sorted",
        "lo", "hi", "step", "scale", "default", "parent", "parent_choice", "index", "line",
        "col", "values", "sampler", "mutator", "domain", "count", "_size", "group",
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
        group: str | None = None,
    ) -> None:
        if kind not in KINDS:
            raise InvalidSpec(f"site {id!r}: unknown kind {kind!r} (expected one of {', '.join(KINDS)})", id)
        self.id = id
        self.kind = kind
        self.group = group  # the site's group= (None: none); see DNASpec.restrict
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
        # Wrapped so that a custom value, however an algorithm draws or mutates it, comes back in
        # the one hashable form that validation and the study's JSON give.
        self.sampler = _frozen(sampler)
        self.mutator = _frozen(mutator)
        self.domain = tuple(_freeze(v) for v in domain) if domain is not None else None
        self._size: Any = ...
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
        self.count = self._own_count()
        if default is None:
            default = self._first()
        try:
            self.default = self.check(default)
        except InvalidDNA as exc:
            problem = str(exc).removeprefix(f"site {id!r}: ")
            raise InvalidSpec(f"site {id!r}: the default {default!r} is not a legal value: {problem}", id) from None

    # -- per-kind set-up: check the definition, precompute ranges --

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

    # -- size and enumeration --

    def _own_count(self) -> int | None:
        kind, n = self.kind, self.n
        if kind == "oneof":
            return n
        if kind == "manyof":
            k = self.k
            if self.distinct:
                return math.comb(n, k) if self.sorted else math.perm(n, k)
            return math.comb(n + k - 1, k) if self.sorted else n**k
        if kind == "permutate":
            return math.factorial(n)
        if kind == "intv":
            return (self.hi - self.lo) // self.step + 1
        if kind == "floatv":
            return None
        return len(self.domain) if self.domain is not None else None

    @property
    def size(self) -> int | None:
        """Number of distinct decisions of this point *and* its conditional sub-spaces (None: infinite).

        ``count`` is the number of this point's own decisions (sub-spaces left out)."""
        if self._size is ...:
            self._size = self._compute_size()
        return self._size

    def _compute_size(self) -> int | None:
        if not self.children:
            return self.count
        total = 0
        for kids in self.children:
            sub = product_size(kids)
            if sub is None:
                return None
            total += sub
        return total

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
            return [self.lo + i * self.step for i in range(self.count)]
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
        if self.group is not None:
            site["group"] = self.group
        if self.children:
            site["children"] = {str(i): [c.to_site() for c in kids] for i, kids in enumerate(self.children) if kids}
        return site

    def __repr__(self) -> str:
        if self.kind in ("floatv", "intv"):
            detail = f"[{self.lo}, {self.hi}]" + (f" step {self.step}" if self.kind == "intv" else "") + (
                " log" if self.scale == "log" else "")
        elif self.kind == "custom":
            detail = f"domain={self.domain!r}" if self.domain is not None else "infinite"
        else:
            detail = f"{list(self.candidates)}" + (f" k={self.k}" if self.kind == "manyof" else "")
        return f"DecisionPoint({self.id!r}, {self.kind} {detail})"


def product_size(points: Iterable[DecisionPoint]) -> int | None:
    """The number of decisions of independent points together (None when any is infinite)."""
    total = 1
    for p in points:
        s = p.size
        if s is None:
            return None
        total *= s
    return total

