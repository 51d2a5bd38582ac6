"""The space document: the search space as a JSON-able dict (docs/internals.md section 2), the
form the generated header carries, ``glovec space --json`` prints and studies store. Its size is
the runtime's (``glovec.runtime.geno.space_size``).

(``Space`` is another thing: the space a user writes by hand in Python, ``glovec.runtime.space``.)

Before (sites found in ``model.py``):

    lr = 1e-3  # glovec: floatv(1e-4, 1e-1, scale="log")
    act = "relu"  # glovec: oneof(["relu", "gelu"])

After:

    {"glovec_space": 1, "source": "model.py", "objective": null, "metrics": [], "reports": [],
     "sites": [{"id": "lr", "kind": "floatv", "line": 1, "col": 6, "lo": 0.0001, "hi": 0.1,
                "scale": "log", "default": 0.001, "repeat": 1},
               {"id": "act", "kind": "oneof", "line": 2, "col": 7,
                "candidates": ["\\"relu\\"", "\\"gelu\\""], "default": 0, "repeat": 1}]}
"""

from __future__ import annotations


SCHEMA = 1


def build_space_doc(sites: list, markers: list, source: str) -> dict:
    """The space document of a program's sites and objective/metric/report markers."""
    objective = None
    metrics: list[str] = []
    reports = []
    for marker in markers:
        if marker.kind == "objective" and objective is None:
            objective = {"direction": marker.spec.direction, "line": marker.line, "col": marker.col}
        elif marker.kind == "metric" and marker.spec.metric not in metrics:
            metrics.append(marker.spec.metric)
        elif marker.kind == "report":
            reports.append({"line": marker.line, "col": marker.col})
    return {
        "glovec_space": SCHEMA,
        "source": source,
        "objective": objective,
        "metrics": metrics,
        "reports": reports,
        "sites": [site_dict(site) for site in sites],
    }


def site_dict(site) -> dict:
    spec = site.spec
    entry: dict = {"id": site.id, "kind": spec.kind, "line": site.line, "col": site.col}
    if spec.kind in ("oneof", "manyof", "permutate"):
        entry["candidates"] = [c.text for c in spec.candidates]
        entry["default"] = list(site.default) if isinstance(site.default, tuple) else site.default
        if spec.kind == "manyof":
            entry.update(k=spec.k, distinct=spec.distinct, sorted=spec.sorted)
    else:
        entry.update(lo=spec.lo, hi=spec.hi)
        if spec.kind == "intv":
            entry["step"] = spec.step
        entry.update(scale=spec.scale, default=site.default)
    entry["repeat"] = spec.repeat
    if site.file is not None:  # a site in a config file: line/col point into that file
        entry["file"] = site.file
    if spec.group is not None:  # absent means no group: documents without groups are unchanged
        entry["group"] = spec.group
    if site.ties:  # the other values tied to this decision (absent when none)
        entry["tied"] = [{"line": t.line, "col": t.col, **({"file": t.file} if t.file else {})}
                         for t in site.ties]
    if site.children:
        entry["children"] = {str(k): [site_dict(c) for c in kids]
                             for k, kids in sorted(site.children.items())}
    return entry
