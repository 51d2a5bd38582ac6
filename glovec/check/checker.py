"""What ``glovec check`` finds in a set of programs: the analysis behind the command.

Per file: compile in memory (the compiler's diagnostics are findings), scan for hyper-parameter
literals no site covers (``scan.py``), warn when no objective is marked, and optionally diff the
space against a baseline and run the dynamic coverage design (``dynamic.py``, ``runner.py``).
The result is a ``CheckReport`` (``findings.py``) that ``report.py`` renders as text, JSON,
JUnit XML or GitHub annotations. Static checks never import or execute the program.

Coverage figures (see ``glovec explain GV405``):

- ``sites``: static mode, markers attached to a site / markers written (a marker that attaches to
  nothing or to several values does not count); dynamic mode, sites reached by some run / sites.
- ``candidates``: dynamic mode only, candidates exercised by some run / candidates (a range counts
  its two bounds).

``--min-coverage`` applies to ``candidates`` in dynamic mode and to ``sites`` in static mode.
"""

from __future__ import annotations

import inspect
import os

from glovec.check import scan as scan_mod
from glovec.check.findings import CheckReport, FileCheck, Finding

__all__ = ["check_file", "check_files", "diff_spaces"]


# ---- one file ------------------------------------------------------------------------------


def _flatten(sites, out=None) -> list:
    """Every site dict of a space, nested ones included, depth-first."""
    out = [] if out is None else out
    for site in sites or ():
        out.append(site)
        for _, kids in sorted((site.get("children") or {}).items(), key=lambda kv: int(kv[0])):
            _flatten(kids, out)
    return out


def _compile(source: bytes, path: str, rules, objective, configs=()):
    from glovec.compiler import compile_source

    kwargs = {"path": path}
    if configs:
        kwargs["configs"] = list(configs)
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
               baseline_path: str | None = None, argv=(), workers: int = 1,
               configs=()) -> FileCheck:
    """``configs``: the ``--config`` files ``[(path, bytes)]`` whose sites join the program's."""
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
                       baseline_path, argv, workers, configs)
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
                  baseline, baseline_path, argv, workers, configs=()) -> FileCheck:
    result = _compile(data, path, rules, objective, configs)  # bytes: the compiler decodes (GV002)
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        source = ""
    if source.startswith("\ufeff"):
        source = source[1:]
    diagnostics = list(getattr(result, "diagnostics", ()) or ()) + list(
        getattr(result, "warnings", ()) or ())  # warnings (GV312) keep their severity
    fc.findings.extend(_diag_finding(d, path) for d in diagnostics)
    fc.space_doc = getattr(result, "space_doc", None)
    code = getattr(result, "code", None)
    compiled = fc.space_doc is not None and code is not None and not any(
        f.severity == "error" for f in fc.findings)
    sites = _flatten(fc.space_doc.get("sites")) if fc.space_doc else []
    # Markers: sites made from the program (comments, annotations, rules) against those that
    # failed to attach (GV2xx from the compiler).
    fc.markers_attached = len(sites)
    fc.markers_total = len(sites) + sum(1 for f in fc.findings if f.code.startswith("GV2"))

    try:
        fc.literals = scan_mod.scan(  # a config file's site covers no literal of the program
            source, [(s["id"] if at is s else "", at.get("line", 0), at.get("col", 0))
                     for s in sites for at in (s, *(s.get("tied") or ())) if not at.get("file")],
            allow)
    except SyntaxError:
        fc.literals = []  # the compiler has reported it
    for lit in fc.literals:
        if lit.status == "uncovered":
            fc.findings.append(Finding(
                path, lit.line, lit.col, "GV401",
                f"hyper-parameter {lit.label} is the literal {lit.text} and no site searches it: "
                f"mark it (`# glovec: {lit.param}=oneof([...])`) or say it is deliberate "
                f"(`# glovec: fixed`, or allow {lit.label})"))

    doc = fc.space_doc
    if doc is not None and doc.get("objective") is None and not doc.get("reports") \
            and sites and not objective and not _calls_runtime_report(source):
        fc.findings.append(Finding(
            path, 1, 1, "GV402",
            "no objective is marked: a search has nothing to compare trials by "
            "(add `# glovec: objective` on the line of the final value)"))

    fc.sites = [{
        "id": s["id"], "kind": s.get("kind"), "line": s.get("line"), "col": s.get("col"),
        **({"file": _site_path(path, s["file"])} if s.get("file") else {}),
        "reached": None, "candidates_exercised": None, "candidates_total": _candidates_total(s),
        "candidates": [], "failures": [],
    } for s in sites]

    if baseline is not None and fc.space_doc is not None:
        fc.baseline = diff_spaces(baseline, fc.space_doc)
        fc.baseline["path"] = baseline_path
        fc.baseline["_old_sites"] = baseline.get("sites")
        _baseline_findings(fc, {s["id"]: s for s in sites})
        del fc.baseline["_old_sites"]

    if runs and compiled and sites:
        _dynamic(fc, code, runs, timeout, argv, workers, result.header_line)
    elif runs:
        for s in fc.sites:
            s["reached"], s["candidates_exercised"] = False, 0
    fc.findings.sort(key=lambda f: (f.line, f.col, f.code))
    return fc


