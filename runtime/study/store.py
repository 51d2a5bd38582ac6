"""The ``Study``: a search's durable record (opening, trial transitions, reading)."""

from __future__ import annotations

import functools
import json
import math
import os
import sqlite3
import time
from typing import Any, Iterable, Mapping

from ..geno.identity import describe_diff, space_fingerprint
from .errors import StudyError, read_only
from .lock import lock as _lock
from .migrate import migrate_trials
from .rows import COLUMNS_WITH_NODE as _COLUMNS
from .rows import STATUSES, Damaged, TrialRecord, damaged, decode_decisions, decode_objective
from .rows import decode_space, directions, encode_decisions, encode_metrics, encode_objective
from .rows import ESTIMATE_METRIC, finite_reports
from .schema import BEST_INDEX as _BEST_INDEX
from .schema import FLOW_TABLE as _FLOW_TABLE
from .schema import check_schema as _check_schema
from .schema import connect as _connect
from .schema import READ_ERRORS
from .schema import connect_readonly as _connect_readonly
from .schema import has_node_column as _has_node_column


# 1 for a one-shot supernet estimate (its metrics name the method), else 0 (SQL, in ORDER BY).
_IS_ESTIMATE = (f"(CASE WHEN json_valid(metrics) THEN json_type(metrics, '$.\"{ESTIMATE_METRIC}\"')"
                f" IS NOT NULL ELSE 0 END)")


def _database_error(path: str, exc: Exception) -> StudyError:
    """GV511 for a study SQLite cannot write, GV510 for one it cannot read."""
    if getattr(exc, "sqlite_errorcode", None) == 8 or "readonly" in str(exc):  # SQLITE_READONLY
        return read_only(path, str(exc))
    return damaged(path, "the file", exc)


def _guarded(method):
    """A Study method whose SQLite errors (a file damaged or made read-only while a driver has it
    open) become GV510/GV511 diagnostics instead of tracebacks."""
    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except READ_ERRORS as exc:
            raise _database_error(self.path, exc) from None
    return guarded


# A completed trial whose `# glovec: constraint` was false (metrics {"feasible": false}).
# CASE, not AND: SQLite may evaluate json_extract on text that is not JSON (an error), and a
# damaged row is diagnosed where its metrics are read, not here.
_INFEASIBLE = ("(CASE WHEN metrics IS NOT NULL AND json_valid(metrics)"
               " THEN json_extract(metrics, '$.feasible') IS 0 ELSE 0 END)")


def _space_doc_of(space: Any) -> dict:
    """Accept the space document, its JSON text, or a DNASpec (or ``Space``) that gives one."""
    if isinstance(space, str):
        return json.loads(space)
    if isinstance(space, Mapping):
        return dict(space)
    for attr in ("space_doc", "to_space_doc"):
        value = getattr(space, attr, None)
        if callable(value):
            value = value()
        if isinstance(value, Mapping):
            return dict(value)
    raise TypeError("Study.open needs the space document (section 2 of docs/internals.md)")


