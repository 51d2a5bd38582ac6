"""Random search: every proposal uniform over the space, independent of feedback."""

from __future__ import annotations

from .base import Algorithm

__all__ = ["RandomSearch"]


class RandomSearch(Algorithm):
    """Uniform sampling. A conditional child is drawn only when its parent choice makes it
    active; floatv/intv are uniform in their own scale (log or linear) and intv respects step."""

    name = "random"
    resumable = True  # the random stream is the whole state

    def _setup(self) -> None:
        ops = self.ops
        rng = self.rng
        sample = ops.sample
        make = ops.dna
        self._next = lambda: make(sample(rng))  # bound once: this is the per-trial hot path

    def _propose(self):
        return self._next()
