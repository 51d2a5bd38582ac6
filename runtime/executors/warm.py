"""Warm workers, the driver's side: start them, hand them trials, and read how the trials end.

A ``WarmPool`` keeps the worker processes of ``server.py`` for one program. In ``fork`` mode one
warm worker serves every trial, up to ``capacity`` at once, each in a child it forks; in
``reuse`` and ``fresh`` modes there are ``capacity`` workers that run one trial at a time. A
worker that dies is replaced; the trials it was running fail with the reason. The mode is
``GLOVEC_WORKER_MODE`` (fork, reuse or fresh) when set, else fork where the platform forks
safely (Linux), else reuse; a fork server that finds CUDA initialized after its imports turns
itself into a reused interpreter and the pool follows.

A fork server also learns (unless ``GLOVEC_WORKER_LEARN=0``): after each trial it imports the
modules that trial imported lazily (torch's optimizers pull in ``torch._dynamo``, about a second
per process), so the next trials fork with them imported, as the inline executor's later trials
find them. Should that leave a thread running in it or initialize CUDA, it retires once its
trials end and a worker that does not learn takes over.
"""

from __future__ import annotations

import atexit
import collections
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time

from ..wire import jsonable
from .base import ExecutorError, ProgramRef, TrialResult
from .trial_process import TrialFiles, describe_exit, make_workdir, tail

__all__ = ["WarmPool", "choose_mode", "MODES"]

MODES = ("fork", "reuse", "fresh")
BOOT = "from glovec.runtime.executors.server import main; main()"


def choose_mode(requested: str | None = None) -> tuple[str, str]:
    """(mode, why) before the worker has imported anything."""
    requested = requested or os.environ.get("GLOVEC_WORKER_MODE") or None
    if requested:
        if requested not in MODES:
            raise ExecutorError(f"unknown worker mode {requested!r} (choose {', '.join(MODES)})")
        return requested, "as GLOVEC_WORKER_MODE asks" if os.environ.get("GLOVEC_WORKER_MODE") \
            else "as asked"
    if not hasattr(os, "fork"):
        return "reuse", "this platform cannot fork"
    if sys.platform == "darwin":
        return "reuse", "macOS cannot fork safely after system frameworks are loaded"
    return "fork", "this platform forks safely"


def _glovec_path() -> str | None:
    """The folder holding the ``glovec`` package this driver runs, for the workers' import path."""
    package = sys.modules.get("glovec")
    where = getattr(package, "__file__", None)
    return os.path.dirname(os.path.dirname(os.path.abspath(where))) if where else None


class _Run:
    def __init__(self, trial_id, files: TrialFiles, slot) -> None:
        self.trial_id = trial_id
        self.files = files
        self.slot = slot
        self.pid = None
        self.start = time.perf_counter()
        self.timed_out = False


def _spawn(python: str, setup_path: str, log_path: str, cwd, env: dict):
    """A worker process (``server.main``) for ``setup_path``: (popen, command fd, event fd)."""
    cmd_r, cmd_w = os.pipe()
    evt_r, evt_w = os.pipe()
    try:
        with open(log_path, "wb") as log:
            popen = subprocess.Popen(
                [python, "-c", BOOT, setup_path, str(cmd_r), str(evt_w)],
                pass_fds=(cmd_r, evt_w), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=log, start_new_session=True)
    except BaseException:
        os.close(cmd_w)
        os.close(evt_r)
        raise
    finally:
        os.close(cmd_r)
        os.close(evt_w)
    os.set_blocking(evt_r, False)
    return popen, cmd_w, evt_r


def worker_env(extra: dict | None = None) -> dict:
    """The environment of warm workers: this one, without a trial's GLOVEC_* variables, with
    glovec importable, and ``extra``."""
    env = dict(os.environ)
    for name in ("GLOVEC_DEFAULTS", "GLOVEC_RESULT_OWNER", "GLOVEC_TRIAL", "GLOVEC_RESULT"):
        env.pop(name, None)
    glovec_path = _glovec_path()
    if glovec_path:
        parts = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        if glovec_path not in parts:
            env["PYTHONPATH"] = os.pathsep.join(parts + [glovec_path])
    env.update(extra or {})
    return env


