"""A policy-gradient controller over the DNA: ``ppo`` (Schulman et al., 2017) and ``reinforce``
(Williams, 1992), as the paper's NAS experiments use; standard library only.

The policy. Every decision point of the spec owns softmax logits, one vector per slot:

- oneof: one slot over its candidates; the chosen candidate's sub-space is then sampled, and only
  the points a DNA makes active enter its log-probability, so a decision inside an unchosen
  candidate gets no gradient;
- manyof: ``k`` slots, drawn in order; a distinct point masks the candidates already taken, a
  sorted one (a set) allows only candidates after the previous slot's, so every DNA has exactly
  one way to be drawn and its log-probability is exact;
- permutate: ``n`` slots, each masking the candidates already placed;
- floatv/intv: a discretized categorical. An intv with at most ``bins`` values has one logit per
  value; otherwise (and for floats) the range, in the point's own scale (log or linear), is cut
  into ``bins`` equal cells and a value is drawn uniformly inside the chosen cell;
- custom points are drawn from their own sampler and take no part in the policy.

Learning. Rewards are normalised by rank: a result's reward becomes the fraction of earlier
results it beats (ties count half), so the scale of the objective does not matter, a minimised
objective (which the loop negates) works as it is, and with several objectives the fractions are
averaged. A moving average of that score is the baseline; the advantage is score minus baseline.
``reinforce`` takes one gradient step per result: advantage times the gradient of the DNA's
log-probability, plus ``entropy`` times the gradient of the policy's entropy over the decisions
the DNA made. ``ppo`` gathers ``batch_size`` results, then takes ``epochs`` steps on the clipped
surrogate objective (ratio of the new to the proposing policy's probability, clipped to
1 +- ``clip``), with the same entropy bonus. Steps are Adam steps (``learning_rate``).

Proposals never wait for feedback, so parallel workers are served from the current policy; the
policy changes only when results arrive. With ``dedup`` (default) a DNA already proposed is drawn
again (up to 10 times), as the other algorithms do: in a finite space a repeat wastes a trial.

Everything is a deterministic function of the seed and of the results in the order they arrive,
so ``recover`` (replay of proposals and results) rebuilds the policy exactly. A checkpoint holds
the policy, its Adam moments, the baseline and the batch under way; the rewards the rank score
compares to are read back from the study on resume (only their order matters, not when they came).

The controller on its own (what ``--one-shot enas`` drives)::

    ctrl = Controller(spec, seed=0, method="ppo")
    dna, log_prob = ctrl.propose()        # a legal DNA and its log-probability under the policy
    ctrl.update([(dna, 0.93), ...])       # learn from rewards (larger is better; tuples allowed)
    ctrl.log_prob(dna)                    # under the current policy
    ctrl.probabilities(point_id)          # the current distribution of a point's first slot
    ctrl.most_likely(5)                   # the 5 most probable decisions (independent oneofs)
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right

from .base import Algorithm
from .checkpoint import Unfit, fsums, pack_decisions, pack_keys, unpack_decisions, unpack_keys
from .ops import SpecOps

__all__ = ["PPO", "Controller", "Reinforce"]


class _Slot:
    """One categorical of the policy: its logits and Adam moments."""

    __slots__ = ("logits", "m", "v")

    def __init__(self, n: int) -> None:
        self.logits = [0.0] * n
        self.m = [0.0] * n
        self.v = [0.0] * n


def _softmax(logits: list, allowed) -> list:
    """Probabilities over ``allowed`` indices (a range or a list), in their order."""
    top = max(logits[i] for i in allowed)
    exps = [math.exp(logits[i] - top) for i in allowed]
    total = sum(exps)
    return [e / total for e in exps]


class Controller:
    """The policy, its sampler and its update rule (see the module docstring)."""

    def __init__(
        self,
        spec,
        seed: int | None = None,
        method: str = "ppo",
        learning_rate: float = 0.1,
        entropy: float = 0.02,
        baseline_decay: float = 0.9,
        batch_size: int = 10,
        epochs: int = 8,
        clip: float = 0.2,
        bins: int = 10,
        rng: random.Random | None = None,
        ops: SpecOps | None = None,
    ) -> None:
        if method not in ("ppo", "reinforce"):
            raise ValueError(f"controller: method must be 'ppo' or 'reinforce', got {method!r}")
        if batch_size < 1 or epochs < 1 or bins < 2:
            raise ValueError("controller: batch_size and epochs must be at least 1, bins at least 2")
        self.spec = spec
        self.ops = ops if ops is not None else SpecOps(spec)
        self.rng = rng if rng is not None else random.Random(seed)
        self.method = method
        self.learning_rate = learning_rate
        self.entropy = entropy
        self.baseline_decay = baseline_decay
        self.batch_size = batch_size if method == "ppo" else 1
        self.epochs = epochs if method == "ppo" else 1
        self.clip = clip
        self.bins = bins
        self.slots: dict[str, list[_Slot]] = {}
        for node in self.ops.nodes.values():
            shape = self._shape(node)
            if shape is not None:
                self.slots[node.id] = [_Slot(shape[1]) for _ in range(shape[0])]
        self.baseline: float | None = None
        self.steps = 0
        self._sorted: list[list[float]] = []  # per objective: every reward so far, sorted
        self._batch: list = []  # (decisions, advantage, log-prob when it arrived)

    # -- the policy's shape ----------------------------------------------------------------

    def _shape(self, node) -> tuple[int, int] | None:
        """(slots, size) of a point's categoricals; None for a point without a policy."""
        kind = node.kind
        if kind == "oneof":
            return (1, node.n) if node.n > 1 else None
        if kind == "manyof":
            return (node.k, node.n) if node.count > 1 else None
        if kind == "permutate":
            return (node.n, node.n) if node.n > 1 else None
        if kind == "intv":
            if node.count <= 1:
                return None
            return (1, node.count if node.count <= self.bins else self.bins)
        if kind == "floatv":
            return (1, self.bins) if node.hi > node.lo else None
        return None

    def _allowed(self, node, slot: int, taken: list):
        """The candidates slot ``slot`` may take after ``taken`` (earlier slots' choices)."""
        if node.kind not in ("manyof", "permutate"):
            return range(len(self.slots[node.id][0].logits))
        n = node.n
        if node.kind == "permutate" or (node.kind == "manyof" and node.distinct and not node.sorted):
            return [c for c in range(n) if c not in taken] if taken else range(n)
        if node.kind == "manyof" and node.sorted:
            first = (taken[-1] + 1 if node.distinct else taken[-1]) if taken else 0
            last = n - (node.k - slot) if node.distinct else n - 1
            return range(first, last + 1)
        return range(n)  # manyof with repeats, in order

    def _actions(self, node, value) -> list[int]:
        """The slot choices that produce ``value`` (the inverse of ``_value``)."""
        kind = node.kind
        if kind == "oneof":
            return [value]
        if kind in ("manyof", "permutate"):
            return list(value)
        if kind == "intv" and node.count <= self.bins:
            return [(value - node.lo) // node.step]
        return [min(int(node.to_unit(value) * self.bins), self.bins - 1)]

    def _value(self, node, actions: list[int]):
        kind = node.kind
        if kind == "oneof":
            return actions[0]
        if kind in ("manyof", "permutate"):
            return tuple(actions)
        if kind == "intv" and node.count <= self.bins:
            return node.lo + node.step * actions[0]
        u = (actions[0] + self.rng.random()) / self.bins
        return node.from_unit(min(u, 0.999999))

    # -- sampling --------------------------------------------------------------------------

    def sample(self) -> tuple[dict, float]:
        """Decisions drawn from the policy (depth-first, active points only) and their log-prob."""
        out: dict = {}
        logp = self._sample_into(self.ops.roots, out)
        return out, logp

    def _sample_into(self, nodes, out: dict) -> float:
        logp = 0.0
        rng = self.rng
        for node in nodes:
            slots = self.slots.get(node.id)
            if slots is None:
                value = out[node.id] = node.draw(rng)
            else:
                taken: list[int] = []
                for i, slot in enumerate(slots):
                    allowed = self._allowed(node, i, taken)
                    probs = _softmax(slot.logits, allowed)
                    u, acc, pick = rng.random(), 0.0, len(probs) - 1
                    for j, p in enumerate(probs):
                        acc += p
                        if u < acc:
                            pick = j
                            break
                    logp += math.log(probs[pick])
                    taken.append(allowed[pick])
                value = out[node.id] = self._value(node, taken)
            if node.has_children:
                logp += self._sample_into(node.children[value], out)
        return logp

    def propose(self):
        """A DNA drawn from the policy, and its log-probability."""
        decisions, logp = self.sample()
        return self.ops.dna(decisions), logp

    def log_prob(self, dna) -> float:
        """The log-probability of ``dna``'s decisions under the current policy (custom points and
        the uniform draw inside a numeric cell excluded)."""
        decisions = getattr(dna, "decisions", dna)
        return sum(math.log(p[a]) for _, _, a, p in self._steps(decisions))

    def _steps(self, decisions: dict):
        """(slot, allowed, action index within allowed, probabilities) for every policy step
        the decisions took, active points only."""
        for node in self.ops.active(decisions):
            slots = self.slots.get(node.id)
            if slots is None:
                continue
            taken: list[int] = []
            for i, (slot, action) in enumerate(zip(slots, self._actions(node, decisions[node.id]))):
                allowed = self._allowed(node, i, taken)
                index = action - allowed.start if isinstance(allowed, range) else allowed.index(action)
                yield slot, allowed, index, _softmax(slot.logits, allowed)
                taken.append(action)

    def most_likely(self, n: int, skip=()) -> list[dict]:
        """The ``n`` most probable decisions under the current policy, most probable first,
        leaving out those whose sorted items are in ``skip``. For a spec of independent oneof
        points only (no sub-spaces, what a one-shot supernet's switches are); a best-first
        walk over the product of their categoricals, so it never enumerates the space."""
        import heapq

        nodes = list(self.ops.roots)
        if any(node.kind != "oneof" or node.has_children for node in nodes):
            raise ValueError("controller: most_likely needs a spec of plain oneof points")
        ranked = []  # per point: (log-prob, candidate), most probable first
        for node in nodes:
            probs = self.probabilities(node.id) if node.id in self.slots else [1.0]
            ranked.append(sorted(((math.log(max(p, 1e-300)), c) for c, p in enumerate(probs)),
                                 reverse=True))
        start = (0,) * len(nodes)
        heap = [(-sum(r[0][0] for r in ranked), start)]
        seen, out, skip = {start}, [], set(skip)
        while heap and len(out) < n:
            neg, idx = heapq.heappop(heap)
            decisions = {node.id: ranked[k][i][1] for k, (node, i) in enumerate(zip(nodes, idx))}
            if tuple(sorted(decisions.items())) not in skip:
                out.append(decisions)
            for k in range(len(nodes)):
                if idx[k] + 1 < len(ranked[k]):
                    nxt = idx[:k] + (idx[k] + 1,) + idx[k + 1:]
                    if nxt not in seen:
                        seen.add(nxt)
                        heapq.heappush(heap, (neg + ranked[k][idx[k]][0] - ranked[k][idx[k] + 1][0], nxt))
        return out

    def probabilities(self, point_id: str) -> list[float]:
        """The current distribution of a point's first slot (all candidates allowed)."""
        slot = self.slots[point_id][0]
        return _softmax(slot.logits, range(len(slot.logits)))

    # -- learning --------------------------------------------------------------------------

    def score(self, reward) -> float:
        """The rank score of a reward among all earlier ones (recorded for later ones)."""
        values = reward if isinstance(reward, tuple) else (reward,)
        if not self._sorted:
            self._sorted = [[] for _ in values]
        if len(values) != len(self._sorted):
            raise ValueError("controller: every reward must have the same number of objectives")
        total = 0.0
        for past, v in zip(self._sorted, values):
            below, upto = bisect_left(past, v), bisect_right(past, v)
            total += (below + 0.5 * (upto - below)) / len(past) if past else 0.5
            past.insert(upto, v)
        return total / len(values)

    def update(self, results) -> None:
        """Learn from ``(dna or decisions, reward)`` pairs (reward larger-is-better, a float or a
        tuple; ``None`` is skipped). A ppo controller steps once ``batch_size`` results are in."""
        for dna, reward in results:
            if reward is None:
                continue
            decisions = getattr(dna, "decisions", dna)
            s = self.score(reward)
            if self.baseline is None:
                self.baseline = s
            advantage = s - self.baseline
            self.baseline = self.baseline_decay * self.baseline + (1 - self.baseline_decay) * s
            self._batch.append((decisions, advantage, self.log_prob(decisions)))
            if len(self._batch) >= self.batch_size:
                for _ in range(self.epochs):
                    self._step(self._batch)
                self._batch = []

    def _step(self, batch) -> None:
        grads: dict[int, tuple[_Slot, list]] = {}
        scale = 1.0 / len(batch)
        clipped = self.method == "ppo"
        lo, hi = 1.0 - self.clip, 1.0 + self.clip
        for decisions, advantage, old_logp in batch:
            steps = list(self._steps(decisions))
            weight = advantage
            if clipped:
                ratio = math.exp(sum(math.log(p[a]) for _, _, a, p in steps) - old_logp)
                if (advantage > 0 and ratio > hi) or (advantage < 0 and ratio < lo):
                    weight = 0.0  # the clipped term is the minimum: no gradient
                else:
                    weight = advantage * ratio
            for slot, allowed, a, probs in steps:
                entry = grads.get(id(slot))
                if entry is None:
                    entry = grads[id(slot)] = (slot, [0.0] * len(slot.logits))
                g = entry[1]
                ent = -sum(p * math.log(p) for p in probs if p > 0)
                for j, (c, p) in enumerate(zip(allowed, probs)):
                    d = weight * ((1.0 if j == a else 0.0) - p)
                    if self.entropy and p > 0:
                        d -= self.entropy * p * (math.log(p) + ent)
                    g[c] += scale * d
        self.steps += 1
        self._adam(grads.values())

    # -- its state, for a checkpoint -------------------------------------------------------

    def state(self, ranked: bool = True) -> dict:
        """What ``load_state`` needs to continue learning where this controller stopped, JSON-able:
        the policy (logits and Adam moments), the baseline, the step count, the batch under way,
        and the rewards ranked so far (``ranked=False``: only their count and exact sums, for a
        caller that keeps the rewards elsewhere, as a study does)."""
        out = {"slots": {pid: [[s.logits, s.m, s.v] for s in slots] for pid, slots in self.slots.items()},
               "baseline": self.baseline, "steps": self.steps,
               "batch": [[pack_decisions(d), a, lp] for d, a, lp in self._batch],
               "scored": len(self._sorted[0]) if self._sorted else 0, "sums": fsums(zip(*self._sorted))}
        if ranked:
            out["sorted"] = [list(column) for column in self._sorted]
        return out

    def load_state(self, state: dict, rewards=None) -> None:
        """Take back ``state()``; ``rewards`` (tuples or floats, any order) are the rewards ranked
        so far when the state left them out. Raises ``checkpoint.Unfit`` (nothing changed) when
        the state does not fit this controller."""
        slots = state["slots"]
        if not (isinstance(slots, dict) and set(slots) == set(self.slots)):
            raise Unfit("the policy's points differ")
        loaded = {}
        for pid, mine in self.slots.items():
            rows = slots[pid]
            if not (isinstance(rows, (list, tuple)) and len(rows) == len(mine)):
                raise Unfit(f"the policy of {pid!r} differs")
            for row, slot in zip(rows, mine):
                if not (isinstance(row, (list, tuple)) and len(row) == 3 and all(
                        isinstance(col, list) and len(col) == len(slot.logits)
                        and all(isinstance(x, float) for x in col) for col in row)):
                    raise Unfit(f"the policy of {pid!r} differs")
            loaded[pid] = rows
        baseline, steps = state["baseline"], state["steps"]
        if not ((baseline is None or isinstance(baseline, float)) and type(steps) is int):
            raise Unfit("the baseline or the step count")
        batch = []
        for item in state["batch"]:
            if not (isinstance(item, (list, tuple)) and len(item) == 3
                    and all(isinstance(x, float) for x in item[1:])):
                raise Unfit("a batch entry")
            batch.append((unpack_decisions(self.spec, item[0]), item[1], item[2]))
        if rewards is None:
            ranked = [tuple(row) for row in zip(*state["sorted"])]
        else:
            ranked = [r if isinstance(r, tuple) else (r,) for r in rewards]
        if rewards is not None or "scored" in state:  # (a one-shot checkpoint of glovec 0.1 has no counts)
            if len(ranked) != state["scored"] or (ranked and fsums(ranked) != state["sums"]):
                raise Unfit("the rewards ranked are not the ones counted")
        for pid, rows in loaded.items():
            for slot, (logits, m, v) in zip(self.slots[pid], rows):
                slot.logits, slot.m, slot.v = list(logits), list(m), list(v)
        self.baseline, self.steps, self._batch = baseline, steps, batch
        self._sorted = [sorted(column) for column in zip(*ranked)] if ranked else []

    def _adam(self, grads, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        t = self.steps
        step = self.learning_rate * math.sqrt(1 - beta2**t) / (1 - beta1**t)
        for slot, g in grads:
            m, v, logits = slot.m, slot.v, slot.logits
            for i, gi in enumerate(g):
                m[i] = beta1 * m[i] + (1 - beta1) * gi
                v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
                logits[i] += step * m[i] / (math.sqrt(v[i]) + eps)  # ascent


class PPO(Algorithm):
    """``--algorithm ppo``: the controller with PPO's clipped objective over batches."""

    name = "ppo"
    multi_objective = True  # a tuple reward is scored by rank per objective (module docstring)
    _method = "ppo"

    # Tuned on NAS-Bench-201 CIFAR-10, HPOLib protein and slice only (bench/suite.py, 20 seeds).
    defaults = {"learning_rate": 0.1, "batch_size": 10, "epochs": 8, "entropy": 0.02, "baseline_decay": 0.9}

    def __init__(self, seed: int | None = None, dedup: bool = True, **options) -> None:
        super().__init__(seed)
        self.dedup = dedup
        self.options = {**self.defaults, **options}
        Controller(None, method=self._method, ops=_NO_OPS, **self.options)  # check the options now

    def _setup(self) -> None:
        self.controller = Controller(self.spec, method=self._method, rng=self.rng, ops=self.ops, **self.options)
        self._seen: set = set()

    def _propose(self):
        sample = lambda: self.controller.sample()[0]  # noqa: E731
        decisions = self._fresh(sample, self._seen) if self.dedup else sample()
        return self.ops.dna(decisions)

    # -- resuming: the controller's state, the dedup keys; the ranked rewards from the study ----

    resumable = True

    def _checkpoint_options(self) -> dict:
        return {"dedup": self.dedup, **self.options}

    def _checkpoint(self) -> dict:
        return {"controller": self.controller.state(ranked=False), "seen": pack_keys(self._seen)}

    def _restore(self, checkpoint: dict, past) -> bool:
        if past is None:
            return False
        seen = unpack_keys(checkpoint["seen"])
        rewards = [r for r in map(self._normalise, past.rewards()) if r is not None]
        self.controller.load_state(checkpoint["controller"], rewards)
        self._seen = seen
        return True

    def _feedback(self, dna, reward) -> None:
        if reward is None:
            return
        if len(reward) == 1 and (self.best_reward is None or reward[0] > self.best_reward):
            self.best_dna, self.best_reward = dna, reward[0]
        self.controller.update([(dna, reward)])


class Reinforce(PPO):
    """``--algorithm reinforce``: the controller with plain REINFORCE, one step per result."""

    name = "reinforce"
    _method = "reinforce"
    defaults = {"learning_rate": 0.1, "entropy": 0.02, "baseline_decay": 0.95}


class _NoOps:
    nodes: dict = {}


_NO_OPS = _NoOps()
