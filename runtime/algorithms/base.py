"""The protocol every search algorithm follows, and the few operators they share.

An algorithm sees only a ``DNASpec`` and ``DNA`` (never the user's program):

    algo = get_algorithm("evolution", seed=0)
    algo.setup(spec)
    dna = algo.propose()          # a legal DNA
    algo.feedback(dna, 0.93)      # larger is better; a tuple for several objectives; None = failed

Subclasses implement the protected hooks ``_setup()``, ``_propose()`` and ``_feedback()``; the
public methods count trials, normalise rewards and keep the best one seen.

``recover(history)`` rebuilds an algorithm's state after a restart by replaying the history in
order: one ``propose()`` then one ``feedback()`` per recorded trial (the recorded DNA and reward
are what is fed back). A seeded algorithm recovered from the first N trials of a sequential run
therefore proposes exactly what the original run proposed next. A ``None`` reward (failed,
pruned or skipped trial) counts as a proposal but never as fitness.

Replaying costs the whole history. A ``resumable = True`` algorithm avoids it: ``checkpoint()``
gives a JSON-able snapshot (random stream, counters, best, ``_checkpoint_options()``, plus what
``_checkpoint()`` adds, built with ``checkpoint.py``'s helpers), which the search loop stores in
the study, and ``restore(checkpoint, past)`` continues from it exactly; the loop replays only the
trials recorded after the snapshot (docs/internals.md, section 6). Every built-in algorithm but
``optuna`` is resumable.
"""

from __future__ import annotations

import json
import math
import random
from typing import Any

from .checkpoint import (Past, dna_key, pack_decisions, pack_reward, pack_rng, qualified, unpack_decisions,
                         unpack_reward, unpack_rng)
from .ops import SpecOps

__all__ = ["Algorithm", "SearchExhausted", "dominates"]


class SearchExhausted(Exception):
    """Raised by ``propose()`` when an algorithm has nothing left to propose (a finished grid).

    Deliberately not a ``StopIteration``: that would turn into ``RuntimeError`` inside a generator
    such as ``sample()``, which should catch this and end the search normally.
    """


def dominates(a: tuple, b: tuple) -> bool:
    """True when rewards ``a`` Pareto-dominate ``b`` (every objective maximised)."""
    better = False
    for x, y in zip(a, b):
        if x < y:
            return False
        if x > y:
            better = True
    return better


