"""One trial run as a process: its files, and what its end means (shared by the process and Ray
executors); and the private folders the executors keep those files in.

A trial process learns its trial from a JSON file (``trial_payload``: ``trial_id``,
``decisions``, ``source_path``, ``header_line``, ``early_stopping``, ``setup``) and writes its
result JSON to another, atomically; its stdout and stderr go to files of their own. Here the
paths, and turning an exit status, a result file and a stderr tail into a ``TrialResult``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile

from ..wire import jsonable, pack_policy
from .base import ProgramRef, TrialResult, settle

__all__ = ["TrialFiles", "trial_payload", "describe_exit", "tail", "make_workdir",
           "remove_stale_workdirs"]

STDERR_TAIL_CHARS = 4000


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (out of memory?)" if -code == signal.SIGKILL else ""
        return f"the trial process was killed by {name}{hint}"
    return f"the trial process exited with status {code}"


def tail(path: str, limit: int = STDERR_TAIL_CHARS) -> str:
    """The last ``limit`` characters of a file, from a line start ("..." when cut)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - limit))
            data = f.read()
    except OSError:
        return ""
    text = data.decode("utf-8", "replace")
    if size > limit:
        text = "..." + text[text.find("\n") + 1:] if "\n" in text else "..." + text
    return text.rstrip()


def trial_payload(trial_id, decisions, prog: ProgramRef, early_stopping, history, setup=None) -> dict:
    return {
        "glovec_trial": 1,
        "trial_id": trial_id,
        "decisions": decisions,
        "source_path": os.path.abspath(prog.source_path) if prog.source_path else None,
        "header_line": prog.header_line,
        "early_stopping": pack_policy(early_stopping, history),
        "setup": setup,
    }


class TrialFiles:
    """The files of one trial in ``workdir`` (its logs in ``log_dir`` when given, and kept)."""

    def __init__(self, trial_id, workdir: str, log_dir: str | None = None) -> None:
        self.trial_id = trial_id
        self.payload = os.path.join(workdir, f"trial-{trial_id}.json")
        self.result = os.path.join(workdir, f"result-{trial_id}.json")
        logs = log_dir or workdir
        self.stdout = os.path.join(logs, f"trial-{trial_id}.out")
        self.stderr = os.path.join(logs, f"trial-{trial_id}.err")
        self.keep_logs = bool(log_dir)

    def write_payload(self, payload: dict) -> None:
        with open(self.payload, "w", encoding="utf-8") as f:
            json.dump(payload, f, default=jsonable)

    def collect(self, code: int, seconds: float, timed_out: float | None = None,
                died: str | None = None) -> TrialResult:
        """The trial's result from its exit ``code``, result file and stderr. ``timed_out``: the
        timeout that ended it; ``died``: why the process running it died under it."""
        data = None
        if not timed_out:
            try:
                with open(self.result, encoding="utf-8") as f:
                    data = json.load(f)
            except (OSError, ValueError):
                data = None
        if data is not None and (code == 0 or data.get("status") in ("failed", "pruned")):
            return settle(self.trial_id, data.get("status", "failed"), data.get("objective"),
                          data.get("metrics"), data.get("reports"), data.get("error"), seconds)
        if timed_out:
            why = f"timed out after {timed_out:g} s (the trial's process group was killed)"
        elif died:
            why = died
        else:
            why = describe_exit(code)
            if data is None and code == 0:
                why = "the trial process ended without writing a result (did it call os._exit?)"
        text = tail(self.stderr)
        error = why + (f"\n--- stderr (last lines) ---\n{text}" if text else "")
        reports = data.get("reports") if data else None
        return TrialResult(self.trial_id, "failed", None, dict((data or {}).get("metrics") or {}),
                           [tuple(r) for r in reports or ()], error, seconds)

    def cleanup(self) -> None:
        names = [self.payload, self.result]
        if not self.keep_logs:
            names += [self.stdout, self.stderr]
        for name in names:
            try:
                os.unlink(name)
            except OSError:
                pass


# -- the executors' private folders ------------------------------------------------------------

WORKDIR_PREFIX = "glovec-trials-"


def _start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (Linux), which tells a reused pid from its first owner."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def make_workdir(prefix: str = WORKDIR_PREFIX) -> str:
    """A private folder for one executor's files, marked with its driver (pid and start time)."""
    path = tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-")
    with open(os.path.join(path, "driver"), "w", encoding="utf-8") as f:
        f.write(f"{os.getpid()} {_start_time(os.getpid()) or ''}\n")
    return path


def _driver_alive(path: str) -> bool:
    try:
        with open(os.path.join(path, "driver"), encoding="utf-8") as f:
            pid_text, _, started = f.read().strip().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return True  # not ours to judge (being created, or not a glovec folder)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not started or _start_time(pid) in (None, started)


def remove_stale_workdirs(prefix: str = WORKDIR_PREFIX) -> list[str]:
    """Remove this user's executor folders whose driver is gone (killed by SIGKILL, say)."""
    removed = []
    root = tempfile.gettempdir()
    try:
        names = [n for n in os.listdir(root) if n.startswith(prefix)]
    except OSError:
        return removed
    for name in names:
        path = os.path.join(root, name)
        try:
            if os.lstat(path).st_uid != os.getuid() or not os.path.isdir(path):
                continue
        except OSError:
            continue
        if not _driver_alive(path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