class _Worker:
    """One warm worker process and the trials it runs."""

    def __init__(self, pool: "WarmPool", number: int, slot, early: "EarlyWorker | None" = None) -> None:
        self.pool = pool
        self.slot = slot
        self.number = number
        if early is not None:  # started before the program was compiled: it waits for SETUP
            self.log, self.popen, self.cmd, self.evt = early.log, early.popen, early.cmd, early.evt
            self.send(op="setup", path=pool.setup_path)
        else:
            self.log = os.path.join(pool.workdir, f"worker-{number}.log")
            env = dict(pool.env)
            if slot is not None and pool.mode != "fork":
                env["CUDA_VISIBLE_DEVICES"] = ",".join(slot)
            self.popen, self.cmd, self.evt = _spawn(pool.python, pool.setup_path, self.log,
                                                    pool.prog.cwd, env)
        self.buffer = b""
        self.ready = False
        self.mode = None
        self.runs: dict = {}  # trial id -> _Run
        self.retiring = False  # a fresh worker after its trial

    def send(self, **msg) -> bool:
        try:
            os.write(self.cmd, (json.dumps(msg, default=jsonable) + "\n").encode())
            return True
        except OSError:
            return False

    def events(self):
        """Events read so far; None when the worker has closed its end (it died or exited)."""
        try:
            chunk = os.read(self.evt, 65536)
        except BlockingIOError:
            return []
        except OSError:
            chunk = b""
        if not chunk:
            return None
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        return [json.loads(line) for line in lines if line.strip()]

    def free(self) -> int:
        if not self.ready or self.retiring:
            return 0
        return (self.pool.capacity if self.mode == "fork" else 1) - len(self.runs)

    def kill(self) -> None:
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self) -> None:
        for fd in (self.cmd, self.evt):
            try:
                os.close(fd)
            except OSError:
                pass
        if not self.ready or (self.mode != "fork" and self.runs):
            self.kill()  # still importing (it reads no command yet), or a trial runs in it
        try:
            self.popen.wait(timeout=5)  # a fork server kills its trials when its pipe closes
        except subprocess.TimeoutExpired:
            self.kill()
            self.popen.wait()


