"""NSGA-II (Deb et al., 2002) for several objectives; every objective is maximised.

The first ``population_size`` proposals are uniform. Then each proposal is a child: two binary
tournaments on (non-domination rank, then crowding distance) pick two parents, uniform crossover
(``crossover_prob``) mixes them and one mutation (``mutation_prob``) changes a decision. Each
``population_size`` results form a generation: parents and children together are sorted into
non-dominated fronts and the best ``population_size`` (whole fronts, the last one cut by crowding
distance) become the next parents. Proposing never waits for a generation to finish, so workers
in parallel stay busy; children are bred from the parents of the latest finished generation.

A scalar reward is taken as one objective; ``front()`` returns the non-dominated results so far.
"""

from __future__ import annotations

from .base import Algorithm, dominates

__all__ = ["NSGA2", "crowding_distance", "non_dominated_sort"]


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


class NSGA2(Algorithm):
    name = "nsga2"
    multi_objective = True

    def __init__(
        self,
        seed: int | None = None,
        population_size: int = 50,
        crossover_prob: float = 0.9,
        mutation_prob: float = 1.0,
        dedup: bool = True,
    ) -> None:
        super().__init__(seed)
        if population_size < 2:
            raise ValueError(f"nsga2: population_size must be at least 2, got {population_size}")
        self.population_size = population_size
        self.crossover_prob = crossover_prob
        self.mutation_prob = mutation_prob
        self.dedup = dedup

    def _setup(self) -> None:
        self.parents: list = []  # (decisions, rewards) of the current parent generation
        self._rank: list = []  # (front index, -crowding) per parent, for tournaments
        self.offspring: list = []  # results since the last generation was formed
        self._front: list = []  # the non-dominated (dna, rewards) so far
        self._seen: set = set()

    def _propose(self):
        ops, rng = self.ops, self.rng
        pool = self.parents or self.offspring
        if self.num_proposed < self.population_size or not pool:
            make = lambda: ops.sample(rng)  # noqa: E731
        else:
            make = self._breed
        decisions = self._fresh(make, self._seen) if self.dedup else make()
        return ops.dna(decisions)

    def _breed(self) -> dict:
        rng, ops = self.rng, self.ops
        if self.parents:
            pool, rank = self.parents, self._rank
        else:  # no generation formed yet: breed from the results so far
            pool, rank = self._survivors(self.offspring, len(self.offspring))
        a = self._tournament(pool, rank)
        child = a
        if rng.random() < self.crossover_prob:
            child = ops.crossover(a, self._tournament(pool, rank), rng)
        if child is a or rng.random() < self.mutation_prob:
            child = ops.mutate(child, rng)
        return child

    def _tournament(self, pool: list, rank: list) -> dict:
        """Binary tournament: the lower front wins, then the larger crowding distance."""
        i = int(self.rng.random() * len(pool))
        j = int(self.rng.random() * len(pool))
        return pool[min(i, j, key=rank.__getitem__)][0]

    def _feedback(self, dna, reward) -> None:
        if reward is None:
            return
        front = self._front
        if not any(dominates(r, reward) or r == reward for _, r in front):
            self._front = [(d, r) for d, r in front if not dominates(reward, r)]
            self._front.append((dna, reward))
        self.offspring.append((dict(dna.decisions), reward))
        if len(self.offspring) >= self.population_size:
            self.parents, self._rank = self._survivors(self.parents + self.offspring, self.population_size)
            self.offspring = []

    def _survivors(self, members: list, size: int) -> tuple[list, list]:
        """The best ``size`` members by (front, crowding distance), with their ranks."""
        rewards = [r for _, r in members]
        width = len(rewards[0])
        if any(len(r) != width for r in rewards):
            raise ValueError("nsga2: every reward must have the same number of objectives")
        chosen, ranks = [], []
        for f, front in enumerate(non_dominated_sort(rewards)):
            room = size - len(chosen)
            if room <= 0:
                break
            crowd = crowding_distance(rewards, front)
            for i in sorted(front, key=lambda i: -crowd[i])[:room]:
                chosen.append(members[i])
                ranks.append((f, -crowd[i]))
        return chosen, ranks

    def front(self) -> list:
        """The non-dominated ``(dna, rewards)`` among all results so far, oldest first
        (of several results with equal rewards, the first)."""
        return list(self._front)
