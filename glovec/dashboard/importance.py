"""Which sites matter: PED-ANOVA (Watanabe et al., IJCAI 2023), the importance Optuna's
``PedAnovaImportanceEvaluator`` computes, written here in plain Python.

For each site, compare the distribution of its values among the best trials (the top
``quantile`` of the completed ones, by the first objective) with its distribution among all
completed trials. A site whose good values are spread like all its values does not matter; a
site whose good values crowd into a corner does. The distance is the Pearson divergence

    D = sum over x of p_all(x) * (p_top(x) / p_all(x) - 1) ** 2

with empirical frequencies (smoothed) for choices (oneof, manyof, permutate: each distinct
value is a category) and Gaussian kernel densities on a grid for floatv/intv (in log space for
``scale="log"``). Importances are normalised to sum to 1, largest first. Sites of a nested
sub-space count only the trials in which they were active.
"""

from __future__ import annotations

import json
import math

GRID = 64
SMOOTHING = 1.0  # pseudo-count per category


def _flat(space: dict) -> dict[str, dict]:
    out: dict[str, dict] = {}

    def walk(sites):
        for site in sites:
            out[site["id"]] = site
            for kids in (site.get("children") or {}).values():
                walk(kids)

    walk(space.get("sites") or ())
    return out


def _site_of(point: str, sites: dict[str, dict]) -> dict | None:
    if point in sites:
        return sites[point]
    if point.endswith("]") and "[" in point:  # a repeat=N site's point id[i]
        return sites.get(point[: point.rindex("[")])
    return None


def _first(objective):
    value = objective[0] if isinstance(objective, list) else objective
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def ped_anova(trials: list[dict], space: dict, direction: str = "maximize",
              quantile: float = 0.1) -> list[dict]:
    """``[{"site": id, "importance": share}]``, largest first, from report entries
    (``{"objective", "decisions"}``) of completed trials. Empty below 4 usable trials."""
    scored = [(v, t["decisions"]) for t in trials for v in [_first(t.get("objective"))]
              if v is not None and isinstance(t.get("decisions"), dict)]
    if len(scored) < 4:
        return []
    scored.sort(key=lambda item: item[0], reverse=direction == "maximize")
    top_n = max(2, math.ceil(quantile * len(scored)))
    sites = _flat(space)
    points: list[str] = []
    for _, decisions in scored:
        for key in decisions:
            if key not in points:
                points.append(key)
    divergences = {}
    for point in points:
        site = _site_of(point, sites) or {}
        all_values = [d[point] for _, d in scored if point in d]
        top_values = [d[point] for _, d in scored[:top_n] if point in d]
        if len(top_values) < 2 or len(all_values) < 4:
            divergences[point] = 0.0
            continue
        if site.get("kind") in ("floatv", "intv") and all(_is_number(v) for v in all_values):
            divergences[point] = _numeric(all_values, top_values, site)
        else:
            divergences[point] = _categorical(all_values, top_values)
    total = sum(divergences.values())
    out = [{"site": p, "importance": (d / total if total > 0 else 0.0)}
           for p, d in divergences.items()]
    out.sort(key=lambda item: (-item["importance"], item["site"]))
    return out


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _key(value) -> str:
    return json.dumps(value, sort_keys=True)


def _categorical(all_values: list, top_values: list) -> float:
    counts_all: dict[str, int] = {}
    counts_top: dict[str, int] = {}
    for value in all_values:
        k = _key(value)
        counts_all[k] = counts_all.get(k, 0) + 1
    for value in top_values:
        k = _key(value)
        counts_top[k] = counts_top.get(k, 0) + 1
    categories = len(counts_all)
    if categories < 2:
        return 0.0
    n_all = len(all_values) + SMOOTHING * categories
    n_top = len(top_values) + SMOOTHING * categories
    divergence = 0.0
    for k, n in counts_all.items():
        p_all = (n + SMOOTHING) / n_all
        p_top = (counts_top.get(k, 0) + SMOOTHING) / n_top
        divergence += p_all * (p_top / p_all - 1.0) ** 2
    return divergence


def _numeric(all_values: list, top_values: list, site: dict) -> float:
    log = site.get("scale") == "log"

    def scaled(v):
        return math.log(v) if log and v > 0 else float(v)

    xs_all = [scaled(v) for v in all_values]
    xs_top = [scaled(v) for v in top_values]
    lo = site.get("lo")
    hi = site.get("hi")
    lo = scaled(lo) if _is_number(lo) and (not log or lo > 0) else min(xs_all)
    hi = scaled(hi) if _is_number(hi) and (not log or hi > 0) else max(xs_all)
    if hi <= lo:
        return 0.0
    grid = [lo + (hi - lo) * (i + 0.5) / GRID for i in range(GRID)]
    p_all = _density(xs_all, grid, lo, hi)
    p_top = _density(xs_top, grid, lo, hi)
    return sum(a * (t / a - 1.0) ** 2 for a, t in zip(p_all, p_top) if a > 0)


def _density(xs: list[float], grid: list[float], lo: float, hi: float) -> list[float]:
    """A Gaussian kernel density of ``xs`` on ``grid``, as probabilities summing to 1.
    Values are first binned on the grid (cost GRID^2, not len(xs) * GRID)."""
    width = hi - lo
    bins = [0] * GRID
    for x in xs:
        bins[min(GRID - 1, max(0, int((x - lo) / width * GRID)))] += 1
    n = len(xs)
    mean = sum(xs) / n
    spread = math.sqrt(sum((x - mean) ** 2 for x in xs) / max(1, n - 1))
    bandwidth = max(1.06 * (spread or width) * n ** -0.2, width / GRID)
    density = []
    for g in grid:
        total = 0.0
        for i, count in enumerate(bins):
            if count:
                z = (g - grid[i]) / bandwidth
                total += count * math.exp(-0.5 * z * z)
        density.append(total)
    norm = sum(density) or 1.0
    floor = 1e-12
    return [max(d / norm, floor) for d in density]
