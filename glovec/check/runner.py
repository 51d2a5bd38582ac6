"""Runs a generated program once under given decisions and records which sites it reached.

``glovec check --dynamic`` needs, per run, the point ids the program looked up (a site never
looked up was never reached) and, when it fails, the exception and the original file's line.
The executors report neither, so coverage runs here: one fresh interpreter per run
(``python -m glovec.check.runner JOB``), killed at the per-run timeout.

In the child, the decisions are installed with ``glovec.runtime.activate`` as a dict subclass
whose ``get`` appends each point id to a file the first time it is looked up (the site functions
read decisions with ``.get``), so the keys survive a crash, a hang or a kill. The normal
runtime path is unchanged. The generated header's ``_gv.program(...)`` statement is dropped (the
runner is the driver here) and every later line moves up by one, as in the inline executor, so
code objects carry the original file and lines.

Only the standard library and ``glovec.runtime`` are imported, before the program runs.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field

__all__ = ["RunResult", "run_once", "prepare"]

_TAIL = 2000


@dataclass
class RunResult:
    """One coverage run: ``status`` is "ok", "error", "timeout" or "stopped" (``stop`` was set)."""

    status: str
    reached: list = field(default_factory=list)  # point ids looked up, in first-lookup order
    error: str | None = None  # "ValueError: message" (or why the process died)
    line: int | None = None  # innermost line of the original file in the traceback
    seconds: float = 0.0


def prepare(code: str, source_path: str, header_line: int | None):
    """Compile generated text for a coverage run: the header's ``program(...)`` call dropped
    (its runtime import kept), lines mapped back to the original."""
    tree = ast.parse(code, filename=source_path)
    body = []
    for node in tree.body:
        if node.lineno == header_line and isinstance(node, ast.Expr):
            continue
        body.append(node)
    if header_line is not None:
        for node in body:
            if node.lineno > header_line:
                ast.increment_lineno(node, -1)
    tree.body = body
    return compile(tree, source_path, "exec", dont_inherit=True)


def run_once(code: str, source_path: str, decisions: dict, *, timeout: float | None = None,
             argv=(), cwd: str | None = None, smoke: bool = True, stop=None,
             header_line: int | None = None) -> RunResult:
    """Run the generated ``code`` once in a fresh interpreter under ``decisions``.

    ``header_line``: the header's line in ``code`` (``CompileResult.header_line``); found in the
    text when not given.

    ``stop``: a ``threading.Event``; once it is set, the run is killed and reports "stopped"
    (``glovec check --workers`` stops runs it started ahead and no longer needs).
    """
    source_path = os.path.abspath(source_path)
    if header_line is None:
        from glovec.transforms.header import locate

        header_line = locate(code)
    with tempfile.TemporaryDirectory(prefix="glovec-check-") as tmp:
        job = {
            "code": code,
            "header_line": header_line,
            "source_path": source_path,
            "decisions": [[k, list(v) if isinstance(v, tuple) else v] for k, v in decisions.items()],
            "tuples": [k for k, v in decisions.items() if isinstance(v, tuple)],
            "argv": list(argv),
            "keys": os.path.join(tmp, "keys"),
            "result": os.path.join(tmp, "result.json"),
        }
        job_path = os.path.join(tmp, "job.json")
        with open(job_path, "w", encoding="utf-8") as f:
            json.dump(job, f)
        env = dict(os.environ)
        if smoke:
            env["GLOVEC_SMOKE"] = "1"
        env.pop("GLOVEC_TRIAL", None)
        env["GLOVEC_DEFAULTS"] = "1"  # belt and braces: never let the program start a search
        stderr_path = os.path.join(tmp, "stderr")
        start = time.monotonic()
        with open(stderr_path, "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "glovec.check.runner", job_path],
                cwd=cwd or os.path.dirname(source_path),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
            )
            timed_out = stopped = False
            while True:
                left = None if timeout is None else start + timeout - time.monotonic()
                try:
                    code_ = proc.wait(timeout=left if stop is None else
                                      0.05 if left is None else max(0.0, min(left, 0.05)))
                    break
                except subprocess.TimeoutExpired:
                    if left is not None and time.monotonic() >= start + timeout:
                        _kill(proc)
                        timed_out = True
                        break
                    if stop is not None and stop.is_set():
                        _kill(proc)
                        stopped = True
                        break
        seconds = time.monotonic() - start
        reached = _read_keys(job["keys"])
        if stopped:
            return RunResult("stopped", reached, "stopped: no longer needed", None, seconds)
        if timed_out:
            return RunResult("timeout", reached, f"timed out after {timeout:g} s", None, seconds)
        try:
            with open(job["result"], encoding="utf-8") as f:
                result = json.load(f)
        except (OSError, ValueError):
            tail = _tail(stderr_path)
            why = f"the process exited with status {code_}" + (f": {tail}" if tail else "")
            return RunResult("error", reached, why, None, seconds)
        return RunResult(result["status"], reached, result.get("error"), result.get("line"), seconds)


def _kill(proc: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    proc.wait()


def _read_keys(path: str) -> list:
    try:
        with open(path, encoding="utf-8") as f:
            return [line.rstrip("\n") for line in f if line.strip()]
    except OSError:
        return []


def _tail(path: str) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return ""
    lines = data.decode("utf-8", "replace").strip().splitlines()
    return lines[-1][-_TAIL:] if lines else ""


# ---- the child -------------------------------------------------------------------------------


class _Recorder(dict):
    """Decisions that note each point id the first time a site looks it up."""

    def __init__(self, decisions: dict, sink) -> None:
        super().__init__(decisions)
        self._seen: set = set()
        self._sink = sink

    def get(self, key, default=None):
        if key not in self._seen:
            self._seen.add(key)
            self._sink.write(key + "\n")
            self._sink.flush()
        return dict.get(self, key, default)


def _innermost_line(tb, source_path: str) -> int | None:
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if os.path.abspath(frame.f_code.co_filename) == source_path:
            line = lineno
    return line


def _child(job_path: str) -> int:
    with open(job_path, encoding="utf-8") as f:
        job = json.load(f)
    source_path = job["source_path"]
    tuples = set(job["tuples"])
    decisions = {k: tuple(v) if k in tuples else v for k, v in job["decisions"]}
    result = {"status": "ok"}
    sink = open(job["keys"], "w", encoding="utf-8")
    try:
        code = prepare(job["code"], source_path, job["header_line"])
        import glovec.runtime as gv

        sys.argv = [source_path, *job["argv"]]
        sys.path.insert(0, os.path.dirname(source_path))
        gv.activate(_Recorder(decisions, sink))
        namespace = {"__name__": "__main__", "__file__": source_path, "__builtins__": __builtins__}
        try:
            exec(code, namespace)
        except SystemExit as exc:
            if exc.code not in (None, 0):
                result = {"status": "error", "error": f"SystemExit: {exc.code}", "line": None}
        except BaseException as exc:  # the program's failure is the result
            message = str(exc).strip().splitlines()
            text = type(exc).__name__ + (f": {message[0]}" if message else "")
            result = {"status": "error", "error": text,
                      "line": _innermost_line(exc.__traceback__, source_path)}
    finally:
        sink.close()
        with open(job["result"], "w", encoding="utf-8") as f:
            json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
