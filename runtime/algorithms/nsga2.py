"""NSGA-II (Deb et al., 2002) for several objectives; every objective is maximised.

The first ``population_size`` proposals are uniform. Then each proposal is a child: two binary
tournaments on (non-domination rank, then crowding distance) pick two parents, uniform crossover
(``crossover_prob``) mixes them and one mutation (``mutation_prob``) changes a decision. Each
``population_size`` results form a generation: parents and children together are sorted into
non-dominated fronts and the best ``population_size`` (whole fronts, the last one cut by crowding
distance) become the next parents. Proposing never waits for a generation to finish, so workers
in parallel stay busy; children are bred from the parents of the latest finished generation.

A composition of ``evolve.py``: ``Evolution(tournament(2, by="pareto") * 2 >>
uniform_crossover().with_prob(crossover_prob) >> mutate().with_prob(mutation_prob),
update=pareto(population_size), generation=population_size)``; when the crossover is skipped both
parents are mutated and the second child is proposed next.

A scalar reward is taken as one objective; ``front()`` returns the non-dominated results so far.
"""

from __future__ import annotations

from .base import dominates
from .checkpoint import pack_members, unpack_members
from .evolve import Evolution, crowding_distance, mutate, non_dominated_sort, pareto, tournament, uniform_crossover

__all__ = ["NSGA2", "crowding_distance", "non_dominated_sort"]


class NSGA2(Evolution):
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
        if population_size < 2:
            raise ValueError(f"nsga2: population_size must be at least 2, got {population_size}")
        reproduction = (tournament(2, by="pareto") * 2 >> uniform_crossover().with_prob(crossover_prob)
                        >> mutate().with_prob(mutation_prob))
        super().__init__(reproduction, population_size=population_size, seed=seed, update=pareto(population_size),
                         generation=population_size, dedup=dedup, multi_objective=True)
        self.crossover_prob = crossover_prob
        self.mutation_prob = mutation_prob

    def _setup(self) -> None:
        super()._setup()
        self._front: list = []  # the non-dominated (dna, rewards) so far

    def _feedback(self, dna, reward) -> None:
        if reward is not None:
            front = self._front
            if not any(dominates(r, reward) or r == reward for _, r in front):
                self._front = [(d, r) for d, r in front if not dominates(reward, r)]
                self._front.append((dna, reward))
        super()._feedback(dna, reward)

    def _checkpoint(self) -> dict:
        return {**super()._checkpoint(), "front": pack_members((d.decisions, r) for d, r in self._front)}

    def _restore(self, checkpoint: dict, past) -> bool:
        front = [(self.ops.dna(d), r) for d, r in unpack_members(self.spec, checkpoint["front"])]
        if not super()._restore(checkpoint, past):
            return False
        self._front = front
        return True

    @property
    def parents(self) -> list:
        """The current parent generation: (decisions, rewards), best first."""
        return self.population

    def front(self) -> list:
        """The non-dominated ``(dna, rewards)`` among all results so far, oldest first
        (of several results with equal rewards, the first)."""
        return list(self._front)
