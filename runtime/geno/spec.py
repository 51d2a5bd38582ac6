"""DNASpec: the tree of decision points of a search space, and how it is read from a space JSON.

The spec knows which points a set of decisions activates (``active_points``), checks and
normalises decisions (``validate``), gives the default and every DNA of a finite space
(``default_dna``, ``iter_dna``), and the space's ``size`` and ``fingerprint``.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Iterator, Mapping, Sequence

from .dna import DNA
from .identity import space_fingerprint
from .points import DecisionPoint, InvalidDNA, InvalidSpec, _is_int, product_size

__all__ = ["DNASpec", "SPACE_SCHEMA", "site_size", "space_size"]

SPACE_SCHEMA = 1

class DNASpec:
    """The tree of decision points of a search space.

    Build it from the space document the compiler writes (``DNASpec.from_space_doc``), from site
    dicts, or by hand: ``DNASpec([DecisionPoint("lr", "floatv", lo=1e-4, hi=0.1, scale="log"), ...])``.
    ``space_doc`` keeps the document it came from (objective, metrics, source) when there was one.
    """

    def __init__(self, roots: Iterable[DecisionPoint], space_doc: Mapping | None = None) -> None:
        self.roots: tuple[DecisionPoint, ...] = tuple(roots)
        self.space_doc = space_doc
        points: list[DecisionPoint] = []
        by_id: dict[str, DecisionPoint] = {}

        def walk(level, parent, choice):
            for p in level:
                if p.id in by_id:
                    raise InvalidSpec(f"site id {p.id!r} appears twice in the space", p.id)
                if p.index != -1:
                    raise InvalidSpec(f"decision point {p.id!r} already belongs to another spec", p.id)
                p.parent = parent
                p.parent_choice = choice
                p.index = len(points)
                points.append(p)
                by_id[p.id] = p
                for i, kids in enumerate(p.children):
                    walk(kids, p.id, i)

        walk(self.roots, None, None)
        self.points: tuple[DecisionPoint, ...] = tuple(points)
        self._by_id = by_id
        # Without conditional points every DNA decides every point, in this order.
        self.conditional = len(points) != len(self.roots)
        self._fingerprint: str | None = None
        # The glovec.runtime.Space that built this spec, if any (it turns decisions into values).
        self.owner = None

    # -- construction from the space document --

    @classmethod
    def from_space_doc(cls, space_doc: Mapping | str | Sequence) -> "DNASpec":
        """The spec of a space document (schema ``glovec_space: 1``), its JSON text, or a list of
        sites."""
        if isinstance(space_doc, (str, bytes)):
            space_doc = json.loads(space_doc)
        if isinstance(space_doc, Mapping):
            version = space_doc.get("glovec_space", SPACE_SCHEMA)
            if version != SPACE_SCHEMA:
                raise InvalidSpec(f"unsupported space schema {version!r} (this runtime reads {SPACE_SCHEMA})")
            sites = space_doc.get("sites", ())
        else:
            sites, space_doc = space_doc, None
        roots: list[DecisionPoint] = []
        for site in sites:
            roots.extend(_points_of_site(site))
        return cls(roots, space_doc)

    def to_space_doc(self) -> dict:
        """A space document (schema 1) holding these points; objective etc. kept from
        ``space_doc``."""
        out = {k: v for k, v in (self.space_doc or {}).items() if k != "sites"}
        out["glovec_space"] = SPACE_SCHEMA
        out["sites"] = [p.to_site() for p in self.roots]
        return out

    # -- lookup --

    def point(self, id: str) -> DecisionPoint:
        try:
            return self._by_id[id]
        except KeyError:
            raise KeyError(f"no site {id!r} in this space") from None

    def __contains__(self, id: object) -> bool:
        return id in self._by_id

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self) -> Iterator[DecisionPoint]:
        return iter(self.points)

    def active_points(self, decisions: Mapping[str, Any]) -> list[DecisionPoint]:
        """The points a decisions dict activates, depth-first (stops below an undecided oneof)."""
        if not self.conditional:
            return list(self.points)
        out: list[DecisionPoint] = []

        def walk(level):
            for p in level:
                out.append(p)
                if p.children:
                    v = decisions.get(p.id)
                    if _is_int(v) and 0 <= v < p.n:
                        walk(p.children[v])

        walk(self.roots)
        return out

    # -- properties of the space --

    @property
    def size(self) -> int | None:
        """The exact number of distinct DNA, or None when any reachable point is infinite."""
        return product_size(self.roots)

    @property
    def fingerprint(self) -> str:
        """The space's fingerprint (``identity.space_fingerprint`` of the space document it was
        read from, or of ``to_space_doc()``): ids, kinds, candidates, ranges; defaults excluded."""
        if self._fingerprint is None:
            doc = self.space_doc if isinstance(self.space_doc, Mapping) else self.to_space_doc()
            self._fingerprint = space_fingerprint(doc)
        return self._fingerprint

    # -- DNA makers --

    def default_dna(self) -> "DNA":
        d: dict = {}

        def walk(level):
            for p in level:
                d[p.id] = p.default
                if p.children:
                    walk(p.children[p.default])

        walk(self.roots)
        return DNA(self, d, validate=False)

    def iter_dna(self) -> Iterator["DNA"]:
        """Every DNA of a finite space, in spec order (the first point varies slowest)."""

        def expand(level: tuple, i: int, acc: dict):
            if i == len(level):
                yield acc
                return
            p = level[i]
            for v in p.grid():
                acc2 = dict(acc)
                acc2[p.id] = v
                if p.children and p.children[v]:
                    for sub in expand(p.children[v], 0, acc2):
                        yield from expand(level, i + 1, sub)
                else:
                    yield from expand(level, i + 1, acc2)

        for d in expand(self.roots, 0, {}):
            yield DNA(self, self._ordered(d), validate=False)

    def _ordered(self, d: Mapping) -> dict:
        return {p.id: d[p.id] for p in self.active_points(d)}

    # -- validation --

    def validate(self, decisions: Mapping[str, Any]) -> dict:
        """Check ``decisions`` against the spec; return them normalised, in depth-first order."""
        if not isinstance(decisions, Mapping):
            raise InvalidDNA(f"decisions must be a mapping of site id to decision, got {type(decisions).__name__}")
        out: dict = {}

        def walk(level):
            for p in level:
                try:
                    raw = decisions[p.id]
                except KeyError:
                    where = f" (active because {p.parent!r} chose candidate {p.parent_choice})" if p.parent else ""
                    raise InvalidDNA(f"site {p.id!r}: no decision for this active site{where}", p.id) from None
                v = out[p.id] = p.check(raw)
                if p.children:
                    walk(p.children[v])

        walk(self.roots)
        if len(out) != len(decisions):
            for key in decisions:
                if key in out:
                    continue
                p = self._by_id.get(key)
                if p is None:
                    raise InvalidDNA(f"site {key!r}: unknown site id (not in this space)", key)
                chosen = out.get(p.parent)
                raise InvalidDNA(
                    f"site {key!r}: decided but inactive: it belongs to candidate {p.parent_choice} of "
                    f"{p.parent!r}, which chose {chosen!r}",
                    key,
                )
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DNASpec) and other.fingerprint == self.fingerprint

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __repr__(self) -> str:
        return f"DNASpec({len(self.points)} points, size={self.size}, fingerprint={self.fingerprint})"


def _no_sampler(rng):
    raise InvalidSpec("this custom point was read from JSON: its sampler is only in the Python space that defined it")


def _points_of_site(site: Mapping) -> list[DecisionPoint]:
    sid = site.get("id")
    if not isinstance(sid, str) or not sid:
        raise InvalidSpec(f"a site has no id: {dict(site)!r}")
    repeat = site.get("repeat", 1) or 1
    kind = site.get("kind")
    kids_map = site.get("children") or {}
    n = len(site.get("candidates", ()))
    children = None
    if kids_map:
        if repeat != 1:
            raise InvalidSpec(f"site {sid!r}: a repeat={repeat} site cannot hold nested sites", sid)
        children = [[] for _ in range(n)]
        for key, subsites in kids_map.items():
            i = int(key)
            if not 0 <= i < n:
                raise InvalidSpec(f"site {sid!r}: children for candidate {i}, which does not exist", sid)
            for sub in subsites:
                children[i].extend(_points_of_site(sub))
    default = site.get("default")
    if isinstance(default, list):
        default = tuple(default)
    common = dict(
        candidates=site.get("candidates", ()),
        children=children,
        k=site.get("k"),
        distinct=site.get("distinct", True),
        sorted=site.get("sorted", False),
        lo=site.get("lo"),
        hi=site.get("hi"),
        step=site.get("step"),
        scale=site.get("scale", "linear"),
        default=default,
        site_id=sid,
        line=site.get("line"),
        col=site.get("col"),
        domain=site.get("domain"),
        group=site.get("group"),
    )
    if kind == "custom":  # stored by a study: checkable (domain) but its sampler lives in Python
        common["sampler"] = _no_sampler
    if repeat == 1:
        return [DecisionPoint(sid, kind, **common)]
    return [DecisionPoint(f"{sid}[{i}]", kind, **common) for i in range(repeat)]


def site_size(site: Mapping) -> int | None:
    """The number of decisions of one site of a space document, its repeats and nested sites
    included (None: infinite). The one size rule: ``glovec space`` and ``DNASpec.size`` use it."""
    return product_size(_points_of_site(site))


def space_size(space_doc: Mapping) -> int | None:
    """The exact number of points of a space document (None when a floatv makes it infinite)."""
    total = 1
    for site in space_doc.get("sites") or ():
        size = site_size(site)
        if size is None:
            return None
        total *= size
    return total
