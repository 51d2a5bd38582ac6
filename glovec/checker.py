"""What ``glovec check`` finds in a set of programs: the analysis behind the command.

Per file: compile in memory (the compiler's diagnostics are findings), scan for hyper-parameter
literals no site covers (``glovec.transforms.coverage``), warn when no objective is marked, and
optionally diff the space against a baseline and run the dynamic coverage design. The result is
a ``CheckReport`` that ``glovec.check_report`` renders as text, JSON, JUnit XML or GitHub
annotations. Static checks never import or execute the program.

Coverage figures (see ``glovec explain GV405``):

- ``sites``: static mode, markers attached to a site / markers written (a marker that attaches to
  nothing or to several values does not count); dynamic mode, sites reached by some run / sites.
- ``candidates``: dynamic mode only, candidates exercised by some run / candidates (a range counts
  its two bounds).

``--min-coverage`` applies to ``candidates`` in dynamic mode and to ``sites`` in static mode.
"""

from __future__ import annotations

import fnmatch
import inspect
import os
import re
from dataclasses import dataclass, field

from glovec.transforms import coverage as scan_mod

__all__ = ["Finding", "FileCheck", "CheckReport", "discover", "check_files", "load_config",
           "diff_spaces", "code_name"]



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
            self.severity = scan_mod.SEVERITY.get(self.code, "error")

    def render(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.code} {self.message}"


@dataclass
class FileCheck:
    path: str
    space: dict | None = None
    sites: list = field(default_factory=list)  # site dicts as reported (see check_report)
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


# ---- inputs --------------------------------------------------------------------------------

_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages", "venv", ".venv", "build", "dist"}


def discover(paths, exclude=(), only_marked=False, rules=False) -> list[str]:
    """The files to check. A file named on the command line is checked (with ``only_marked``,
    only when it is a glovec program); a directory contributes its ``*.py`` and ``*.ipynb`` files (recursively,
    hidden and virtual-env folders skipped) that mention ``glovec`` (a marker or
    ``glovec.hints``) and are not generated programs; with ``rules`` (sites chosen by a rules
    file, no markers needed), every ``*.py`` file that is not a generated program."""
    files: list[str] = []
    for path in paths:
        if not os.path.isdir(path):
            if not only_marked or _is_glovec_program(path, rules):
                files.append(path)
            continue
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
            for name in sorted(names):
                if not name.endswith((".py", ".ipynb")):  # notebooks as scripts (glovec.notebook)
                    continue
                full = os.path.join(root, name)
                if any(fnmatch.fnmatch(full, pat) or fnmatch.fnmatch(name, pat) for pat in exclude):
                    continue
                if _is_glovec_program(full, rules):
                    files.append(full)
    seen: set = set()
    return [f for f in files if not (f in seen or seen.add(f))]


def _is_glovec_program(path: str, rules: bool = False) -> bool:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return False
    if b"_gv.program(" in data:
        return False  # a generated program: `glovec convert --check` keeps it in step
    return rules or _MARKED.search(data) is not None


# A marker comment, the annotation markers, or a call into the runtime.
_MARKED = re.compile(rb"#[ \t]*glovec:|glovec\.hints|(?:from|import)[ \t]+glovec\.runtime")


def load_config(start: str) -> dict:
    """``[tool.glovec.check]`` of the nearest ``pyproject.toml`` at or above ``start``."""
    here = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    while True:
        candidate = os.path.join(here, "pyproject.toml")
        if os.path.isfile(candidate):
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10: the same parser, from PyPI
                import tomli as tomllib
            with open(candidate, "rb") as f:
                data = tomllib.load(f)
            return data.get("tool", {}).get("glovec", {}).get("check", {}) or {}
        parent = os.path.dirname(here)
        if parent == here:
            return {}
        here = parent


# ---- one file ------------------------------------------------------------------------------


def _flatten(sites, out=None) -> list:
    """Every site dict of a space, nested ones included, depth-first."""
    out = [] if out is None else out
    for site in sites or ():
        out.append(site)
        for _, kids in sorted((site.get("children") or {}).items(), key=lambda kv: int(kv[0])):
            _flatten(kids, out)
    return out


