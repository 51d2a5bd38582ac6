"""Renders a ``glovec check`` report: text, JSON, JUnit XML, GitHub workflow annotations.

JSON (``"glovec_check": 1``)::

    {"glovec_check": 1, "mode": "static" | "dynamic",
     "sites": [{"file", "id", "kind", "line", "col", "reached", "candidates_exercised",
                "candidates_total", "candidates": [{"candidate", "exercised"}],
                "failures": [{"candidate", "line", "error", "run", "confirmed"}]}],
     "coverage": {"sites", "candidates", "figure", "threshold", ...counts,
                  "hyperparameters": {"searched", "fixed", "uncovered"}},
     "findings": [{"path", "line", "col", "code", "name", "severity", "message", "site"}],
     "hyperparameters": [{"path", "line", "col", "name", "text", "status"}],
     "baseline": null | {"path", "added", "removed", "changed", "defaults_changed", "resumable",
                         "fingerprint_baseline", "fingerprint_current"},
     "runs": [{"file", "run", "purpose", "decisions", "status", "error", "line", "seconds", "reached"}],
     "exit": 0 | 1}

In static mode ``reached`` and ``candidates_exercised`` are null (nothing ran) and
``coverage.candidates`` is null.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from glovec.check.findings import CheckReport, Finding, code_name

__all__ = ["render", "threshold_finding"]


def threshold_finding(report: CheckReport) -> Finding | None:
    if not report.below_threshold():
        return None
    cov = report.coverage()
    path = report.files[0].path if report.files else "."
    what = ("candidates exercised" if cov["figure"] == "candidates" else "markers attached")
    return Finding(path, 1, 1, "GV405",
                   f"coverage of {what} {_pct(cov[cov['figure']])} is below "
                   f"--min-coverage {_pct(report.threshold)}")


def _all_findings(report: CheckReport) -> list:
    extra = threshold_finding(report)
    return report.findings + ([extra] if extra else [])


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def render(report: CheckReport, fmt: str) -> tuple[str, str]:
    """(stdout text, stderr text) of the report in ``fmt``."""
    if fmt == "json":
        return json.dumps(to_json(report), indent=2) + "\n", ""
    if fmt == "junit":
        return to_junit(report), ""
    if fmt == "github":
        return to_github(report), ""
    return to_text(report), "".join(f.render() + "\n" for f in _all_findings(report))


# ---- JSON -------------------------------------------------------------------------------------


def to_json(report: CheckReport) -> dict:
    sites, runs, lits = [], [], []
    for fc in report.files:
        sites += [{"file": fc.path, **s} for s in fc.sites]
        if fc.dynamic is not None:
            runs += [{"file": fc.path, **r} for r in fc.dynamic.runs]
        lits += [{"path": fc.path, "line": h.line, "col": h.col, "name": h.label, "text": h.text,
                  "status": h.status} for h in fc.literals]
    baselines = [fc.baseline for fc in report.files if fc.baseline is not None]
    return {
        "glovec_check": 1,
        "mode": report.mode,
        "sites": sites,
        "coverage": report.coverage(),
        "findings": [{"path": f.path, "line": f.line, "col": f.col, "code": f.code,
                      "name": code_name(f.code), "severity": f.severity,
                      "message": f.message, "site": f.site} for f in _all_findings(report)],
        "hyperparameters": lits,
        "baseline": baselines[0] if len(baselines) == 1 else (baselines or None),
        "runs": runs,
        "exit": report.exit_status(),
    }


# ---- JUnit ------------------------------------------------------------------------------------


def to_junit(report: CheckReport) -> str:
    """One testsuite per file; one testcase per site, plus one per finding not tied to a site."""
    suites = ET.Element("testsuites", name="glovec check")
    total_tests = total_failures = 0
    for fc in report.files:
        suite = ET.SubElement(suites, "testsuite", name=fc.path)
        tests = failures = skipped = 0
        by_site: dict = {}
        loose = []
        for f in fc.findings:
            (by_site.setdefault(f.site, []) if f.site else loose).append(f)
        for s in fc.sites:
            case = ET.SubElement(suite, "testcase", classname=fc.path, name=s["id"], file=fc.path,
                                 line=str(s["line"] or 1))
            tests += 1
            mine = by_site.get(s["id"], [])
            if mine:
                failures += 1
                el = ET.SubElement(case, "failure", type=mine[0].code, message=mine[0].message)
                el.text = "\n".join(f.render() for f in mine)
            elif s["reached"] is False:
                skipped += 1
                ET.SubElement(case, "skipped", message="not reached: no completed run decided it "
                                                       "(run budget, or earlier runs failed)")
            if s["candidates_total"]:
                done = "n/a" if s["candidates_exercised"] is None else s["candidates_exercised"]
                ET.SubElement(case, "system-out").text = (
                    f"candidates exercised: {done}/{s['candidates_total']}")
        for f in loose:
            case = ET.SubElement(suite, "testcase", classname=fc.path,
                                 name=f"{f.code} {f.path}:{f.line}:{f.col}", file=f.path,
                                 line=str(f.line))
            tests += 1
            if f.severity == "error" or report.strict:
                failures += 1
                el = ET.SubElement(case, "failure", type=f.code, message=f.message)
            else:
                el = ET.SubElement(case, "system-out")
            el.text = f.render()
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", str(skipped))
        total_tests += tests
        total_failures += failures
    extra = threshold_finding(report)
    if extra is not None:
        suite = ET.SubElement(suites, "testsuite", name="coverage", tests="1", failures="1",
                              errors="0", skipped="0")
        case = ET.SubElement(suite, "testcase", classname="coverage", name="min-coverage")
        ET.SubElement(case, "failure", type="GV405", message=extra.message).text = extra.render()
        total_tests += 1
        total_failures += 1
    suites.set("tests", str(total_tests))
    suites.set("failures", str(total_failures))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


# ---- GitHub annotations -----------------------------------------------------------------------


def _esc_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _esc_prop(text: str) -> str:
    return _esc_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(report: CheckReport) -> str:
    lines = []
    for f in _all_findings(report):
        level = "error" if f.severity == "error" or report.strict else "warning"
        props = f"file={_esc_prop(f.path)},line={f.line},col={f.col},title={_esc_prop(f.code)}"
        lines.append(f"::{level} {props}::{_esc_data(f.code + ' ' + f.message)}")
    lines.append(f"::notice title=glovec check::{_esc_data(_summary(report))}")
    return "\n".join(lines) + "\n"


# ---- text -------------------------------------------------------------------------------------


def _summary(report: CheckReport) -> str:
    cov = report.coverage()
    if report.mode == "dynamic":
        text = (f"sites reached {cov['sites_reached']}/{cov['sites_total']} ({_pct(cov['sites'])}), "
                f"candidates exercised {cov['candidates_exercised']}/{cov['candidates_total']} "
                f"({_pct(cov['candidates'])})")
    else:
        text = (f"markers attached {cov['markers_attached']}/{cov['markers_total']} "
                f"({_pct(cov['sites'])})")
    hp = cov["hyperparameters"]
    text += (f"; hyper-parameter literals: {hp['searched']} searched, {hp['fixed']} fixed, "
             f"{hp['uncovered']} uncovered")
    n_err = sum(1 for f in _all_findings(report) if f.severity == "error")
    n_warn = sum(1 for f in _all_findings(report) if f.severity != "error")
    return text + f"; {n_err} error(s), {n_warn} warning(s)"


def to_text(report: CheckReport) -> str:
    out = []
    for fc in report.files:
        n = len(fc.sites)
        out.append(f"{fc.path}: {n} site{'s' if n != 1 else ''} ({report.mode})")
        if fc.sites:
            width = max(4, *(len(s["id"]) for s in fc.sites))
            cells = any(s.get("cell") for s in fc.sites)  # a notebook: "cell:line"
            out.append(f"  {'site':<{width}}  {'cell:line' if cells else 'line':>5}  {'kind':<9}  "
                       f"{'reached':<7}  {'candidates':<10}  failures")
            for s in fc.sites:
                reached = {None: "-", True: "yes", False: "DEAD" if s.get("dead") else "no"}[s["reached"]]
                done = "-" if s["candidates_exercised"] is None else s["candidates_exercised"]
                cands = f"{done}/{s['candidates_total']}"
                fails = ", ".join(f"{f['candidate']} (line {f['line']}"
                                  + (f" of {f['cell']})" if f.get("cell") else ")")
                                  for f in s["failures"]) or "-"
                line = s["line"] or ""
                if s.get("cell"):
                    line = f"{s['cell'].removeprefix('cell ')}:{line}"
                out.append(f"  {s['id']:<{width}}  {line:>{9 if cells else 5}}  {s['kind'] or '':<9}  "
                           f"{reached:<7}  {cands:<10}  {fails}")
            missing = [(s["id"], [c["candidate"] for c in s["candidates"] if not c["exercised"]])
                       for s in fc.sites if s["reached"]]
            for sid, labels in missing:
                if labels:
                    out.append(f"  not exercised in {sid}: {', '.join(labels)}")
        if fc.baseline is not None:
            b = fc.baseline
            state = "resumable" if b["resumable"] else "NOT resumable"
            out.append(f"  baseline {b.get('path') or ''}: {len(b['added'])} added, "
                       f"{len(b['removed'])} removed, {len(b['changed'])} changed, "
                       f"{len(b['defaults_changed'])} default(s) changed: a study is {state}")
    out.append("coverage: " + _summary(report))
    return "\n".join(out) + "\n"
