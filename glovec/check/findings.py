"""What ``glovec check`` reports: a ``Finding`` (a GV code at a place, with its severity), the
``FileCheck`` of one program and the ``CheckReport`` of a run (coverage figures, exit status)."""

from __future__ import annotations

from dataclasses import dataclass, field

# GV4xx severities.
# The codes of `glovec check` findings live in the shared catalogue (``transforms/diagnostics.py``, shown by
# `glovec explain`); their severity lives here: a warning fails the check only with --strict.
SEVERITY: dict[str, str] = {
    "GV401": "error",
    "GV402": "warning",
    "GV403": "error",
    "GV404": "error",
    "GV405": "error",
    "GV406": "error",
    "GV407": "error",
}


def code_name(code: str) -> str | None:
    """The kebab-case name of a diagnostic code, from the shared catalogue."""
    from glovec.transforms.diagnostics import CODES

    entry = CODES.get(code)
    return entry.name if entry is not None else None


@dataclass
class Finding:
    path: str
    line: int
    col: int
    code: str
    message: str
    severity: str | None = None  # "error" fails the check; "warning" only with --strict
    site: str | None = None

    def __post_init__(self) -> None:
        if self.severity is None:
            self.severity = SEVERITY.get(self.code, "error")

    def render(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.code} {self.message}"


@dataclass
class FileCheck:
    path: str
    space_doc: dict | None = None  # the compiled space document
    sites: list = field(default_factory=list)  # site dicts as reported (see report.py)
    findings: list = field(default_factory=list)
    literals: list = field(default_factory=list)  # HyperLiteral
    markers_attached: int = 0
    markers_total: int = 0
    dynamic: object = None  # DynamicReport
    baseline: dict | None = None


@dataclass
class CheckReport:
    files: list
    mode: str  # "static" | "dynamic"
    threshold: float | None = None
    strict: bool = False

    @property
    def findings(self) -> list:
        return [f for fc in self.files for f in fc.findings]

    def coverage(self) -> dict:
        if self.mode == "dynamic":
            sites = [s for fc in self.files for s in fc.sites]
            reached = sum(1 for s in sites if s["reached"])
            exercised = sum(s["candidates_exercised"] or 0 for s in sites)
            total = sum(s["candidates_total"] for s in sites)
            out = {"sites": _ratio(reached, len(sites)), "candidates": _ratio(exercised, total),
                   "sites_reached": reached, "sites_total": len(sites),
                   "candidates_exercised": exercised, "candidates_total": total}
        else:
            attached = sum(fc.markers_attached for fc in self.files)
            total = sum(fc.markers_total for fc in self.files)
            out = {"sites": _ratio(attached, total), "candidates": None,
                   "markers_attached": attached, "markers_total": total}
        lits = [lit for fc in self.files for lit in fc.literals]
        out["hyperparameters"] = {s: sum(1 for lit in lits if lit.status == s)
                                  for s in ("searched", "fixed", "uncovered")}
        out["figure"] = "candidates" if self.mode == "dynamic" else "sites"
        out["threshold"] = self.threshold
        return out

    def below_threshold(self) -> bool:
        if self.threshold is None:
            return False
        cov = self.coverage()
        value = cov[cov["figure"]]
        return value is not None and value + 1e-12 < self.threshold

    def exit_status(self) -> int:
        failing = {"error", "warning"} if self.strict else {"error"}
        if any(f.severity in failing for f in self.findings) or self.below_threshold():
            return 1
        return 0


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None
