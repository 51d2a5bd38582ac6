"""The shared 100-site space of the loop-cost and memory benchmarks, written for every contender.

60 ``oneof`` sites of 4 ints, 20 ``floatv`` sites on [0, 1] and 20 ``manyof`` sites choosing 2 of
5 ints, distinct (in decision order, not sorted). The trivial objective is the sum of every chosen
value, so each contender must turn its decisions into user values, as a real program would.

Run ``python bench/space100.py`` to print one sample from each expression and check they agree in
shape.
"""

from __future__ import annotations

import itertools
import random

N_ONEOF, N_FLOAT, N_MANYOF = 60, 20, 20
ONEOF_CANDS = (1, 2, 3, 4)
MANYOF_CANDS = (1, 2, 3, 4, 5)
MANYOF_K = 2
# Optuna has no manyof: a distinct 2-of-5 in decision order is one of these 20 ordered pairs.
MANYOF_PAIRS = tuple(itertools.permutations(range(len(MANYOF_CANDS)), MANYOF_K))

ONEOF_IDS = tuple(f"o{i}" for i in range(N_ONEOF))
FLOAT_IDS = tuple(f"f{i}" for i in range(N_FLOAT))
MANYOF_IDS = tuple(f"m{i}" for i in range(N_MANYOF))


# ---- glovec ---------------------------------------------------------------------------------


def glovec_space() -> dict:
    """The space document of internals.md section 2, as the compiler would emit it."""
    sites = []
    line = 1
    for sid in ONEOF_IDS:
        sites.append({"id": sid, "kind": "oneof", "line": line, "col": 1,
                      "candidates": [repr(c) for c in ONEOF_CANDS], "default": 0, "repeat": 1})
        line += 1
    for sid in FLOAT_IDS:
        sites.append({"id": sid, "kind": "floatv", "line": line, "col": 1, "lo": 0.0, "hi": 1.0,
                      "scale": "linear", "default": 0.5, "repeat": 1})
        line += 1
    for sid in MANYOF_IDS:
        sites.append({"id": sid, "kind": "manyof", "line": line, "col": 1, "k": MANYOF_K,
                      "distinct": True, "sorted": False,
                      "candidates": [repr(c) for c in MANYOF_CANDS], "default": [0, 1], "repeat": 1})
        line += 1
    return {"glovec_space": 1, "source": "space100.py",
            "objective": {"direction": "maximize", "line": line, "col": 1},
            "metrics": [], "reports": [], "sites": sites}


def glovec_spec():
    from glovec.runtime.geno import DNASpec

    return DNASpec.from_space_doc(glovec_space())


def glovec_objective() -> float:
    """The program body as generated code runs it: one site call per site, then the sum."""
    from glovec.runtime import floatv, manyof, oneof

    total = 0.0
    for sid in ONEOF_IDS:
        total += oneof(sid, 0, ONEOF_CANDS)
    for sid in FLOAT_IDS:
        total += floatv(sid, 0.5)
    for sid in MANYOF_IDS:
        total += sum(manyof(sid, (0, 1), MANYOF_CANDS))
    return total


# ---- PyGlove --------------------------------------------------------------------------------


def pyglove_space():
    import pyglove as pg

    fields = {}
    for sid in ONEOF_IDS:
        fields[sid] = pg.oneof(list(ONEOF_CANDS))
    for sid in FLOAT_IDS:
        fields[sid] = pg.floatv(0.0, 1.0)
    for sid in MANYOF_IDS:
        fields[sid] = pg.manyof(MANYOF_K, list(MANYOF_CANDS), distinct=True, sorted=False)
    return pg.Dict(fields)


def pyglove_objective(example) -> float:
    total = 0.0
    for sid in ONEOF_IDS:
        total += example[sid]
    for sid in FLOAT_IDS:
        total += example[sid]
    for sid in MANYOF_IDS:
        total += sum(example[sid])
    return total


# ---- Optuna ---------------------------------------------------------------------------------

_PAIR_CODES = tuple(range(len(MANYOF_PAIRS)))


def optuna_objective(trial) -> float:
    total = 0.0
    for sid in ONEOF_IDS:
        total += trial.suggest_categorical(sid, ONEOF_CANDS)
    for sid in FLOAT_IDS:
        total += trial.suggest_float(sid, 0.0, 1.0)
    for sid in MANYOF_IDS:
        i, j = MANYOF_PAIRS[trial.suggest_categorical(sid, _PAIR_CODES)]
        total += MANYOF_CANDS[i] + MANYOF_CANDS[j]
    return total


# ---- the floor: a bare loop ----------------------------------------------------------------


def floor_draw(rng: random.Random) -> dict:
    """The same 100 decisions, drawn with nothing around them, as cheaply as plain Python draws
    them (one ``random()`` per choice; a distinct pair as a first pick and a shifted second)."""
    r = rng.random
    decisions = {}
    for sid in ONEOF_IDS:
        decisions[sid] = int(r() * 4)
    for sid in FLOAT_IDS:
        decisions[sid] = r()
    for sid in MANYOF_IDS:
        i = int(r() * 5)
        j = int(r() * 4)
        decisions[sid] = (i, j + (j >= i))
    return decisions


def floor_objective(decisions: dict) -> float:
    total = 0.0
    for sid in ONEOF_IDS:
        total += ONEOF_CANDS[decisions[sid]]
    for sid in FLOAT_IDS:
        total += decisions[sid]
    for sid in MANYOF_IDS:
        i, j = decisions[sid]
        total += MANYOF_CANDS[i] + MANYOF_CANDS[j]
    return total


def main() -> None:
    d = floor_draw(random.Random(0))
    print(f"floor: 100 decisions, objective {floor_objective(d):.3f}")
    try:
        spec = glovec_spec()
        print(f"glovec: {len(spec.points)} decision points, size {spec.size}")
    except ImportError as exc:
        print(f"glovec: not available yet ({exc})")
    import pyglove as pg

    spec = pg.dna_spec(pyglove_space())
    print(f"pyglove: {len(spec.decision_points)} decision points")


if __name__ == "__main__":
    main()