def _site_path(program: str, ref: str) -> str:
    """A config file's path as the space document names it (relative to the program's folder)."""
    return os.path.normpath(os.path.join(os.path.dirname(program), ref))


def _where_site(program: str, site: dict) -> str:
    """The file a site of the space document is in: the program, or its config file."""
    return _site_path(program, site["file"]) if site.get("file") else program


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
             workers: int = 1, header_line: int | None = None) -> None:
    from glovec.check.runner import WarmRuns
    from glovec.check.dynamic import cover
    from glovec.runtime.geno import DNASpec

    spec = DNASpec.from_space_doc(fc.space_doc)
    path = fc.path
    argv = list(argv)
    with WarmRuns(code, path, workers=workers, timeout=timeout, argv=argv,
                  header_line=header_line) as warm:
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
        where = site.get("file", path)  # a config file's site: its YAML line
        if cov.dead:
            fc.findings.append(Finding(
                where, line, col, "GV403",
                f"site {site['id']} is never reached: runs that decided it never executed its code "
                f"(a dead branch, or a function that is never called)", site=site["id"]))
        for f in cov.failures:
            where = f" at line {f['line']}" if f["line"] else ""
            unsure = "" if f["confirmed"] else " (not isolated: the failing run changed other sites too)"
            fc.findings.append(Finding(
                path if f["line"] else where, f["line"] or line, 1 if f["line"] else col, "GV404",
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
        fc.findings.append(Finding(_where_site(fc.path, s), s.get("line") or 1, s.get("col") or 1, "GV406",
                                   f"site {sid} was added since the baseline: {tail}", site=sid))
    for c in b["changed"]:
        s = sites.get(c["id"], {})
        what = "; ".join(f"{k} {v[0]!r} -> {v[1]!r}" for k, v in c["fields"].items())
        fc.findings.append(Finding(_where_site(fc.path, s), s.get("line") or 1, s.get("col") or 1, "GV406",
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
                workers: int = 1, configs=()) -> CheckReport:
    """``argv``: the program arguments of every dynamic run, for each of ``paths``; ``configs``:
    the ``--config`` files ``[(path, bytes)]`` of every program."""
    files = []
    for path in paths:
        use_baseline = baseline if baseline is not None and _baseline_matches(baseline, path, paths) else None
        files.append(check_file(path, allow=allow, rules=rules, objective=objective, runs=runs,
                                timeout=timeout, argv=argv, workers=workers,
                                baseline=use_baseline, baseline_path=baseline_path,
                                configs=configs))
    return CheckReport(files, "dynamic" if runs else "static", threshold, strict)


def _baseline_matches(baseline: dict, path: str, paths) -> bool:
    if len(paths) == 1:
        return True
    source = baseline.get("source")
    return bool(source) and os.path.basename(source) == os.path.basename(path)
