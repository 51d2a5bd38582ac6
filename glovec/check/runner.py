"""Runs a generated program under given decisions and records which sites it reached.

``glovec check --dynamic`` needs, per run, the point ids the program looked up (a site never
looked up was never reached) and, when it fails, the exception and the original file's line.
The executors report neither, so coverage runs have their own job on the executors' warm
workers (``WarmRuns``): the program's modules are imported once, each run is isolated as a
process trial is, and a run is killed at the per-run timeout.

In the run, the decisions are installed with ``glovec.runtime.activate`` as a dict subclass
whose ``get`` appends each point id to a file the first time it is looked up (the site functions
read decisions with ``.get``), so the keys survive a crash, a hang or a kill. The normal
runtime path is unchanged. The generated header's ``program(...)`` call is dropped (the
runner is the driver here) and every later line moves up by one, as in the inline executor, so
code objects carry the original file and lines.

Only the standard library and ``glovec.runtime`` are imported, before the program runs.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import sys
import threading
import time
import traceback
import types
from dataclasses import dataclass, field

__all__ = ["RunResult", "WarmRuns", "run_once", "prepare"]

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
    if header_line:
        tree.body = [_configs_call(node) if node.lineno == header_line else node
                     for node in tree.body]
        tree.body = [node for node in tree.body if node is not None]
        for node in tree.body:
            if node.lineno > header_line:
                ast.increment_lineno(node, -1)
    return compile(tree, source_path, "exec", dont_inherit=True)


def _configs_call(node: ast.stmt) -> ast.stmt | None:
    """The header's ``program(...)`` call (``None``), or, when the space has config files, a
    call that serves the run's values in them (``driver._enter_configs``, as an inline trial
    does): looking the values up notes the config file's sites as reached."""
    if not isinstance(node, ast.Expr):
        return node
    call = node.value
    args = call.args if isinstance(call, ast.Call) else []
    space = args[4] if len(args) >= 5 else None
    if not (isinstance(space, ast.Constant) and isinstance(space.value, str)
            and '"configs":' in space.value):
        return None
    enter = ast.parse("__import__('glovec.runtime.driver', fromlist=['_'])._enter_configs("
                      "None, __file__)").body[0]
    enter.value.args[0] = space
    return ast.fix_missing_locations(ast.copy_location(enter, node))


