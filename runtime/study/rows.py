"""The rows of a study: how decisions, objectives and metrics are stored, ``TrialRecord`` (one
row of the trials table decoded), and the stored space read back.

A study is a file that anyone who can write its folder may have edited. Decoding checks every
value it reads for its type, so a damaged or tampered row becomes GV510 (naming the trial and the
column) instead of a traceback, and nothing of a wrong type reaches a report, an algorithm or a
materialized program.
"""

from __future__ import annotations

import json
import math
from typing import Any, Iterable, Mapping

from .errors import StudyError

FINISHED = ("completed", "failed", "pruned")
STATUSES = ("proposed", "running") + FINISHED

COLUMNS = "id, status, dna, objective, metrics, error, step, created, started, finished, attempts"
COLUMNS_WITH_NODE = COLUMNS + ", node"  # a TrialRecord reads either (no node: None)

# The metric naming the method of a trial whose objective is a one-shot supernet's estimate.
ESTIMATE_METRIC = "glovec.one_shot"


class TrialRecord:
    """One row of the trials table, decoded."""

    __slots__ = ("id", "status", "decisions", "objective", "metrics", "error", "step",
                 "created", "started", "finished", "attempts", "node")

    def __init__(self, row: tuple, path: str | None = None) -> None:
        (self.id, self.status, dna, objective, metrics, self.error, self.step,
         self.created, self.started, self.finished, self.attempts) = row[:11]
        self.node = row[11] if len(row) > 11 else None
        try:
            if self.status not in STATUSES:
                raise Damaged(f"its status {self.status!r} is none of {', '.join(STATUSES)}")
            self.decisions = decode_decisions(dna)
            self.objective = decode_objective(objective)
            self.metrics = decode_metrics(metrics)
            if self.error is not None and not isinstance(self.error, str):
                raise Damaged("its error is not text")
            if not all(_is_number(v) for v in (self.created, self.started, self.finished) if v is not None):
                raise Damaged("one of its times is not a number")
            if self.step is not None and type(self.step) is not int:
                raise Damaged("its step is not an integer")
            if self.node is not None and not isinstance(self.node, str):
                raise Damaged("its node is not text")
        except Damaged as exc:
            raise damaged(path, f"trial {self.id}", exc) from None

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
            "node": self.node,
            "attempts": self.attempts,
        }

    def __repr__(self) -> str:
        return f"TrialRecord(id={self.id}, status={self.status!r}, objective={self.objective!r})"


def _decisions_of(dna: Any) -> Mapping:
    decisions = getattr(dna, "decisions", dna)
    if not isinstance(decisions, Mapping):
        raise TypeError(f"expected a DNA or a dict of decisions, got {type(dna).__name__}")
    return decisions


class Damaged(ValueError):
    """A stored value that does not decode (the message says which and why)."""


def damaged(path: str | None, what: str, exc: Exception) -> StudyError:
    """GV510 for ``what`` ("trial 3", "the stored space") of the study at ``path``."""
    return StudyError(
        "GV510",
        f"{what} of study {path} is damaged: {exc}; the file was edited or corrupted (restore it "
        f"from a copy, or start a new --study)",
        path,
    )


def _is_number(value: Any) -> bool:
    return type(value) is int or type(value) is float


def _json(text: Any, column: str) -> Any:
    if not isinstance(text, str):
        raise Damaged(f"its {column} is {type(text).__name__}, not JSON text")
    try:
        return json.loads(text)
    except ValueError:
        raise Damaged(f"its {column} is not JSON") from None


def encode_decisions(dna: Any) -> str:
    # Tuples become JSON lists; decode_decisions turns them back into tuples.
    return json.dumps(_decisions_of(dna), separators=(",", ":"))


def decode_decisions(text: Any) -> dict:
    """The decisions of a ``dna`` column: {point id: number, or tuple of indices}."""
    decisions = _json(text, "dna")
    if not isinstance(decisions, dict):
        raise Damaged("its dna is not a JSON object")
    for key, value in decisions.items():
        if isinstance(value, list):
            if not all(type(v) is int for v in value):
                raise Damaged(f"its dna holds a list for {key!r} that is not all indices")
            decisions[key] = tuple(value)
        elif not _is_number(value):
            raise Damaged(f"its dna holds {type(value).__name__} for {key!r}, not a decision")
    return decisions


def encode_objective(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return json.dumps([float(v) for v in value])
    return float(value)


def finite_reports(reports: Iterable) -> list[tuple[int, float]]:
    """The (step, value) reports a study keeps: the finite ones (a study holds strict JSON
    numbers; a NaN or an infinity reported by a diverging trial is seen by early stopping when
    it is reported, not stored)."""
    return [(s, v) for s, v in reports if _is_finite(v)]


def _is_finite(value: Any) -> bool:
    try:
        return _is_number(value) and math.isfinite(value)
    except OverflowError:  # an int beyond a float's range
        return False


def decode_objective(value: Any) -> Any:
    """An ``objective`` (or report) column: None, a number, or JSON text of one or more
    numbers."""
    if value is None:
        return value
    if _is_number(value):
        if not math.isfinite(value):  # the loop keeps only finite objectives (strict JSON)
            raise Damaged(f"its objective {value!r} is not a finite number")
        return value
    values = _json(value, "objective")
    if not isinstance(values, list) or not values or not all(_is_number(v) for v in values):
        raise Damaged("its objective is not a number nor a list of numbers")
    if not all(math.isfinite(v) for v in values):
        raise Damaged("its objective holds a number that is not finite")
    return tuple(values)


def encode_metrics(metrics: Mapping | None) -> str | None:
    if not metrics:
        return None
    return json.dumps(dict(metrics), separators=(",", ":"), default=_json_default)


def decode_metrics(text: Any) -> dict:
    if text is None or text == "":
        return {}
    metrics = _json(text, "metrics")
    if not isinstance(metrics, dict):
        raise Damaged("its metrics are not a JSON object")
    return metrics


def decode_space(text: Any, path: str | None) -> dict:
    """The stored space (the ``space`` row of ``meta``), checked the way a program's is: it
    must build a DNASpec, and its objective directions must be maximize or minimize."""
    from ..geno import DNASpec, InvalidSpec

    try:
        space = _json(text, "JSON")
        if not isinstance(space, dict) or not isinstance(space.get("sites", []), list):
            raise Damaged("it is not a space (a JSON object with a list of sites)")
        try:
            DNASpec.from_space_doc(space)
        except (InvalidSpec, TypeError, ValueError, AttributeError, KeyError) as exc:
            raise Damaged(f"its sites do not make a space ({exc})") from None
        if any(d not in ("maximize", "minimize") for d in directions(space)):
            raise Damaged("its objective direction is neither maximize nor minimize")
    except Damaged as exc:
        raise damaged(path, "the stored space", exc) from None
    return space


def directions(space: Mapping) -> tuple[str, ...]:
    """The objective directions a space declares (maximize when it declares none)."""
    objective = space.get("objective") or {}
    if isinstance(objective, list):  # several objectives
        if not all(isinstance(o, Mapping) for o in objective):
            raise Damaged("its objectives are not JSON objects")
        return tuple(o.get("direction", "maximize") for o in objective)
    if not isinstance(objective, Mapping):
        raise Damaged("its objective is not a JSON object")
    return (objective.get("direction", "maximize"),)


def _json_default(value: Any) -> Any:
    # numpy scalars, tensors with .item(), and anything else printable
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return item()
        except Exception:  # noqa: BLE001 - fall through to str()
            pass
    return str(value)
