"""Connecting to a study file and its schema (version 1; the tables are listed in the package's
docstring)."""

from __future__ import annotations

import sqlite3

from .errors import StudyError

SCHEMA_VERSION = 1

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
CREATE TABLE IF NOT EXISTS reports (
    trial_id INTEGER NOT NULL,
    step INTEGER NOT NULL,
    value,
    PRIMARY KEY (trial_id, step)
);
"""


def connect(path: str) -> sqlite3.Connection:
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


def check_schema(conn: sqlite3.Connection, path: str) -> None:
    """Refuse a file that is not a glovec study or has another schema version; give an empty
    file the schema."""
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
