"""glovec.runtime: what generated programs import, and the API for hand-written search spaces.

The layers, each a module (PyGlove's split, re-built lean):

- ``hyper``: the site functions generated code calls (``oneof``, ``floatv``, ...) and the trial
  context they read. Outside a trial each site returns its default.
- ``geno``: ``DNASpec`` (the tree of decision points) and ``DNA`` (one decision per point): the only
  things search algorithms see.
- ``algorithms``: search algorithms behind one protocol (``setup``/``propose``/``feedback``/``recover``).
- ``loop``: ``sample()``, the loop between an algorithm and the program, with early stopping.
- ``study``, ``executors``, ``driver``: durable SQLite studies, inline/process/Ray executors, and the
  search driver a generated program hands control to.

- ``space``: ``Space``, ``custom`` and ``Hyper``: search spaces written in Python without the
  compiler, with the same primitives (``oneof([...])``, ``floatv(lo, hi)``, ...) called by hand.

Import cost matters (every generated program pays it), so only ``hyper`` is imported eagerly; the
other layers load on first use.
"""

from __future__ import annotations

from .hyper import (  # noqa: F401  (the names generated code uses)
    ConstraintError,
    TrialPruned,
    activate,
    constraint,
    current,
    deactivate,
    floatv,
    index,
    intv,
    manyof,
    manyof_lazy,
    metric,
    objective,
    oneof,
    oneof_lazy,
    permutate,
    permutate_lazy,
    rep,
    report,
)

# name -> submodule that defines it; resolved lazily by __getattr__.
_LAZY = {
    "DNASpec": "geno",
    "DNA": "geno",
    "DecisionPoint": "geno",
    "InvalidDNA": "geno",
    "InvalidSpec": "geno",
    "Space": "space",
    "Hyper": "values",
    "custom": "space",
    "sample": "loop",
    "Trial": "loop",
    "Feedback": "loop",
    "MedianStopping": "loop",
    "SuccessiveHalving": "loop",
    "get_algorithm": "algorithms",
    "Algorithm": "algorithms",
    "Study": "study",
    "restrict": "flow",
    "groups_of": "flow",
    "program": "driver",
    "keras_reporter": "keras_support",
}


def __getattr__(name: str):
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'glovec.runtime' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module_name}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
