"""The ``Study``: a search's durable record (opening, trial transitions, reading)."""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from typing import Any, Iterable, Mapping

from .errors import StudyError, read_only
from .fingerprint import space_diff, space_fingerprint
from .lock import lock as _lock
from .migrate import migrate_trials
from .rows import COLUMNS as _COLUMNS
from .rows import STATUSES, Damaged, TrialRecord, damaged, decode_decisions, decode_objective
from .rows import decode_space, directions, encode_decisions, encode_metrics, encode_objective
from .schema import check_schema as _check_schema
from .schema import connect as _connect
from .schema import connect_readonly as _connect_readonly


def _space_dict(space: Any) -> dict:
    """Accept the space dict, its JSON text, or a DNASpec that remembers its space."""
    if isinstance(space, str):
        return json.loads(space)
    if isinstance(space, Mapping):
        return dict(space)
    for attr in ("space", "to_space", "as_space"):
        value = getattr(space, attr, None)
        if callable(value):
            value = value()
        if isinstance(value, Mapping):
            return dict(value)
    raise TypeError("Study.open needs the space dict (section 2 of docs/internals.md)")


class Study:
    """A search's durable record. Open with ``Study.open(path, space, resume=..., migrate=...)``.

    ``path`` may be ``":memory:"`` for a study that lives only as long as the process.
    """

    def __init__(self, path: str, conn: sqlite3.Connection, space: dict) -> None:
        self.path = path
        self._conn = conn
        self.space = space
        self.fingerprint = space_fingerprint(space)
        self.directions = directions(space)
        self._spec = None
        self.resumed = False
        self.migrated: list[int] = []   # ids kept by --migrate
        self.dropped: list[int] = []    # ids dropped by --migrate
        self.requeued: list[int] = []   # ids that were in flight when the last driver stopped
        self._lock_fd: int | None = None

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike, space: Any, *, resume: bool = False,
             migrate: bool = False) -> "Study":
        """Create a study, or continue one.

        A file that already holds trials is refused unless ``resume`` (GV502). On resume the
        stored space must match ``space`` site for site (GV503 names the added, removed and
        changed site ids) unless ``migrate``: then the trials whose decisions still fit the new
        space (by site id) are kept, with new sites at their defaults, and the others are dropped.
        Trials that were in flight go back to ``proposed``.
        """
        path = os.fspath(path)
        space = _space_dict(space)
        conn = _connect(path)
        lock = None
        try:
            lock = _lock(path)
            study = cls._open(path, conn, space, resume, migrate)
        except sqlite3.DatabaseError as exc:
            conn.close()
            if lock is not None:
                os.close(lock)
            if getattr(exc, "sqlite_errorcode", None) == 8 or "readonly" in str(exc):
                raise read_only(path, str(exc)) from None  # SQLITE_READONLY
            raise damaged(path, "the file", exc) from None
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
            return cls(path, conn, decode_space(row[0], path))
        except BaseException:
            conn.close()
            raise

    @classmethod
    def _open(cls, path: str, conn: sqlite3.Connection, space: dict, resume: bool,
              migrate: bool) -> "Study":
        _check_schema(conn, path)
        stored = conn.execute("SELECT value FROM meta WHERE key = 'space'").fetchone()
        n_trials = conn.execute("SELECT count(*) FROM trials").fetchone()[0]
        study = cls(path, conn, space)
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
            added, removed, changed = space_diff(old_space, space)
            if not migrate:
                parts = []
                for label, ids in (("added", added), ("removed", removed), ("changed", changed)):
                    if ids:
                        parts.append(f"{label}: {', '.join(ids)}")
                detail = "; ".join(parts) or "the structure differs"
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
                    ("space", json.dumps(self.space, sort_keys=True, separators=(",", ":"))),
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
        self.migrated, self.dropped = migrate_trials(self._conn, old_space, self.space)

    # -- transitions (each one a committed transaction) -------------------------------------------

    def add_trial(self, dna: Any, status: str = "proposed") -> int:
        """Record a proposed trial (or, with ``status="running"``, one that starts now)."""
        now = time.time()
        cur = self._conn.execute(
            "INSERT INTO trials (status, dna, created, started, attempts) VALUES (?, ?, ?, ?, ?)",
            (status, encode_decisions(dna), now, now if status == "running" else None,
             1 if status == "running" else 0),
        )
        return cur.lastrowid

    def start(self, trial_id: int) -> None:
        self._conn.execute(
            "UPDATE trials SET status = 'running', started = ?, attempts = attempts + 1 WHERE id = ?",
            (time.time(), trial_id),
        )

    def complete(self, trial_id: int, objective: Any, metrics: Mapping | None = None,
                 reports: Iterable | None = None) -> None:
        self._finish(trial_id, "completed", encode_objective(objective), metrics, None, None,
                     reports)

    def fail(self, trial_id: int, reason: str | None, metrics: Mapping | None = None,
             reports: Iterable | None = None) -> None:
        self._finish(trial_id, "failed", None, metrics, reason, None, reports)

    def prune(self, trial_id: int, step: int | None = None, metrics: Mapping | None = None,
              reports: Iterable | None = None, reason: str | None = None) -> None:
        if step is None and reports:
            reports = list(reports)
            step = reports[-1][0] if reports else None
        self._finish(trial_id, "pruned", None, metrics, reason, step, reports)

    def _finish(self, trial_id, status, objective, metrics, error, step, reports) -> None:
        conn = self._conn
        if reports:
            conn.execute("BEGIN")
            try:
                conn.executemany(
                    "INSERT OR REPLACE INTO reports (trial_id, step, value) VALUES (?, ?, ?)",
                    [(trial_id, s, encode_objective(v)) for s, v in reports],
                )
                self._update_finished(trial_id, status, objective, metrics, error, step)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        else:
            self._update_finished(trial_id, status, objective, metrics, error, step)

    def _update_finished(self, trial_id, status, objective, metrics, error, step) -> None:
        cur = self._conn.execute(
            "UPDATE trials SET status = ?, objective = ?, metrics = ?, error = ?, step = ?,"
            " finished = ? WHERE id = ? AND status IN ('proposed', 'running')",
            (status, objective, encode_metrics(metrics), error, step, time.time(), trial_id),
        )
        if cur.rowcount != 1:
            row = self._conn.execute("SELECT status FROM trials WHERE id = ?", (trial_id,)).fetchone()
            state = "does not exist" if row is None else f"is already {row[0]}"
            raise StudyError("GV504", f"trial {trial_id} {state}; it cannot become {status}",
                             self.path)

    def report(self, trial_id: int, step: int, value: Any) -> None:
        """Record one intermediate value of a running trial (committed at once)."""
        self._conn.execute(
            "INSERT OR REPLACE INTO reports (trial_id, step, value) VALUES (?, ?, ?)",
            (trial_id, step, encode_objective(value)),
        )

    # -- reading --------------------------------------------------------------------------------

    def trial(self, trial_id: int) -> TrialRecord | None:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM trials WHERE id = ?", (trial_id,)).fetchone()
        return TrialRecord(row, self.path) if row else None

    def trials(self, status: str | Iterable[str] | None = None) -> list[TrialRecord]:
        """Trials in id order, all of them or those with the given status(es)."""
        if status is None:
            rows = self._conn.execute(f"SELECT {_COLUMNS} FROM trials ORDER BY id")
        else:
            wanted = (status,) if isinstance(status, str) else tuple(status)
            marks = ", ".join("?" * len(wanted))
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM trials WHERE status IN ({marks}) ORDER BY id", wanted)
        return [TrialRecord(r, self.path) for r in rows]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for status, n in self._conn.execute("SELECT status, count(*) FROM trials GROUP BY status"):
            if status not in out:
                raise damaged(self.path, f"{n} trial(s)", Damaged(
                    f"their status {status!r} is none of {', '.join(STATUSES)}"))
            out[status] = n
        return out

    def reports(self, trial_id: int) -> list[tuple[int, Any]]:
        return [(s, self._report_value(trial_id, v)) for s, v in self._conn.execute(
            "SELECT step, value FROM reports WHERE trial_id = ? ORDER BY step", (trial_id,))]

    def all_reports(self) -> dict[int, list[tuple[int, Any]]]:
        """Every trial's intermediate values (for early-stopping policies after a resume)."""
        out: dict[int, list] = {}
        for tid, s, v in self._conn.execute(
                "SELECT trial_id, step, value FROM reports ORDER BY trial_id, step"):
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

    def best(self, k: int = 1) -> list[TrialRecord]:
        """The ``k`` best completed trials by the (first) objective's direction, best first."""
        order = "DESC" if self.directions[0] == "maximize" else "ASC"
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM trials WHERE status = 'completed' AND objective IS NOT NULL"
            f" AND typeof(objective) != 'text' ORDER BY objective {order}, id LIMIT ?", (k,))
        out = [TrialRecord(r, self.path) for r in rows]
        if len(out) < k:  # several objectives: rank by the first one
            multi = [t for t in self.trials("completed") if isinstance(t.objective, tuple)]
            sign = -1 if order == "DESC" else 1
            multi.sort(key=lambda t: (sign * t.objective[0], t.id))
            out.extend(multi[: k - len(out)])
        return [t for t in out if not (isinstance(t.objective, float) and math.isnan(t.objective))]

    @property
    def spec(self):
        """The DNASpec of the stored space (built on first use; needs ``glovec.runtime.geno``)."""
        if self._spec is None:
            from ..geno import DNASpec

            self._spec = DNASpec.from_space(self.space)
        return self._spec

    def history(self, as_dna: bool = True, include_pending: bool = True) -> list[tuple[Any, Any]]:
        """Trials in id order (the order they were proposed) as ``(DNA, reward)`` for
        ``Algorithm.recover``, which replays one proposal and one feedback per entry.

        ``reward`` is None for failed and pruned trials, and for trials still ``proposed`` (ones
        a stopped driver left in flight): they count as proposals, so a seeded algorithm does not
        propose them again; the driver re-runs them and feeds their result back when it arrives.
        """
        out = []
        spec = self.spec if as_dna else None
        wanted = "('completed', 'failed', 'pruned', 'proposed', 'running')" if include_pending \
            else "('completed', 'failed', 'pruned')"
        rows = self._conn.execute(
            f"SELECT id, dna, status, objective FROM trials WHERE status IN {wanted} ORDER BY id")
        for tid, dna, status, objective in rows:
            try:
                reward = self.reward(decode_objective(objective)) if status == "completed" else None
                decisions = decode_decisions(dna) if spec is None else None
            except Damaged as exc:
                raise damaged(self.path, f"trial {tid}", exc) from None
            out.append((self._dna(tid, dna) if spec is not None else decisions, reward))
        return out

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

