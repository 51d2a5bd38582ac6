"""The process executor: each trial in its own process, ``workers`` at a time."""

from __future__ import annotations

import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time

from .base import ProgramRef, TrialResult
from .resources import gpu_slots, parse_memory, thread_env
from .trial_process import _TrialProcess, _path_env, _script_for, trial_payload

__all__ = ["ProcessExecutor"]


class ProcessExecutor:
    """A fresh interpreter per trial, ``workers`` at a time."""

    def __init__(self, prog: ProgramRef, workers=1, timeout=None, gpus_per_trial=0,
                 early_stopping=None, memory_limit=None, python=None, log_dir=None):
        self.prog = prog
        # Each trial's stdout and stderr are kept as trial-<id>.out/.err in log_dir when given
        # (default GLOVEC_LOG_DIR); otherwise only the stderr tail of a failed trial is kept.
        self.log_dir = log_dir or os.environ.get("GLOVEC_LOG_DIR") or None
        if self.log_dir:
            os.makedirs(self.log_dir, exist_ok=True)
        self.timeout = timeout
        self.early_stopping = early_stopping
        self.memory_limit = parse_memory(memory_limit)
        self.python = python or sys.executable
        self._slots = gpu_slots(gpus_per_trial) if gpus_per_trial else None
        self.capacity = min(workers, len(self._slots)) if self._slots else workers
        self._workdir = tempfile.mkdtemp(prefix="glovec-trials-")
        self._script = _script_for(prog, self._workdir)
        self._env = {**thread_env(self.capacity), **_path_env(self._script, prog)}
        self._pending: collections.deque = collections.deque()
        self._running: dict = {}  # trial id -> (_TrialProcess, gpu slot or None)
        self._done: list = []

    def submit(self, trial_id: int, decisions: dict, history=None) -> None:
        payload = trial_payload(trial_id, decisions, self.prog, self.early_stopping, history)
        self._pending.append((trial_id, payload))
        self._start_pending()

    def _start_pending(self) -> None:
        while self._pending and len(self._running) < self.capacity:
            trial_id, payload = self._pending.popleft()
            env = dict(self._env)
            slot = None
            if self._slots is not None:
                used = {tuple(s) for _, s in self._running.values() if s}
                slot = next(s for s in self._slots if tuple(s) not in used)
                env["CUDA_VISIBLE_DEVICES"] = ",".join(slot)
            try:
                proc = _TrialProcess(trial_id, self._script, payload, self._workdir, self.prog.argv,
                                     self.prog.cwd, self.timeout, self.memory_limit, env, self.python,
                                     self.log_dir)
            except OSError as exc:
                self._done.append(TrialResult(trial_id, "failed", error=f"could not start the trial: {exc}"))
                continue
            self._running[trial_id] = (proc, slot)

    def _reap(self) -> None:
        for trial_id, (proc, _) in list(self._running.items()):
            result = proc.poll()
            if result is not None:
                del self._running[trial_id]
                self._done.append(result)
                proc.cleanup()

    def wait(self, timeout: float | None = None) -> list[TrialResult]:
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = 0.002
        while True:
            self._reap()
            self._start_pending()
            if self._done:
                done, self._done = self._done, []
                return done
            if not self._running and not self._pending:
                return []
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return []
            pause = min(pause * 2, 0.02)
            time.sleep(pause if deadline is None else min(pause, max(0.0, deadline - now)))

    @property
    def running(self) -> int:
        return len(self._running) + len(self._pending)

    def close(self) -> None:
        for proc, _ in self._running.values():
            proc.kill()
        for proc, _ in self._running.values():
            try:
                proc.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._running.clear()
        self._pending.clear()
        shutil.rmtree(self._workdir, ignore_errors=True)
