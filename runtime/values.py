"""``Hyper``: the undecided value that a primitive called by hand returns.

``oneof([64, 128])``, ``floatv(1e-4, 1e-1, scale="log")`` and the other primitives of
``glovec.runtime.hyper``, called with candidates or a range instead of a site id, build a
``Hyper`` here; a ``glovec.runtime.Space`` turns its entries into decision points. This module
imports neither of them: ``hyper`` (the generated code's hot path) builds values here, ``space``
reads them.
"""

from __future__ import annotations

from typing import Any, Sequence

__all__ = ["Hyper", "Given", "make_hyper", "callable_text"]


class Given:
    """A default the user gave explicitly (``None`` may be a real candidate: ``oneof([None, 1],
    default=None)``), told apart from "no default given"."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value


class Hyper:
    """An undecided value: the kind and its arguments, as written in a ``Space``."""

    __slots__ = ("kind", "candidates", "k", "distinct", "sorted", "lo", "hi", "step", "scale",
                 "default", "name", "repeat", "sampler", "mutator", "domain", "group")

    def __init__(self, kind: str, candidates: Sequence = (), *, k=None, distinct=True, sorted=False,
                 lo=None, hi=None, step=None, scale="linear", default=None, name=None, repeat=1,
                 sampler=None, mutator=None, domain=None, group=None) -> None:
        self.kind = kind
        self.candidates = tuple(candidates)
        self.k, self.distinct, self.sorted = k, distinct, sorted
        self.lo, self.hi, self.step, self.scale = lo, hi, step, scale
        self.default, self.name, self.repeat = default, name, int(repeat or 1)
        self.sampler, self.mutator, self.domain = sampler, mutator, domain
        self.group = group
        if self.repeat < 1:
            raise ValueError(f"{kind}: repeat must be >= 1, got {repeat!r}")

    def __repr__(self) -> str:
        k = self.kind
        if k == "oneof" or k == "permutate":
            text = f"{k}({list(self.candidates)!r})"
        elif k == "manyof":
            text = f"manyof({self.k}, {list(self.candidates)!r}, distinct={self.distinct}, sorted={self.sorted})"
        elif k == "floatv":
            text = f"floatv({self.lo!r}, {self.hi!r}, scale={self.scale!r})"
        elif k == "intv":
            text = f"intv({self.lo!r}, {self.hi!r}, step={self.step or 1}, scale={self.scale!r})"
        else:
            text = f"custom({callable_text(self.sampler)})"
        return text


def callable_text(obj: Any) -> str:
    """Stable text for a function (``module.qualname``: no memory address), else its repr."""
    qual = getattr(obj, "__qualname__", None)
    if qual is not None and callable(obj):
        return f"{getattr(obj, '__module__', None) or ''}.{qual}".lstrip(".")
    return repr(obj)


def make_hyper(kind: str, *args, **options) -> Hyper:
    """Build a ``Hyper`` from the user-facing call of a primitive (see ``glovec.runtime.hyper``)."""
    if kind in ("oneof", "permutate"):
        (candidates,) = args
        return Hyper(kind, _candidate_list(kind, candidates), **options)
    if kind == "manyof":
        k, candidates = args
        return Hyper(kind, _candidate_list(kind, candidates), k=k, **options)
    lo, hi = args
    return Hyper(kind, lo=lo, hi=hi, **options)


def _candidate_list(kind, candidates) -> tuple:
    if isinstance(candidates, (str, bytes)) or not hasattr(candidates, "__iter__"):
        raise TypeError(f"{kind}() needs a list of candidates, got {candidates!r}")
    return tuple(candidates)
