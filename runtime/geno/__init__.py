"""DNASpec and DNA: the search space as algorithms see it.

A ``DNASpec`` is a tree of ``DecisionPoint``s, one per site (``repeat=N`` sites expand into N
points ``id[0]`` .. ``id[N-1]``). A ``oneof`` point may hold a conditional sub-space per
candidate: those points are *active* only when their parent chose that candidate.

A ``DNA`` is one decision per active point, kept as a plain dict keyed by point id:

======================  ===========================================================
kind                    decision
======================  ===========================================================
``oneof``               candidate index (``int``)
``manyof``              tuple of ``k`` candidate indices
``permutate``           tuple of all ``n`` candidate indices, in the decided order
``floatv``              the float
``intv``                the int (on the grid ``lo + i * step``)
``custom``              the value the custom point's sampler returned (lists as tuples)
======================  ===========================================================

That dict is exactly what the site functions read (``glovec.runtime.hyper.activate``), so
running a trial costs no conversion. Drawing and mutating decisions is the algorithms' job
(``glovec.runtime.algorithms.ops``); ``DNA(spec, decisions, validate=False)`` skips validation
for decisions their operators built.

One file per job:

- ``points.py``: ``DecisionPoint`` (one decision: legal values, size, candidate words);
- ``spec.py``: ``DNASpec`` (the tree of points, validation, enumeration, read from a space JSON);
- ``dna.py``: ``DNA`` (one decision per active point: identity, order, access);
- ``encodings.py``: the five ways to write a DNA down (dict, literal dict, numbers, JSON, tree);
- ``identity.py``: when two space documents are the same space (shapes, fingerprint, diff).

Nothing here imports more than the standard library.
"""

from __future__ import annotations

from .dna import DNA
from .encodings import DNA_SCHEMA
from .points import KINDS, SCALES, DecisionPoint, InvalidDNA, InvalidSpec
from .identity import describe_diff, site_shapes, space_diff, space_fingerprint
from .spec import SPACE_SCHEMA, DNASpec, site_size, space_size

__all__ = ["DNA", "DNASpec", "DecisionPoint", "InvalidDNA", "InvalidSpec", "KINDS", "SCALES",
           "DNA_SCHEMA", "SPACE_SCHEMA", "site_shapes", "space_diff", "space_fingerprint", "describe_diff",
           "site_size", "space_size"]
