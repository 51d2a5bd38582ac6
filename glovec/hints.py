"""Markers for annotations: ``x: Annotated[int, oneof([32, 64])] = 32``.

Dependency-free on purpose: an unconverted program that imports these still runs unchanged.
The markers only record their arguments; ``glovec convert`` reads them from the source text,
never by importing the program.
"""

from __future__ import annotations

__all__ = ["oneof", "manyof", "permutate", "floatv", "intv", "Marker"]


class Marker:
    """What a marker call returns: the primitive's name and its arguments, nothing more."""

    __slots__ = ("kind", "args", "kwargs")

    def __init__(self, kind: str, args: tuple, kwargs: dict) -> None:
        self.kind = kind
        self.args = args
        self.kwargs = kwargs

    def __repr__(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{self.kind}({', '.join(parts)})"


def oneof(*args, **kwargs) -> Marker:
    """One of the candidates: ``oneof([32, 64, 128])``."""
    return Marker("oneof", args, kwargs)


def manyof(*args, **kwargs) -> Marker:
    """k of the candidates: ``manyof(2, [a, b, c], distinct=True, sorted=False)``."""
    return Marker("manyof", args, kwargs)


def permutate(*args, **kwargs) -> Marker:
    """An ordering of the candidates: ``permutate([a, b, c])``."""
    return Marker("permutate", args, kwargs)


def floatv(*args, **kwargs) -> Marker:
    """A float in a range: ``floatv(1e-4, 1e-1, scale="log")``."""
    return Marker("floatv", args, kwargs)


def intv(*args, **kwargs) -> Marker:
    """An integer in a range: ``intv(1, 8, step=1, scale="linear")``."""
    return Marker("intv", args, kwargs)
