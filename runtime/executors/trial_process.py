"""One trial as a subprocess: the plumbing the process and Ray executors share.

A trial process learns its trial from the environment (see ``glovec.runtime.worker``):
``GLOVEC_TRIAL`` (the path of a file holding the trial as JSON, with ``trial_id``, ``decisions``,
``source_path`` and ``early_stopping``) and ``GLOVEC_RESULT`` (where the worker writes its result
JSON at exit). Here: the payload, the child's set-up between fork and exec (die with the
executor, the memory limit), and turning an exit status, a result file and a stderr tail into a
``TrialResult``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from ..wire import jsonable, pack_policy
from .base import ProgramRef, TrialResult, settle
from .resources import parse_memory

STDERR_TAIL_CHARS = 4000


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
            json.dump(payload, f, default=jsonable)
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
            return settle(self.trial_id, data.get("status", "failed"), data.get("objective"),
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


def trial_payload(trial_id, decisions, prog, early_stopping, history):
    return {
        "glovec_trial": 1,
        "trial_id": trial_id,
        "decisions": decisions,
        "source_path": os.path.abspath(prog.source_path) if prog.source_path else None,
        "header_line": prog.header_line,
        "early_stopping": pack_policy(early_stopping, history),
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
