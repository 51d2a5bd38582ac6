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
    trials(id, status, dna, objective, metrics, error, step, created, started, finished, attempts)
    reports(trial_id, step, value)

``dna`` is the JSON of ``DNA.decisions`` (point id -> index, tuple of indices, or number);
``objective`` is a float, or JSON text for several objectives; ``metrics`` is JSON.

Statuses: ``proposed`` -> ``running`` -> ``completed`` | ``failed`` | ``pruned``.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from typing import Any, Iterable, Mapping

from .geno.identity import space_diff, space_fingerprint

__all__ = [
    "SCHEMA_VERSION",
    "FINISHED",
    "Study",
    "StudyError",
    "TrialRecord",
    "space_fingerprint",
    "space_diff",
]

SCHEMA_VERSION = 1
FINISHED = ("completed", "failed", "pruned")
STATUSES = ("proposed", "running") + FINISHED

# The best trials without reading every row (a resume, a summary): completed ones by objective.
_BEST_INDEX = "CREATE INDEX IF NOT EXISTS trials_best ON trials (status, objective);"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL,
    dna TEXT NOT NULL,
    objective,
    metrics TEXT,
    error TEXT,
    step INTEGER,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS trials_status ON trials (status);
""" + _BEST_INDEX + """
CREATE TABLE IF NOT EXISTS reports (
    trial_id INTEGER NOT NULL,
    step INTEGER NOT NULL,
    value,
    PRIMARY KEY (trial_id, step)
);
"""


class StudyError(Exception):
    """A study cannot be opened or continued as asked. ``code`` is the GV5xx diagnostic code."""

    def __init__(self, code: str, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = path

    def render(self) -> str:
        where = f"{self.path}:1:1: " if self.path else ""
        return f"{where}{self.code} {self.message}"


class TrialRecord:
    """One row of the trials table, decoded."""

    __slots__ = ("id", "status", "decisions", "objective", "metrics", "error", "step",
                 "created", "started", "finished", "attempts")

    def __init__(self, row: tuple) -> None:
        (self.id, self.status, dna, objective, metrics, self.error, self.step,
         self.created, self.started, self.finished, self.attempts) = row
        self.decisions = _decode_decisions(dna)
        self.objective = _decode_objective(objective)
        self.metrics = json.loads(metrics) if metrics else {}

    @property
    def seconds(self) -> float | None:
        if self.started is None or self.finished is None:
            return None
        return self.finished - self.started

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "status": self.status,
            "objective": self.objective,
            "decisions": self.decisions,
            "metrics": self.metrics,
            "error": self.error,
            "step": self.step,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
        }

    def __repr__(self) -> str:
        return f"TrialRecord(id={self.id}, status={self.status!r}, objective={self.objective!r})"


_COLUMNS = "id, status, dna, objective, metrics, error, step, created, started, finished, attempts"


# ---- encoding ------------------------------------------------------------------------------


def _decisions_of(dna: Any) -> Mapping:
    decisions = getattr(dna, "decisions", dna)
    if not isinstance(decisions, Mapping):
        raise TypeError(f"expected a DNA or a dict of decisions, got {type(dna).__name__}")
    return decisions


def _encode_decisions(dna: Any) -> str:
    # Tuples become JSON lists; _decode_decisions turns them back into tuples.
    return json.dumps(_decisions_of(dna), separators=(",", ":"))


def _decode_decisions(text: str) -> dict:
    decisions = json.loads(text)
    for key, value in decisions.items():
        if isinstance(value, list):
            decisions[key] = tuple(value)
    return decisions


def _encode_objective(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return json.dumps([float(v) for v in value])
    return float(value)


def _decode_objective(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(json.loads(value))
    return value


def _encode_metrics(metrics: Mapping | None) -> str | None:
    if not metrics:
        return None
    return json.dumps(dict(metrics), separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> Any:
    # numpy scalars, tensors with .item(), and anything else printable
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return item()
        except Exception:  # noqa: BLE001 - fall through to str()
            pass
    return str(value)


# ---- the space ------------------------------------------------------------------------------
# When two spaces are the same (fingerprint, diff): glovec.runtime.geno.identity, one definition.


def _directions(space: Mapping) -> tuple[str, ...]:
    objective = space.get("objective") or {}
    if isinstance(objective, list):  # several objectives
        return tuple(o.get("direction", "maximize") for o in objective)
    return (objective.get("direction", "maximize"),)


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


# ---- the study ------------------------------------------------------------------------------


class Study:
    """A search's durable record. Open with ``Study.open(path, space, resume=..., migrate=...)``.

    ``path`` may be ``":memory:"`` for a study that lives only as long as the process.
    """

    def __init__(self, path: str, conn: sqlite3.Connection, space: dict) -> None:
        self.path = path
        self._conn = conn
        self.space = space
        self.fingerprint = space_fingerprint(space)
        self.directions = _directions(space)
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
        except BaseException:
            conn.close()
            if lock is not None:
                os.close(lock)
            raise
        study._lock_fd = lock
        return study

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Study":
        """Open an existing study read-mostly, with its stored space (for ``glovec report``)."""
        path = os.fspath(path)
        if path != ":memory:" and not os.path.exists(path):
            raise StudyError("GV501", f"no study at {path}", path)
        conn = _connect(path)
        try:
            _check_schema(conn, path)
            row = conn.execute("SELECT value FROM meta WHERE key = 'space'").fetchone()
            if row is None:
                raise StudyError("GV501", f"{path} is not a glovec study (no space stored)", path)
            return cls(path, conn, json.loads(row[0]))
        except BaseException:
            conn.close()
            raise

    @classmethod
    def _open(cls, path: str, conn: sqlite3.Connection, space: dict, resume: bool,
              migrate: bool) -> "Study":
        _check_schema(conn, path)
        conn.execute(_BEST_INDEX)  # studies made before the index get it once
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
        old_space = json.loads(stored[0])
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
        old_sites = _flat_points(old_space)
        new_sites = _flat_points(self.space)
        keep, drop = [], []
        for tid, text in self._conn.execute("SELECT id, dna FROM trials ORDER BY id").fetchall():
            fitted = _fit_decisions(_decode_decisions(text), old_sites, new_sites, self.space)
            if fitted is None:
                drop.append(tid)
            else:
                keep.append((_encode_decisions(fitted), tid))
        with self._conn:
            self._conn.executemany("UPDATE trials SET dna = ? WHERE id = ?", keep)
            self._conn.executemany("DELETE FROM trials WHERE id = ?", [(i,) for i in drop])
            self._conn.executemany("DELETE FROM reports WHERE trial_id = ?", [(i,) for i in drop])
        self.migrated = [tid for _, tid in keep]
        self.dropped = drop

    # -- transitions (each one a committed transaction) -------------------------------------------

    def add_trial(self, dna: Any, status: str = "proposed") -> int:
        """Record a proposed trial (or, with ``status="running"``, one that starts now)."""
        now = time.time()
        cur = self._conn.execute(
            "INSERT INTO trials (status, dna, created, started, attempts) VALUES (?, ?, ?, ?, ?)",
            (status, _encode_decisions(dna), now, now if status == "running" else None,
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
        self._finish(trial_id, "completed", _encode_objective(objective), metrics, None, None,
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
                    [(trial_id, s, _encode_objective(v)) for s, v in reports],
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
            (status, objective, _encode_metrics(metrics), error, step, time.time(), trial_id),
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
            (trial_id, step, _encode_objective(value)),
        )

    # -- reading --------------------------------------------------------------------------------

    def trial(self, trial_id: int) -> TrialRecord | None:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM trials WHERE id = ?", (trial_id,)).fetchone()
        return TrialRecord(row) if row else None

    def trials(self, status: str | Iterable[str] | None = None) -> list[TrialRecord]:
        """Trials in id order, all of them or those with the given status(es)."""
        if status is None:
            rows = self._conn.execute(f"SELECT {_COLUMNS} FROM trials ORDER BY id")
        else:
            wanted = (status,) if isinstance(status, str) else tuple(status)
            marks = ", ".join("?" * len(wanted))
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM trials WHERE status IN ({marks}) ORDER BY id", wanted)
        return [TrialRecord(r) for r in rows]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for status, n in self._conn.execute("SELECT status, count(*) FROM trials GROUP BY status"):
            out[status] = n
        return out

    def reports(self, trial_id: int) -> list[tuple[int, Any]]:
        return [(s, _decode_objective(v)) for s, v in self._conn.execute(
            "SELECT step, value FROM reports WHERE trial_id = ? ORDER BY step", (trial_id,))]

    def all_reports(self) -> dict[int, list[tuple[int, Any]]]:
        """Every trial's intermediate values (for early-stopping policies after a resume)."""
        out: dict[int, list] = {}
        for tid, s, v in self._conn.execute(
                "SELECT trial_id, step, value FROM reports ORDER BY trial_id, step"):
            out.setdefault(tid, []).append((s, _decode_objective(v)))
        return out

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
        out = [TrialRecord(r) for r in rows]
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
            from .geno import DNASpec

            self._spec = DNASpec.from_space(self.space)
        return self._spec

    def history(self, as_dna: bool = True, include_pending: bool = True,
                after: int = 0) -> list[tuple[Any, Any]]:
        """Trials in id order (the order they were proposed) as ``(DNA, reward)`` for
        ``Algorithm.recover``, which replays one proposal and one feedback per entry; only those
        whose id is above ``after`` (the trials recorded since an algorithm's checkpoint).

        ``reward`` is None for failed and pruned trials, and for trials still ``proposed`` (ones
        a stopped driver left in flight): they count as proposals, so a seeded algorithm does not
        propose them again; the driver re-runs them and feeds their result back when it arrives.
        """
        out = []
        spec = self.spec if as_dna else None
        wanted = "('completed', 'failed', 'pruned', 'proposed', 'running')" if include_pending \
            else "('completed', 'failed', 'pruned')"
        rows = self._conn.execute(
            f"SELECT dna, status, objective FROM trials WHERE status IN {wanted} AND id > ?"
            f" ORDER BY id", (after,))
        for dna, status, objective in rows:
            decisions = _decode_decisions(dna)
            reward = self.reward(_decode_objective(objective)) if status == "completed" else None
            out.append((_make_dna(spec, decisions) if spec is not None else decisions, reward))
        return out

    # -- the algorithm's checkpoint (so that resuming need not replay the whole history) ----------

    def checkpoint(self) -> dict | None:
        """What ``save_checkpoint`` stored last, or None (none, or not readable)."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'checkpoint'").fetchone()
        try:
            value = json.loads(row[0]) if row else None
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def save_checkpoint(self, checkpoint: Mapping) -> None:
        """Keep the search loop's snapshot of its algorithm (docs/internals.md, section 6)."""
        self._conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('checkpoint', ?)",
                           (json.dumps(checkpoint, separators=(",", ":")),))

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


