"""Evolution as an algebra of small operators: write an evolutionary algorithm in a line.

An operator maps a list of members to a list of members. A member is ``(decisions, reward)``:
decisions as ``DNA.decisions`` holds them, the reward larger-is-better (a tuple for several
objectives) or ``None`` for a child not evaluated yet. Operators compose:

==================  =========================================================================
``a >> b``          pipeline: ``b`` applied to what ``a`` returns
``a | b``           union: both applied to the same members, outputs concatenated
``a * k``           repeat: ``a`` applied ``k`` times to the same members, outputs concatenated
``a ** k``          power: ``a >> a >> ... `` (``k`` times), e.g. ``mutate() ** 2``: two changes
``a.with_prob(p)``  ``a`` with probability ``p``, else the members pass through unchanged
==================  =========================================================================

Selectors (members -> some of them): ``tournament(size, by="reward" | "pareto")``, ``top(k)``,
``last(k)`` (the newest), ``pareto(k)`` (non-dominated fronts, the last one cut by crowding
distance, as NSGA-II keeps survivors; without ``k`` the first front).

Mutators (one child per member): ``mutate()`` (one active decision to another legal value; a jump
or a local step for numbers), ``uniform()`` (one active decision re-drawn over its whole domain),
``gaussian(sigma)`` (one active floatv/intv decision moved by a Gaussian step in the point's own
scale), ``swap()`` (two positions of a permutation exchanged), ``redraw_subspace()`` (everything
under one active oneof's chosen candidate drawn afresh).

Recombinators (one child per pair of members; a lone member passes through):
``uniform_crossover()`` (each decision from either parent), ``one_point()`` (top-level decisions
before a random cut from the first parent, after it from the second; a conditional sub-space
follows its parent choice), ``per_site()`` (the two values of each site blended: a point between
two numbers, a mix of two sets, an order crossover of two permutations).

``Evolution`` turns a reproduction operator into an algorithm: the first ``init_size`` proposals
are uniform (or the program's defaults), then each proposal is a child of the population (children
beyond the first are queued for the next proposals, so parallel workers stay busy), and each result
joins the population, which ``update`` then trims (``"aging"``: the newest ``population_size``; or
a selector, applied every ``generation`` results). ``restart_after=N`` empties the population
after N results without a new best. A composition is an algorithm like any other::

    # my_search.py, used as  glovec run model.py --algorithm my_search:mine
    from glovec.runtime.algorithms.evolve import Evolution, tournament, mutate, uniform_crossover

    def mine(seed=None):
        return Evolution(tournament(5) * 2 >> uniform_crossover() >> mutate().with_prob(0.5),
                         population_size=30, seed=seed)

``evolution``, ``hillclimb`` and ``nsga2`` are such compositions (their modules). Every operator
draws from the algorithm's seeded ``random.Random`` in a fixed order, so compositions replay
through ``recover`` exactly; and every composition is resumable: its checkpoint holds the
population, the results since the last generation, the queued children, its counters and its
``dedup`` keys (``checkpoint.py``), whatever its operators.
"""

from __future__ import annotations

from collections import deque

from .base import Algorithm, dominates
from .checkpoint import Unfit, dna_key, pack_decisions, pack_keys, pack_members, unpack_decisions, unpack_keys, \
    unpack_members

__all__ = [
    "Evolution", "Op", "crowding_distance", "gaussian", "last", "mutate", "non_dominated_sort",
    "one_point", "pareto", "per_site", "redraw_subspace", "swap", "top", "tournament", "uniform",
    "uniform_crossover",
]


class Context:
    """What operators see besides the members: the algorithm's ``rng`` and ``ops`` (SpecOps)."""

    __slots__ = ("algorithm", "cache", "ops", "rng")

    def __init__(self, algorithm) -> None:
        self.algorithm = algorithm
        self.rng = algorithm.rng
        self.ops = algorithm.ops
        self.cache: dict = {}  # Pareto ranks by rewards, cleared when the population changes


class Op:
    """An operator over members; subclasses implement ``apply(members, ctx) -> members``."""

    def apply(self, members: list, ctx: Context) -> list:
        raise NotImplementedError

    def __call__(self, members: list, ctx: Context) -> list:
        return self.apply(members, ctx)

    def __rshift__(self, other: "Op") -> "Op":
        return Pipeline(_stages(self) + _stages(other))

    def __or__(self, other: "Op") -> "Op":
        return Union([self, other])

    def __mul__(self, k: int) -> "Op":
        return Union([self] * _count(k))

    def __pow__(self, k: int) -> "Op":
        return Pipeline([self] * _count(k))

    def with_prob(self, p: float) -> "Op":
        return WithProb(self, p)

    def __repr__(self) -> str:
        return getattr(self, "_repr", type(self).__name__)