class Algorithm:
    """Base class of search algorithms (see the module docstring for the protocol)."""

    name: str = "algorithm"
    multi_objective: bool = False

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.spec = None
        self.ops: SpecOps | None = None
        self.num_proposed = 0
        self.num_feedback = 0
        self.best_dna = None
        self.best_reward = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seed={self.seed!r})"

    # -- public protocol -------------------------------------------------------------------

    def setup(self, spec) -> None:
        """Bind the algorithm to a search space; resets its state and its random stream."""
        self.spec = spec
        self.ops = SpecOps(spec)
        self.rng = random.Random(self.seed)
        self.num_proposed = 0
        self.num_feedback = 0
        self.best_dna = None
        self.best_reward = None
        self._setup()

    def propose(self):
        """The next DNA to evaluate. Raises ``SearchExhausted`` when there is none."""
        if self.ops is None:
            raise RuntimeError(f"{self.name}: call setup(spec) before propose()")
        dna = self._propose()
        self.num_proposed += 1
        return dna

    def feedback(self, dna, reward) -> None:
        """Report ``dna``'s reward: a float (larger is better), a tuple for several
        objectives, or ``None`` for a trial that failed, was pruned or skipped."""
        reward = self._normalise(reward)
        self.num_feedback += 1
        if reward is not None and not self.multi_objective:
            if self.best_reward is None or reward > self.best_reward:
                self.best_dna, self.best_reward = dna, reward
        self._feedback(dna, reward)

    def recover(self, history) -> None:
        """Replay ``(dna, reward or None)`` pairs, oldest first, after ``setup()``."""
        for dna, reward in history:
            self.propose()
            self.feedback(dna, reward)

    # -- resuming without the whole history ------------------------------------------------

    resumable: bool = False  # True: checkpoint() captures the whole state

    def checkpoint(self) -> dict | None:
        """A JSON-able snapshot that ``restore`` continues from exactly (None: not resumable)."""
        if not self.resumable or self.ops is None:
            return None
        best = None
        if self.best_dna is not None:
            best = [pack_decisions(self.best_dna.decisions), pack_reward(self.best_reward)]
        return {"rng": pack_rng(self.rng), "num_proposed": self.num_proposed,
                "num_feedback": self.num_feedback, "best": best, "options": self._plain_options(),
                **self._checkpoint()}

    def restore(self, checkpoint: dict, past: Past | None = None) -> bool:
        """Continue from ``checkpoint()``'s snapshot, after ``setup()``; False when it was taken
        by another configuration or cannot be read (the state may then be partly changed: call
        ``setup()`` again before replaying). ``past`` gives what the algorithm had seen, for
        one whose state is its whole history (``checkpoint.Past``)."""
        if not self.resumable or self.ops is None:
            return False
        try:  # a study's file may have been edited: check everything before changing anything
            if not isinstance(checkpoint, dict) or checkpoint.get("options", {}) != self._plain_options():
                return False
            rng = unpack_rng(checkpoint["rng"])
            proposed, fed, best = checkpoint["num_proposed"], checkpoint["num_feedback"], checkpoint["best"]
            if not (type(proposed) is int and type(fed) is int and proposed >= 0 and fed >= 0):
                return False
            best_dna = best_reward = None
            if best is not None:
                if not (isinstance(best, list) and len(best) == 2):
                    return False
                best_dna = self.ops.dna(unpack_decisions(self.spec, best[0]))
                best_reward = unpack_reward(best[1])
            if not self._restore(checkpoint, past):
                return False
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError):
            return False
        self.rng.setstate(rng.getstate())  # in place: operators hold this very object
        self.num_proposed, self.num_feedback = proposed, fed
        self.best_dna, self.best_reward = best_dna, best_reward
        return True

    def _checkpoint_options(self) -> dict:
        """The options that shape the state; a checkpoint taken with others is not restored."""
        return {}

    def _plain_options(self) -> Any:
        return json.loads(json.dumps({k: qualified(v) for k, v in self._checkpoint_options().items()}))

    def _checkpoint(self) -> dict:
        """What a resumable subclass adds to the snapshot (its position, population, ...), built
        with the helpers of ``checkpoint.py``."""
        return {}

    def _restore(self, checkpoint: dict, past: Past | None) -> bool:
        """Take back what ``_checkpoint`` added; False (or ``checkpoint.Unfit``) when it does not
        fit this instance. Check every piece before assigning any."""
        return True

    # -- hooks -----------------------------------------------------------------------------

    def _setup(self) -> None:
        """Prepare per-spec state (``self.ops`` is ready)."""

    def _propose(self):
        raise NotImplementedError

    def _feedback(self, dna, reward) -> None:
        """Learn from one result (``reward`` already normalised; may be ``None``)."""

    # -- helpers ---------------------------------------------------------------------------

    def _normalise(self, reward):
        if reward is None:
            return None
        if isinstance(reward, (tuple, list)):
            values = tuple(float(r) for r in reward)
            if any(math.isnan(v) for v in values):
                return None
            if self.multi_objective:
                return values
            if len(values) != 1:
                raise ValueError(
                    f"{self.name} optimises one objective, got a reward with {len(values)} values; "
                    "use a multi-objective algorithm such as nsga2"
                )
            return values[0]
        value = float(reward)
        if math.isnan(value):
            return None
        return (value,) if self.multi_objective else value

    def _random_dna(self):
        return self.ops.dna(self.ops.sample(self.rng))

    def _fresh(self, make, seen: set, tries: int = 10) -> dict:
        """Decisions from ``make()``, re-drawn (up to ``tries`` times) while already in ``seen``.

        In a finite space a repeated proposal wastes a trial; after ``tries`` a repeat is
        accepted (the space, or the neighbourhood, may be used up). ``seen`` holds stable keys
        (``checkpoint.dna_key``), not decisions: a long run costs a few dozen bytes per trial, and
        the set goes into a checkpoint as it is."""
        decisions = make()
        key = dna_key(decisions)
        for _ in range(tries):
            if key not in seen:
                break
            decisions = make()
            key = dna_key(decisions)
        seen.add(key)
        return decisions