def _make_dna(spec, decisions: dict):
    from .geno import DNA

    return DNA(spec, decisions)


def _lock(path: str) -> int | None:
    """Hold ``<study>-lock`` so that a second driver cannot write the same study (GV508).

    A POSIX record lock: the kernel drops it when the process ends, however it ends (SIGKILL
    included), so a crashed driver never leaves a stale lock behind. Locks belong to the process,
    so one process may open a study more than once (tests do, to play a driver that died).
    """
    if path == ":memory:":
        return None
    try:
        import fcntl
    except ImportError:  # not POSIX: no guard
        return None
    try:
        fd = os.open(path + "-lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StudyError("GV501", f"cannot open the study {path}: {exc.strerror}", path) from exc
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
        os.close(fd)
        raise StudyError(
            "GV508",
            f"study {path} is in use by another driver (process {holder}); wait for it to end, "
            f"or stop it and continue with --resume",
            path,
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd


def _connect(path: str) -> sqlite3.Connection:
    # Autocommit mode (isolation_level=None): every statement outside an explicit BEGIN is its own
    # committed transaction. One connection, statements cached by the sqlite3 module.
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30.0, check_same_thread=False,
                               cached_statements=64)
        if path != ":memory:":
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.DatabaseError as exc:
        raise StudyError("GV501", f"cannot open the study {path}: {exc}", path) from exc
    return conn


def _check_schema(conn: sqlite3.Connection, path: str) -> None:
    try:
        has_version = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchone()
    except sqlite3.DatabaseError as exc:
        raise StudyError("GV501", f"{path} is not a glovec study ({exc})", path) from exc
    if has_version:
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        if row is not None and row[0] != SCHEMA_VERSION:
            raise StudyError(
                "GV505",
                f"study {path} has schema version {row[0]}; this glovec reads version "
                f"{SCHEMA_VERSION}",
                path,
            )
        if row is not None:
            return
    else:
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if tables:
            raise StudyError("GV501", f"{path} is an SQLite file but not a glovec study", path)
    conn.executescript("BEGIN;" + _SCHEMA + "DELETE FROM schema_version;"
                       f"INSERT INTO schema_version VALUES ({SCHEMA_VERSION}); COMMIT;")


# ---- migration helpers -------------------------------------------------------------------------


def _flat_points(space: Mapping) -> dict[str, dict]:
    """point id -> site dict, with repeat=N sites expanded into ``id[0]``..``id[N-1]``."""
    out: dict[str, dict] = {}

    def walk(sites):
        for site in sites:
            repeat = site.get("repeat", 1) or 1
            ids = [site["id"]] if repeat == 1 else [f"{site['id']}[{i}]" for i in range(repeat)]
            for pid in ids:
                out[pid] = site
            for children in (site.get("children") or {}).values():
                walk(children)

    walk(space.get("sites") or ())
    return out


def _fit_decisions(decisions: dict, old: dict, new: dict, new_space: Mapping) -> dict | None:
    """Translate one trial's decisions to the new space, or None when they no longer fit.

    Candidates are matched by their source text, so reordering or adding candidates keeps the
    trial; a chosen candidate that disappeared, or a number outside a new range, drops it.
    Points the trial never decided (new sites) take their default, which is what the old
    program ran with.
    """
    out: dict = {}

    def active(sites, ok=True):
        for site in sites:
            repeat = site.get("repeat", 1) or 1
            ids = [site["id"]] if repeat == 1 else [f"{site['id']}[{i}]" for i in range(repeat)]
            for pid in ids:
                value = _fit_one(pid, site, decisions, old)
                if value is _NOFIT:
                    return False
                out[pid] = value
                if site.get("kind") == "oneof" and site.get("children"):
                    children = site["children"].get(str(value))
                    if children and not active(children):
                        return False
        return True

    return out if active(new_space.get("sites") or ()) else None


_NOFIT = object()


def _fit_one(pid: str, site: Mapping, decisions: dict, old: dict) -> Any:
    kind = site.get("kind")
    if pid not in decisions or pid not in old:
        return _default_decision(site)
    value = decisions[pid]
    old_site = old[pid]
    if old_site.get("kind") != kind:
        return _NOFIT
    if kind in ("floatv", "intv"):
        lo, hi = site.get("lo"), site.get("hi")
        if lo is not None and value < lo or hi is not None and value > hi:
            return _NOFIT
        if kind == "intv":
            step = site.get("step", 1) or 1
            if lo is not None and (value - lo) % step:
                return _NOFIT
        return value
    new_cands = list(site.get("candidates") or ())
    old_cands = list(old_site.get("candidates") or ())

    def map_index(i):
        if not isinstance(i, int) or i >= len(old_cands) or old_cands[i] not in new_cands:
            return None
        return new_cands.index(old_cands[i])

    if kind == "oneof":
        j = map_index(value)
        return _NOFIT if j is None else j
    indices = [map_index(i) for i in value]
    if any(j is None for j in indices):
        return _NOFIT
    if kind == "manyof" and site.get("k") is not None and len(indices) != site["k"]:
        return _NOFIT
    if kind == "permutate" and len(indices) != len(new_cands):
        return _NOFIT
    if kind == "manyof" and site.get("sorted") and indices != sorted(indices):
        return _NOFIT
    return tuple(indices)


def _default_decision(site: Mapping) -> Any:
    default = site.get("default")
    if isinstance(default, list):
        return tuple(default)
    return default