class WarmPool:
    """Warm workers for ``prog``; up to ``capacity`` trials at once (see the module doc)."""

    def __init__(self, prog: ProgramRef, capacity: int, workdir: str, *, timeout=None,
                 memory_limit: int | None = None, env: dict | None = None, slots=None,
                 preload=(), mode: str | None = None, python: str | None = None,
                 log_dir: str | None = None, entry: str | None = None,
                 early: "EarlyWorker | None" = None) -> None:
        self.prog = prog
        self.capacity = capacity
        self.workdir = workdir
        self.timeout = timeout
        self.slots = slots
        self.log_dir = log_dir
        self.python = python or sys.executable
        self.mode, self.why = choose_mode(mode)
        self.setup_path = os.path.join(workdir, "program.json")
        self.setup = {"code": prog.code, "path": prog.path,
                      "source_path": os.path.abspath(prog.source_path),
                      "header_line": prog.header_line, "argv": list(prog.argv), "cwd": prog.cwd,
                      "preload": list(preload or ()), "mode": self.mode, "why": self.why,
                      "memory_limit": memory_limit, "parent": os.getpid(), "entry": entry,
                      "learn": os.environ.get("GLOVEC_WORKER_LEARN", "1") != "0"}
        self.retired: str | None = None  # why a fork server stopped learning, if it had to
        self._write_setup()
        self.env = worker_env(env)
        self._early = early  # the caller's check: a fork server of this program, no GPU slots
        self.workers: list[_Worker] = []
        self._numbers = 0
        self._pending: collections.deque = collections.deque()
        self._done: list[TrialResult] = []
        self.ready_note: dict | None = None
        self._closed = False
        self._fill()

    def _write_setup(self, **changes) -> None:
        self.setup.update(changes)
        tmp = f"{self.setup_path}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.setup, f)
        os.replace(tmp, self.setup_path)

    # -- workers --------------------------------------------------------------------------------

    def _wanted(self) -> int:
        return 1 if self.mode == "fork" else self.capacity

    def _fill(self) -> None:
        live = [w for w in self.workers if not w.retiring]
        used = [w.slot for w in live]
        while not self._closed and len(live) < self._wanted():
            slot = None
            if self.slots and self.mode != "fork":
                slot = next((s for s in self.slots if s not in used), None)
                used.append(slot)
            self._numbers += 1
            early, self._early = self._early, None
            worker = _Worker(self, self._numbers, slot, early)
            self.workers.append(worker)
            live.append(worker)

    def _lost(self, worker: _Worker) -> None:
        """``worker`` closed its pipe: it exited (fresh mode) or died; its trials end with it."""
        try:
            code = worker.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            worker.kill()
            code = worker.popen.wait()
        self.workers.remove(worker)
        for run in worker.runs.values():
            if worker.retiring and run.pid is None and not run.timed_out:
                self._pending.appendleft(run)  # sent as it retired, never started: the next one runs it
                continue
            died = None if run.timed_out else (
                f"the warm worker running the trial died: {describe_exit(code)}")
            self._finish(run, code if code else -9, died)
        if not worker.ready and not worker.retiring:
            log = tail(worker.log)
            worker.close()
            raise ExecutorError("a warm worker could not start: " + describe_exit(code)
                                + (f"\n{log}" if log else ""))
        worker.close()
        self._fill()

    # -- trials ---------------------------------------------------------------------------------

    def start(self, trial_id, payload: dict) -> None:
        """Run a trial as soon as a worker (and a GPU slice, with ``slots``) is free."""
        files = TrialFiles(trial_id, self.workdir, self.log_dir)
        files.write_payload({**payload, "setup": self.setup_path})
        self._pending.append(_Run(trial_id, files, None))

    def _dispatch(self) -> None:
        while self._pending:
            worker = next((w for w in self.workers if w.free() > 0), None)
            if worker is None:
                return
            run = self._pending.popleft()
            env = {}
            if self.slots and worker.mode == "fork":
                used = [r.slot for w in self.workers for r in w.runs.values()]
                run.slot = next(s for s in self.slots if s not in used)
                env["CUDA_VISIBLE_DEVICES"] = ",".join(run.slot)
            f = run.files
            run.start = time.perf_counter()
            worker.runs[run.trial_id] = run
            if not worker.send(op="run", trial=run.trial_id, payload=f.payload, result=f.result,
                               stdout=f.stdout, stderr=f.stderr, env=env):
                self._lost(worker)

    def cancel(self, trial_id) -> None:
        """Stop a trial: its result comes as a timed-out one, or, not started yet, as a failed one
        that never ran (a worker may still be importing: the result must come all the same)."""
        for run in list(self._pending):
            if run.trial_id == trial_id:
                self._pending.remove(run)
                run.files.cleanup()
                self._done.append(TrialResult(trial_id, "failed", None, {}, [],
                                              "cancelled before it started", 0.0))
        for worker in self.workers:
            run = worker.runs.get(trial_id)
            if run is not None and not run.timed_out:
                run.timed_out = True
                if worker.mode == "fork":
                    worker.send(op="kill", trial=trial_id)
                else:
                    worker.kill()

    def _finish(self, run: _Run, code: int, died: str | None = None) -> None:
        seconds = time.perf_counter() - run.start
        self._done.append(run.files.collect(code, seconds, self.timeout if run.timed_out else None,
                                            died))
        run.files.cleanup()

    def _on_event(self, worker: _Worker, event: dict) -> None:
        kind = event.get("event")
        if kind == "ready":
            worker.ready, worker.mode = True, event.get("mode")
            if self.ready_note is None:
                self.ready_note = event
            if worker.mode != self.mode:  # a fork server that found CUDA initialized
                self.mode, self.why = worker.mode, event.get("why") or self.why
                self._fill()
        elif kind == "started":
            run = worker.runs.get(event.get("trial"))
            if run is not None:
                run.pid = event.get("pid")
                run.start = time.perf_counter()
        elif kind == "retire":  # its imports made forking unsafe: a worker that does not learn follows
            worker.retiring = True
            self.retired = event.get("why")
            self._write_setup(learn=False)
            self._fill()
        elif kind == "refused":  # sent to a retiring worker: the next one runs it
            run = worker.runs.pop(event.get("trial"), None)
            if run is not None:
                self._pending.appendleft(run)
        elif kind == "ended":
            run = worker.runs.pop(event.get("trial"), None)
            if run is not None:
                self._finish(run, int(event.get("code") or 0))
            if worker.mode == "fresh":
                worker.retiring = True
                self._fill()

    def _check_timeouts(self) -> float | None:
        """Kill trials past the timeout; seconds until the next one is due (None: none runs)."""
        if not self.timeout:
            return None
        now = time.perf_counter()
        due = None
        for worker in self.workers:
            for run in worker.runs.values():
                if run.pid is None or run.timed_out:
                    continue
                left = run.start + self.timeout - now
                if left <= 0:
                    run.timed_out = True
                    if worker.mode == "fork":
                        worker.send(op="kill", trial=run.trial_id)
                    else:
                        worker.kill()  # the trial is the worker: a new one takes its place
                else:
                    due = left if due is None else min(due, left)
        return due

    def pump(self, timeout: float | None) -> None:
        """Handle what the workers said, waiting up to ``timeout`` seconds for something."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self._dispatch()
            due = self._check_timeouts()
            if self._done:
                return
            fds = {w.evt: w for w in self.workers}
            if not fds:
                return
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if due is not None:
                wait = due if wait is None else min(wait, due)
            readable, _, _ = select.select(list(fds), [], [], wait)
            for fd in readable:
                worker = fds[fd]
                events = worker.events()
                if events is None:
                    self._lost(worker)
                    continue
                for event in events:
                    self._on_event(worker, event)
            if self._done or (deadline is not None and time.monotonic() >= deadline
                              and not readable):
                self._dispatch()
                return

    def wait(self, timeout: float | None = None) -> list[TrialResult]:
        if not self._done and (self._pending or any(w.runs for w in self.workers)):
            self.pump(timeout)
        done, self._done = self._done, []
        return done

    @property
    def running(self) -> int:
        return len(self._pending) + sum(len(w.runs) for w in self.workers)

    def describe(self, wait: float = 600.0) -> str:
        """What the user gets and why, as a clause (waits until the first worker has imported the program's
        modules: the mode may change then)."""
        deadline = time.monotonic() + wait
        while self.ready_note is None and self.workers and time.monotonic() < deadline:
            self.pump(min(1.0, max(0.0, deadline - time.monotonic())))
        note = self.ready_note or {}
        modules = [m for m in note.get("preloaded", ()) if not m.startswith("glovec")]
        shown = ", ".join(modules[:6]) + (", ..." if len(modules) > 6 else "")
        imported = (f"imported {shown} once ({note.get('seconds', 0):.1f} s)" if modules
                    else "imported the program's modules once")
        n = self.capacity
        if self.mode == "fork":
            learns = (" (and, after a trial, what it imported lazily)"
                      if self.setup.get("learn") else "")
            text = (f"{n} trial(s) at once, each in a process forked from one warm worker that "
                    f"{imported}{learns}; a trial's state, crash or leftovers end with its process "
                    f"(fork server: {self.why})")
        elif self.mode == "reuse":
            text = (f"{n} warm worker(s) that {imported} and run trial after trial, reset between "
                    f"trials (reused interpreters: {self.why}); a worker that crashes, hangs or runs "
                    f"out of memory is replaced")
        else:
            text = (f"a fresh interpreter per trial, {n} at once, started ahead of time "
                    f"({self.why})")
        failed = note.get("failed") or []
        if failed:
            text += "; could not import " + ", ".join(name for name, _ in failed[:3])
        return text

    def close(self) -> None:
        self._closed = True
        self._pending.clear()
        for worker in list(self.workers):
            worker.close()
            for run in worker.runs.values():
                run.files.cleanup()
        self.workers.clear()


# -- a worker started before the program is compiled -------------------------------------------


class EarlyWorker:
    """A fork server started while ``glovec run`` still compiles the program (``start_early``):
    it imports the source's module-level imports meanwhile, on another core, then waits for its
    SETUP. The process executor made next for the same program and environment adopts it
    (``take_early``); otherwise it is killed, at the latest when the driver exits."""

    def __init__(self, key: tuple, workdir: str, python: str, cwd, env: dict, setup: dict) -> None:
        self.key = key
        self.workdir = workdir
        self.log = os.path.join(workdir, "worker-0.log")
        path = os.path.join(workdir, "early.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(setup, f)
        self.popen, self.cmd, self.evt = _spawn(python, path, self.log, cwd, env)

    def kill(self) -> None:
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for fd in (self.cmd, self.evt):
            try:
                os.close(fd)
            except OSError:
                pass
        self.popen.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


_early: EarlyWorker | None = None


def _early_key(source_path: str, argv, cwd, preload, python: str, env: dict) -> tuple:
    return (os.path.abspath(source_path), tuple(argv), cwd, tuple(preload), python,
            tuple(sorted(env.items())))


def start_early(source_path: str, source: str, argv, cwd, env_extra: dict, preload=(),
                python: str | None = None) -> None:
    """Start the fork server of a process executor before the program is compiled (see
    ``EarlyWorker``); nothing where workers would not fork, or where one was started already."""
    global _early
    from .server import module_imports

    if _early is not None or choose_mode()[0] != "fork":
        return
    python = python or sys.executable
    env = worker_env(env_extra)
    setup = {"early": True, "source_path": os.path.abspath(source_path), "argv": list(argv),
             "imports": module_imports(source), "preload": list(preload), "parent": os.getpid()}
    workdir = make_workdir()
    try:
        _early = EarlyWorker(_early_key(source_path, argv, cwd, preload, python, env), workdir,
                             python, cwd, env, setup)
    except OSError:
        shutil.rmtree(workdir, ignore_errors=True)
        return
    atexit.register(_drop_early)


def take_early(source_path: str, argv, cwd, preload, python: str | None,
               env_extra: dict) -> EarlyWorker | None:
    """The early worker, for an executor of this program and environment; one that does not
    fit it is killed (the executor starts its own)."""
    global _early
    early, _early = _early, None
    if early is None:
        return None
    key = _early_key(source_path, argv, cwd, preload, python or sys.executable,
                     worker_env(env_extra))
    if early.key != key:
        early.kill()
        return None
    return early


def _drop_early() -> None:
    global _early
    early, _early = _early, None
    if early is not None:
        early.kill()
