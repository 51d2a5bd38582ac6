"""A minimal policy-gradient controller for ENAS (pure Python, no framework).

One independent categorical distribution per switch (the logits of its candidates), trained by
REINFORCE with an exponential moving-average baseline (the advantage scaled by the rewards'
running spread) and an entropy bonus, as in ENAS (Pham et al., 2018) without the LSTM: the
switches of a marked program are independent decisions, so a factorised policy is the natural
one here. After training, ENAS samples architectures from the policy and keeps the best by
validation reward: ``sample_distinct(n, rng)`` (argmax first).
"""

from __future__ import annotations

import math

__all__ = ["Controller"]


class Controller:
    def __init__(self, sizes: dict, lr: float = 0.1, baseline_decay: float = 0.8,
                 entropy: float = 0.01) -> None:
        self.logits = {site: [0.0] * n for site, n in sizes.items()}
        self.lr = lr
        self.decay = baseline_decay
        self.entropy = entropy
        self.baseline: float | None = None
        self.variance = 0.0
        self.updates = 0

    def probs(self, site: str) -> list:
        z = self.logits[site]
        m = max(z)
        e = [math.exp(v - m) for v in z]
        s = sum(e)
        return [v / s for v in e]

    def sample_one(self, site: str, rng) -> int:
        p = self.probs(site)
        u, acc = rng.random(), 0.0
        for i, pi in enumerate(p):
            acc += pi
            if u < acc:
                return i
        return len(p) - 1

    def sample(self, rng) -> dict:
        return {site: self.sample_one(site, rng) for site in self.logits}

    def update(self, arch: dict, reward: float) -> None:
        """One REINFORCE step: raise the log-probability of ``arch`` by the reward's advantage."""
        if self.baseline is None:
            self.baseline, self.variance = reward, 0.0
        # The advantage in units of the rewards' running spread, so the step size does not
        # depend on the objective's scale (accuracies differ by hundredths).
        advantage = (reward - self.baseline) / math.sqrt(self.variance + 1e-8) \
            if self.variance > 0 else 0.0
        advantage = max(-3.0, min(3.0, advantage))
        self.variance = self.decay * self.variance + (1 - self.decay) * (reward - self.baseline) ** 2
        self.baseline = self.decay * self.baseline + (1 - self.decay) * reward
        for site, z in self.logits.items():
            p = self.probs(site)
            chosen = arch[site]
            ent = -sum(pi * math.log(pi) for pi in p if pi > 0)
            for i in range(len(z)):
                grad_logp = (1.0 if i == chosen else 0.0) - p[i]
                # d(entropy)/d(z_i) = -p_i (log p_i + H)
                grad_ent = -p[i] * (math.log(p[i]) + ent) if p[i] > 0 else 0.0
                z[i] += self.lr * (advantage * grad_logp + self.entropy * grad_ent)
        self.updates += 1

    def sample_distinct(self, n: int, rng, skip=(), tries: int = 50) -> list:
        """Up to n distinct architectures drawn from the policy, its argmax first."""
        first = {site: max(range(len(z)), key=z.__getitem__) for site, z in self.logits.items()}
        out: list = []
        seen = set(skip)
        candidates = [first]
        misses = 0
        while len(out) < n and misses < tries:
            arch = candidates.pop() if candidates else self.sample(rng)
            key = tuple(sorted(arch.items()))
            if key in seen:
                misses += 1
                continue
            seen.add(key)
            out.append(arch)
        return out

    def state(self) -> dict:
        return {"logits": self.logits, "baseline": self.baseline, "variance": self.variance,
                "updates": self.updates}

    def load(self, state: dict) -> None:
        self.logits = {k: list(v) for k, v in state["logits"].items()}
        self.baseline = state["baseline"]
        self.variance = state.get("variance", 0.0)
        self.updates = state["updates"]
