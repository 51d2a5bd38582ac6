"""The five ways to write a DNA down, each with its way back.

======================  =====================================================================
encoding                shape
======================  =====================================================================
decisions dict          ``{point id: decision}`` (``DNA.decisions`` itself; ``DNA.to_dict()``)
literal dict            ``{point id: candidate text or number}`` (``to_dict(literal=True)``)
flat numbers            decisions depth-first over active points, manyof/permutate one number
                        per index (``to_numbers``): for algorithms that want a vector
JSON                    ``{"glovec_dna": 1, "fingerprint": ..., "decisions": {...}}``
tree                    ``[{"id", "value", "children": [...]}, ...]`` over the roots
======================  =====================================================================

Each function here works on a spec and plain decisions; the ``DNA`` methods of the same names
call them. Reading back returns decisions that ``DNA(spec, ...)`` then validates.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from .points import InvalidDNA

if TYPE_CHECKING:
    from .spec import DNASpec

__all__ = ["DNA_SCHEMA"]

DNA_SCHEMA = 1


# ---- flat numbers -------------------------------------------------------------------------------


def numbers_of(spec: "DNASpec", d: Mapping[str, Any]) -> tuple:
    out: list = []
    points = spec.points if not spec.conditional else spec.active_points(d)
    for p in points:
        v = d[p.id]
        if p.kind in ("manyof", "permutate"):
            out.extend(v)
        else:
            out.append(v)
    return tuple(out)


def decisions_from_numbers(spec: "DNASpec", numbers: Sequence[Any]) -> dict:
    numbers = list(numbers)
    pos = 0
    d: dict = {}

    def take(p, count):
        nonlocal pos
        if pos + count > len(numbers):
            raise InvalidDNA(f"site {p.id!r}: the numbers end before this site ({len(numbers)} given)", p.id)
        chunk = numbers[pos:pos + count]
        pos += count
        return chunk

    def walk(level):
        for p in level:
            if p.kind in ("manyof", "permutate"):
                d[p.id] = tuple(take(p, p.k))
            else:
                v = d[p.id] = take(p, 1)[0]
                if p.children:
                    v = p.check(v)
                    walk(p.children[v])

    walk(spec.roots)
    if pos != len(numbers):
        raise InvalidDNA(f"{len(numbers) - pos} numbers left over after the last active site")
    return d


# ---- literal dict -------------------------------------------------------------------------------


def literal_of(spec: "DNASpec", d: Mapping[str, Any]) -> dict:
    by_id = spec._by_id
    return {k: by_id[k].literal(v) for k, v in d.items()}


def decisions_from_literal(spec: "DNASpec", d: Mapping[str, Any]) -> dict:
    """Indices or literal candidate text (``"relu"`` or ``'"relu"'`` alike) to decisions."""
    by_id = spec._by_id
    conv = {}
    for k, v in d.items():
        p = by_id.get(k)
        conv[k] = p.decision_of(v) if p is not None else v
    return conv


# ---- JSON ---------------------------------------------------------------------------------------


def json_of(spec: "DNASpec", d: Mapping[str, Any]) -> str:
    return json.dumps(
        {"glovec_dna": DNA_SCHEMA, "fingerprint": spec.fingerprint,
         "decisions": {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}},
        separators=(",", ":"),
    )


def decisions_from_json(spec: "DNASpec", text: str | bytes | Mapping) -> dict:
    obj = json.loads(text) if isinstance(text, (str, bytes)) else text
    if not isinstance(obj, Mapping) or "decisions" not in obj:
        raise InvalidDNA('DNA JSON must be an object {"glovec_dna": 1, "decisions": {...}}')
    version = obj.get("glovec_dna")
    if version != DNA_SCHEMA:
        raise InvalidDNA(f"unsupported DNA schema {version!r} (this runtime reads {DNA_SCHEMA})")
    fp = obj.get("fingerprint")
    if fp is not None and fp != spec.fingerprint:
        raise InvalidDNA(f"this DNA was made for another space (fingerprint {fp}, this space {spec.fingerprint})")
    return decisions_from_literal(spec, obj["decisions"])


# ---- tree ---------------------------------------------------------------------------------------


def tree_of(spec: "DNASpec", d: Mapping[str, Any]) -> list:
    def node(p):
        v = d[p.id]
        kids = p.children[v] if p.children else ()
        return {"id": p.id, "value": list(v) if isinstance(v, tuple) else v, "children": [node(c) for c in kids]}

    return [node(p) for p in spec.roots]


def decisions_from_tree(tree: Sequence[Mapping]) -> dict:
    d: dict = {}

    def walk(nodes):
        for n in nodes:
            v = n["value"]
            d[n["id"]] = tuple(v) if isinstance(v, list) else v
            walk(n.get("children", ()))

    walk(tree)
    return d
