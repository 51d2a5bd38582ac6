"""Hill climbing with restarts: mutate the best DNA of the current climb; restart from a
uniform sample after ``patience`` results without improvement.

A composition of ``evolve.py``: ``Evolution(top(1) >> mutate(), population_size=1, update=top(1),
restart_after=patience)``. The first climb starts at the spec's default DNA (the user's original
program) when ``start="default"``, else at a uniform sample. One mutation changes one decision
(``SpecOps.mutate``); ``dedup`` re-draws neighbours already proposed.
"""

from __future__ import annotations

from .evolve import Evolution, mutate, top

__all__ = ["HillClimb"]


class HillClimb(Evolution):
    name = "hillclimb"

    def __init__(
        self, seed: int | None = None, patience: int = 20, start: str = "default", dedup: bool = True
    ) -> None:
        if patience < 1:
            raise ValueError(f"hillclimb: patience must be at least 1, got {patience}")
        if start not in ("default", "random"):
            raise ValueError(f"hillclimb: start must be 'default' or 'random', got {start!r}")
        super().__init__(top(1) >> mutate(), population_size=1, seed=seed, init_size=1, init=start,
                         update=top(1), restart_after=patience, dedup=dedup)
        self.patience = patience
        self.start = start

    @property
    def current(self):
        """(decisions, reward) of the current climb's best; None right after a restart."""
        return self.population[0] if self.population else None
