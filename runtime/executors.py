"""Executors: how a trial of a generated program runs.

Three kinds behind one small interface (the driver submits trials and collects results):

- ``inline``: the generated code is compiled once and re-executed per trial in this process, in a
  fresh ``__main__`` namespace. Fastest; a crash of the program is a crash of the driver.
- ``process``: a fresh interpreter per trial (``python <generated file> argv...``), N at a time.
  A crash, hang (``timeout``) or out-of-memory (``memory_limit``) becomes a failed trial with the
  tail of its stderr; the study goes on. ``gpus_per_trial`` gives each trial its own
  ``CUDA_VISIBLE_DEVICES`` slice. With N > 1, each trial's numeric thread pools (OpenMP, MKL,
  OpenBLAS, TensorFlow) get CPUs / N threads unless those variables are already set.
- ``ray``: each trial is a Ray task (``num_cpus=1``, ``num_gpus=gpus_per_trial``) that runs the
  program as a subprocess on its node, the same way the process executor does.

Usage::

    ex = make_executor("process", ProgramRef(code=text, path=None, source_path="model.py",
                                             header_line=1), workers=2, timeout=600)
    ex.submit(trial_id, decisions, history=curves)
    for result in ex.wait(timeout=1.0): ...
    ex.close()

A worker process learns its trial from the environment (see ``glovec.runtime.worker``):
``GLOVEC_TRIAL`` (a JSON object, or the path of a file holding one, with ``trial_id``,
``decisions``, ``source_path`` and ``early_stopping``) and ``GLOVEC_RESULT`` (where the worker
writes its result JSON at exit). Only the standard library is imported here; Ray is imported when
the Ray executor is made.
"""

from __future__ import annotations

import ast
import base64
import builtins
import collections
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import types
from dataclasses import dataclass, field

from . import hyper
from .worker import _jsonable  # one conversion of numpy/torch scalars for both sides

__all__ = [
    "ExecutorError",
    "ProgramRef",
    "TrialResult",
    "make_executor",
    "compile_program",
    "detect_gpus",
    "parse_memory",
    "InlineExecutor",
    "ProcessExecutor",
    "RayExecutor",
]

STDERR_TAIL_CHARS = 4000


class ExecutorError(ValueError):
    """An executor cannot be made as asked (no GPU, Ray missing, bad option); a usage problem."""


@dataclass
class ProgramRef:
    """A generated program: its text, where it lives, and how to run it."""

    code: str
    path: str | None = None  # the generated file on disk, when there is one
    source_path: str = "<program>"  # the original file: tracebacks name it
    header_line: int = 1  # 1-based line of the `_gv.program(...)` header in ``code``
    argv: list = field(default_factory=list)  # the program's own arguments
    cwd: str | None = None


@dataclass
class TrialResult:
    """What one trial ended with. ``status`` is "completed", "failed" or "pruned"."""

    trial_id: int
    status: str
    objective: object = None
    metrics: dict = field(default_factory=dict)
    reports: list = field(default_factory=list)  # [(step, value), ...]
    error: str | None = None  # traceback, or why the process died plus its stderr tail
    seconds: float = 0.0


def _settle(trial_id, status, objective, metrics, reports, error, seconds) -> TrialResult:
    """One place for the rule: no objective -> the last reported value (else None: the driver
    may still find the objective among the metrics, e.g. ``--objective val_accuracy``)."""
    reports = [tuple(r) for r in reports or ()]
    if status == "completed" and objective is None and reports:
        objective = reports[-1][1]
    return TrialResult(trial_id, status, objective, dict(metrics or {}), reports, error, seconds)


def make_executor(
    kind: str,
    prog: ProgramRef,
    workers: int = 1,
    timeout: float | None = None,
    gpus_per_trial: int = 0,
    ray_address: str | None = None,
    early_stopping=None,
    memory_limit=None,
):
    """Make the executor named ``kind`` ("inline", "process" or "ray") for ``prog``.

    ``timeout`` is seconds per trial; ``memory_limit`` caps a process trial's address space
    (bytes, or text such as "2G"; default: ``GLOVEC_MEMORY_LIMIT``); ``early_stopping`` is a
    policy from ``glovec.runtime.loop``, evaluated in the worker against the history passed to
    ``submit``. Raises ExecutorError for a
    request that cannot be met (e.g. GPUs asked for and none present).
    """
    if memory_limit is None:
        memory_limit = os.environ.get("GLOVEC_MEMORY_LIMIT") or None
    if workers is None or workers < 1:
        raise ExecutorError(f"--workers must be at least 1 (got {workers})")
    if gpus_per_trial and gpus_per_trial < 0:
        raise ExecutorError(f"--gpus-per-trial must not be negative (got {gpus_per_trial})")
    if kind == "inline":
        if workers > 1:
            raise ExecutorError("the inline executor runs one trial at a time; "
                                "use --executor process for --workers > 1")
        if gpus_per_trial:
            _gpu_slots(gpus_per_trial)  # says clearly when there is no GPU
        return InlineExecutor(prog, timeout=timeout, early_stopping=early_stopping)
    if kind == "process":
        return ProcessExecutor(prog, workers=workers, timeout=timeout, gpus_per_trial=gpus_per_trial,
                               early_stopping=early_stopping, memory_limit=memory_limit)
    if kind == "ray":
        return RayExecutor(prog, workers=workers, timeout=timeout, gpus_per_trial=gpus_per_trial,
                           ray_address=ray_address, early_stopping=early_stopping,
                           memory_limit=memory_limit)
    raise ExecutorError(f"unknown executor {kind!r} (choose inline, process or ray)")