def _compile(source: bytes, path: str, rules, objective):
    from glovec.compiler import compile_source

    kwargs = {"path": path}
    if rules:
        kwargs["rules"] = rules
    if objective and "objective" in inspect.signature(compile_source).parameters:
        kwargs["objective"] = objective
    return compile_source(source, **kwargs)


def _diag_finding(d, path: str) -> Finding:
    code = getattr(d, "code", "GV000")
    return Finding(getattr(d, "path", None) or path, int(getattr(d, "line", 1) or 1),
                   int(getattr(d, "col", 1) or 1), code, getattr(d, "message", str(d)),
                   getattr(d, "severity", "error") or "error")


def _candidates_total(site: dict) -> int:
    if site.get("kind") in ("oneof", "manyof", "permutate"):
        return len(site.get("candidates", ()))
    if site.get("kind") in ("floatv", "intv"):
        return 2
    return 0


def check_file(path: str, *, allow=(), rules=None, objective=None, runs: int | None = None,
               timeout: float | None = None, baseline: dict | None = None,
               baseline_path: str | None = None, argv=(), workers: int = 1) -> FileCheck:
    fc = FileCheck(path)
    with open(path, "rb") as f:
        data = f.read()
    notebook = None
    if path.endswith(".ipynb"):  # checked as its script equivalent; findings name the cells
        from glovec.notebook import read_notebook
        from glovec.transforms.diagnostics import DiagnosticError

        try:
            notebook = read_notebook(data, path)
        except DiagnosticError as exc:
            fc.findings.extend(_diag_finding(d, path) for d in exc.diagnostics)
            return fc
        data = notebook.script.encode("utf-8")
    fc = _check_source(fc, data, path, allow, rules, objective, runs, timeout, baseline,
                       baseline_path, argv, workers)
    if notebook is not None:
        _at_cells(fc, notebook)
    return fc


def _at_cells(fc: FileCheck, notebook) -> None:
    """Findings and sites of a notebook's script equivalent, moved to their cells."""
    for finding in fc.findings:
        if finding.path == fc.path:
            finding.path, finding.line = notebook.where(finding.line)
            finding.message = notebook.message(finding.message)
    for item in [*fc.sites, *(f for site in fc.sites for f in site["failures"])]:
        found = notebook.locate(item["line"]) if item.get("line") else None
        if found is not None:
            item["cell"], item["line"] = found[0].label, found[1]


def _check_source(fc: FileCheck, data: bytes, path: str, allow, rules, objective, runs, timeout,
                  baseline, baseline_path, argv, workers) -> FileCheck:
    result = _compile(data, path, rules, objective)  # bytes: the compiler owns decoding (GV002)
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        source = ""
    if source.startswith("\ufeff"):
        source = source[1:]
    diagnostics = list(getattr(result, "diagnostics", ()) or ()) + list(
        getattr(result, "warnings", ()) or ())  # warnings (GV312) keep their severity
    fc.findings.extend(_diag_finding(d, path) for d in diagnostics)
    fc.space = getattr(result, "space", None)
    code = getattr(result, "code", None)
    compiled = fc.space is not None and code is not None and not any(
        f.severity == "error" for f in fc.findings)
    sites = _flatten(fc.space.get("sites")) if fc.space else []
    # Markers: sites made from the program (comments, annotations, rules) against those that
    # failed to attach (GV2xx from the compiler).
    fc.markers_attached = len(sites)
    fc.markers_total = len(sites) + sum(1 for f in fc.findings if f.code.startswith("GV2"))

    try:
        fc.literals = scan_mod.scan(
            source, [(s["id"], s.get("line", 0), s.get("col", 0)) for s in sites], allow)
    except SyntaxError:
        fc.literals = []  # the compiler has reported it
    for lit in fc.literals:
        if lit.status == "uncovered":
            fc.findings.append(Finding(
                path, lit.line, lit.col, "GV401",
                f"hyper-parameter {lit.label} is the literal {lit.text} and no site searches it: "
                f"mark it (`# glovec: {lit.param}=oneof([...])`) or say it is deliberate "
                f"(`# glovec: fixed`, or allow {lit.label})"))

    if fc.space is not None and fc.space.get("objective") is None and not fc.space.get("reports") \
            and sites and not objective and not _calls_runtime_report(source):
        fc.findings.append(Finding(
            path, 1, 1, "GV402",
            "no objective is marked: a search has nothing to compare trials by "
            "(add `# glovec: objective` on the line of the final value)"))

    fc.sites = [{
        "id": s["id"], "kind": s.get("kind"), "line": s.get("line"), "col": s.get("col"),
        "reached": None, "candidates_exercised": None, "candidates_total": _candidates_total(s),
        "candidates": [], "failures": [],
    } for s in sites]

    if baseline is not None and fc.space is not None:
        fc.baseline = diff_spaces(baseline, fc.space)
        fc.baseline["path"] = baseline_path
        fc.baseline["_old_sites"] = baseline.get("sites")
        _baseline_findings(fc, {s["id"]: s for s in sites})
        del fc.baseline["_old_sites"]

    if runs and compiled and sites:
        _dynamic(fc, code, runs, timeout, argv, workers)
    elif runs:
        for s in fc.sites:
            s["reached"], s["candidates_exercised"] = False, 0
    fc.findings.sort(key=lambda f: (f.line, f.col, f.code))
    return fc


