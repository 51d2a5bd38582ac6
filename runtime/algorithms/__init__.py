"""Search algorithms: they see only ``DNASpec`` and ``DNA`` (``glovec.runtime.geno``).

One protocol (``base.Algorithm``): ``setup(spec)``, ``propose() -> DNA``,
``feedback(dna, reward)`` (larger is better; a tuple for several objectives; ``None`` for a failed
trial) and ``recover(history)``. One module per algorithm, found by name with ``get_algorithm``:

==============  ===========================================================================
``random``      uniform over the space (``random_search.py``)
``grid``        every discrete combination, floats on ``points`` values; then ``SearchExhausted``
``evolution``   regularized evolution: tournament, one-decision mutation, aging
``hillclimb``   mutate the best of the current climb; restart when stuck
``tpe``         Tree-structured Parzen Estimator (glovec's own)
``nsga2``       NSGA-II for several objectives
``ppo``         a policy-gradient controller, PPO's clipped objective (``controller.py``)
``reinforce``   the same controller, plain REINFORCE
``optuna``      any Optuna sampler: ``optuna``, ``optuna:RandomSampler``, ``optuna:CmaEsSampler``
==============  ===========================================================================

``evolve.py`` writes evolutionary algorithms as compositions of operators (``evolution``,
``hillclimb`` and ``nsga2`` are three). Without a name, ``choose_default(spec)`` picks one
(``DEFAULT_RULE``). ``ops.py`` (``SpecOps``) holds the operators they share (uniform sampling,
mutation, crossover). Only the standard library is imported here; Optuna loads when an
``optuna`` algorithm is set up.
"""

from .base import Algorithm, SearchExhausted, dominates
from .registry import ALGORITHMS, DEFAULT_RULE, ENTRY_POINT_GROUP, UnknownAlgorithm, choose_default, get_algorithm

__all__ = [
    "ALGORITHMS",
    "DEFAULT_RULE",
    "ENTRY_POINT_GROUP",
    "Algorithm",
    "SearchExhausted",
    "UnknownAlgorithm",
    "choose_default",
    "dominates",
    "get_algorithm",
]