# ---- early stopping --------------------------------------------------------------------------


def make_should_stop(policy, history):
    """``should_stop(step, value) -> bool`` for ``hyper.activate``, or None without a policy.

    The policy (``glovec.runtime.loop``) decides from this trial's value at ``step`` and the curves
    of the trials finished before this one was submitted (``history``: a list of [(step, value)]).
    """
    if policy is None:
        return None
    curves = [list(map(tuple, c)) for c in history or ()]

    def should_stop(step, value):
        return bool(policy.should_stop(step, value, curves))

    return should_stop


def _pack_policy(policy, history):
    if policy is None:
        return None
    blob = base64.b64encode(pickle.dumps(policy)).decode("ascii")
    return {"policy": blob, "history": [[list(p) for p in c] for c in history or ()]}


# ---- inline ----------------------------------------------------------------------------------


def compile_program(prog: ProgramRef) -> types.CodeType:
    """Compile the generated text so that its code objects carry the ORIGINAL file and lines.

    Every statement after the header line moves up by one (the header is the only added line), and
    the file name is the original source path, so a traceback points where the user wrote the code.
    """
    tree = ast.parse(prog.code, filename=prog.source_path)
    for node in tree.body:
        if node.lineno > prog.header_line:
            ast.increment_lineno(node, -1)
    return compile(tree, prog.source_path, "exec", dont_inherit=True)


def _forget_framework_state() -> None:
    """Between inline trials: drop the models Keras keeps globally, so memory stays flat."""
    keras = sys.modules.get("keras")
    if keras is not None:
        try:
            keras.backend.clear_session()
        except Exception:  # a broken Keras must not fail the next trial
            pass


def _format_failure(exc: BaseException, prog: ProgramRef) -> str:
    """The traceback of an inline trial, without the executor's own frame."""
    from .worker import map_traceback

    try:
        return map_traceback(exc, None, prog.source_path, prog.header_line, exc.__traceback__.tb_next)
    except Exception:  # never lose the failure over formatting
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__.tb_next))


class _InlineTimeout(BaseException):
    """Raised into the running trial by the alarm; a BaseException so `except Exception` misses it."""


class InlineExecutor:
    """Runs each trial in this process (capacity 1); trials run inside ``wait``."""

    capacity = 1

    def __init__(self, prog: ProgramRef, timeout=None, early_stopping=None):
        self.prog = prog
        self.timeout = timeout
        self.early_stopping = early_stopping
        self._code = compile_program(prog)
        self._queue: collections.deque = collections.deque()

    def submit(self, trial_id: int, decisions: dict, history=None) -> None:
        self._queue.append((trial_id, decisions, history))

    def wait(self, timeout: float | None = None) -> list[TrialResult]:
        results = []
        while self._queue:
            results.append(self.run(*self._queue.popleft()))
        return results

    def run(self, trial_id: int, decisions: dict, history=None) -> TrialResult:
        """Run one trial now and return its result."""
        prog = self.prog
        module = types.ModuleType("__main__")
        module.__dict__.update(__file__=prog.path or prog.source_path, __builtins__=builtins,
                               __package__=None, __spec__=None, __loader__=None, __cached__=None)
        saved_main = sys.modules.get("__main__")
        saved_argv = sys.argv
        status, error = "completed", None
        should_stop = make_should_stop(self.early_stopping, history)
        alarm = self._arm_alarm()
        start = time.perf_counter()
        sys.modules["__main__"] = module
        sys.argv = [prog.source_path, *prog.argv]
        # As `python model.py` would: the program's own folder first on the import path.
        folder = os.path.dirname(os.path.abspath(prog.source_path))
        added_path = folder not in sys.path
        if added_path:
            sys.path.insert(0, folder)
        hyper.activate(decisions, trial_id, should_stop)
        try:
            exec(self._code, module.__dict__)
        except SystemExit as exc:
            if exc.code not in (None, 0):
                status, error = "failed", f"the program exited with status {exc.code!r}"
        except hyper.TrialPruned as exc:
            status, error = "pruned", str(exc)
        except _InlineTimeout:
            status, error = "failed", f"timed out after {self.timeout:g} s"
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # the program's own failure: keep its traceback
            status = "failed"
            error = _format_failure(exc, prog)
        finally:
            if alarm is not None:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, alarm)
            ctx = hyper.deactivate()
            _forget_framework_state()
            sys.argv = saved_argv
            if added_path and folder in sys.path:
                sys.path.remove(folder)
            if saved_main is not None:
                sys.modules["__main__"] = saved_main
        seconds = time.perf_counter() - start
        return _settle(trial_id, status, ctx.objective, ctx.metrics, ctx.reports, error, seconds)

    def _arm_alarm(self):
        if not self.timeout or not hasattr(signal, "SIGALRM"):
            return None
        if threading.current_thread() is not threading.main_thread():
            return None

        def on_alarm(signum, frame):
            raise _InlineTimeout()

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, self.timeout)
        return previous if previous is not None else signal.SIG_DFL

    def close(self) -> None:
        self._queue.clear()