def _calls_runtime_report(source: str) -> bool:
    """Whether the program records its result by calling ``glovec.runtime.report/objective``."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    runtime_names, direct = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            runtime_names |= {a.asname or a.name for a in node.names if a.name == "glovec.runtime"}
        elif isinstance(node, ast.ImportFrom) and node.module == "glovec.runtime":
            direct |= {a.asname or a.name for a in node.names if a.name in ("report", "objective")}
        elif isinstance(node, ast.ImportFrom) and node.module == "glovec":
            runtime_names |= {a.asname or a.name for a in node.names if a.name == "runtime"}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id in direct:
            return True
        if isinstance(f, ast.Attribute) and f.attr in ("report", "objective"):
            if ast.unparse(f.value) in runtime_names | {"glovec.runtime"}:
                return True
    return False


def _dynamic(fc: FileCheck, code: str, runs: int, timeout: float | None, argv=(),
             workers: int = 1) -> None:
    from glovec.coverage_runner import WarmRuns
    from glovec.dynamic_coverage import cover
    from glovec.runtime.geno import DNASpec

    spec = DNASpec.from_space_doc(fc.space)
    path = fc.path
    argv = list(argv)
    with WarmRuns(code, path, workers=workers, timeout=timeout, argv=argv) as warm:
        report = cover(spec, warm.run, runs, workers=workers)
    fc.dynamic = report
    by_id = {s.id: s for s in report.sites}
    for site in fc.sites:
        cov = by_id.get(site["id"])
        if cov is None:
            continue
        site["reached"] = cov.reached
        site["candidates_exercised"] = len(cov.exercised)
        site["candidates_total"] = len(cov.labels)
        keys = list(range(len(cov.labels))) if cov.kind in ("oneof", "manyof", "permutate") \
            else ["lo", "hi"][: len(cov.labels)]
        site["candidates"] = [{"candidate": label, "exercised": key in cov.exercised}
                              for key, label in zip(keys, cov.labels)]
        site["failures"] = [{"candidate": f["candidate"], "line": f["line"], "error": f["error"],
                             "run": f["run"], "confirmed": f["confirmed"]} for f in cov.failures]
        site["dead"] = cov.dead
        line, col = site["line"] or 1, site["col"] or 1
        if cov.dead:
            fc.findings.append(Finding(
                path, line, col, "GV403",
                f"site {site['id']} is never reached: runs that decided it never executed its code "
                f"(a dead branch, or a function that is never called)", site=site["id"]))
        for f in cov.failures:
            where = f" at line {f['line']}" if f["line"] else ""
            unsure = "" if f["confirmed"] else " (not isolated: the failing run changed other sites too)"
            fc.findings.append(Finding(
                path, f["line"] or line, 1 if f["line"] else col, "GV404",
                f"candidate {f['candidate']} of site {site['id']} fails{where}: {f['error']}{unsure}",
                site=site["id"]))
    for rf in report.run_failures:
        fc.findings.append(Finding(
            path, rf["line"] or 1, 1, "GV407",
            f"run {rf['run']} failed with candidates that also completed elsewhere: {rf['error']} "
            f"(decisions {rf['decisions']})"))


# ---- baseline --------------------------------------------------------------------------------

def diff_spaces(old: dict, new: dict) -> dict:
    """Added, removed and changed sites (by id), and whether a study of ``old`` can resume: the
    runtime's rule (``glovec.runtime.geno.identity``), with the fields that changed."""
    from glovec.runtime.geno.identity import site_shapes, space_diff

    added, removed, changed_ids = space_diff(old, new)
    shape_a, shape_b = site_shapes(old), site_shapes(new)
    changed = []
    for sid in changed_ids:
        a, b = shape_a[sid], shape_b[sid]
        fields = {k: [a.get(k), b.get(k)] for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)}
        changed.append({"id": sid, "fields": fields})
    before = {s["id"]: s for s in _flatten(old.get("sites"))}
    after = {s["id"]: s for s in _flatten(new.get("sites"))}
    defaults = [sid for sid in before.keys() & after.keys()
                if sid not in changed_ids and before[sid].get("default") != after[sid].get("default")]
    out = {
        "added": added,
        "removed": removed,
        "changed": sorted(changed, key=lambda c: c["id"]),
        "defaults_changed": sorted(defaults),
    }
    out["fingerprint_baseline"], out["fingerprint_current"] = _fingerprint(old), _fingerprint(new)
    if out["fingerprint_baseline"] and out["fingerprint_current"]:
        out["resumable"] = out["fingerprint_baseline"] == out["fingerprint_current"]
    else:
        out["resumable"] = not (out["added"] or out["removed"] or out["changed"])
    return out


