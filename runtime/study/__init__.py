"""Durable studies: one SQLite file (stdlib ``sqlite3``) holding a search's space and its trials.

Every state change of a trial is its own committed transaction, so a driver killed at any moment
leaves a file that ``Study.open(..., resume=True)`` continues from: finished trials are kept,
trials that were in flight go back to ``proposed`` (same id, same DNA) and run again, and nothing
is counted twice. The file is in WAL mode with ``synchronous=NORMAL``: a commit is an append to the
write-ahead log without an fsync, which survives a crash of the driver process (the case that
matters here) and keeps the cost of a commit in the tens of microseconds.

Layout (schema version 1)::

    schema_version(version)
    meta(key, value)            space (JSON), fingerprint, directions (JSON), created
    trials(id, status, dna, objective, metrics, error, step, created, started, finished, attempts,
           node)
    reports(trial_id, step, value)

``dna`` is the JSON of ``DNA.decisions`` (point id -> index, tuple of indices, or number);
``objective`` is a float, or JSON text for several objectives; ``metrics`` is JSON.
``node`` is where a finished trial ran (Ray's node id; NULL for this machine); ``attempts`` counts
its runs (a resume, or a Ray node lost under it). The ``node`` column came after version 1 was
fixed: a driver adds it in place to an older study, a reader reads an older study without it, and
an older glovec reads a study that has it.

Statuses: ``proposed`` -> ``running`` -> ``completed`` | ``failed`` | ``pruned``.

The package, one job per file:

- ``store.py``: the ``Study`` (opening, trial transitions, reading);
- ``rows.py``: encoding and decoding of the rows (``TrialRecord``), and what a tampered row is;
- ``schema.py``: connecting to the file (read-write, or read-only for readers) and its schema;
- ``lock.py``: ``<study>-lock``, one driver per study;
- ``migrate.py``: fitting stored decisions to a changed space (``--migrate``);
- what counts as "the same space" (fingerprint and site-level diff) is the runtime's one
  definition, ``glovec.runtime.geno.identity``, re-exported here;
- ``errors.py``: ``StudyError``, the GV5xx diagnostic a study problem becomes.
"""

from __future__ import annotations

from ..geno.identity import space_diff, space_fingerprint
from .errors import StudyError
from .rows import FINISHED, STATUSES, TrialRecord
from .schema import SCHEMA_VERSION
from .store import Study

__all__ = [
    "SCHEMA_VERSION",
    "FINISHED",
    "STATUSES",
    "Study",
    "StudyError",
    "TrialRecord",
    "space_fingerprint",
    "space_diff",
]
