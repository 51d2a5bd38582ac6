"""``SpecOps``: a compiled view of a ``DNASpec`` that algorithms sample, mutate and cross over.

Algorithms work on plain decision dicts (point id -> value, active points only, depth-first,
exactly the shape of ``DNA.decisions``) and wrap the result in a ``DNA`` once per proposal.
Every operator here draws from the ``random.Random`` it is given, in a fixed order, so a seeded
algorithm replays exactly.

Operators:

- ``SpecOps.sample()``: uniform over the space; a conditional child is drawn only when its parent
  choice makes it active.
- ``SpecOps.mutate(decisions)``: changes one active decision (never to the same value where the
  point has another), keeping manyof distinct/sorted and re-drawing the sub-space under a
  oneof whose choice changed.
- ``SpecOps.crossover(a, b)``: uniform crossover, point by point, taking a conditional sub-space
  from the parent whose choice it follows.
- ``SpecOps.replace``, ``copy_subtree`` and ``blend``: the pieces the evolution operators of
  ``evolve.py`` are made of (one decision set, one sub-space copied, per-site recombination).
"""

from __future__ import annotations

import math

__all__ = ["Node", "SpecOps"]


class Node:
    """One decision point, with what sampling needs precomputed."""

    __slots__ = (
        "point", "id", "kind", "n", "k", "distinct", "sorted", "lo", "hi", "step", "log",
        "children", "has_children", "mutable", "count", "_a", "_b",
    )

    def __init__(self, point) -> None:
        self.point = point
        self.id = point.id
        self.kind = point.kind
        self.n = point.n if point.kind in ("oneof", "manyof", "permutate") else 0
        self.k = getattr(point, "k", None)
        self.distinct = bool(getattr(point, "distinct", True))
        self.sorted = bool(getattr(point, "sorted", False))
        self.lo = point.lo if point.kind in ("floatv", "intv") else None
        self.hi = point.hi if point.kind in ("floatv", "intv") else None
        self.step = (getattr(point, "step", None) or 1) if point.kind == "intv" else None
        self.log = getattr(point, "scale", "linear") == "log" and self.kind in ("floatv", "intv")
        if self.log and (self.lo is None or self.lo <= 0):
            self.log = False  # a log scale needs a positive range; geno refuses others anyway
        kids = tuple(getattr(point, "children", ()) or ()) if self.kind == "oneof" else ()
        self.children: tuple[tuple[Node, ...], ...] = tuple(tuple(Node(c) for c in group) for group in kids)
        self.has_children = any(self.children)
        # count: how many distinct values (None for floats; geno's one size rule); mutable: has
        # more than one.
        self.count = point.count
        if self.kind == "floatv":
            self.mutable = self.hi > self.lo
        else:
            self.mutable = self.count is None or self.count > 1
        # Affine map from a unit draw to the (log-)range, for floatv/intv.
        if self.kind == "floatv":
            a, b = (math.log(self.lo), math.log(self.hi)) if self.log else (self.lo, self.hi)
            self._a, self._b = a, b - a
        elif self.kind == "intv" and self.log:
            a, b = math.log(self.lo), math.log(self.hi + 1)
            self._a, self._b = a, b - a
        else:
            self._a = self._b = None

    # -- values ----------------------------------------------------------------------------

    def draw(self, rng):
        """A uniform value for this point (children not included)."""
        kind = self.kind
        if kind == "oneof":
            return int(rng.random() * self.n)
        if kind == "floatv":
            return self.from_unit(rng.random())
        if kind == "intv":
            return self.from_unit(rng.random())
        if kind == "manyof":
            n, k = self.n, self.k
            if not self.distinct:
                values = [int(rng.random() * n) for _ in range(k)]
            elif 2 * k <= n:
                values = []
                while len(values) < k:  # rejection: cheap while at most half are taken
                    v = int(rng.random() * n)
                    if v not in values:
                        values.append(v)
            else:
                values = rng.sample(range(n), k)
            if self.sorted:
                values.sort()
            return tuple(values)
        if kind == "permutate":
            values = list(range(self.n))
            rng.shuffle(values)
            return tuple(values)
        if kind == "custom":
            return self.point.sampler(rng)
        raise ValueError(f"unknown decision kind {kind!r} at {self.id}")

    def drawer(self, rng):
        """A zero-argument function drawing what ``draw(rng)`` draws, specialised for speed
        (the same random stream, so either may be used)."""
        r = rng.random
        kind = self.kind
        if kind == "oneof":
            n = self.n
            return lambda: int(r() * n)
        if kind == "floatv" and not self.log:
            lo, width = self.lo, self.hi - self.lo
            return lambda: lo + width * r()
        if kind == "intv" and not self.log:
            lo, step, count = self.lo, self.step, self.count
            return lambda: lo + step * int(r() * count)
        if kind == "manyof" and self.distinct and self.k == 2 and self.n >= 4 and not self.sorted:
            n = self.n

            def pair():
                a = int(r() * n)
                b = int(r() * n)
                while b == a:
                    b = int(r() * n)
                return (a, b)

            return pair
        draw = self.draw
        return lambda: draw(rng)

    def from_unit(self, u: float):
        """Map u in [0, 1) to a legal floatv/intv value (uniform in the point's scale)."""
        if self.kind == "floatv":
            x = self._a + self._b * u
            if self.log:
                x = math.exp(x)
            return min(max(x, self.lo), self.hi)
        if self.log:
            v = int(math.exp(self._a + self._b * u))
            return self.snap(v)
        return self.lo + self.step * int(u * self.count)

    def to_unit(self, value) -> float:
        """The inverse of ``from_unit`` (a point in [0, 1] of the point's scale)."""
        if self.kind == "floatv":
            if self._b == 0:
                return 0.5
            x = math.log(value) if self.log else value
            return min(max((x - self._a) / self._b, 0.0), 1.0)
        if self.log:
            x = (math.log(value + 0.5) - self._a) / self._b if self._b else 0.5
            return min(max(x, 0.0), 1.0)
        return (((value - self.lo) // self.step) + 0.5) / self.count

    def snap(self, v) -> int:
        """The legal intv value nearest to v."""
        step = self.step
        v = self.lo + step * int(round((v - self.lo) / step))
        top = self.lo + step * (self.count - 1)
        return int(min(max(v, self.lo), top))

    def neighbour(self, value, rng):
        """A value different from ``value`` (where possible), changing one decision."""
        kind = self.kind
        if kind == "oneof":
            v = int(rng.random() * (self.n - 1))
            return v + 1 if v >= value else v
        if kind in ("floatv", "intv"):
            if rng.random() < 0.5:  # a jump anywhere, or a local step in the point's own scale
                u = rng.random()
            else:
                u = min(max(self.to_unit(value) + rng.gauss(0.0, 0.1), 0.0), 0.999999)
            new = self.from_unit(u)
            if kind == "intv" and new == value:  # integers must move: one legal step aside
                up = value + self.step
                new = up if (up <= self.hi and (rng.random() < 0.5 or value - self.step < self.lo)) else value - self.step
            return new
        if kind == "custom":  # the author's mutator, else a fresh draw
            point = self.point
            return point.mutator(value, rng) if point.mutator is not None else point.sampler(rng)
        values = list(value)
        n = self.n
        if kind == "permutate" or (kind == "manyof" and self.distinct and self.k == n):
            i = int(rng.random() * n)
            j = int(rng.random() * (n - 1))
            j = j + 1 if j >= i else j
            values[i], values[j] = values[j], values[i]
            return tuple(values)
        i = int(rng.random() * len(values))
        if self.distinct:
            free = [c for c in range(n) if c not in values]
            values[i] = free[int(rng.random() * len(free))]
        else:
            v = int(rng.random() * (n - 1))
            values[i] = v + 1 if v >= values[i] else v
        if self.sorted:
            values.sort()
            if tuple(values) == tuple(value):  # a multiset that sorted back to itself: redraw
                return self.draw(rng) if self.count > 1 else tuple(values)
        return tuple(values)

    def blend(self, x, y, rng):
        """A value mixing two parents' values of this point: either one (oneof, custom), a point
        between them in the point's scale (floatv, intv), a draw from their union (a set), an
        order crossover (a permutation or an ordered distinct manyof), or slot by slot."""
        kind = self.kind
        if kind in ("oneof", "custom"):
            return x if rng.random() < 0.5 else y
        if kind in ("floatv", "intv"):
            u = rng.random()
            return self.from_unit(min(self.to_unit(x) * (1 - u) + self.to_unit(y) * u, 0.999999))
        if self.distinct and self.sorted:
            return tuple(sorted(rng.sample(sorted(set(x) | set(y)), len(x))))
        if self.distinct:  # permutate, or an ordered distinct manyof: x's prefix, then y's order
            cut = int(rng.random() * (len(x) + 1))
            values = list(x[:cut])
            for v in (*y, *x[cut:]):
                if len(values) == len(x):
                    break
                if v not in values:
                    values.append(v)
            return tuple(values)
        values = [p if rng.random() < 0.5 else q for p, q in zip(x, y)]
        return tuple(sorted(values) if self.sorted else values)


def _walk(nodes):
    for node in nodes:
        yield node
        for group in node.children:
            yield from _walk(group)


class SpecOps:
    """A spec compiled for algorithms (see the module docstring)."""

    def __init__(self, spec) -> None:
        self.spec = spec
        self.roots: tuple[Node, ...] = tuple(Node(p) for p in spec.roots)
        self.nodes: dict[str, Node] = {node.id: node for node in _walk(self.roots)}
        self.conditional = any(node.has_children for node in self.nodes.values())
        self._make = None
        self._flat = None  # (rng, ((id, drawer), ...)) for spaces without conditional points

    # -- building DNA ----------------------------------------------------------------------

    def dna(self, decisions: dict):
        """Wrap decisions made by these operators (legal by construction) in a ``DNA``."""
        make = self._make
        if make is None:
            from ..geno import DNA

            spec = self.spec
            make = self._make = lambda d: DNA(spec, d, validate=False)
        return make(decisions)

    # -- operators -------------------------------------------------------------------------

    def sample(self, rng) -> dict:
        """Uniform decisions over the space (depth-first, active points only)."""
        if not self.conditional:
            flat = self._flat
            if flat is None or flat[0] is not rng:
                flat = self._flat = (rng, tuple((node.id, node.drawer(rng)) for node in self.roots))
            return {key: draw() for key, draw in flat[1]}
        out: dict = {}
        self._sample_into(self.roots, rng, out)
        return out

    def _sample_into(self, nodes, rng, out: dict) -> None:
        for node in nodes:
            value = out[node.id] = node.draw(rng)
            if node.has_children:
                self._sample_into(node.children[value], rng, out)

    def active(self, decisions: dict) -> list[Node]:
        """The nodes active under these decisions, depth-first."""
        if not self.conditional:
            return list(self.nodes.values())
        found: list[Node] = []
        self._active(self.roots, decisions, found)
        return found

    def _active(self, nodes, decisions, found) -> None:
        for node in nodes:
            found.append(node)
            if node.has_children:
                self._active(node.children[decisions[node.id]], decisions, found)

    def mutate(self, decisions: dict, rng) -> dict:
        """A copy with one active, changeable decision changed (an unchanged copy if none)."""
        candidates = [node for node in self.active(decisions) if node.mutable]
        if not candidates:
            return dict(decisions)
        node = candidates[int(rng.random() * len(candidates))]
        return self.replace(decisions, node, node.neighbour(decisions[node.id], rng), rng)

    def replace(self, decisions: dict, node: Node, value, rng, redraw: bool = False) -> dict:
        """A copy with ``node``'s decision set to ``value``; under a oneof whose choice changed
        (or with ``redraw``) the chosen candidate's sub-space is drawn afresh."""
        if not node.has_children or (value == decisions[node.id] and not redraw):
            out = dict(decisions)
            out[node.id] = value
            return out
        out = {}
        self._rebuild(self.roots, decisions, out, node, value, rng)
        return out

    def copy_subtree(self, node: Node, src: dict, out: dict) -> None:
        """Copy ``node``'s decision and the sub-space its choice carries from ``src``."""
        value = out[node.id] = src[node.id]
        if node.has_children:
            for child in node.children[value]:
                self.copy_subtree(child, src, out)

    def blend(self, nodes, a: dict, b: dict, rng, out: dict) -> None:
        """Per-site recombination of two parents' decisions into ``out`` (``Node.blend``); a point
        neither parent decided is drawn."""
        for node in nodes:
            key = node.id
            if key in a and key in b:
                value = node.blend(a[key], b[key], rng)
            elif key in a or key in b:
                value = a[key] if key in a else b[key]
            else:
                value = node.draw(rng)
            out[key] = value
            if node.has_children:
                self.blend(node.children[value], a, b, rng, out)

    def _rebuild(self, nodes, old, out, changed, new_value, rng) -> None:
        for node in nodes:
            if node is changed:
                out[node.id] = new_value
                if node.has_children:
                    self._sample_into(node.children[new_value], rng, out)
                continue
            value = out[node.id] = old[node.id]
            if node.has_children:
                self._rebuild(node.children[value], old, out, changed, new_value, rng)

    def crossover(self, a: dict, b: dict, rng) -> dict:
        """Uniform crossover of two parents' decisions."""
        out: dict = {}
        self._cross(self.roots, a, b, rng, out)
        return out

    def _cross(self, nodes, a, b, rng, out) -> None:
        for node in nodes:
            key = node.id
            if key in a and key in b:
                src = a if rng.random() < 0.5 else b
            elif key in a:
                src = a
            elif key in b:
                src = b
            else:
                src = None
            value = out[key] = src[key] if src is not None else node.draw(rng)
            if node.has_children:
                self._cross(node.children[value], a, b, rng, out)
