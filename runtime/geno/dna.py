"""DNA: one decision per active point of a spec; immutable, hashable, ordered.

Its encodings (flat numbers, literal dict, JSON, tree) live in ``encodings.py``; the methods
here are their public names.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from . import encodings

if TYPE_CHECKING:
    from .spec import DNASpec

__all__ = ["DNA"]


@functools.total_ordering
class DNA:
    """One decision per active point of a spec; immutable, hashable, ordered by flat numbers.

    ``DNA(spec, decisions)`` validates and normalises (lists become tuples, numpy numbers plain
    ones) and raises ``InvalidDNA`` naming the offending site id. ``validate=False`` takes the
    dict as is, without a copy: for algorithms whose operators build legal decisions.
    """

    __slots__ = ("spec", "_d", "_hash", "_numbers")

    def __init__(self, spec: "DNASpec", decisions: Mapping[str, Any], *, validate: bool = True) -> None:
        self.spec = spec
        self._d = spec.validate(decisions) if validate else decisions
        self._hash: int | None = None
        self._numbers: tuple | None = None

    @property
    def decisions(self) -> dict:
        """{point id: decision} over the active points. Shared, not copied: do not mutate it."""
        return self._d

    def __getitem__(self, id: str) -> Any:
        return self._d[id]

    def get(self, id: str, default: Any = None) -> Any:
        return self._d.get(id, default)

    def __contains__(self, id: object) -> bool:
        return id in self._d

    def __len__(self) -> int:
        return len(self._d)

    def value(self, id: str) -> Any:
        """The Python value decided for point ``id`` (candidate object, list of them, or number)."""
        return self.spec.point(id).value(self._d[id])

    # -- encodings (see encodings.py) --

    def to_numbers(self) -> list:
        """Decisions flattened depth-first over active points (manyof/permutate: one per index)."""
        if self._numbers is None:
            self._numbers = encodings.numbers_of(self.spec, self._d)
        return list(self._numbers)

    @classmethod
    def from_numbers(cls, spec: "DNASpec", numbers: Sequence[Any]) -> "DNA":
        return cls(spec, encodings.decisions_from_numbers(spec, numbers))

    def to_dict(self, literal: bool = False) -> dict:
        """{site id: decision}; ``literal=True`` gives candidate text instead of indices."""
        return encodings.literal_of(self.spec, self._d) if literal else dict(self._d)

    @classmethod
    def from_dict(cls, spec: "DNASpec", d: Mapping[str, Any]) -> "DNA":
        """Accepts indices or literal candidate text (``"relu"`` or ``'"relu"'`` alike)."""
        return cls(spec, encodings.decisions_from_literal(spec, d))

    def to_json(self) -> str:
        return encodings.json_of(self.spec, self._d)

    @classmethod
    def from_json(cls, spec: "DNASpec", text: str | bytes | Mapping) -> "DNA":
        return cls(spec, encodings.decisions_from_json(spec, text))

    def to_tree(self) -> list:
        """[{"id", "value", "children": [...]}, ...] over the roots; children of the chosen candidate."""
        return encodings.tree_of(self.spec, self._d)

    @classmethod
    def from_tree(cls, spec: "DNASpec", tree: Sequence[Mapping]) -> "DNA":
        return cls(spec, encodings.decisions_from_tree(tree))

    # -- identity --

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DNA):
            return NotImplemented
        return (self.spec is other.spec or self.spec == other.spec) and self._d == other._d

    def __hash__(self) -> int:
        if self._hash is None:
            self.to_numbers()
            try:
                self._hash = hash(self._numbers)
            except TypeError:  # unhashable custom values
                self._hash = hash(json.dumps(self._numbers, sort_keys=True, default=repr))
        return self._hash

    def __lt__(self, other: "DNA") -> bool:
        if not isinstance(other, DNA):
            return NotImplemented
        self.to_numbers()
        other.to_numbers()
        return self._numbers < other._numbers

    def __repr__(self) -> str:
        return f"DNA({self._d!r})"
