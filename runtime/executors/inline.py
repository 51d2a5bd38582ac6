"""The inline executor: each trial re-executes the compiled program in this process."""

from __future__ import annotations

import ast
import builtins
import collections
import os
import signal
import sys
import threading
import time
import traceback
import types

from .. import hyper
from ..wire import make_should_stop
from .base import ProgramRef, TrialResult, settle

__all__ = ["InlineExecutor", "compile_program", "run_here"]


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


# What Keras's global state holds once Keras is imported, before anything is built with it.
_KERAS_IMPORTED_STATE = {"nnx_enabled"}


def _forget_framework_state() -> None:
    """Between inline trials: drop the models Keras keeps globally, so memory stays flat. Only
    after a trial that built something with Keras: ``clear_session`` ends with a full garbage
    collection (0.3 s a trial in a process that imported TensorFlow, 1 s in a large one)."""
    keras = sys.modules.get("keras")
    if keras is None:
        return
    try:
        tracker = sys.modules["keras.src.backend.common.global_state"].GLOBAL_STATE_TRACKER
        if set(vars(tracker)) <= _KERAS_IMPORTED_STATE:
            return
    except (KeyError, AttributeError, TypeError):  # another Keras: clear as before
        pass
    try:
        keras.backend.clear_session()
    except Exception:  # a broken Keras must not fail the next trial
        pass


def _format_failure(exc: BaseException, prog: ProgramRef) -> str:
    """The traceback of an inline trial, without the executor's own frame."""
    from ..worker import map_traceback

    try:
        return map_traceback(exc, None, prog.source_path, prog.header_line, exc.__traceback__.tb_next)
    except Exception:  # never lose the failure over formatting
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__.tb_next))


class _InlineTimeout(BaseException):
    """Raised into the running trial by the alarm; a BaseException so `except Exception` misses it."""


class _ProgramExit(BaseException):
    """Raised by ``os._exit`` called from an inline trial in the driver's own process."""

    def __init__(self, status) -> None:
        super().__init__(status)
        self.status = status


def run_here(prog: ProgramRef, code: types.CodeType, trial_id, decisions: dict, should_stop=None,
             main_spec=None, guard_exit: bool = False, timeout: float | None = None) -> TrialResult:
    """Run one trial of ``prog`` (compiled to ``code``) in this interpreter; its result.

    The program sees what ``python SRC ARGS`` shows it: a fresh ``__main__`` whose ``__file__`` is
    the program's path, ``sys.argv``, and its own folder first on ``sys.path``; every one is put
    back afterwards. ``main_spec`` becomes ``__main__.__spec__`` (how a multiprocessing "spawn"
    child finds the program again). ``guard_exit``: ``os._exit`` from the trial fails the trial
    instead of ending this process (the inline executor's driver). ``timeout``: seconds, by
    ``SIGALRM`` (main thread only). A child the trial forked that
    falls through to here exits at once, without returning into the caller (a driver holding a
    study, or a warm worker).
    """
    module = types.ModuleType("__main__")
    module.__dict__.update(__file__=prog.path or prog.source_path, __builtins__=builtins,
                           __package__=None, __spec__=main_spec, __loader__=None, __cached__=None)
    saved_main = sys.modules.get("__main__")
    saved_argv = sys.argv
    status, error = "completed", None
    owner = os.getpid()
    real_exit = os._exit
    if guard_exit:
        def guarded_exit(code_):
            if os.getpid() == owner:
                raise _ProgramExit(code_)
            real_exit(code_)

        os._exit = guarded_exit
    alarm = _arm_alarm(timeout)
    sigint, interrupted = _watch_sigint()
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
        exec(code, module.__dict__)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            status, error = "failed", f"the program exited with status {exc.code!r}"
    except hyper.TrialPruned as exc:
        status, error = "pruned", str(exc)
    except _InlineTimeout:
        status, error = "failed", f"timed out after {timeout:g} s"
    except _ProgramExit as exc:
        status = "failed"
        error = (f"the program called os._exit({exc.status!r}), which would end the search itself; "
                 f"the trial counts as failed (run such a program with --executor process)")
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # the program's own failure: keep its traceback
        if interrupted:  # Ctrl-C, which a C extension turned into an error of its own
            raise KeyboardInterrupt from exc
        status = "failed"
        error = _format_failure(exc, prog)
    finally:
        if alarm is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, alarm)
        if sigint is not None:
            signal.signal(signal.SIGINT, sigint)
        if os.getpid() != owner:  # a child the trial forked came back here: it ends now
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:
                    pass
            real_exit(0 if status == "completed" else 1)
        os._exit = real_exit
        ctx = hyper.deactivate()
        _forget_framework_state()
        sys.argv = saved_argv
        if added_path and folder in sys.path:
            sys.path.remove(folder)
        if saved_main is not None:
            sys.modules["__main__"] = saved_main
    seconds = time.perf_counter() - start
    return settle(trial_id, status, ctx.objective, ctx.metrics, ctx.reports, error, seconds)


def _watch_sigint():
    """While a trial runs in the main thread: (the SIGINT handler to put back, the list where
    each SIGINT is noted), or (None, []) where there is nothing to watch. A KeyboardInterrupt
    raised inside a C extension can reach the program as that extension's own error (TensorFlow's
    pybind11 code raises a RuntimeError "... REPLACED BY KeyboardInterrupt"); noted, the trial's
    failure is raised again as the interrupt it was, so Ctrl-C stops the search."""
    if threading.current_thread() is not threading.main_thread():
        return None, []
    previous = signal.getsignal(signal.SIGINT)
    if not callable(previous):  # ignored, or the default action: no KeyboardInterrupt to lose
        return None, []
    seen: list = []

    def note(signum, frame):
        seen.append(signum)
        previous(signum, frame)

    signal.signal(signal.SIGINT, note)
    return previous, seen


def _arm_alarm(timeout):
    if not timeout or not hasattr(signal, "SIGALRM"):
        return None
    if threading.current_thread() is not threading.main_thread():
        return None

    def on_alarm(signum, frame):
        raise _InlineTimeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    return previous if previous is not None else signal.SIG_DFL


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
        should_stop = make_should_stop(self.early_stopping, history)
        return run_here(self.prog, self._code, trial_id, decisions, should_stop, guard_exit=True,
                        timeout=self.timeout)

    def close(self) -> None:
        self._queue.clear()
