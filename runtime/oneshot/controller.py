"""A minimal policy-gradient controller for ENAS (pure Python, no framework).

One independent categorical distribution per switch (the logits of its candidates), trained by
REINFORCE with an exponential moving-average baseline and an entropy bonus, as in ENAS
(Pham et al., 2018) without the LSTM: the switches of a marked program are independent
decisions, so a factorised policy is the natural one here. ``top(n)`` lists the n most likely
architectures exactly (a beam over the factorised distribution).
"""

from __future__ import annotations

import math

__all__ = ["Controller"]


class Controller:
    def __init__(self, sizes: dict, lr: float = 0.3, baseline_decay: float = 0.8,
                 entropy: float = 0.01) -> None:
        self.logits = {site: [0.0] * n for site, n in sizes.items()}
        self.lr = lr
        self.decay = baseline_decay
        self.entropy = entropy
        self.baseline = None
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
            self.baseline = reward
        advantage = reward - self.baseline
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

    def top(self, n: int) -> list:
        """The n most likely architectures, most likely first: [(arch, log-probability)]."""
        beam = [({}, 0.0)]
        for site in self.logits:
            logp = [math.log(max(p, 1e-300)) for p in self.probs(site)]
            grown = [({**arch, site: i}, score + lp) for arch, score in beam for i, lp in enumerate(logp)]
            grown.sort(key=lambda t: -t[1])
            beam = grown[:n]
        return beam

    def state(self) -> dict:
        return {"logits": self.logits, "baseline": self.baseline, "updates": self.updates}

    def load(self, state: dict) -> None:
        self.logits = {k: list(v) for k, v in state["logits"].items()}
        self.baseline = state["baseline"]
        self.updates = state["updates"]
