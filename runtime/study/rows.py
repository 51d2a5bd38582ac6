"""The rows of a study: how decisions, objectives and metrics are stored, and ``TrialRecord``,
one row of the trials table decoded."""

from __future__ import annotations

import json
from typing import Any, Mapping

FINISHED = ("completed", "failed", "pruned")
STATUSES = ("proposed", "running") + FINISHED

COLUMNS = "id, status, dna, objective, metrics, error, step, created, started, finished, attempts"


class TrialRecord:
    """One row of the trials table, decoded."""

    __slots__ = ("id", "status", "decisions", "objective", "metrics", "error", "step",
                 "created", "started", "finished", "attempts")

    def __init__(self, row: tuple) -> None:
        (self.id, self.status, dna, objective, metrics, self.error, self.step,
         self.created, self.started, self.finished, self.attempts) = row
        self.decisions = decode_decisions(dna)
        self.objective = decode_objective(objective)
        self.metrics = json.loads(metrics) if metrics else {}

    @property
    def seconds(self) -> float | None:
        if self.started is None or self.finished is None:
            return None
        return self.finished - self.started

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "status": self.status,
            "objective": self.objective,
            "decisions": self.decisions,
            "metrics": self.metrics,
            "error": self.error,
            "step": self.step,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
        }

    def __repr__(self) -> str:
        return f"TrialRecord(id={self.id}, status={self.status!r}, objective={self.objective!r})"


def _decisions_of(dna: Any) -> Mapping:
    decisions = getattr(dna, "decisions", dna)
    if not isinstance(decisions, Mapping):
        raise TypeError(f"expected a DNA or a dict of decisions, got {type(dna).__name__}")
    return decisions


def encode_decisions(dna: Any) -> str:
    # Tuples become JSON lists; decode_decisions turns them back into tuples.
    return json.dumps(_decisions_of(dna), separators=(",", ":"))


def decode_decisions(text: str) -> dict:
    decisions = json.loads(text)
    for key, value in decisions.items():
        if isinstance(value, list):
            decisions[key] = tuple(value)
    return decisions


def encode_objective(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return json.dumps([float(v) for v in value])
    return float(value)


def decode_objective(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(json.loads(value))
    return value


def encode_metrics(metrics: Mapping | None) -> str | None:
    if not metrics:
        return None
    return json.dumps(dict(metrics), separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> Any:
    # numpy scalars, tensors with .item(), and anything else printable
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return item()
        except Exception:  # noqa: BLE001 - fall through to str()
            pass
    return str(value)
