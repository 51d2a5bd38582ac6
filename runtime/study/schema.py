"""Connecting to a study file and its schema (version 1; the tables are listed in the package's
docstring).

A driver connects read-write (``connect``): WAL mode, and an empty file gets the schema. A reader
(``glovec report``, ``glovec materialize``) connects read-only (``connect_readonly``) and never
changes a byte: not the file (a foreign SQLite file or an empty file stays as it was before it is
refused), and no ``-wal``/``-shm`` files appear beside it. SQLite reads a WAL-mode file through
those two files and creates them when they are missing, even for a read-only connection, so a
study without a ``-wal`` file (every study whose driver closed it) is opened ``immutable=1``: all
of it is in the main file, which is read as is, also in a folder the user cannot write. A study
with a ``-wal`` file (a driver is running, or one was killed) is opened ``mode=ro`` and reads the
log too.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse

from .errors import StudyError

SCHEMA_VERSION = 1

# The best trials without reading every row (a resume, a summary): completed ones by objective.
BEST_INDEX = "CREATE INDEX IF NOT EXISTS trials_best ON trials (status, objective);"

# The levels of a nested flow (docs/flows.md): outer trials, and each inner trial's outer trial.
# Studies without nested flows leave it empty; studies made before it get it when a run opens them.
FLOW_TABLE = ("CREATE TABLE IF NOT EXISTS flow (trial_id INTEGER PRIMARY KEY, parent INTEGER,"
              " kind TEXT NOT NULL);")

# What reading a damaged file raises: SQLite's errors, and UnicodeDecodeError when the message of
# one quotes bytes that are not UTF-8 (a damaged schema).
READ_ERRORS = (sqlite3.DatabaseError, UnicodeDecodeError)

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
    attempts INTEGER NOT NULL DEFAULT 0,
    node TEXT
);
CREATE INDEX IF NOT EXISTS trials_status ON trials (status);
""" + BEST_INDEX + """
CREATE TABLE IF NOT EXISTS reports (
    trial_id INTEGER NOT NULL,
    step INTEGER NOT NULL,
    value,
    PRIMARY KEY (trial_id, step)
);
"""


def _text(value: bytes) -> str:
    # A damaged file can hold text that is not UTF-8; it decodes (with U+FFFD) and then fails the
    # checks of rows.py like any other bad value, instead of raising where it is read.
    return value.decode("utf-8", "replace")


def connect(path: str) -> sqlite3.Connection:
    # Autocommit mode (isolation_level=None): every statement outside an explicit BEGIN is its own
    # committed transaction. One connection, statements cached by the sqlite3 module.
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30.0, check_same_thread=False,
                               cached_statements=64)
        conn.text_factory = _text
        if path != ":memory:":
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    except READ_ERRORS as exc:
        raise StudyError("GV501", f"cannot open the study {path}: {exc}", path) from exc
    return conn


def connect_readonly(path: str) -> sqlite3.Connection:
    """A connection that reads ``path`` and cannot write anything (see the module docstring)."""
    if path == ":memory:":
        return connect(path)
    mode = "mode=ro" if os.path.exists(path + "-wal") else "immutable=1"
    uri = f"file:{urllib.parse.quote(os.path.abspath(path))}?{mode}"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30.0,
                               check_same_thread=False, cached_statements=64)
        conn.text_factory = _text
        conn.execute("PRAGMA query_only=1")
    except READ_ERRORS as exc:
        raise StudyError("GV501", f"cannot open the study {path}: {exc}", path) from exc
    return conn


def has_node_column(conn: sqlite3.Connection) -> bool:
    """Whether the trials table has the ``node`` column (added in place, without a new schema
    version: older studies gain it when a driver opens them, and readers read them without it;
    an older glovec reads a study that has it)."""
    return any(row[1] == "node" for row in conn.execute("PRAGMA table_info(trials)"))


def check_schema(conn: sqlite3.Connection, path: str, *, create: bool = True) -> None:
    """Refuse a file that is not a glovec study or has another schema version; give an empty
    file the schema (unless not ``create``: a reader refuses it too)."""
    try:
        has_version = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchone()
    except READ_ERRORS as exc:
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
            tables = {name for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            missing = [t for t in ("meta", "trials", "reports") if t not in tables]
            if missing:
                raise StudyError(
                    "GV510", f"the file of study {path} is damaged: it has no table "
                    f"{', '.join(missing)}; the file was edited or corrupted (restore it from a "
                    f"copy, or start a new --study)", path)
            if create and not has_node_column(conn):  # a study from before trials had a node
                conn.execute("ALTER TABLE trials ADD COLUMN node TEXT")
            return
    else:
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if tables:
            raise StudyError("GV501", f"{path} is an SQLite file but not a glovec study", path)
    if not create:
        raise StudyError("GV501", f"{path} is not a glovec study (it holds no tables)", path)
    conn.executescript("BEGIN;" + _SCHEMA + "DELETE FROM schema_version;"
                       f"INSERT INTO schema_version VALUES ({SCHEMA_VERSION}); COMMIT;")