def _count(k) -> int:
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"an operator repeats a positive whole number of times, got {k!r}")
    return k


def _stages(op: Op) -> list:
    return list(op.stages) if isinstance(op, Pipeline) else [op]


class Pipeline(Op):
    def __init__(self, stages: list) -> None:
        self.stages = stages
        self._repr = " >> ".join(_wrap(s) for s in stages)

    def apply(self, members, ctx):
        for stage in self.stages:
            members = stage(members, ctx)
        return members


class Union(Op):
    def __init__(self, parts: list) -> None:
        self.parts = parts
        same = all(p is parts[0] for p in parts)
        self._repr = f"{_wrap(parts[0], tight=True)} * {len(parts)}" if same and len(parts) > 1 else " | ".join(
            repr(p) for p in parts)

    def apply(self, members, ctx):
        out: list = []
        for part in self.parts:
            out.extend(part(members, ctx))
        return out


class WithProb(Op):
    def __init__(self, op: Op, p: float) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"with_prob: a probability in [0, 1], got {p!r}")
        self.op, self.p = op, p
        self._repr = f"{_wrap(op, tight=True)}.with_prob({p})"

    def apply(self, members, ctx):
        return self.op(members, ctx) if ctx.rng.random() < self.p else list(members)


def _wrap(op: Op, tight: bool = False) -> str:
    """``op``'s text, in parentheses where Python's precedence needs them: a ``|`` union inside
    ``>>``; any pipeline or union before ``*`` or ``.with_prob`` (``tight``)."""
    text = repr(op)
    if isinstance(op, Pipeline) and len(op.stages) > 1 and tight:
        return f"({text})"
    if isinstance(op, Union) and len(op.parts) > 1 and (tight or " | " in text):
        return f"({text})"
    return text


class _Simple(Op):
    """An operator made from a function of ``(members, ctx)``, with a readable repr."""

    def __init__(self, fn, text: str) -> None:
        self.fn, self._repr = fn, text

    def apply(self, members, ctx):
        return self.fn(members, ctx)


# ---- selectors ----------------------------------------------------------------------------------


def tournament(size: int, by: str = "reward") -> Op:
    """The fittest of ``size`` members drawn without replacement (one winner). ``by="pareto"``
    ranks by (non-dominated front, then larger crowding distance), NSGA-II's binary tournament
    with ``size=2``, drawn with replacement as there."""
    if size < 1:
        raise ValueError(f"tournament: size must be at least 1, got {size}")
    if by not in ("reward", "pareto"):
        raise ValueError(f"tournament: by must be 'reward' or 'pareto', got {by!r}")

    def fittest(members, ctx):
        if not members:
            return []
        rng = ctx.rng
        if by == "pareto":
            rank = _pareto_ranks(members, ctx)
            picks = [int(rng.random() * len(members)) for _ in range(size)]
            return [members[min(picks, key=rank.__getitem__)]]
        picks = rng.sample(range(len(members)), min(size, len(members)))
        return [members[max(picks, key=lambda i: members[i][1])]]

    return _Simple(fittest, f"tournament({size}{', by=' + repr(by) if by != 'reward' else ''})")


def top(k: int = 1) -> Op:
    """The ``k`` members with the largest rewards (the older first among equals)."""
    return _Simple(lambda members, ctx: sorted(members, key=lambda m: m[1], reverse=True)[:k], f"top({k})")


def last(k: int) -> Op:
    """The ``k`` newest members."""
    return _Simple(lambda members, ctx: list(members[-k:]), f"last({k})")


def pareto(k: int | None = None) -> Op:
    """Non-dominated sorting: whole fronts while they fit in ``k``, the next cut by crowding
    distance; without ``k``, the first front."""

    def select(members, ctx):
        if not members:
            return []
        if k is None:
            front = non_dominated_sort([_objectives(m[1]) for m in members])[0]
            return [members[i] for i in front]
        return [members[i] for i, _ in _survivors(members, k)]

    return _Simple(select, f"pareto({'' if k is None else k})")


def _objectives(reward) -> tuple:
    return reward if isinstance(reward, tuple) else (reward,)


