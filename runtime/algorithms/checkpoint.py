"""The one format of an algorithm's checkpoint: JSON-safe pieces, stable keys, and the past.

A resumable algorithm (``resumable = True``) turns its state into plain JSON with these helpers
(``Algorithm.checkpoint``), and ``Algorithm.restore`` turns it back, checking every piece: a
value that does not fit raises ``Unfit`` (a ``ValueError``), and the search loop then replays the
history instead (docs/internals.md, section 6).

- ``dna_key(decisions)``: a 64-bit key of one DNA that is the same in every process. A DNA's
  decisions are numbers (indices, floats, tuples of indices) in the space's site order, and
  Python's ``hash()`` of numbers and tuples of them is fixed by the language (only strings' and
  bytes' hashes are salted per process), so the key is the hash of the values (about 1 us for
  100 sites; a JSON digest took 35 us); an unhashable value (a list) is digested from its JSON
  text. The same keys came out of CPython
  3.10 to 3.13; should a later version hash tuples otherwise, a study resumed under it would
  only miss its old keys (a DNA it had tried may be proposed again). ``pack_keys``/``unpack_keys``
  store a set of keys compactly (8 bytes a key, base64).
- ``pack_rng``/``unpack_rng``: a ``random.Random``'s whole state.
- ``pack_decisions``/``unpack_decisions``, ``pack_reward``/``unpack_reward``,
  ``pack_members``/``unpack_members``: DNA decisions (order kept, tuples as lists) and rewards.
- ``Past``: what the algorithm had seen when it took the checkpoint, read back from the study
  only when an algorithm asks for it (TPE's observations, the controller's reward ranks): an
  algorithm whose state is the whole history keeps it in the study, not in the checkpoint.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import struct
from typing import Any, Callable, Iterable, Iterator

__all__ = ["Past", "Unfit", "dna_key", "fsums", "pack_decisions", "pack_keys", "pack_members",
           "pack_reward", "pack_rng", "unpack_decisions", "unpack_keys", "unpack_members",
           "unpack_reward", "unpack_rng", "qualified"]


class Unfit(ValueError):
    """A checkpoint's piece that this algorithm cannot take back (damaged, or another's)."""


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise Unfit(what)


# ---- keys of DNA ------------------------------------------------------------------------------


_MASK = (1 << 64) - 1


def dna_key(decisions: dict) -> int:
    """A 64-bit key of ``decisions``, stable across processes (see the module docstring)."""
    values = tuple(decisions.values())
    try:
        return hash(values) & _MASK
    except TypeError:  # a list in a hand-made DNA: its JSON text instead
        text = json.dumps(decisions, separators=(",", ":"), default=repr)
        return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def pack_keys(keys: Iterable[int]) -> str:
    ordered = sorted(keys)
    return base64.b64encode(struct.pack(f"<{len(ordered)}Q", *ordered)).decode("ascii")


def unpack_keys(text: Any) -> set:
    _check(isinstance(text, str), "keys are not text")
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise Unfit("keys are not base64") from None
    _check(len(data) % 8 == 0, "keys are not 8 bytes each")
    return set(struct.unpack(f"<{len(data) // 8}Q", data))


# ---- the random stream ------------------------------------------------------------------------


def pack_rng(rng: random.Random) -> list:
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def unpack_rng(value: Any) -> random.Random:
    _check(isinstance(value, list) and len(value) == 3, "the random state is not [version, state, gauss]")
    version, internal, gauss = value
    _check(isinstance(internal, list) and all(type(i) is int for i in internal), "the random state")
    _check(gauss is None or isinstance(gauss, float), "the random state's gauss")
    rng = random.Random()
    try:
        rng.setstate((version, tuple(internal), gauss))
    except (TypeError, ValueError, OverflowError):
        raise Unfit("the random state does not load") from None
    return rng


# ---- decisions and rewards ---------------------------------------------------------------------


def pack_decisions(decisions: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in decisions.items()}


def unpack_decisions(spec, value: Any) -> dict:
    """Decisions in their stored order (so their keys do not change), checked against ``spec``."""
    _check(isinstance(value, dict), "decisions are not an object")
    from ..geno import DNA

    decisions = {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
    try:
        checked = DNA(spec, decisions).decisions
    except (TypeError, ValueError) as exc:
        raise Unfit(f"decisions do not fit the space ({exc})") from None
    _check(set(checked) == set(decisions), "decisions do not fit the space")
    return {k: checked[k] for k in decisions}


def pack_reward(reward: Any) -> Any:
    return list(reward) if isinstance(reward, tuple) else reward


def unpack_reward(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        _check(all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value), "a reward")
        return tuple(float(v) for v in value)
    _check(isinstance(value, (int, float)) and not isinstance(value, bool), "a reward")
    return float(value)


def pack_members(members: Iterable) -> list:
    """``(decisions, reward)`` pairs (an evolution's population, NSGA-II's front)."""
    return [[pack_decisions(d), pack_reward(r)] for d, r in members]


def unpack_members(spec, value: Any) -> list:
    _check(isinstance(value, list), "members are not a list")
    out = []
    for item in value:
        _check(isinstance(item, list) and len(item) == 2, "a member is not [decisions, reward]")
        out.append((unpack_decisions(spec, item[0]), unpack_reward(item[1])))
    return out


def fsums(rewards: Iterable) -> list:
    """The exact sum of each objective over ``rewards`` (tuples): a check that a multiset of
    rewards read back from the study is the one an algorithm had seen, in any order."""
    import math

    columns = list(zip(*rewards))
    return [math.fsum(c) for c in columns]


def qualified(value: Any) -> Any:
    """An option as checkpoint text: a function by its qualified name, anything else as is."""
    if callable(value):
        return f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', repr(value))}"
    return value


# ---- the past --------------------------------------------------------------------------------


class Past:
    """What an algorithm had seen when it took its checkpoint, read on demand.

    ``results()`` yields ``(decisions, reward)`` for every completed trial fed back before the
    checkpoint, in the order the results arrived; ``reward`` is what ``feedback`` received (not
    normalised). ``rewards()`` yields the rewards alone. The search loop reads them from the study (``Search``); ``Past.of(history)``
    makes one from a list of ``(dna or decisions, reward)`` pairs, as ``recover`` takes them.
    """

    def __init__(self, results: Callable[[], Iterator[tuple[dict, Any]]],
                 rewards: Callable[[], Iterator[Any]] | None = None) -> None:
        self._results = results
        self._rewards = rewards

    def results(self) -> Iterator[tuple[dict, Any]]:
        return self._results()

    def rewards(self) -> Iterator[Any]:
        """The rewards of ``results()`` alone (cheaper: no decisions are read)."""
        if self._rewards is not None:
            return self._rewards()
        return (r for _, r in self._results())

    @classmethod
    def of(cls, history) -> "Past":
        pairs = [(getattr(d, "decisions", d), r) for d, r in history if r is not None]
        return cls(lambda: iter(pairs))