class Study:
    """A search's durable record. Open with ``Study.open(path, space_doc, resume=..., migrate=...)``.

    ``path`` may be ``":memory:"`` for a study that lives only as long as the process.
    """

    def __init__(self, path: str, conn: sqlite3.Connection, space_doc: dict) -> None:
        self.path = path
        self._conn = conn
        self.space_doc = space_doc
        self.fingerprint = space_fingerprint(space_doc)
        self.directions = directions(space_doc)
        self._spec = None
        self.resumed = False
        self.migrated: list[int] = []   # ids kept by --migrate
        self.dropped: list[int] = []    # ids dropped by --migrate
        self.requeued: list[int] = []   # ids that were in flight when the last driver stopped
        self._lock_fd: int | None = None
        # A nested flow's levels (docs/flows.md): the rows of the flow table say which trials are
        # outer ones and whose inner trials the others are; ``scoped`` views one level.
        self._scope = "1"  # SQL condition on trials.id for the trials this view holds
        self._tag: tuple | None = None  # (parent, kind) that add_trial records
        self._has_flow = False
        self._columns = _COLUMNS  # what a TrialRecord reads (an older study read-only: no node)

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike, space_doc: Any, *, resume: bool = False,
             migrate: bool = False) -> "Study":
        """Create a study, or continue one.

        A file that already holds trials is refused unless ``resume`` (GV502). On resume the
        stored space document must match ``space_doc`` site for site (GV503 names the added, removed and
        changed site ids) unless ``migrate``: then the trials whose decisions still fit the new
        space (by site id) are kept, with new sites at their defaults, and the others are dropped.
        Trials that were in flight go back to ``proposed``.
        """
        path = os.fspath(path)
        space_doc = _space_doc_of(space_doc)
        conn = _connect(path)
        lock = None
        try:
            lock = _lock(path)
            study = cls._open(path, conn, space_doc, resume, migrate)
        except READ_ERRORS as exc:
            conn.close()
            if lock is not None:
                os.close(lock)
            raise _database_error(path, exc) from None
        except BaseException:
            conn.close()
            if lock is not None:
                os.close(lock)
            raise
        study._lock_fd = lock
        return study

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Study":
        """Open an existing study read-only, with its stored space (for ``glovec report`` and
        ``glovec materialize``): nothing is written, to the file or beside it."""
        path = os.fspath(path)
        if path != ":memory:" and not os.path.exists(path):
            raise StudyError("GV501", f"no study at {path}", path)
        conn = _connect_readonly(path)
        try:
            _check_schema(conn, path, create=False)
            row = conn.execute("SELECT value FROM meta WHERE key = 'space'").fetchone()
            if row is None:
                raise StudyError("GV501", f"{path} is not a glovec study (no space stored)", path)
            study = cls(path, conn, decode_space(row[0], path))
            study._has_flow = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'flow'").fetchone() \
                is not None
            if not _has_node_column(conn):  # written before trials recorded their node
                study._columns = _COLUMNS.replace("node", "NULL")
            return study
        except READ_ERRORS as exc:
            conn.close()
            raise _database_error(path, exc) from None
        except BaseException:
            conn.close()
            raise

    @classmethod
    def _open(cls, path: str, conn: sqlite3.Connection, space_doc: dict, resume: bool,
              migrate: bool) -> "Study":
        _check_schema(conn, path)
        conn.execute(_BEST_INDEX)  # studies made before the index get it once
        conn.execute(_FLOW_TABLE)  # and studies made before nested flows get the flow table
        stored = conn.execute("SELECT value FROM meta WHERE key = 'space'").fetchone()
        n_trials = conn.execute("SELECT count(*) FROM trials").fetchone()[0]
        study = cls(path, conn, space_doc)
        study._has_flow = True
        if stored is None or n_trials == 0:
            study._write_space()
            return study
        if not resume:
            raise StudyError(
                "GV502",
                f"study {path} already holds {n_trials} trials: pass --resume (GLOVEC_RESUME=1) to "
                f"continue it, or --study NEW_PATH to start another",
                path,
            )
        study.resumed = True
        old_space = decode_space(stored[0], path)
        if space_fingerprint(old_space) != study.fingerprint:
            if not migrate:
                detail = describe_diff(old_space, space_doc) or "the structure differs"
                raise StudyError(
                    "GV503",
                    f"the search space changed since study {path} was created ({detail}); pass "
                    f"--migrate to keep the trials whose decisions still fit, or use a new --study",
                    path,
                )
            study._migrate(old_space)
        study._check_in_flight()
        study._write_space()
        study.requeued = study._requeue_in_flight()
        return study

    def _write_space(self) -> None:
        with self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [
                    ("space", json.dumps(self.space_doc, sort_keys=True, separators=(",", ":"))),
                    ("fingerprint", self.fingerprint),
                    ("directions", json.dumps(self.directions)),
                ],
            )
            self._conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('created', ?)", (str(time.time()),)
            )

    def _check_in_flight(self) -> None:
        """The trials a resume runs again must fit the space (before anything is written)."""
        for tid, dna in self._conn.execute(
                "SELECT id, dna FROM trials WHERE status IN ('proposed', 'running') ORDER BY id"):
            self._dna(tid, dna)

    def _dna(self, tid: int, dna: Any):
        """The DNA of trial ``tid``'s stored ``dna`` column in this study's space (GV510 when it
        does not decode or fit)."""
        from ..geno import DNA

        try:
            return DNA(self.spec, decode_decisions(dna))
        except Damaged as exc:
            raise damaged(self.path, f"trial {tid}", exc) from None
        except (ValueError, TypeError) as exc:  # InvalidDNA is a ValueError
            raise damaged(self.path, f"trial {tid}", Damaged(
                f"its decisions do not fit the study's space ({exc})")) from None

    def _requeue_in_flight(self) -> list[int]:
        ids = [r[0] for r in self._conn.execute(
            "SELECT id FROM trials WHERE status IN ('proposed', 'running') ORDER BY id")]
        if ids:
            with self._conn:
                self._conn.executemany("DELETE FROM reports WHERE trial_id = ?", [(i,) for i in ids])
                self._conn.execute(
                    "UPDATE trials SET status = 'proposed', started = NULL WHERE status = 'running'")
        return ids

    def _migrate(self, old_space: dict) -> None:
        """Keep the trials whose decisions fit the new space (by site id); drop the others."""
        self.migrated, self.dropped = migrate_trials(self._conn, old_space, self.space_doc)

    # -- transitions (each one a committed transaction) -------------------------------------------

    @_guarded
    def add_trial(self, dna: Any, status: str = "proposed") -> int:
        """Record a proposed trial (or, with ``status="running"``, one that starts now)."""
        now = time.time()
        row = (status, encode_decisions(dna), now, now if status == "running" else None,
               1 if status == "running" else 0)
        insert = "INSERT INTO trials (status, dna, created, started, attempts) VALUES (?, ?, ?, ?, ?)"
        if self._tag is None:
            return self._conn.execute(insert, row).lastrowid
        with self._conn:  # the trial and its level in one transaction
            tid = self._conn.execute(insert, row).lastrowid
            self._conn.execute("INSERT INTO flow (trial_id, parent, kind) VALUES (?, ?, ?)",
                               (tid, *self._tag))
        return tid

    @_guarded
    def start(self, trial_id: int) -> None:
        self._conn.execute(
            "UPDATE trials SET status = 'running', started = ?, attempts = attempts + 1 WHERE id = ?",
            (time.time(), trial_id),
        )

    # ``node`` (each finishing transition): where the trial ran, Ray's node id (None: this
    # machine); ``attempts``: runs it took, when the executor ran it again after losing a node.

    @_guarded
    def complete(self, trial_id: int, objective: Any, metrics: Mapping | None = None,
                 reports: Iterable | None = None, *, node: str | None = None,
                 attempts: int = 1) -> None:
        self._finish(trial_id, "completed", encode_objective(objective), metrics, None, None,
                     reports, node, attempts)

    @_guarded
    def fail(self, trial_id: int, reason: str | None, metrics: Mapping | None = None,
             reports: Iterable | None = None, *, node: str | None = None,
             attempts: int = 1) -> None:
        self._finish(trial_id, "failed", None, metrics, reason, None, reports, node, attempts)

    @_guarded
    def prune(self, trial_id: int, step: int | None = None, metrics: Mapping | None = None,
              reports: Iterable | None = None, reason: str | None = None, *,
              node: str | None = None, attempts: int = 1) -> None:
        if step is None and reports:
            reports = list(reports)
            step = reports[-1][0] if reports else None
        self._finish(trial_id, "pruned", None, metrics, reason, step, reports, node, attempts)

    def _finish(self, trial_id, status, objective, metrics, error, step, reports, node=None,
                attempts=1) -> None:
        conn = self._conn
        reports = finite_reports(reports or ())
        if reports:
            conn.execute("BEGIN")
            try:
                conn.executemany(
                    "INSERT OR REPLACE INTO reports (trial_id, step, value) VALUES (?, ?, ?)",
                    [(trial_id, s, encode_objective(v)) for s, v in reports],
                )
                self._update_finished(trial_id, status, objective, metrics, error, step, node,
                                      attempts)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        else:
            self._update_finished(trial_id, status, objective, metrics, error, step, node,
                                  attempts)

    def _update_finished(self, trial_id, status, objective, metrics, error, step, node=None,
                         attempts=1) -> None:
        cur = self._conn.execute(
            "UPDATE trials SET status = ?, objective = ?, metrics = ?, error = ?, step = ?,"
            " finished = ?, node = ?, attempts = attempts + ? WHERE id = ?"
            " AND status IN ('proposed', 'running')",
            (status, objective, encode_metrics(metrics), error, step, time.time(), node,
             max(0, int(attempts or 1) - 1), trial_id),
        )
        if cur.rowcount != 1:
            row = self._conn.execute("SELECT status FROM trials WHERE id = ?", (trial_id,)).fetchone()
            state = "does not exist" if row is None else f"is already {row[0]}"
            raise StudyError("GV504", f"trial {trial_id} {state}; it cannot become {status}",
                             self.path)

    @_guarded
    def report(self, trial_id: int, step: int, value: Any) -> None:
        """Record one intermediate value of a running trial (committed at once); one that is not
        a finite number is not kept (``rows.finite_reports``)."""
        if not finite_reports([(step, value)]):
            return
        self._conn.execute(
            "INSERT OR REPLACE INTO reports (trial_id, step, value) VALUES (?, ?, ?)",
            (trial_id, step, encode_objective(value)),
        )

    # -- reading --------------------------------------------------------------------------------

    @_guarded
    def trial(self, trial_id: int) -> TrialRecord | None:
        row = self._conn.execute(
            f"SELECT {self._columns} FROM trials WHERE id = ?", (trial_id,)).fetchone()
        return TrialRecord(row, self.path) if row else None

    @_guarded
    def trials(self, status: str | Iterable[str] | None = None) -> list[TrialRecord]:
        """Trials in id order, all of them or those with the given status(es)."""
        if status is None:
            rows = self._conn.execute(
                f"SELECT {self._columns} FROM trials WHERE {self._scope} ORDER BY id")
        else:
            wanted = (status,) if isinstance(status, str) else tuple(status)
            marks = ", ".join("?" * len(wanted))
            rows = self._conn.execute(
                f"SELECT {self._columns} FROM trials WHERE status IN ({marks}) AND {self._scope}"
                f" ORDER BY id", wanted)
        return [TrialRecord(r, self.path) for r in rows]

    @_guarded
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for status, n in self._conn.execute(
                f"SELECT status, count(*) FROM trials WHERE {self._scope} GROUP BY status"):
            if status not in out:
                raise damaged(self.path, f"{n} trial(s)", Damaged(
                    f"their status {status!r} is none of {', '.join(STATUSES)}"))
            out[status] = n
        return out

    @_guarded
    def reports(self, trial_id: int) -> list[tuple[int, Any]]:
        return [(s, self._report_value(trial_id, v)) for s, v in self._conn.execute(
            "SELECT step, value FROM reports WHERE trial_id = ? ORDER BY step", (trial_id,))]

    @_guarded
    def all_reports(self) -> dict[int, list[tuple[int, Any]]]:
        """Every trial's intermediate values (for early-stopping policies after a resume)."""
        out: dict[int, list] = {}
        scope = self._scope.replace("id IN", "trial_id IN")
        for tid, s, v in self._conn.execute(
                f"SELECT trial_id, step, value FROM reports WHERE {scope} ORDER BY trial_id, step"):
            out.setdefault(tid, []).append((s, self._report_value(tid, v)))
        return out

    def _report_value(self, tid: int, value: Any) -> Any:
        try:
            return decode_objective(value)
        except Damaged as exc:
            raise damaged(self.path, f"a report of trial {tid}", exc) from None

    def reward(self, objective: Any) -> Any:
        """The objective as an algorithm's reward: larger is better (minimised ones negated)."""
        if objective is None:
            return None
        if isinstance(objective, tuple):
            return tuple(v if d == "maximize" else -v
                         for v, d in zip(objective, self.directions))
        return objective if self.directions[0] == "maximize" else -objective

    @_guarded
    def best(self, k: int = 1) -> list[TrialRecord]:
        """The ``k`` best completed trials by the (first) objective's direction, best first;
        infeasible trials (a false ``# glovec: constraint``) and a nested run's outer trials
        are never among them."""
        order = "DESC" if self.directions[0] == "maximize" else "ASC"
        # A one-shot run that trained finalists alone: a measured objective ranks above every
        # supernet estimate (the two are not comparable; the measured one is what was asked).
        first = f"{_IS_ESTIMATE}, " if self.finalist_ids() is not None else ""
        rows = self._conn.execute(
            f"SELECT {self._columns} FROM trials WHERE status = 'completed' AND objective IS NOT NULL"
            f" AND typeof(objective) != 'text' AND {self._best_scope()}"
            f" ORDER BY {first}objective {order}, id LIMIT ?", (k,))
        out = [TrialRecord(r, self.path) for r in rows]
        if len(out) < k:  # several objectives: rank by the first one
            outer = set(self.outer_ids())
            multi = [t for t in self.trials("completed") if isinstance(t.objective, tuple)
                     and t.id not in outer and t.metrics.get("feasible") is not False]
            sign = -1 if order == "DESC" else 1
            measured = first != ""
            multi.sort(key=lambda t: (measured and ESTIMATE_METRIC in t.metrics,
                                      sign * t.objective[0], t.id))
            out.extend(multi[: k - len(out)])
        return [t for t in out if not (isinstance(t.objective, float) and math.isnan(t.objective))]

    @property
    def spec(self):
        """The DNASpec of the stored space (built on first use; needs ``glovec.runtime.geno``)."""
        if self._spec is None:
            from ..geno import DNASpec

            self._spec = DNASpec.from_space_doc(self.space_doc)
        return self._spec

    @_guarded
    def history(self, as_dna: bool = True, include_pending: bool = True,
                after: int = 0, reward=None, exclude: Iterable[int] = ()) -> list[tuple[Any, Any]]:
        """Trials in id order (the order they were proposed) as ``(DNA, reward)`` for
        ``Algorithm.recover``, which replays one proposal and one feedback per entry; only those
        whose id is above ``after`` (the trials recorded since an algorithm's checkpoint), less
        those in ``exclude`` (a one-shot run's finalists, trained alone: not estimates).

        ``reward`` is None for failed and pruned trials, and for trials still ``proposed`` (ones
        a stopped driver left in flight): they count as proposals, so a seeded algorithm does not
        propose them again; the driver re-runs them and feeds their result back when it arrives.
        A completed trial's reward is ``self.reward(objective)``, or ``reward(objective,
        feasible)`` when that function is given (the search loop's, which lowers infeasible ones).
        """
        out = []
        skip = set(exclude)
        spec = self.spec if as_dna else None
        wanted = "('completed', 'failed', 'pruned', 'proposed', 'running')" if include_pending \
            else "('completed', 'failed', 'pruned')"
        rows = self._conn.execute(
            f"SELECT id, dna, status, objective, {_INFEASIBLE} FROM trials WHERE status IN {wanted}"
            f" AND id > ? AND {self._scope} ORDER BY id", (after,))
        for tid, dna, status, objective, bad in rows:
            if tid in skip:
                continue
            try:
                value = None
                if status == "completed":
                    value = decode_objective(objective)
                    value = self.reward(value) if reward is None else reward(value, not bad)
                decisions = decode_decisions(dna) if spec is None else None
            except Damaged as exc:
                raise damaged(self.path, f"trial {tid}", exc) from None
            out.append((self._dna(tid, dna) if spec is not None else decisions, value))
        return out

    @_guarded
    def results(self, upto: int, exclude: Iterable[int] = (), decisions: bool = True) -> list:
        """``(decisions or None, objective, feasible)`` of the completed trials whose id is at
        most ``upto`` (less those in ``exclude``), in the order their results were recorded: what
        an algorithm's checkpoint had seen (``Search`` gives them back to it on resume)."""
        skip = set(exclude)
        column = "dna" if decisions else "NULL"
        rows = self._conn.execute(
            f"SELECT id, {column}, objective, {_INFEASIBLE} FROM trials"
            f" WHERE status = 'completed' AND id <= ? AND {self._scope} ORDER BY finished, id", (upto,))
        out = []
        for tid, dna, objective, infeasible in rows:
            if tid in skip:
                continue
            try:
                out.append(((decode_decisions(dna) if decisions else None), decode_objective(objective),
                            not infeasible))
            except Damaged as exc:
                raise damaged(self.path, f"trial {tid}", exc) from None
        return out

    # -- a nested flow's levels ------------------------------------------------------------------

    def scoped(self, parent: int | None = None, kind: str | None = None) -> "Study":
        """A view of this study's outer trials (``kind="outer"``) or of the inner trials of outer
        trial ``parent``: the search loop of that level reads and adds only those (sharing the
        connection and the lock; closing the view closes nothing)."""
        view = object.__new__(type(self))
        view.__dict__.update(self.__dict__)
        view._lock_fd = None
        view.close = lambda: None
        if kind == "outer":
            view._scope = "id IN (SELECT trial_id FROM flow WHERE kind = 'outer')"
            view._tag = (None, "outer")
        else:
            view._scope = f"id IN (SELECT trial_id FROM flow WHERE parent = {int(parent)})"
            view._tag = (int(parent), "inner")
        return view

    def _best_scope(self) -> str:
        """Outer trials are never the best trial (their objective is their best inner trial's),
        nor is an infeasible one (a `# glovec: constraint` was false)."""
        feasible = ("(metrics IS NULL OR NOT json_valid(metrics)"
                    " OR json_extract(metrics, '$.feasible') IS NOT 0)")
        if self._scope != "1" or not self._has_flow:
            return f"{self._scope} AND {feasible}"
        return f"id NOT IN (SELECT trial_id FROM flow WHERE kind = 'outer') AND {feasible}"

    @_guarded
    def levels(self) -> dict[int, tuple[int | None, str]]:
        """trial id -> (parent, kind) for the trials of a nested flow (empty for other studies)."""
        if not self._has_flow:
            return {}
        return {tid: (parent, kind) for tid, parent, kind in
                self._conn.execute("SELECT trial_id, parent, kind FROM flow")}

    @_guarded
    def finalist_ids(self) -> list[int] | None:
        """The trials a one-shot run trains alone after its search (its finalists), in the
        order it chose them; None when no one-shot run chose finalists in this study."""
        row = self._conn.execute(
            "SELECT value FROM meta WHERE key = 'oneshot_finalists'").fetchone()
        if row is None:
            return None
        try:
            ids = json.loads(row[0])
        except ValueError:
            return []
        return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []

    @_guarded
    def add_finalist(self, trial_id: int) -> None:
        ids = self.finalist_ids() or []
        self._conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('oneshot_finalists', ?)",
                           (json.dumps(ids + [int(trial_id)]),))

    @property
    def nested_group(self) -> str | None:
        """The group a nested run searched in its outer trials (None: not a nested run)."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'nest'").fetchone()
        return row[0] if row else None

    @nested_group.setter
    def nested_group(self, group: str) -> None:
        self._conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('nest', ?)", (group,))

    def outer_ids(self) -> list[int]:
        return [tid for tid, (_, kind) in self.levels().items() if kind == "outer"]

    # -- the algorithm's checkpoint (so that resuming need not replay the whole history) ----------

    @_guarded
    def checkpoint(self) -> dict | None:
        """What ``save_checkpoint`` stored last; None when there is none, ``{}`` when it cannot be
        read (an edited or damaged file)."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'checkpoint'").fetchone()
        if row is None:
            return None
        try:
            value = json.loads(row[0])
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    @_guarded
    def save_checkpoint(self, checkpoint: Mapping) -> None:
        """Keep the search loop's snapshot of its algorithm (docs/internals.md, section 6)."""
        self._conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('checkpoint', ?)",
                           (json.dumps(checkpoint, separators=(",", ":")),))

    @_guarded
    def last_id(self) -> int:
        """The highest trial id (0 for an empty study)."""
        return self._conn.execute("SELECT coalesce(max(id), 0) FROM trials").fetchone()[0]

    def close(self) -> None:
        try:
            self._conn.close()
        except sqlite3.Error:
            pass
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the lock
            self._lock_fd = None

    def __enter__(self) -> "Study":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

