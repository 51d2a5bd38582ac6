"""Shared fixtures. Each is started only by the tests that ask for it."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def ray_local():
    """One local Ray instance for the whole test session (start-up takes a few seconds)."""
    ray = pytest.importorskip("ray")
    if not ray.is_initialized():
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
    yield ray
    ray.shutdown()


def without_root_powers() -> list[str]:
    """A command prefix under which file permissions bind. Root bypasses them, so as root the
    command runs without the capabilities that do (``setpriv``, util-linux); the test is skipped
    when that is not possible."""
    import os
    import shutil

    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make a file read-only")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]


def glovec_process(argv, **kwargs):
    """``glovec ARGV`` in its own process (from this checkout) under ``without_root_powers``."""
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return subprocess.run([*without_root_powers(), sys.executable, "-m", "glovec.cli",
                           *map(str, argv)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": root}, **kwargs)


def trials_of(db):
    """A study's trials as stored: (id, status, dna, objective) rows in id order."""
    import sqlite3

    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT id, status, dna, objective FROM trials ORDER BY id").fetchall()
    finally:
        con.close()


def kill_after_completed(cmd, env, db, n: int, timeout: float = 300) -> int:
    """Start ``cmd``, SIGKILL it once its study ``db`` has ``n`` completed trials (it must still
    be running then); the completed trials left."""
    import signal
    import subprocess
    import time

    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + timeout
    while completed_trials(db) < n and proc.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    return completed_trials(db)


def completed_trials(db) -> int:
    """How many trials a study (perhaps being written by a running process) has completed; 0
    while it cannot be read yet."""
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute("SELECT COUNT(*) FROM trials WHERE status = 'completed'").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def edit_study(db, sql, *params):
    """Change a study the way someone with write access to its file can: one SQL statement."""
    import sqlite3

    con = sqlite3.connect(db)
    try:
        with con:
            con.execute(sql, params)
    finally:
        con.close()