def _survivors(members: list, size: int) -> list[tuple[int, tuple]]:
    """(index, (front, -crowding)) of the best ``size`` members, best first."""
    rewards = [_objectives(m[1]) for m in members]
    width = len(rewards[0])
    if any(len(r) != width for r in rewards):
        raise ValueError("pareto: every reward must have the same number of objectives")
    chosen: list = []
    for f, front in enumerate(non_dominated_sort(rewards)):
        room = size - len(chosen)
        if room <= 0:
            break
        crowd = crowding_distance(rewards, front)
        chosen.extend((i, (f, -crowd[i])) for i in sorted(front, key=lambda i: -crowd[i])[:room])
    return chosen


def _pareto_ranks(members: list, ctx: Context) -> list:
    key = tuple(m[1] for m in members)  # ranks depend on the rewards alone
    ranks = ctx.cache.get(key)
    if ranks is None:
        ranks = [None] * len(members)
        for i, rank in _survivors(members, len(members)):
            ranks[i] = rank
        ctx.cache[key] = ranks
    return ranks


def non_dominated_sort(rewards: list) -> list[list[int]]:
    """Indices of ``rewards`` grouped into fronts, best front first (fast non-dominated sort)."""
    n = len(rewards)
    dominated_by: list[list[int]] = [[] for _ in range(n)]
    counts = [0] * n
    for i in range(n):
        for j in range(i + 1, n):
            if dominates(rewards[i], rewards[j]):
                dominated_by[i].append(j)
                counts[j] += 1
            elif dominates(rewards[j], rewards[i]):
                dominated_by[j].append(i)
                counts[i] += 1
    fronts = []
    current = [i for i in range(n) if counts[i] == 0]
    while current:
        fronts.append(current)
        nxt = []
        for i in current:
            for j in dominated_by[i]:
                counts[j] -= 1
                if counts[j] == 0:
                    nxt.append(j)
        current = sorted(nxt)
    return fronts


def crowding_distance(rewards: list, front: list[int]) -> dict[int, float]:
    """Crowding distance of each index in ``front`` (boundary points get infinity)."""
    distance = {i: 0.0 for i in front}
    if len(front) <= 2:
        return {i: float("inf") for i in front}
    for m in range(len(rewards[front[0]])):
        ordered = sorted(front, key=lambda i: rewards[i][m])
        lo, hi = rewards[ordered[0]][m], rewards[ordered[-1]][m]
        distance[ordered[0]] = distance[ordered[-1]] = float("inf")
        if hi == lo:
            continue
        for a, i, b in zip(ordered, ordered[1:], ordered[2:]):
            distance[i] += (rewards[b][m] - rewards[a][m]) / (hi - lo)
    return distance


# ---- mutators -----------------------------------------------------------------------------------


def _per_member(change, text: str) -> Op:
    return _Simple(lambda members, ctx: [(change(m[0], ctx), None) for m in members], text)


def mutate() -> Op:
    """One active decision to another legal value (``SpecOps.mutate``)."""
    return _per_member(lambda d, ctx: ctx.ops.mutate(d, ctx.rng), "mutate()")


def _change_one(decisions: dict, ctx: Context, fits, change) -> dict:
    """Apply ``change(node, value, rng)`` to one active node that ``fits`` (a copy; the sub-space
    re-drawn when a oneof's choice changed). Unchanged when no node fits."""
    ops, rng = ctx.ops, ctx.rng
    nodes = [n for n in ops.active(decisions) if fits(n)]
    if not nodes:
        return dict(decisions)
    node = nodes[int(rng.random() * len(nodes))]
    return ops.replace(decisions, node, change(node, decisions[node.id], rng), rng)


def uniform() -> Op:
    """One active decision re-drawn uniformly over its whole domain (another value where the
    point has one)."""

    def change(node, value, rng):
        if node.kind == "oneof":
            return node.neighbour(value, rng)
        new = node.draw(rng)
        for _ in range(10):
            if new != value:
                break
            new = node.draw(rng)
        return new

    return _per_member(lambda d, ctx: _change_one(d, ctx, lambda n: n.mutable, change), "uniform()")


def gaussian(sigma: float = 0.1) -> Op:
    """One active floatv/intv decision moved by a Gaussian step of ``sigma`` (a fraction of the
    range, in the point's own scale); an intv moves at least one step."""

    def change(node, value, rng):
        u = min(max(node.to_unit(value) + rng.gauss(0.0, sigma), 0.0), 0.999999)
        new = node.from_unit(u)
        if node.kind == "intv" and new == value:
            up = value + node.step
            new = up if up <= node.hi and (rng.random() < 0.5 or value - node.step < node.lo) else value - node.step
        return new

    fits = lambda n: n.kind in ("floatv", "intv") and n.mutable  # noqa: E731
    return _per_member(lambda d, ctx: _change_one(d, ctx, fits, change), f"gaussian({sigma})")


