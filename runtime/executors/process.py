"""The process executor: each trial in a process of its own, ``workers`` at a time, from warm
workers that imported the program's modules once (``warm.py``, ``server.py``).

Its files live in a folder ``glovec-trials-<pid>-*`` of the temporary directory, removed when the
executor closes, when the driver is stopped by SIGTERM, and, should the driver have been killed
outright, by the next executor that starts (a folder whose driver is gone).
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading

from .base import ProgramRef, TrialResult
from .resources import cpu_count, gpu_slots, parse_memory, thread_env
from .trial_process import make_workdir, remove_stale_workdirs, trial_payload
from .warm import WarmPool, take_early

__all__ = ["ProcessExecutor", "make_workdir", "remove_stale_workdirs"]

class _OnSigterm:
    """While executors run, SIGTERM ends the driver as Ctrl-C does (its ``finally`` blocks run,
    so trial processes are stopped and files removed), with exit status 143."""

    depth = 0
    previous = None

    @classmethod
    def enter(cls) -> bool:
        if threading.current_thread() is not threading.main_thread():
            return False
        if cls.depth == 0:
            cls.previous = signal.signal(signal.SIGTERM, cls._handler)
        cls.depth += 1
        return True

    @classmethod
    def leave(cls) -> None:
        cls.depth -= 1
        if cls.depth == 0:
            signal.signal(signal.SIGTERM, cls.previous if cls.previous is not None else signal.SIG_DFL)

    @staticmethod
    def _handler(signum, frame):
        print("glovec: terminated (SIGTERM); running trials stop, and run again when you resume",
              file=sys.stderr, flush=True)
        raise SystemExit(128 + signum)


class ProcessExecutor:
    """Each trial in its own process, ``workers`` at a time (see ``warm.py`` for how)."""

    def __init__(self, prog: ProgramRef, workers=1, timeout=None, gpus_per_trial=0,
                 early_stopping=None, memory_limit=None, python=None, log_dir=None, preload=(),
                 mode=None):
        self.prog = prog
        # Each trial's stdout and stderr are kept as trial-<id>.out/.err in log_dir when given
        # (default GLOVEC_LOG_DIR); otherwise only the stderr tail of a failed trial is kept.
        self.log_dir = log_dir or os.environ.get("GLOVEC_LOG_DIR") or None
        if self.log_dir:
            os.makedirs(self.log_dir, exist_ok=True)
        self.timeout = timeout
        self.early_stopping = early_stopping
        self.memory_limit = parse_memory(memory_limit)
        self._slots = gpu_slots(gpus_per_trial) if gpus_per_trial else None
        self.capacity = min(workers, len(self._slots)) if self._slots else workers
        remove_stale_workdirs()
        self._threads = thread_env(self.capacity)
        # A fork server `glovec run` started while it compiled the program (warm.start_early)
        early = None if mode or self._slots else take_early(
            prog.source_path, prog.argv, prog.cwd, preload, python, self._threads)
        self._workdir = early.workdir if early else make_workdir()
        self._sigterm = _OnSigterm.enter()
        try:
            self._pool = WarmPool(prog, self.capacity, self._workdir, timeout=timeout,
                                  memory_limit=self.memory_limit, env=self._threads,
                                  slots=self._slots, preload=preload, mode=mode, python=python,
                                  log_dir=self.log_dir, early=early)
        except BaseException:
            self.close()
            raise

    def describe(self) -> str:
        """The line ``glovec run`` starts with: how trials run here, and why."""
        text = "glovec: process executor: " + self._pool.describe()
        if self._threads:
            share = next(iter(self._threads.values()))
            text += (f"; each trial's numeric libraries get {share} thread(s) of the "
                     f"{cpu_count()} CPUs ({', '.join(sorted(self._threads))}={share}; set them "
                     f"to choose)")
        return text

    def submit(self, trial_id: int, decisions: dict, history=None) -> None:
        payload = trial_payload(trial_id, decisions, self.prog, self.early_stopping, history)
        self._pool.start(trial_id, payload)

    def wait(self, timeout: float | None = None) -> list[TrialResult]:
        return self._pool.wait(timeout)

    @property
    def running(self) -> int:
        return self._pool.running

    def close(self) -> None:
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.close()
        shutil.rmtree(self._workdir, ignore_errors=True)
        if self._sigterm:
            self._sigterm = False
            _OnSigterm.leave()