# ---- one trial as a subprocess (process and Ray executors) ----------------------------------


def parse_memory(limit) -> int | None:
    """Bytes from 1073741824, "1G", "512M", "300k" (powers of 1024); None/0 means no limit."""
    if limit in (None, 0, ""):
        return None
    if isinstance(limit, (int, float)):
        return int(limit)
    text = str(limit).strip().upper().removesuffix("B").removesuffix("I")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in "KMGT" else text
    try:
        return int(float(number) * scale)
    except ValueError:
        raise ExecutorError(f"cannot read memory limit {limit!r} (try 2G or 512M)") from None


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (out of memory?)" if -code == signal.SIGKILL else ""
        return f"the trial process was killed by {name}{hint}"
    return f"the trial process exited with status {code}"


def _tail(path: str, limit: int = STDERR_TAIL_CHARS) -> str:
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


_PR_SET_PDEATHSIG = 1
_libc_handle: list = []


def _libc():
    """libc on Linux (for prctl), else None; loaded once, in the parent, never after a fork."""
    if not _libc_handle:
        handle = None
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                handle = ctypes.CDLL(None, use_errno=True)
                handle.prctl  # noqa: B018 - fail here, not in the child
            except (OSError, AttributeError):
                handle = None
        _libc_handle.append(handle)
    return _libc_handle[0]


def _child_setup(memory_limit: int | None):
    """What a trial process does between fork and exec: die with the executor (so a killed driver
    leaves no trial running on), and take the address-space limit."""
    libc = _libc()
    if memory_limit:
        import resource
    parent = os.getpid()

    def preexec():
        if libc is not None:
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != parent:  # the executor died before prctl took effect
                os._exit(1)
        if memory_limit:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    return preexec


