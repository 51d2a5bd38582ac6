"""Two evolutionary algorithms written as compositions of glovec's operators (docs/algorithms.md).

Each is a function taking ``seed=`` and returning an algorithm, so it runs wherever a name does:

    glovec run model.py --algorithm compositions:crossover      # with bench/ on PYTHONPATH
    python bench/suite.py --only "glovec compositions:crossover" "glovec evolution"
"""

from glovec.runtime.algorithms.evolve import Evolution, mutate, tournament, uniform_crossover


def crossover(seed=None):
    """Two tournament winners, uniform crossover, then a mutation half of the time."""
    return Evolution(tournament(5) * 2 >> uniform_crossover() >> mutate().with_prob(0.5),
                     population_size=20, seed=seed)


def two_children(seed=None):
    """One tournament winner, two children: one decision changed, and two decisions changed."""
    return Evolution(tournament(10) >> (mutate() | mutate() ** 2), population_size=20, seed=seed)
