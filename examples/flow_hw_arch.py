"""A complex search flow: an architecture search inside a search of hardware settings.

The paper's example, on scikit-learn's 8x8 digits with a tiny PyTorch MLP (CPU). The hardware
group (threads, batch size, float32 or bfloat16) is searched outside; for each hardware point an
inner search tries architectures (hidden units, depth, learning rate) with the hardware fixed.
The objective is test accuracy minus a latency penalty (milliseconds to classify the test set),
so the best architecture depends on the hardware it runs on.

The model code knows nothing of the flow: the flow is the two nested ``gv.sample`` loops in
``nested()``; ``flat()`` is the plain search of the same space. docs/flows.md explains it.

    python examples/flow_hw_arch.py                  # nested: 3 hardware points x 4 architectures
    python examples/flow_hw_arch.py --outer 4 --inner 6 --flat
"""

from __future__ import annotations

import argparse
import time

import glovec.runtime as gv

PENALTY = 0.002  # accuracy given up per millisecond of latency

SPACE = gv.Space(
    threads=gv.oneof([1, 2], group="hw"),
    batch=gv.oneof([32, 128], group="hw"),
    dtype=gv.oneof(["float32", "bfloat16"], group="hw"),
    hidden=gv.oneof([16, 64], group="arch"),
    depth=gv.oneof([1, 2], group="arch"),
    lr=gv.oneof([0.003, 0.03], group="arch"),
)

_DATA = None


def data():
    global _DATA
    if _DATA is None:
        import torch
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        digits = load_digits()
        x = digits.data.astype("float32") / 16.0
        split = train_test_split(x, digits.target, test_size=0.3, random_state=0,
                                 stratify=digits.target)
        _DATA = [torch.tensor(a) for a in split]
    return _DATA


def train(threads: int, batch: int, dtype: str, hidden: int, depth: int, lr: float,
          epochs: int = 2) -> tuple[float, float]:  # glovec: fixed
    """(test accuracy, milliseconds to classify the test set in batches of ``batch``)."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    torch.set_num_threads(1)  # training: the same model whatever the threads (only speed differs)
    kind = torch.float32 if dtype == "float32" else torch.bfloat16
    x_train, x_test, y_train, y_test = data()
    layers: list = []
    width = 64
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    model = nn.Sequential(*layers, nn.Linear(width, 10)).to(kind)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    x_train, x_test = x_train.to(kind), x_test.to(kind)
    for _ in range(epochs):
        order = torch.randperm(len(x_train))
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x_train[idx]).float(), y_train[idx])
            loss.backward()
            optimizer.step()
    torch.set_num_threads(threads)  # serving: the hardware setting under test
    with torch.no_grad():
        start = time.perf_counter()
        logits = torch.cat([model(x_test[i:i + batch]) for i in range(0, len(x_test), batch)])
        latency_ms = (time.perf_counter() - start) * 1000
    accuracy = (logits.float().argmax(1) == y_test).float().mean().item()
    return accuracy, latency_ms


def objective(trial) -> float:
    """Accuracy with a latency penalty, for the trial's decisions (whole-space: both groups)."""
    accuracy, latency_ms = train(**{name: trial[name] for name in SPACE.keys()})
    return accuracy - PENALTY * latency_ms


def nested(evaluate=objective, outer: int = 3, inner: int = 4, seed: int = 0,
           outer_algorithm: str = "random", inner_algorithm: str = "evolution"):
    """The flow: an outer search over the hardware group; for each of its points, an inner
    search over the architecture with that hardware fixed. Returns (best value, decisions)."""
    best = (float("-inf"), None)
    for hw, hw_feedback in gv.sample(SPACE, outer_algorithm, outer, seed=seed, groups=["hw"]):
        inner_best = float("-inf")
        for arch, feedback in gv.sample(SPACE, inner_algorithm, inner, seed=seed * 1000 + hw.id,
                                        groups=["arch"], fixed=hw.decisions):
            value = evaluate(arch)
            feedback(value)
            inner_best = max(inner_best, value)
            best = max(best, (value, arch.decisions), key=lambda b: b[0])
        hw_feedback(inner_best)  # the outer objective: the best architecture on this hardware
    return best


def flat(evaluate=objective, trials: int = 12, seed: int = 0, algorithm: str = "evolution"):
    """The same space searched in one flat loop of ``trials``."""
    best = (float("-inf"), None)
    for trial, feedback in gv.sample(SPACE, algorithm, trials, seed=seed):
        value = evaluate(trial)
        feedback(value)
        best = max(best, (value, trial.decisions), key=lambda b: b[0])
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outer", type=int, default=3, help="hardware points (outer trials)")
    parser.add_argument("--inner", type=int, default=4, help="architectures per hardware point")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--flat", action="store_true", help="also run the flat search")
    args = parser.parse_args()
    value, decisions = nested(outer=args.outer, inner=args.inner, seed=args.seed)
    print(f"nested: best {value:.4f} with {SPACE.materialize(decisions)}")
    if args.flat:
        value, decisions = flat(trials=args.outer * args.inner, seed=args.seed)
        print(f"flat:   best {value:.4f} with {SPACE.materialize(decisions)}")


if __name__ == "__main__":
    main()
