"""Grid search: every combination of discrete points, in spec order, then ``SearchExhausted``.

The first point varies slowest (like ``itertools.product``). A oneof's conditional sub-space is
enumerated under each of its candidates. Continuous points are cut into ``points`` values
(evenly spaced in their own scale, ends included); an intv with at most ``points`` legal values
keeps them all.
"""

from __future__ import annotations

import itertools
import math

from .base import Algorithm, SearchExhausted

__all__ = ["GridSearch"]


class GridSearch(Algorithm):
    name = "grid"

    def __init__(self, seed: int | None = None, points: int = 5) -> None:
        super().__init__(seed)
        if points < 1:
            raise ValueError(f"grid: points must be at least 1, got {points}")
        self.points = points

    resumable = True  # the state is the position in the enumeration

    def _setup(self) -> None:
        self._iter = self._product(self.ops.roots)

    def _checkpoint_options(self) -> dict:
        return {"points": self.points}

    def _restore(self, checkpoint: dict, past) -> bool:
        self._iter = itertools.islice(self._product(self.ops.roots), checkpoint["num_proposed"], None)
        return True

    def _propose(self):
        try:
            decisions = next(self._iter)
        except StopIteration:
            raise SearchExhausted(f"grid: all {self.num_proposed} points proposed") from None
        return self.ops.dna(dict(decisions))

    # -- enumeration -----------------------------------------------------------------------

    def _product(self, nodes):
        """Every assignment of ``nodes``, lazily, as tuples of (id, value) pairs."""
        chain = itertools.chain.from_iterable
        options = [self._options(node) for node in nodes]
        return (tuple(chain(parts)) for parts in itertools.product(*options))

    def _options(self, node) -> list:
        """The assignments of one point and (under each oneof candidate) its sub-space."""
        out = []
        for value in self.values(node):
            item = ((node.id, value),)
            if node.has_children and node.children[value]:
                out.extend(item + sub for sub in self._product(node.children[value]))
            else:
                out.append(item)
        return out

    def values(self, node) -> list:
        """The grid values of one point (without its children)."""
        kind, n = node.kind, node.n
        if kind == "oneof":
            return list(range(n))
        if kind == "permutate":
            return list(itertools.permutations(range(n)))
        if kind == "manyof":
            k = node.k
            if node.distinct:
                gen = itertools.combinations if node.sorted else itertools.permutations
                return list(gen(range(n), k))
            if node.sorted:
                return list(itertools.combinations_with_replacement(range(n), k))
            return list(itertools.product(range(n), repeat=k))
        if kind == "custom":
            if node.point.domain is None:
                raise ValueError(f"grid: site {node.id!r} is a custom point without a finite domain")
            return list(node.point.domain)
        p = self.points
        if kind == "intv" and node.count <= p:
            return [node.lo + node.step * j for j in range(node.count)]
        if p == 1:
            ends = [node.point.default if node.point.default is not None else node.lo]
            return [node.snap(ends[0])] if kind == "intv" else ends
        if node.log:
            a, b = math.log(node.lo), math.log(node.hi)
            raw = [math.exp(a + (b - a) * j / (p - 1)) for j in range(p)]
        else:
            raw = [node.lo + (node.hi - node.lo) * j / (p - 1) for j in range(p)]
        raw[0], raw[-1] = node.lo, node.hi
        if kind == "floatv":
            return [min(max(float(x), node.lo), node.hi) for x in raw]
        return sorted({node.snap(x) for x in raw})
