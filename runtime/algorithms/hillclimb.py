"""Hill climbing with restarts: mutate the best DNA of the current climb; restart from a
uniform sample after ``patience`` results without improvement.

The first climb starts at the spec's default DNA (the user's original program) when
``start="default"``, else at a uniform sample. One mutation changes one decision
(``SpecOps.mutate``); ``dedup`` re-draws neighbours already proposed.
"""

from __future__ import annotations

from .base import Algorithm

__all__ = ["HillClimb"]


class HillClimb(Algorithm):
    name = "hillclimb"

    def __init__(
        self, seed: int | None = None, patience: int = 20, start: str = "default", dedup: bool = True
    ) -> None:
        super().__init__(seed)
        if patience < 1:
            raise ValueError(f"hillclimb: patience must be at least 1, got {patience}")
        if start not in ("default", "random"):
            raise ValueError(f"hillclimb: start must be 'default' or 'random', got {start!r}")
        self.patience = patience
        self.start = start
        self.dedup = dedup

    def _setup(self) -> None:
        self.current = None  # (decisions, reward) of the current climb's best
        self.stale = 0
        self.restarts = 0
        self._seen: set = set()

    def _propose(self):
        ops, rng = self.ops, self.rng
        if self.current is None:
            if self.num_proposed == 0 and self.start == "default":
                decisions = dict(self.spec.default_dna().decisions)
                self._seen.add(hash(tuple(decisions.items())))
                return ops.dna(decisions)
            make = lambda: ops.sample(rng)  # noqa: E731
        else:
            parent = self.current[0]
            make = lambda: ops.mutate(parent, rng)  # noqa: E731
        decisions = self._fresh(make, self._seen) if self.dedup else make()
        return ops.dna(decisions)

    def _feedback(self, dna, reward) -> None:
        if reward is not None and (self.current is None or reward > self.current[1]):
            self.current = (dict(dna.decisions), reward)
            self.stale = 0
            return
        self.stale += 1
        if self.stale >= self.patience:
            self.current = None
            self.stale = 0
            self.restarts += 1
