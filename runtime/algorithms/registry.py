"""Finding an algorithm by name: ``get_algorithm("evolution", seed=0, population_size=50)``.

A name is one of ``ALGORITHMS`` (``optuna:<SamplerClass>`` for any Optuna sampler), a
``module:Class`` path to an ``Algorithm`` subclass (or any factory taking ``seed=`` and options),
or the name of an entry point in the group ``glovec.algorithms``. Modules load on first use, so
asking for ``random`` never imports the others.
"""

from __future__ import annotations

import importlib

__all__ = ["ALGORITHMS", "DEFAULT_RULE", "ENTRY_POINT_GROUP", "UnknownAlgorithm", "choose_default", "get_algorithm"]

ENTRY_POINT_GROUP = "glovec.algorithms"

# name -> (module under glovec.runtime.algorithms, class)
_BUILTIN = {
    "random": ("random_search", "RandomSearch"),
    "grid": ("grid", "GridSearch"),
    "evolution": ("evolution", "RegularizedEvolution"),
    "hillclimb": ("hillclimb", "HillClimb"),
    "tpe": ("tpe", "TPE"),
    "nsga2": ("nsga2", "NSGA2"),
    "ppo": ("controller", "PPO"),
    "reinforce": ("controller", "Reinforce"),
    "optuna": ("optuna", "OptunaSampler"),
}
ALGORITHMS: tuple[str, ...] = tuple(_BUILTIN)


class UnknownAlgorithm(ValueError):
    """No algorithm of that name (the message lists the known ones and the closest match)."""


def _entry_points() -> dict:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def get_algorithm(name_or_path: str, seed: int | None = None, **options):
    """An algorithm instance, ready for ``setup(spec)`` (see the module docstring)."""
    name = name_or_path.strip()
    if name in _BUILTIN:
        module, cls = _BUILTIN[name]
        return getattr(importlib.import_module(f"{__package__}.{module}"), cls)(seed=seed, **options)
    if name.startswith("optuna:"):
        sampler = name.split(":", 1)[1]
        if sampler and "." not in sampler:
            from .optuna import OptunaSampler

            return OptunaSampler(seed=seed, sampler=sampler, **options)
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise UnknownAlgorithm(f"algorithm {name!r}: cannot import module {module_name!r}: {exc}") from None
        factory = module
        for part in attr.split("."):
            factory = getattr(factory, part, None)
            if factory is None:
                raise UnknownAlgorithm(f"algorithm {name!r}: module {module_name!r} has no {attr!r}")
        return factory(seed=seed, **options)
    plugins = _entry_points()
    if name in plugins:
        return plugins[name].load()(seed=seed, **options)
    import difflib

    known = list(ALGORITHMS) + ["optuna:<Sampler>"] + sorted(plugins)
    close = difflib.get_close_matches(name, list(ALGORITHMS) + sorted(plugins), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise UnknownAlgorithm(
        f"unknown algorithm {name!r}.{hint} Known: {', '.join(known)}, or module:Class."
    )


# What `glovec run` searches with when no algorithm is named. One line, shown in `glovec run
# --help`. From bench/suite.py (15 all-categorical tables, 10 seeds; docs/algorithms.md): tpe had
# the lowest overall regret at 50 (tied with Optuna's TPE), 100 and 300 trials, below evolution;
# tpe optimises one objective, nsga2 several.
DEFAULT_RULE = "nsga2 for several objectives, else tpe"


def choose_default(spec) -> tuple[str, str]:
    """(algorithm name, why) for a search that named none: ``DEFAULT_RULE`` applied to ``spec``."""
    from collections.abc import Mapping

    space = getattr(spec, "space_doc", None)
    objective = space.get("objective") if isinstance(space, Mapping) else None
    if isinstance(objective, list) and len(objective) > 1:
        return "nsga2", f"the space declares {len(objective)} objectives"
    points = spec.points
    numeric = sum(p.kind in ("floatv", "intv") for p in points)
    if numeric:
        some = "is a number" if numeric == 1 else "are numbers"
        return "tpe", f"{numeric} of its {len(points)} decisions {some}"
    every = "its one decision is" if len(points) == 1 else f"all {len(points)} of its decisions are"
    return "tpe", f"{every} categorical"