class _TrialProcess:
    """One trial running as ``python <script> argv...``; ``poll()`` returns its result when over."""

    def __init__(self, trial_id, script, payload, workdir, argv=(), cwd=None, timeout=None,
                 memory_limit=None, extra_env=None, python=None, log_dir=None):
        self.trial_id = trial_id
        self.timeout = timeout
        self.trial_file = os.path.join(workdir, f"trial-{trial_id}.json")
        self.result_file = os.path.join(workdir, f"result-{trial_id}.json")
        logs = log_dir or workdir
        self.stderr_file = os.path.join(logs, f"trial-{trial_id}.err")
        self.stdout_file = os.path.join(logs, f"trial-{trial_id}.out")
        self.keep_logs = bool(log_dir)
        with open(self.trial_file, "w", encoding="utf-8") as f:
            json.dump(payload, f, default=_jsonable)
        env = dict(os.environ)
        env.pop("GLOVEC_DEFAULTS", None)
        env.pop("GLOVEC_RESULT_OWNER", None)
        env.update(extra_env or {})
        env["GLOVEC_TRIAL"] = self.trial_file
        env["GLOVEC_RESULT"] = self.result_file
        preexec = _child_setup(parse_memory(memory_limit))
        with open(self.stdout_file, "wb") as out, open(self.stderr_file, "wb") as err:
            self.start = time.perf_counter()
            self.popen = subprocess.Popen(
                [python or sys.executable, script, *argv], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                stdout=out, stderr=err, start_new_session=True, preexec_fn=preexec)
        self.timed_out = False

    def poll(self) -> TrialResult | None:
        code = self.popen.poll()
        if code is None:
            if self.timeout and time.perf_counter() - self.start > self.timeout:
                self.kill()
                code = self.popen.wait()
                self.timed_out = True
            else:
                return None
        return self._result(code, time.perf_counter() - self.start)

    def cleanup(self) -> None:
        names = [self.trial_file, self.result_file]
        if not self.keep_logs:
            names += [self.stdout_file, self.stderr_file]
        for name in names:
            try:
                os.unlink(name)
            except OSError:
                pass

    def kill(self) -> None:
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _result(self, code: int, seconds: float) -> TrialResult:
        data = None
        if not self.timed_out:
            try:
                with open(self.result_file, encoding="utf-8") as f:
                    data = json.load(f)
            except (OSError, ValueError):
                data = None
        if data is not None and (code == 0 or data.get("status") in ("failed", "pruned")):
            return _settle(self.trial_id, data.get("status", "failed"), data.get("objective"),
                           data.get("metrics"), data.get("reports"), data.get("error"), seconds)
        if self.timed_out:
            why = f"timed out after {self.timeout:g} s (the trial's process group was killed)"
        else:
            why = _describe_exit(code)
            if data is None and code == 0:
                why = "the trial process ended without writing a result (did it call os._exit?)"
        tail = _tail(self.stderr_file)
        error = why + (f"\n--- stderr (last lines) ---\n{tail}" if tail else "")
        reports = data.get("reports") if data else None
        return TrialResult(self.trial_id, "failed", None, dict((data or {}).get("metrics") or {}),
                           [tuple(r) for r in reports or ()], error, seconds)


def _trial_payload(trial_id, decisions, prog, early_stopping, history):
    return {
        "glovec_trial": 1,
        "trial_id": trial_id,
        "decisions": decisions,
        "source_path": os.path.abspath(prog.source_path) if prog.source_path else None,
        "header_line": prog.header_line,
        "early_stopping": _pack_policy(early_stopping, history),
    }


def _script_for(prog: ProgramRef, workdir: str) -> str:
    """The generated file to run: ``prog.path`` when it holds ``prog.code``, else a copy in workdir."""
    if prog.path:
        try:
            with open(prog.path, encoding="utf-8", newline="") as f:
                if f.read() == prog.code:
                    return prog.path
        except OSError:
            pass
    stem = os.path.splitext(os.path.basename(prog.source_path or "program"))[0] or "program"
    script = os.path.join(workdir, f"{stem}_glovec.py")
    with open(script, "w", encoding="utf-8", newline="") as f:
        f.write(prog.code)
    return script


def _path_env(script: str, prog: ProgramRef) -> dict:
    """Keep the program's sibling imports working when its generated copy lives elsewhere."""
    if not prog.source_path:
        return {}
    source_dir = os.path.dirname(os.path.abspath(prog.source_path))
    if os.path.dirname(os.path.abspath(script)) == source_dir:
        return {}
    parts = [source_dir] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {"PYTHONPATH": os.pathsep.join(parts)}


# ---- GPUs ------------------------------------------------------------------------------------