def swap() -> Op:
    """Two positions of one active permutation (permutate, or an ordered distinct manyof)
    exchanged."""

    def change(node, value, rng):
        values = list(value)
        i = int(rng.random() * len(values))
        j = int(rng.random() * (len(values) - 1))
        j = j + 1 if j >= i else j
        values[i], values[j] = values[j], values[i]
        return tuple(values)

    def fits(n):
        return (n.kind == "permutate" and n.n > 1) or (n.kind == "manyof" and not n.sorted and n.k > 1
                                                        and (n.distinct or n.n > 1))

    return _per_member(lambda d, ctx: _change_one(d, ctx, fits, change), "swap()")


def redraw_subspace() -> Op:
    """Everything under one active oneof's chosen candidate drawn afresh (the choice kept)."""

    def apply(decisions, ctx):
        ops, rng = ctx.ops, ctx.rng
        nodes = [n for n in ops.active(decisions) if n.has_children and n.children[decisions[n.id]]]
        if not nodes:
            return dict(decisions)
        node = nodes[int(rng.random() * len(nodes))]
        return ops.replace(decisions, node, decisions[node.id], rng, redraw=True)

    return _per_member(apply, "redraw_subspace()")


# ---- recombinators ------------------------------------------------------------------------------


def _pairs(cross, text: str) -> Op:
    def apply(members, ctx):
        if len(members) < 2:
            return [(dict(m[0]), None) for m in members]
        return [(cross(a[0], b[0], ctx), None) for a, b in zip(members[::2], members[1::2])]

    return _Simple(apply, text)


def uniform_crossover() -> Op:
    """Each decision from either parent (``SpecOps.crossover``)."""
    return _pairs(lambda a, b, ctx: ctx.ops.crossover(a, b, ctx.rng), "uniform_crossover()")


def one_point() -> Op:
    """Top-level decisions before a random cut from the first parent, the rest from the second
    (each with the sub-space its choice carries)."""

    def cross(a, b, ctx):
        ops = ctx.ops
        roots = ops.roots
        cut = 1 + int(ctx.rng.random() * (len(roots) - 1)) if len(roots) > 1 else 0
        out: dict = {}
        for i, node in enumerate(roots):
            ops.copy_subtree(node, a if i < cut else b, out)
        return out

    return _pairs(cross, "one_point()")


def per_site() -> Op:
    """The two parents' values blended site by site (see the module docstring)."""

    def cross(a, b, ctx):
        ops, rng = ctx.ops, ctx.rng
        out: dict = {}
        ops.blend(ops.roots, a, b, rng, out)
        return out

    return _pairs(cross, "per_site()")


# ---- the algorithm ------------------------------------------------------------------------------


