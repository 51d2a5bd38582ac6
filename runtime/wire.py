"""What crosses between the driver and a trial's process, in one place for both sides.

A trial's results are JSON (numpy and torch scalars become numbers through ``jsonable``); an
early-stopping policy travels as a base64 pickle with the curves it compares against
(``pack_policy`` on the driver's side, ``should_stop_from`` on the worker's). Standard library
only: generated programs import this in worker mode.
"""

from __future__ import annotations

import base64
import json
import pickle

__all__ = ["jsonable", "make_should_stop", "pack_policy", "should_stop_from", "read_trial"]


def jsonable(value):
    """``json.dump``'s ``default=``: numpy/torch scalars by ``.item()``, numbers by ``float``,
    anything else by its ``repr``."""
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return item()
        except Exception:
            pass
    try:
        return float(value)
    except Exception:
        return repr(value)


def make_should_stop(policy, history):
    """``should_stop(step, value) -> bool`` for ``hyper.activate``, or None without a policy.

    The policy (``glovec.runtime.early_stopping``) decides from this trial's value at ``step`` and the curves
    of the trials finished before this one was submitted (``history``: a list of [(step, value)]).
    """
    if policy is None:
        return None
    curves = [list(map(tuple, c)) for c in history or ()]

    def should_stop(step, value):
        return bool(policy.should_stop(step, value, curves))

    return should_stop


def pack_policy(policy, history):
    """The policy and its curves as JSON-able data (``None`` without a policy)."""
    if policy is None:
        return None
    blob = base64.b64encode(pickle.dumps(policy)).decode("ascii")
    return {"policy": blob, "history": [[list(p) for p in c] for c in history or ()]}


def should_stop_from(packed):
    """``make_should_stop`` of what ``pack_policy`` packed."""
    if not packed:
        return None
    policy = pickle.loads(base64.b64decode(packed["policy"]))
    return make_should_stop(policy, packed.get("history"))


def read_trial(value: str) -> dict:
    """The trial object from ``GLOVEC_TRIAL``: inline JSON (starting with ``{``) or a file path."""
    text = value.strip()
    if not text.startswith("{"):
        with open(text, encoding="utf-8") as f:
            text = f.read()
    return json.loads(text)
