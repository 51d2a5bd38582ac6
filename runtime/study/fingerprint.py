"""What counts as "the same space" for a study: a fingerprint of the sites' structure, and the
site-level differences a resume reports (GV503)."""

from __future__ import annotations

import hashlib
import json
from typing import Iterable, Mapping

# The structural fields of a site: what a decision means. Positions (line/col) and defaults are
# not structure: moving a line or changing a default keeps every recorded decision meaningful.
_STRUCTURE = ("kind", "candidates", "lo", "hi", "step", "scale", "k", "distinct", "sorted", "repeat")


def _flat_sites(space: Mapping) -> dict[str, dict]:
    """site id (nested ones as ``parent[=k].child``, as written in the space) -> structure."""
    out: dict[str, dict] = {}

    def walk(sites: Iterable[Mapping]) -> None:
        for site in sites:
            out[site["id"]] = {key: site[key] for key in _STRUCTURE if key in site}
            for children in (site.get("children") or {}).values():
                walk(children)

    walk(space.get("sites") or ())
    return out


def space_fingerprint(space: Mapping) -> str:
    """A stable hash of the space's structure (site ids, kinds, candidates, ranges, repeat)."""
    flat = _flat_sites(space)
    text = json.dumps(flat, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def space_diff(old: Mapping, new: Mapping) -> tuple[list[str], list[str], list[str]]:
    """(added, removed, changed) site ids between two spaces."""
    a, b = _flat_sites(old), _flat_sites(new)
    added = [sid for sid in b if sid not in a]
    removed = [sid for sid in a if sid not in b]
    changed = [sid for sid in b if sid in a and a[sid] != b[sid]]
    return added, removed, changed