def detect_gpus() -> list[str]:
    """GPU ids this process may use: ``CUDA_VISIBLE_DEVICES`` when set, else ``nvidia-smi -L``."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        ids = [v.strip() for v in visible.split(",") if v.strip()]
        return [] if ids in ([], ["-1"]) or any(v.startswith("-") for v in ids[:1]) else ids
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return []
    if out.returncode != 0:
        return []
    return [str(i) for i, line in enumerate(out.stdout.splitlines()) if line.startswith("GPU ")]


def _gpu_slots(gpus_per_trial: int) -> list[list[str]]:
    ids = detect_gpus()
    if not ids:
        raise ExecutorError(
            f"--gpus-per-trial {gpus_per_trial} asks for GPUs, but none was found "
            "(CUDA_VISIBLE_DEVICES is unset or empty and `nvidia-smi -L` lists no GPU); "
            "run without --gpus-per-trial to use the CPU")
    slots = [ids[i:i + gpus_per_trial] for i in range(0, len(ids) - gpus_per_trial + 1, gpus_per_trial)]
    if not slots:
        raise ExecutorError(
            f"--gpus-per-trial {gpus_per_trial} asks for more GPUs than this machine has ({len(ids)}: "
            f"{','.join(ids)})")
    return slots


# ---- process ---------------------------------------------------------------------------------

# Thread pools of the numeric libraries; each sizes itself to the whole machine by default, so N
# trials at once would oversubscribe the CPUs N times over.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _thread_env(workers: int) -> dict:
    """With several trials at once, each gets its share of the CPUs (unless the user chose)."""
    if workers <= 1:
        return {}
    share = str(max(1, _cpu_count() // workers))
    return {var: share for var in THREAD_VARIABLES if var not in os.environ}


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
        self._slots = _gpu_slots(gpus_per_trial) if gpus_per_trial else None
        self.capacity = min(workers, len(self._slots)) if self._slots else workers
        self._workdir = tempfile.mkdtemp(prefix="glovec-trials-")
        self._script = _script_for(prog, self._workdir)
        self._env = {**_thread_env(self.capacity), **_path_env(self._script, prog)}
        self._pending: collections.deque = collections.deque()
        self._running: dict = {}  # trial id -> (_TrialProcess, gpu slot or None)
        self._done: list = []

    def submit(self, trial_id: int, decisions: dict, history=None) -> None:
        payload = _trial_payload(trial_id, decisions, self.prog, self.early_stopping, history)
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


# ---- Ray -------------------------------------------------------------------------------------


def _ray_trial(trial_id, code, payload, source_path, argv, cwd, timeout, memory_limit):
    """Body of a Ray task: run one trial as a subprocess on this node; returns a TrialResult dict."""
    workdir = tempfile.mkdtemp(prefix="glovec-ray-")
    try:
        prog = ProgramRef(code=code, path=None, source_path=source_path, argv=list(argv), cwd=cwd)
        script = _script_for(prog, workdir)
        if cwd and not os.path.isdir(cwd):  # another node: the driver's folder is not here
            cwd = workdir
        proc = _TrialProcess(trial_id, script, payload, workdir, argv, cwd, timeout, memory_limit,
                             _path_env(script, prog))
        while True:
            result = proc.poll()
            if result is not None:
                return result.__dict__
            time.sleep(0.01)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


class RayExecutor:
    """Trials as Ray tasks on an existing cluster (``ray_address``) or a local instance."""

    def __init__(self, prog: ProgramRef, workers=1, timeout=None, gpus_per_trial=0, ray_address=None,
                 early_stopping=None, memory_limit=None):
        try:
            import ray
        except ImportError:
            raise ExecutorError("the ray executor needs Ray: pip install 'glovec[ray]'") from None
        self._ray = ray
        self.prog = prog
        self.timeout = timeout
        self.early_stopping = early_stopping
        self.memory_limit = parse_memory(memory_limit)
        self._owns_ray = False
        if not ray.is_initialized():
            ray.init(address=ray_address or "local", include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
            self._owns_ray = True
        resources = ray.cluster_resources()
        if gpus_per_trial and resources.get("GPU", 0) < gpus_per_trial:
            raise ExecutorError(
                f"--gpus-per-trial {gpus_per_trial} asks for GPUs, but the Ray cluster has "
                f"{int(resources.get('GPU', 0))}; run without --gpus-per-trial to use the CPU")
        self.capacity = workers
        self._task = ray.remote(num_cpus=1, num_gpus=gpus_per_trial or 0, max_retries=0)(_ray_trial)
        self._refs: dict = {}  # ObjectRef -> trial id
        self._code = prog.code

    def submit(self, trial_id: int, decisions: dict, history=None) -> None:
        payload = json.loads(json.dumps(
            _trial_payload(trial_id, decisions, self.prog, self.early_stopping, history), default=_jsonable))
        ref = self._task.remote(trial_id, self._code, payload, self.prog.source_path, list(self.prog.argv),
                                self.prog.cwd, self.timeout, self.memory_limit)
        self._refs[ref] = trial_id

    def wait(self, timeout: float | None = None) -> list[TrialResult]:
        if not self._refs:
            return []
        ray = self._ray
        ready, _ = ray.wait(list(self._refs), num_returns=1, timeout=timeout)
        if ready:
            ready, _ = ray.wait(list(self._refs), num_returns=len(self._refs), timeout=0)
        results = []
        for ref in ready:
            trial_id = self._refs.pop(ref)
            try:
                results.append(TrialResult(**ray.get(ref)))
            except Exception as exc:  # the task itself died (node lost, worker killed)
                results.append(TrialResult(trial_id, "failed", error=f"the Ray task failed: {exc}"))
        return results

    @property
    def running(self) -> int:
        return len(self._refs)

    def close(self) -> None:
        for ref in list(self._refs):
            try:
                self._ray.cancel(ref, force=True)
            except Exception:
                pass
        self._refs.clear()
        if self._owns_ray:
            self._ray.shutdown()
