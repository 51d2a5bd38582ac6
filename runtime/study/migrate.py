"""``--migrate``: fit the decisions a study recorded to a changed space, by site id."""

from __future__ import annotations

import sqlite3
from typing import Any, Mapping

from .rows import decode_decisions, encode_decisions


def migrate_trials(conn: sqlite3.Connection, old_space: Mapping,
                   new_space: Mapping) -> tuple[list[int], list[int]]:
    """Rewrite each trial's decisions for ``new_space``; delete the trials (and their reports and
    flow rows) whose decisions no longer fit, with a nested flow's inner trials of a dropped outer
    trial. One transaction; returns (kept ids, dropped ids)."""
    old_sites, new_sites = flat_points(old_space), flat_points(new_space)
    keep, drop = [], []
    for tid, text in conn.execute("SELECT id, dna FROM trials ORDER BY id").fetchall():
        fitted = fit_decisions(decode_decisions(text), old_sites, new_sites, new_space)
        if fitted is None:
            drop.append(tid)
        else:
            keep.append((encode_decisions(fitted), tid))
    if drop and conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'flow'"
                             ).fetchone():
        # a nested flow's inner trials go with their outer trial
        gone = set(drop)
        orphans = {tid for tid, parent in conn.execute(
            "SELECT trial_id, parent FROM flow WHERE kind = 'inner'") if parent in gone}
        keep = [(text, tid) for text, tid in keep if tid not in orphans]
        drop = sorted(gone | orphans)
    with conn:
        conn.executemany("UPDATE trials SET dna = ? WHERE id = ?", keep)
        conn.executemany("DELETE FROM trials WHERE id = ?", [(i,) for i in drop])
        conn.executemany("DELETE FROM reports WHERE trial_id = ?", [(i,) for i in drop])
        conn.executemany("DELETE FROM flow WHERE trial_id = ?", [(i,) for i in drop])
    return [tid for _, tid in keep], drop


def flat_points(space: Mapping) -> dict[str, dict]:
    """point id -> site dict, with repeat=N sites expanded into ``id[0]``..``id[N-1]``."""
    out: dict[str, dict] = {}

    def walk(sites):
        for site in sites:
            repeat = site.get("repeat", 1) or 1
            ids = [site["id"]] if repeat == 1 else [f"{site['id']}[{i}]" for i in range(repeat)]
            for pid in ids:
                out[pid] = site
            for children in (site.get("children") or {}).values():
                walk(children)

    walk(space.get("sites") or ())
    return out


def fit_decisions(decisions: dict, old: dict, new: dict, new_space: Mapping) -> dict | None:
    """Translate one trial's decisions to the new space, or None when they no longer fit.

    Candidates are matched by their source text, so reordering or adding candidates keeps the
    trial; a chosen candidate that disappeared, or a number outside a new range, drops it.
    Points the trial never decided (new sites) take their default, which is what the old
    program ran with.
    """
    out: dict = {}

    def active(sites, ok=True):
        for site in sites:
            repeat = site.get("repeat", 1) or 1
            ids = [site["id"]] if repeat == 1 else [f"{site['id']}[{i}]" for i in range(repeat)]
            for pid in ids:
                value = _fit_one(pid, site, decisions, old)
                if value is _NOFIT:
                    return False
                out[pid] = value
                if site.get("kind") == "oneof" and site.get("children"):
                    children = site["children"].get(str(value))
                    if children and not active(children):
                        return False
        return True

    return out if active(new_space.get("sites") or ()) else None


_NOFIT = object()


def _fit_one(pid: str, site: Mapping, decisions: dict, old: dict) -> Any:
    kind = site.get("kind")
    if pid not in decisions or pid not in old:
        return _default_decision(site)
    value = decisions[pid]
    old_site = old[pid]
    if old_site.get("kind") != kind:
        return _NOFIT
    if kind in ("floatv", "intv"):
        lo, hi = site.get("lo"), site.get("hi")
        if lo is not None and value < lo or hi is not None and value > hi:
            return _NOFIT
        if kind == "intv":
            step = site.get("step", 1) or 1
            if lo is not None and (value - lo) % step:
                return _NOFIT
        return value
    new_cands = list(site.get("candidates") or ())
    old_cands = list(old_site.get("candidates") or ())

    def map_index(i):
        if not isinstance(i, int) or i >= len(old_cands) or old_cands[i] not in new_cands:
            return None
        return new_cands.index(old_cands[i])

    if kind == "oneof":
        j = map_index(value)
        return _NOFIT if j is None else j
    indices = [map_index(i) for i in value]
    if any(j is None for j in indices):
        return _NOFIT
    if kind == "manyof" and site.get("k") is not None and len(indices) != site["k"]:
        return _NOFIT
    if kind == "permutate" and len(indices) != len(new_cands):
        return _NOFIT
    if kind == "manyof" and site.get("sorted") and indices != sorted(indices):
        return _NOFIT
    return tuple(indices)


def _default_decision(site: Mapping) -> Any:
    default = site.get("default")
    if isinstance(default, list):
        return tuple(default)
    return default
