"""What every executor shares: the program it runs, what a trial ends with, and its errors."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ExecutorError", "ProgramRef", "TrialResult", "settle"]


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
    node: str | None = None  # where it ran: Ray's node id (None: this machine)
    attempts: int = 1  # runs it took (more than 1: its Ray node was lost and it ran again)


def settle(trial_id, status, objective, metrics, reports, error, seconds) -> TrialResult:
    """One place for the rule: no objective -> the last reported value (else None: the driver
    may still find the objective among the metrics, e.g. ``--objective val_accuracy``)."""
    reports = [tuple(r) for r in reports or ()]
    if status == "completed" and objective is None and reports:
        objective = reports[-1][1]
    return TrialResult(trial_id, status, objective, dict(metrics or {}), reports, error, seconds)