class Evolution(Algorithm):
    """An evolutionary algorithm from a reproduction operator (see the module docstring)."""

    name = "evolution"

    def __init__(
        self,
        reproduction: Op | None = None,
        population_size: int = 20,
        seed: int | None = None,
        init_size: int | None = None,
        init: str = "random",
        update="aging",
        generation: int = 1,
        restart_after: int | None = None,
        dedup: bool = True,
        multi_objective: bool = False,
    ) -> None:
        super().__init__(seed)
        if reproduction is None:
            reproduction = tournament(min(10, population_size)) >> mutate()
        if population_size < 1:
            raise ValueError(f"evolution: population_size must be at least 1, got {population_size}")
        if init not in ("random", "default"):
            raise ValueError(f"evolution: init must be 'random' or 'default', got {init!r}")
        if not (update == "aging" or isinstance(update, Op)):
            raise ValueError(f"evolution: update must be 'aging' or an operator, got {update!r}")
        self.reproduction = reproduction
        self.population_size = population_size
        self.init_size = population_size if init_size is None else init_size
        self.init = init
        self.update = update
        self.generation = generation
        self.restart_after = restart_after
        self.dedup = dedup
        self.multi_objective = multi_objective
        stages = _stages(reproduction)
        self._head = Pipeline(stages[:-1]) if len(stages) > 1 else None
        self._tail = stages[-1]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.reproduction!r}, population_size={self.population_size}, seed={self.seed!r})"

    def _setup(self) -> None:
        self.population: deque | list = deque() if self.update == "aging" else []
        self.offspring: list = []  # results since the last generational update
        self.queue: list = []  # children bred, not proposed yet
        self.stale = 0
        self.restarts = 0
        self._seen: set = set()
        self._ctx = Context(self)

    # -- resuming: the population, the children queued, the counters and the dedup keys --------

    resumable = True

    def _checkpoint_options(self) -> dict:
        return {"reproduction": repr(self.reproduction), "population_size": self.population_size,
                "init_size": self.init_size, "init": self.init,
                "update": self.update if self.update == "aging" else repr(self.update),
                "generation": self.generation, "restart_after": self.restart_after, "dedup": self.dedup,
                "multi_objective": self.multi_objective}

    def _checkpoint(self) -> dict:
        return {"population": pack_members(self.population), "offspring": pack_members(self.offspring),
                "queue": [pack_decisions(d) for d in self.queue], "stale": self.stale,
                "restarts": self.restarts, "seen": pack_keys(self._seen)}

    def _restore(self, checkpoint: dict, past) -> bool:
        spec = self.spec
        population = unpack_members(spec, checkpoint["population"])
        offspring = unpack_members(spec, checkpoint["offspring"])
        queue = checkpoint["queue"]
        if not isinstance(queue, list):
            raise Unfit("the queue is not a list")
        queue = [unpack_decisions(spec, d) for d in queue]
        stale, restarts = checkpoint["stale"], checkpoint["restarts"]
        if not (type(stale) is int and type(restarts) is int):
            raise Unfit("counters are not integers")
        seen = unpack_keys(checkpoint["seen"])
        self.population = deque(population) if self.update == "aging" else population
        self.offspring, self.queue, self.stale, self.restarts, self._seen = offspring, queue, stale, restarts, seen
        self._ctx.cache.clear()
        return True

    def _propose(self):
        ops, rng = self.ops, self.rng
        if self.queue:
            decisions = self.queue.pop(0)
        elif self.num_proposed < self.init_size or not self._parents():
            if self.num_proposed == 0 and self.init == "default":
                decisions = dict(self.spec.default_dna().decisions)
                self._seen.add(dna_key(decisions))
                return ops.dna(decisions)
            make = lambda: ops.sample(rng)  # noqa: E731
            decisions = self._fresh(make, self._seen) if self.dedup else make()
        else:
            decisions = self._breed()
        return ops.dna(decisions)

    def _parents(self) -> list:
        pool = self.population if self.population else self.offspring
        return list(pool) if isinstance(pool, deque) else pool

    def _breed(self) -> dict:
        """Children of the population; the first is returned, the rest queued. A child already
        proposed is bred again by the last operator from the same inputs (up to 10 times)."""
        ctx = self._ctx
        parents = self._parents()
        inputs = self._head(parents, ctx) if self._head is not None else parents
        children = [d for d, _ in self._tail(inputs, ctx)]
        if not children:
            return self.ops.sample(self.rng)
        if self.dedup:
            for i, child in enumerate(children):
                key = dna_key(child)
                for _ in range(10):
                    if key not in self._seen:
                        break
                    again = self._tail(inputs, ctx)
                    child = again[min(i, len(again) - 1)][0]
                    key = dna_key(child)
                self._seen.add(key)
                children[i] = child
        self.queue.extend(children[1:])
        return children[0]

    def _feedback(self, dna, reward) -> None:
        if self.dedup:  # a point evaluated without being proposed here (enqueued) is not new
            self._seen.add(dna_key(dna.decisions))
        improved = reward is not None and (self._best is None or reward > self._best)
        if reward is not None:
            member = (dict(dna.decisions), reward)
            if self.update == "aging":
                self.population.append(member)
                if len(self.population) > self.population_size:
                    self.population.popleft()
            else:
                self.offspring.append(member)
                if len(self.offspring) >= self.generation:
                    self._ctx.cache.clear()
                    self.population = self.update(self.population + self.offspring, self._ctx)
                    self.offspring = []
        if self.restart_after is not None:
            self.stale = 0 if improved else self.stale + 1
            if self.stale >= self.restart_after:
                self.population = deque() if self.update == "aging" else []
                self.offspring, self.queue, self.stale = [], [], 0
                self.restarts += 1

    @property
    def _best(self):
        """The best reward in the population (what ``restart_after`` waits to see improve)."""
        pool = self._parents()
        return max((r for _, r in pool), default=None)