def _fingerprint(space: dict) -> str | None:
    """The fingerprint a study resumes by (structure by site id; positions and defaults excluded)."""
    try:
        from glovec.runtime.geno.identity import space_fingerprint

        return space_fingerprint(space)
    except Exception:  # an unreadable baseline still gets the structural diff
        return None


def _baseline_findings(fc: FileCheck, sites: dict) -> None:
    b = fc.baseline
    if b["resumable"]:
        return
    tail = ("a study of the baseline space cannot be resumed as is "
            "(`glovec run --resume --migrate` keeps the trials whose decisions still fit)")
    for sid in b["added"]:
        s = sites.get(sid, {})
        fc.findings.append(Finding(fc.path, s.get("line") or 1, s.get("col") or 1, "GV406",
                                   f"site {sid} was added since the baseline: {tail}", site=sid))
    for c in b["changed"]:
        s = sites.get(c["id"], {})
        what = "; ".join(f"{k} {v[0]!r} -> {v[1]!r}" for k, v in c["fields"].items())
        fc.findings.append(Finding(fc.path, s.get("line") or 1, s.get("col") or 1, "GV406",
                                   f"site {c['id']} changed since the baseline ({what}): {tail}",
                                   site=c["id"]))
    old_sites = {s["id"]: s for s in _flatten(b.get("_old_sites"))}
    for sid in b["removed"]:
        was = old_sites.get(sid, {}).get("line")
        where = f" (it was on line {was})" if was else ""
        fc.findings.append(Finding(fc.path, 1, 1, "GV406",
                                   f"site {sid} was removed since the baseline{where}: {tail}"))
    if not (b["added"] or b["changed"] or b["removed"]):
        fc.findings.append(Finding(fc.path, 1, 1, "GV406", f"the space's structure changed: {tail}"))


def check_files(paths, *, allow=(), rules=None, objective=None, runs=None, timeout=None,
                baseline=None, baseline_path=None, threshold=None, strict=False, argv=(),
                workers: int = 1) -> CheckReport:
    """``argv``: the program arguments of every dynamic run, for each of ``paths``."""
    files = []
    for path in paths:
        use_baseline = baseline if baseline is not None and _baseline_matches(baseline, path, paths) else None
        files.append(check_file(path, allow=allow, rules=rules, objective=objective, runs=runs,
                                timeout=timeout, argv=argv, workers=workers,
                                baseline=use_baseline, baseline_path=baseline_path))
    return CheckReport(files, "dynamic" if runs else "static", threshold, strict)


def _baseline_matches(baseline: dict, path: str, paths) -> bool:
    if len(paths) == 1:
        return True
    source = baseline.get("source")
    return bool(source) and os.path.basename(source) == os.path.basename(path)
