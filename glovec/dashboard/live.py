"""Following a study while a run writes it: the full document once, then only what changed.

``Feed`` keeps each trial of ``glovec report --json`` (``study_json``'s ``trial_json``) as
compact JSON bytes, and a log of which trial ids changed at which version. A client loads
``GET /api/trials`` (the whole document, with the cursor in the ``X-Glovec-Cursor`` header),
then polls ``GET /api/updates?since=CURSOR`` and receives the study's summary (counts, best)
and the trials that changed since then, nothing else. A refresh costs one ``PRAGMA
data_version`` when nobody wrote; otherwise one query for the rows that can change: new ids,
and trials that were not finished (proposed or running) at the last refresh. Finished trials
never change, except through ``run --resume --migrate``, which rewrites the stored space: a
changed fingerprint starts a new generation, and clients reload the whole document.

Reads go through their own read-only SQLite connection (``mode=ro``, see ``_load``); the schema
is the one ``glovec.runtime.study`` documents (``trials``, ``reports``, ``meta``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import urllib.parse

from glovec.commands.run import study_json, trial_json
from glovec.runtime.study.rows import COLUMNS as _COLUMNS  # what TrialRecord(row) reads

_LOG_LIMIT = 4096  # versions remembered; an older cursor gets the whole document again


def _dumps(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), allow_nan=True).encode("utf-8")


class Feed:
    """The live view of one study file (thread-safe; one per server)."""

    def __init__(self, path: str, min_interval: float = 0.25) -> None:
        from glovec.runtime.study import Study

        self.path = os.path.abspath(path)
        self._Study = Study
        self._conn = None
        self.study = self._load()
        self._lock = threading.RLock()
        self.min_interval = min_interval
        self.generation = f"{os.getpid():x}{int(time.time() * 1000):x}"
        self._reset()

    def _load(self):
        """The study, read through this feed's own connection. ``Study.load`` checks the file
        (GV501, GV505) and reads its space; but it opens a study whose driver has closed it
        ``immutable=1`` (no ``-wal`` file), which would never see a later ``--resume`` run, so
        the dashboard reads through a plain read-only connection (``mode=ro``) instead."""
        checked = self._Study.load(self.path)
        space = checked.space_doc
        checked.close()
        if self._conn is None:
            self._conn = sqlite3.connect(f"file:{urllib.parse.quote(self.path)}?mode=ro",
                                         uri=True, check_same_thread=False, timeout=30.0)
            self._conn.execute("PRAGMA query_only=1")
        return self._Study(self.path, self._conn, space)

    def _reset(self) -> None:
        self.version = 0
        self.rendered: dict[int, bytes] = {}
        self._completed: dict[int, dict] = {}
        self._signature: dict[int, tuple] = {}
        self._open: set[int] = set()  # ids not finished at the last refresh
        self._max_id = 0
        self._log: list[tuple[int, list[int]]] = []
        self._data_version = None
        self._checked = 0.0
        self._fingerprint = self._meta("fingerprint")
        self._summary: bytes = b"{}"
        self.refresh(force=True)

    def close(self) -> None:
        self.study.close()  # closes this feed's connection

    def _meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # ---- refreshing ----------------------------------------------------------------------

    def refresh(self, force: bool = False) -> int:
        """Read what changed in the file since the last refresh; the current version."""
        with self._lock:
            now = time.monotonic()
            if not force and now - self._checked < self.min_interval:
                return self.version
            self._checked = now
            data_version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            if not force and data_version == self._data_version:
                return self.version
            self._data_version = data_version
            if self._meta("fingerprint") != self._fingerprint:  # --resume --migrate
                self.study = self._load()
                self.generation += "+"
                self._reset()
                return self.version
            self._read_changes()
            return self.version

    def _read_changes(self) -> None:
        from glovec.runtime.study import StudyError, TrialRecord

        watched = json.dumps(sorted(self._open))
        # three indexed reads (rowid, the status index, rowids) rather than one OR, which
        # SQLite answers with a full scan
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM trials WHERE id > ?"
            f" UNION SELECT {_COLUMNS} FROM trials WHERE status IN ('proposed', 'running')"
            f" UNION SELECT {_COLUMNS} FROM trials WHERE id IN (SELECT value FROM json_each(?))"
            " ORDER BY id", (self._max_id, watched)).fetchall()
        report_counts = {}
        if rows:
            ids = json.dumps([r[0] for r in rows])
            report_counts = dict(((tid, (n, last)) for tid, n, last in self._conn.execute(
                "SELECT trial_id, count(*), max(step) FROM reports"
                " WHERE trial_id IN (SELECT value FROM json_each(?)) GROUP BY trial_id", (ids,))))
        changed: list[int] = []
        still_open: set[int] = set()
        for row in rows:
            tid, status = row[0], row[1]
            signature = (status, row[3], row[4], row[5], row[6], row[8], row[9],
                         report_counts.get(tid))
            if status in ("proposed", "running"):
                still_open.add(tid)
            if self._signature.get(tid) == signature:
                continue
            self._signature[tid] = signature
            try:
                record = TrialRecord(row, self.path)
            except StudyError:  # a damaged row (GV510): `glovec report` names it; skip it here
                continue
            entry = trial_json(self.study, record)
            self.rendered[tid] = _dumps(entry)
            if status == "completed":  # what importance needs, kept parsed
                self._completed[tid] = {"objective": entry["objective"],
                                        "decisions": entry["decisions"]}
            changed.append(tid)
            self._max_id = max(self._max_id, tid)
        self._open = still_open
        self._signature = {t: self._signature[t] for t in still_open}  # finished rows are final
        if changed or self.version == 0:
            self.version += 1
            self._log.append((self.version, changed))
            if len(self._log) > _LOG_LIMIT:
                del self._log[: len(self._log) - _LOG_LIMIT]
            summary = study_json(self.study, trials=[])
            del summary["trials"]
            self._summary = _dumps(summary)

    # ---- documents -----------------------------------------------------------------------

    def document(self) -> tuple[bytes, int]:
        """``glovec report --json``'s document (compact) and the version it shows."""
        with self._lock:
            self.refresh()
            body = self._summary[:-1] + b',"trials":[' + b",".join(self.rendered.values()) + b"]}"
            return body, self.version

    def updates(self, since: int | None, generation: str | None) -> bytes:
        """What changed after version ``since``: ``{"generation", "cursor", "full", "summary",
        "trials", "reports"}``; ``full`` true (and no trials) means: load /api/trials again."""
        with self._lock:
            self.refresh()
            oldest = self._log[0][0] if self._log else 0
            head = {"generation": self.generation, "cursor": self.version}
            if generation != self.generation or since is None or since > self.version \
                    or since < oldest - 1:
                return _dumps({**head, "full": True})
            ids: set[int] = set()
            for version, changed in reversed(self._log):
                if version <= since:
                    break
                ids.update(changed)
            ordered = sorted(ids)
            reports = self.reports(ordered) if ordered else {}
            return (_dumps({**head, "full": False})[:-1] + b',"summary":' + self._summary
                    + b',"trials":[' + b",".join(self.rendered[t] for t in ordered if t in self.rendered)
                    + b'],"reports":' + _dumps(reports) + b"}")

    def reports(self, ids: list[int] | None = None, last: int | None = None) -> dict[str, list]:
        """Intermediate reports ``{trial id: [[step, value], ...]}`` of the given trials, or of
        the ``last`` trials that have any."""
        with self._lock:
            if ids is None:
                ids = [r[0] for r in self._conn.execute(
                    "SELECT DISTINCT trial_id FROM reports ORDER BY trial_id DESC LIMIT ?",
                    (last or 300,))]
            out: dict[str, list] = {}
            for tid, step, value in self._conn.execute(
                    "SELECT trial_id, step, value FROM reports WHERE trial_id IN"
                    " (SELECT value FROM json_each(?)) ORDER BY trial_id, step",
                    (json.dumps(sorted(ids)),)):
                if isinstance(value, str):  # several objectives: JSON text
                    value = json.loads(value)
                out.setdefault(str(tid), []).append([step, value])
            return out

    def trial(self, tid: int) -> dict | None:
        """One trial's page: the report document's entry plus its timestamps and reports."""
        with self._lock:
            record = self.study.trial(tid)
            if record is None:
                return None
            return {**trial_json(self.study, record), "step": record.step,
                    "created": record.created, "started": record.started,
                    "finished": record.finished, "attempts": record.attempts,
                    "reports": self.reports([tid]).get(str(tid), [])}

    def completed(self) -> list[dict]:
        """The completed trials' ``{"objective", "decisions"}`` (for importance)."""
        with self._lock:
            self.refresh()
            return list(self._completed.values())
