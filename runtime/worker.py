"""Worker mode: a generated program run by the process or Ray executor as one trial.

``_gv.program()`` calls ``enter(...)`` when ``GLOVEC_TRIAL`` is set (internals.md section 5, case 2).
``enter`` reads the trial (decisions, id, early-stopping snapshot), activates it, and arranges for
the result to be written to ``GLOVEC_RESULT`` when the program ends, however it ends:

- normal end or ``sys.exit(0)``: "completed" (the executor turns a non-zero exit status into a
  failure, since an exit status is not visible from here);
- an uncaught exception: "failed", with the traceback mapped back to the original file and lines
  (also printed to stderr in that form);
- ``TrialPruned`` escaping from ``report()``: "pruned".

A process that dies without running its exit handlers (a signal, ``os._exit``) writes nothing; the
executor reports it as failed with the tail of its stderr. The result file is written atomically.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import traceback

from . import hyper
from .wire import jsonable, read_trial, should_stop_from

__all__ = ["enter", "read_trial", "map_traceback"]


def map_traceback(exc: BaseException, generated: str | None, source: str, header_line: int,
                  tb=None) -> str:
    """Format ``exc`` as a traceback of the ORIGINAL program.

    Frames of the generated file are renamed to ``source`` with lines after the header moved up by
    one; frames of either file lose their column markers, which count columns of the generated
    text (a site call is longer than the value it replaced). ``tb`` overrides the traceback start.
    """
    norm = lambda p: os.path.normcase(os.path.abspath(p))  # noqa: E731
    generated = norm(generated) if generated else None
    src = norm(source)
    tb = exc.__traceback__ if tb is None else tb
    te = traceback.TracebackException(type(exc), exc, tb)
    seen = set()
    stack = [te]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        frames = []
        for fs in item.stack:
            where = norm(fs.filename)
            if where == generated:
                line = fs.lineno - 1 if fs.lineno and fs.lineno > header_line else fs.lineno
                fs = _frame(source, line, fs.name)
            elif where == src:
                fs = _frame(source, fs.lineno, fs.name)
            frames.append(fs)
        item.stack = traceback.StackSummary.from_list(frames)
        stack.extend([item.__cause__, item.__context__])
    return "".join(te.format())


def _frame(source: str, line, name: str) -> traceback.FrameSummary:
    from .notebook import frame  # a notebook's script: the frame names the cell

    return frame(source, line, name)


class _Outcome:
    def __init__(self, trial_id, result_path, generated, source, header_line):
        self.trial_id = trial_id
        self.result_path = result_path
        self.generated = generated
        self.source = source
        self.header_line = header_line
        self.status = "completed"
        self.error = None
        self.pid = os.getpid()
        self.written = False

    def excepthook(self, exc_type, exc, tb):
        if isinstance(exc, hyper.TrialPruned):
            self.status, self.error = "pruned", str(exc)
            return
        self.status = "failed"
        try:
            self.error = map_traceback(exc, self.generated, self.source, self.header_line)
        except Exception:  # never lose the failure over formatting
            self.error = "".join(traceback.format_exception(exc_type, exc, tb))
        sys.stderr.write(self.error)
        sys.stderr.flush()

    def write(self):
        if self.written or os.getpid() != self.pid:  # a forked child must not write the parent's result
            return
        self.written = True
        ctx = hyper.current()
        data = {
            "trial_id": self.trial_id,
            "status": self.status,
            "objective": ctx.objective if ctx else None,
            "metrics": ctx.metrics if ctx else {},
            "reports": [list(r) for r in ctx.reports] if ctx else [],
            "error": self.error,
        }
        tmp = f"{self.result_path}.{self.pid}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, default=jsonable)
        os.replace(tmp, self.result_path)


def enter(file: str, source: str, header_line: int, space_json: str = "", name: str = "__main__") -> None:
    """Activate the trial named by ``GLOVEC_TRIAL`` and register the result writer.

    Arguments are those of ``_gv.program()``. A child process that re-imports the program (a
    multiprocessing "spawn" child, say) gets the same decisions but writes no result: only the
    first process of the trial (recorded in ``GLOVEC_RESULT_OWNER``) reports.
    """
    trial = read_trial(os.environ["GLOVEC_TRIAL"])
    source_path = trial.get("source_path") or os.path.join(os.path.dirname(os.path.abspath(file)), source)
    hyper.activate(trial.get("decisions") or {}, trial.get("trial_id"), should_stop_from(trial.get("early_stopping")))
    result_path = os.environ.get("GLOVEC_RESULT")
    owner = os.environ.get("GLOVEC_RESULT_OWNER")
    if name != "__main__" or not result_path or (owner and owner != str(os.getpid())):
        return
    os.environ["GLOVEC_RESULT_OWNER"] = str(os.getpid())
    outcome = _Outcome(trial.get("trial_id"), result_path, file, source_path,
                       int(trial.get("header_line") or header_line))
    sys.excepthook = outcome.excepthook
    atexit.register(outcome.write)