class WarmRuns:
    """Coverage runs of one program on warm workers (``glovec.runtime.executors.warm``): the
    program's modules are imported once, and each run is isolated as a process trial is (forked
    from the warm worker where that is safe). ``run(decisions, stop=None)`` may be called from
    several threads, up to ``workers`` at once. ``header_line``: the header's line in ``code``
    (``CompileResult.header_line``); found in the text when not given."""

    def __init__(self, code: str, source_path: str, *, workers: int = 1, timeout: float | None = None,
                 argv=(), cwd: str | None = None, smoke: bool = True,
                 header_line: int | None = None) -> None:
        from glovec.runtime.executors.base import ProgramRef
        from glovec.runtime.executors.process import make_workdir, remove_stale_workdirs
        from glovec.runtime.executors.warm import WarmPool

        source_path = os.path.abspath(source_path)
        if header_line is None:
            from glovec.transforms.header import locate

            header_line = locate(code) or 0
        self.timeout = timeout
        remove_stale_workdirs("glovec-check-")
        self.workdir = make_workdir("glovec-check-")
        env = {"GLOVEC_DEFAULTS": "1"}  # belt and braces: never let the program start a search
        if smoke:
            env["GLOVEC_SMOKE"] = "1"
        prog = ProgramRef(code=code, source_path=source_path, argv=list(argv),
                          cwd=cwd or os.path.dirname(source_path), header_line=header_line)
        self._lock = threading.Lock()
        self._results: dict = {}
        self._next = 0
        try:
            self.pool = WarmPool(prog, max(1, workers), self.workdir, timeout=timeout, env=env,
                                 entry="glovec.check.runner:run_in_worker")
        except BaseException:
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise

    def __enter__(self) -> "WarmRuns":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def run(self, decisions: dict, stop=None) -> RunResult:
        """Run the program once under ``decisions``; ``stop`` (a ``threading.Event``) kills the run
        once set and makes it "stopped"."""
        with self._lock:
            self._next += 1
            number = self._next
            keys = os.path.join(self.workdir, f"keys-{number}")
            self.pool.start(number, {
                "decisions": [[k, list(v) if isinstance(v, tuple) else v] for k, v in decisions.items()],
                "tuples": [k for k, v in decisions.items() if isinstance(v, tuple)],
                "keys": keys,
            })
        stopped = False
        while True:
            with self._lock:
                for result in self.pool.wait(0.0):
                    self._results[result.trial_id] = result
                result = self._results.pop(number, None)
                if result is None and stop is not None and stop.is_set() and not stopped:
                    self.pool.cancel(number)
                    stopped = True
            if result is not None:
                break
            time.sleep(0.02)
        reached = _read_keys(keys)
        try:
            os.unlink(keys)
        except OSError:
            pass
        if stopped:
            return RunResult("stopped", reached, "stopped: no longer needed", None, result.seconds)
        if result.status == "completed":
            return RunResult("ok", reached, None, None, result.seconds)
        if self.timeout and (result.error or "").startswith("timed out"):
            return RunResult("timeout", reached, f"timed out after {self.timeout:g} s", None,
                             result.seconds)
        metrics = result.metrics or {}
        if "error" in metrics:
            return RunResult("error", reached, metrics["error"], metrics.get("line"), result.seconds)
        lines = (result.error or "").strip().splitlines()
        why = lines[0] if lines else "the run failed"
        if "--- stderr" in (result.error or "") and len(lines) > 1:
            why += ": " + lines[-1][-_TAIL:]
        return RunResult("error", reached, why, None, result.seconds)

    def close(self) -> None:
        self.pool.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def run_once(code: str, source_path: str, decisions: dict, *, timeout: float | None = None,
             argv=(), cwd: str | None = None, smoke: bool = True, stop=None,
             header_line: int | None = None) -> RunResult:
    """Run the generated ``code`` once under ``decisions``, in a worker of its own.

    ``stop``: a ``threading.Event``; once it is set, the run is killed and reports "stopped".
    """
    with WarmRuns(code, source_path, timeout=timeout, argv=argv, cwd=cwd, smoke=smoke,
                  header_line=header_line) as runs:
        return runs.run(decisions, stop=stop)


def _read_keys(path: str) -> list:
    try:
        with open(path, encoding="utf-8") as f:
            return [line.rstrip("\n") for line in f if line.strip()]
    except OSError:
        return []


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


_compiled: dict = {}


def run_in_worker(worker, msg: dict) -> None:
    """In a warm worker (``entry`` of the pool): one coverage run, its result file written in
    the trial format (status "completed" or "failed"; ``metrics``: the error and its line)."""
    import glovec.runtime as gv
    from glovec.runtime.wire import read_trial

    job = read_trial(msg["payload"])
    source_path = worker.prog.source_path
    code = _compiled.get(source_path)
    if code is None:
        code = _compiled[source_path] = prepare(worker.prog.code, source_path,
                                                 worker.prog.header_line)
    tuples = set(job["tuples"])
    decisions = {k: tuple(v) if k in tuples else v for k, v in job["decisions"]}
    result = {"status": "completed", "metrics": {}}
    saved_argv, saved_main = sys.argv, sys.modules.get("__main__")
    module = types.ModuleType("__main__")
    module.__dict__.update(__file__=source_path, __builtins__=__builtins__)
    with open(job["keys"], "w", encoding="utf-8") as sink:
        sys.argv = [source_path, *worker.prog.argv]
        sys.modules["__main__"] = module
        gv.activate(_Recorder(decisions, sink))
        if source_path.endswith(".ipynb"):  # a notebook's script: its IPython lines need a shell
            from glovec.runtime.notebook import install_shell

            install_shell(module.__dict__)
        try:
            exec(code, module.__dict__)
        except SystemExit as exc:
            if exc.code not in (None, 0):
                result = {"status": "failed", "metrics": {"error": f"SystemExit: {exc.code}",
                                                          "line": None}}
        except BaseException as exc:  # the program's failure is the result
            message = str(exc).strip().splitlines()
            text = type(exc).__name__ + (f": {message[0]}" if message else "")
            result = {"status": "failed", "metrics": {
                "error": text, "line": _innermost_line(exc.__traceback__, source_path)}}
        finally:
            gv.deactivate()
            sys.argv = saved_argv
            if saved_main is not None:
                sys.modules["__main__"] = saved_main
    with open(msg["result"], "w", encoding="utf-8") as f:
        json.dump(result, f)
