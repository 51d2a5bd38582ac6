"""When two space documents are the same space: one definition for studies, DNA and ``glovec check``.

A space document (``space_doc``: the JSON dict the generated header carries, ``glovec space
--json`` prints and a study stores) describes each site by id. What a recorded decision means is
the site's *shape*: kind, candidates, range, ``k``/``distinct``/``sorted``, ``repeat``. Positions
(``line``/``col``) and defaults are not shape: moving a line or changing a default keeps every
recorded decision meaningful, so a study of the old program resumes. Absent and None fields are
the same; ``repeat`` absent is 1.

- ``site_shapes(space_doc)``: site id (nested ones too) -> shape;
- ``space_fingerprint(space_doc)``: a stable hash of those shapes (a study resumes only when its
  stored space has the same fingerprint);
- ``space_diff(old, new)``: the added, removed and changed site ids;
- ``describe_diff(old, new)``: the same as diagnostics say it (``added: a; changed: b``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Iterable, Mapping

__all__ = ["STRUCTURE", "site_shapes", "space_fingerprint", "space_diff", "describe_diff"]

STRUCTURE = ("kind", "candidates", "lo", "hi", "step", "scale", "k", "distinct", "sorted", "repeat")


def _shape(site: Mapping) -> dict:
    shape = {key: site[key] for key in STRUCTURE if site.get(key) is not None}
    shape["repeat"] = site.get("repeat", 1) or 1
    return shape


def site_shapes(space_doc: Mapping) -> dict[str, dict]:
    """Site id (nested ones as written in the document) -> shape, depth-first."""
    out: dict[str, dict] = {}

    def walk(sites: Iterable[Mapping]) -> None:
        for site in sites:
            out[site["id"]] = _shape(site)
            for _, kids in sorted((site.get("children") or {}).items(), key=lambda kv: int(kv[0])):
                walk(kids)

    walk(space_doc.get("sites") or ())
    return out


def space_fingerprint(space_doc: Mapping) -> str:
    """A stable hash of the space's structure (site ids and shapes)."""
    text = json.dumps(site_shapes(space_doc), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def space_diff(old: Mapping, new: Mapping) -> tuple[list[str], list[str], list[str]]:
    """(added, removed, changed) site ids between two space documents."""
    a, b = site_shapes(old), site_shapes(new)
    added = [sid for sid in b if sid not in a]
    removed = [sid for sid in a if sid not in b]
    changed = [sid for sid in b if sid in a and a[sid] != b[sid]]
    return added, removed, changed


def describe_diff(old: Mapping, new: Mapping) -> str:
    """``space_diff`` as a diagnostic says it: ``added: a, b; changed: c`` ("" when none)."""
    return "; ".join(f"{label}: {', '.join(ids)}" for label, ids in
                     zip(("added", "removed", "changed"), space_diff(old, new)) if ids)
