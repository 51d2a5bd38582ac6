"""Site functions (what generated code calls) and hand-written spaces (Space, custom points)."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

import glovec.runtime as gv
from glovec.runtime import hyper
from glovec.runtime.geno import DNA, DNASpec, InvalidDNA, InvalidSpec


@pytest.fixture(autouse=True)
def _no_trial_left_active():
    yield
    gv.deactivate()


# ---- site functions, as generated code calls them --------------------------------------------

GENERATED = '''
import glovec.runtime as _gv
calls = []

def conv(n):
    calls.append(("conv", n))
    return f"conv{n}"

def block():
    op = _gv.oneof_lazy(_gv.rep("block.op", 3), 0, (lambda: conv(3), lambda: conv(5), lambda: "skip"))
    return op

def build():
    lr = _gv.floatv("lr", 0.001)
    epochs = _gv.intv("epochs", 5)
    act = _gv.oneof("act", 1, ("relu", "gelu"))
    opt = _gv.oneof_lazy("opt", 0, (lambda: ("sgd", _gv.floatv("opt=0.momentum", 0.9)), lambda: ("adam",)))
    ops = _gv.manyof("ops", (0, 1), ("a", "b", "c"))
    order = _gv.permutate("order", (0, 1, 2), ("x", "y", "z"))
    blocks = [block() for _ in range(3)]
    return dict(lr=lr, epochs=epochs, act=act, opt=opt, ops=ops, order=order, blocks=blocks)
'''


def _program():
    ns: dict = {}
    exec(compile(GENERATED, "model_search.py", "exec"), ns)
    return ns


def test_outside_a_trial_every_site_is_its_default():
    ns = _program()
    assert ns["build"]() == dict(lr=0.001, epochs=5, act="gelu", opt=("sgd", 0.9), ops=["a", "b"],
                                 order=["x", "y", "z"], blocks=["conv3", "conv3", "conv3"])
    assert gv.current() is None


def test_inside_a_trial_sites_return_the_decisions():
    ns = _program()
    decisions = {"lr": 0.02, "epochs": 9, "act": 0, "opt": 1, "ops": (2, 0), "order": (2, 0, 1),
                 "block.op[0]": 2, "block.op[1]": 1, "block.op[2]": 0}
    ctx = gv.activate(decisions, trial_id=7)
    assert gv.current() is ctx and ctx.trial_id == 7
    got = ns["build"]()
    assert got == dict(lr=0.02, epochs=9, act="relu", opt=("adam",), ops=["c", "a"],
                       order=["z", "x", "y"], blocks=["skip", "conv5", "conv3"])
    # lazy candidates: only the chosen ones ran (conv5 for block 1, conv3 for block 2)
    assert ns["calls"] == [("conv", 5), ("conv", 3)]
    # repeat ids cycle modulo N: building the model twice in one trial gives the same blocks
    assert [ns["block"]() for _ in range(3)] == ["skip", "conv5", "conv3"]
    gv.deactivate()
    assert ns["build"]()["act"] == "gelu"


def test_nested_site_is_read_only_when_its_candidate_is_chosen():
    ns = _program()
    gv.activate({"opt": 0, "opt=0.momentum": 0.5})
    assert ns["build"]()["opt"] == ("sgd", 0.5)


CLASS_BODY = '''
import glovec.runtime as _gv
calls = []

def conv(n):
    calls.append(n)
    return f"conv{n}"

def make():
    class Config:
        units = 64
        width = (units if _gv.index("Config.width", 1) == 0 else units * 2)
        block = (conv((units if _gv.index("Config.block[=0].n", 0) == 0 else units // 2)) if _gv.index("Config.block", 0) == 0 else "skip")
    return Config
'''


def test_index_drives_a_class_body_site_and_runs_only_the_chosen_candidate():
    ns: dict = {}
    exec(compile(CLASS_BODY, "model_search.py", "exec"), ns)
    assert gv.index("Config.width", 1) == 1   # outside a trial: the default
    config = ns["make"]()
    assert (config.width, config.block, ns["calls"]) == (128, "conv64", [64])
    gv.activate({"Config.width": 0, "Config.block": 0, "Config.block[=0].n": 1})
    assert gv.index("Config.width", 1) == 0
    config = ns["make"]()
    assert (config.width, config.block, ns["calls"]) == (64, "conv32", [64, 32])
    gv.activate({"Config.block": 1})
    assert ns["make"]().block == "skip" and ns["calls"] == [64, 32]


def test_rep_counters_restart_with_each_trial():
    gv.activate({})
    assert [gv.rep("b", 2) for _ in range(3)] == ["b[0]", "b[1]", "b[0]"]
    gv.activate({})
    assert gv.rep("b", 2) == "b[0]"


def test_objective_metric_and_report():
    assert gv.objective(3) == 3 and gv.metric("acc", 0.5) == 0.5 and gv.report(1.0, step=0) == 1.0
    stops = []
    ctx = gv.activate({}, should_stop=lambda step, value: stops.append((step, value)) or value < 0)
    gv.report(0.5)
    gv.report(0.7, step=5)
    with pytest.raises(gv.TrialPruned):
        gv.report(-1.0, step=6)
    assert gv.objective(0.9) == 0.9 and gv.metric("loss", 0.1) == 0.1
    assert ctx.reports == [(0, 0.5), (5, 0.7), (6, -1.0)] == stops
    assert (ctx.objective, ctx.metrics) == (0.9, {"loss": 0.1})
    assert gv.deactivate() is ctx and gv.current() is None


def test_dna_decisions_drive_the_sites_directly():
    spec = DNASpec.from_space_doc({"sites": [
        {"id": "act", "kind": "oneof", "candidates": ['"relu"', '"gelu"'], "default": 1},
        {"id": "block.op", "kind": "oneof", "candidates": ["conv(3)", "conv(5)", '"skip"'], "repeat": 3},
    ]})
    dna = DNA.from_dict(spec, {"act": "relu", "block.op[0]": 2, "block.op[1]": 2, "block.op[2]": 1})
    ns = _program()
    gv.activate(dna.decisions)
    assert ns["build"]()["blocks"] == ["skip", "skip", "conv5"]


# ---- user-facing primitives and Space --------------------------------------------------------


def test_primitives_called_by_hand_build_a_space():
    space = gv.Space(
        lr=gv.floatv(1e-4, 1e-1, scale="log", default=1e-3),
        units=gv.oneof([64, 128, 256], default=128),
        ops=gv.manyof(2, ["conv", "pool", "skip"], sorted=True),
        order=gv.permutate(["a", "b", "c"]),
        depth=gv.intv(1, 8, step=1),
        epochs=10,
    )
    spec = space.to_spec()
    assert [p.id for p in spec.points] == ["lr", "units", "ops", "order", "depth"]
    assert [p.kind for p in spec.points] == ["floatv", "oneof", "manyof", "permutate", "intv"]
    assert spec.point("units").candidates == ("64", "128", "256")
    assert spec.point("ops").candidates == ("'conv'", "'pool'", "'skip'")
    assert space.size is None
    assert space.defaults() == {"lr": 1e-3, "units": 128, "ops": ["conv", "pool"], "order": ["a", "b", "c"],
                                "depth": 1, "epochs": 10}
    assert space["units"] == 128  # no trial: the default
    gv.activate({"lr": 0.05, "units": 2, "ops": (0, 2), "order": (1, 2, 0), "depth": 3})
    assert space.materialize() == {"lr": 0.05, "units": 256, "ops": ["conv", "skip"], "order": ["b", "c", "a"],
                                   "depth": 3, "epochs": 10}


def test_nested_candidates_form_a_conditional_subspace():
    space = gv.Space(model=gv.oneof([
        {"kind": "mlp", "units": gv.oneof([64, 128])},
        gv.Space(kind="cnn", filters=gv.intv(16, 64, step=16), pool=gv.oneof([True, False])),
        "linear",
    ]))
    spec = space.to_spec()
    assert [p.id for p in spec.points] == ["model", "model=0.units", "model=1.filters", "model=1.pool"]
    assert spec.size == 2 + 4 * 2 + 1
    assert space["model"] == {"kind": "mlp", "units": 64}
    seen = {json.dumps(space.value("model", d), sort_keys=True) for d in spec.iter_dna()}
    assert len(seen) == 11
    dna = DNA(spec, {"model": 1, "model=1.filters": 48, "model=1.pool": 1})
    assert space.value("model", dna) == {"kind": "cnn", "filters": 48, "pool": False}
    assert space.value("model=1.filters", dna) == 48


def test_repeat_gives_a_list_of_decisions():
    space = gv.Space(edge=gv.oneof(["none", "skip", "conv"], repeat=3))
    spec = space.to_spec()
    assert [p.id for p in spec.points] == ["edge[0]", "edge[1]", "edge[2]"] and spec.size == 27
    assert space["edge"] == ["none", "none", "none"]
    assert space.value("edge", {"edge[0]": 2, "edge[1]": 0, "edge[2]": 1}) == ["conv", "none", "skip"]


def test_oneof_default_may_be_none_and_must_be_a_candidate():
    assert gv.Space(a=gv.oneof([1, None], default=None))["a"] is None
    with pytest.raises(InvalidSpec, match="'a': default 3 is not one of the candidates"):
        gv.Space(a=gv.oneof([1, 2], default=3)).to_spec()


def test_sample_over_a_space_decides_values_and_sites():
    space = gv.Space(units=gv.oneof([64, 128, 256]), lr=gv.floatv(0.001, 0.1, scale="log"))
    seen = []
    for trial, feedback in gv.sample(space, _TinyRandom(), num_trials=20, seed=3):
        assert trial["units"] == space["units"] in (64, 128, 256)
        assert trial["lr"] == space["lr"] and 0.001 <= trial["lr"] <= 0.1
        seen.append(trial["units"])
        feedback(float(trial["units"]))
    assert len(set(seen)) == 3
    assert space["units"] == 64  # loop over: defaults again


def test_custom_points_finite_and_infinite():
    def draw_width(rng):
        return rng.choice([8, 16, 32])

    def draw_shape(rng):
        return [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]

    shape = gv.custom(draw_shape, default=[2], mutate=lambda v, rng: list(v) + [1])
    space = gv.Space(width=gv.custom(draw_width, domain=[8, 16, 32]), shape=shape)
    spec = space.to_spec()
    assert spec.size is None and spec.point("width").size == 3
    assert space.defaults() == {"width": 8, "shape": (2,)}  # lists are kept as tuples
    draw = gv.get_algorithm("random", seed=0)
    draw.setup(spec)
    for _ in range(20):
        dna = draw.propose()  # the sampler's lists come back as tuples
        assert DNA.from_json(spec, dna.to_json()) == dna
        assert dna["width"] in (8, 16, 32) and 1 <= len(dna["shape"]) <= 3
    # The algorithms' mutation calls the author's mutator (lists kept as tuples here too).
    climb = gv.get_algorithm("hillclimb", seed=0)
    climb.setup(gv.Space(shape=shape).to_spec())
    start = climb.propose()
    assert start["shape"] == (2,)  # hill climbing starts at the default
    climb.feedback(start, 1.0)
    assert climb.propose()["shape"] == (2, 1)
    with pytest.raises(InvalidDNA, match="'shape': a custom decision must be hashable"):
        DNA(spec, {"width": 8, "shape": {"a": 1}})
    with pytest.raises(InvalidDNA, match="'width': 12 is not in the custom point's domain"):
        DNA(spec, {"width": 12, "shape": [1]})
    with pytest.raises(InvalidSpec, match="needs a default"):
        gv.Space(s=gv.custom(draw_shape)).to_spec()
    # A study stores the space as JSON: the custom point still validates there.
    stored = DNASpec.from_space_doc(json.loads(json.dumps(space.to_space_doc())))
    assert stored.fingerprint == spec.fingerprint
    DNA(stored, {"width": 16, "shape": [3, 1]})


def test_candidate_text_is_stable_for_functions():
    def relu(x):
        return x

    space = gv.Space(act=gv.oneof([relu, max]))
    assert space.to_spec().point("act").candidates == (
        f"{__name__}.test_candidate_text_is_stable_for_functions.<locals>.relu", "builtins.max")
    assert space["act"] is relu


class _TinyRandom:
    """The algorithm protocol at its smallest (the loop must not depend on the registry)."""

    def __init__(self, seed=None):
        self.rng = random.Random(seed)

    def setup(self, spec):
        self.spec = spec

    def propose(self):  # oneof and linear floatv points are all the test needs
        d = {p.id: self.rng.randrange(p.n) if p.kind == "oneof" else self.rng.uniform(p.lo, p.hi)
             for p in self.spec.points}
        return DNA(self.spec, d)

    def feedback(self, dna, reward):
        pass


# ---- import cost -----------------------------------------------------------------------------


def test_import_glovec_runtime_stays_light():
    code = (
        "import sys, glovec.runtime as gv\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('libcst', 'click', 'numpy', 'tensorflow', 'torch', 'keras', 'glovec.transforms'))\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('glovec.runtime.'))\n"
        "gv.oneof('a', 0, (1, 2)); gv.floatv('x', 1.0)\n"
        "print(heavy, loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] ['glovec.runtime.hyper']"


# ---- hand-written spaces, property-tested ----------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def hypers(draw, depth):
    kind = draw(st.sampled_from(["oneof", "manyof", "floatv", "intv", "const"]))
    if kind == "const":
        return draw(st.integers(0, 9))
    if kind == "floatv":
        return gv.floatv(0.5, 2.0, scale=draw(st.sampled_from(["linear", "log"])))
    if kind == "intv":
        return gv.intv(0, 8, step=draw(st.integers(1, 3)))
    if kind == "manyof":
        return gv.manyof(2, ["a", "b", "c"], distinct=draw(st.booleans()), sorted=draw(st.booleans()))
    n = draw(st.integers(1, 3))
    cands = []
    for i in range(n):
        if depth > 0 and draw(st.booleans()):
            cands.append({"i": i, "sub": draw(hypers(depth - 1)), "more": [draw(hypers(depth - 1))]})
        else:
            cands.append(f"c{i}")
    return gv.oneof(cands, repeat=1 if any(isinstance(c, dict) for c in cands) else draw(st.integers(1, 2)))


@settings(max_examples=80, deadline=None)
@given(entries=st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), hypers(2), min_size=1), seed=st.integers(0, 999))
def test_space_values_follow_the_dna_through_json(entries, seed):
    space = gv.Space(entries)
    spec = space.to_spec()
    draw = gv.get_algorithm("random", seed=seed)
    draw.setup(spec)
    dna = draw.propose()
    again = DNA.from_json(spec, dna.to_json())
    assert space.materialize(again) == space.materialize(dna)
    gv.activate(dna.decisions)
    try:
        assert space.materialize() == space.materialize(dna)
    finally:
        gv.deactivate()
    assert space.materialize() == space.defaults() == space.materialize(spec.default_dna())
    values = space.materialize(dna)
    for key, h in entries.items():
        if isinstance(h, gv.Hyper) and h.kind == "oneof" and h.repeat == 1:
            chosen = values[key]
            assert (chosen["i"] if isinstance(chosen, dict) else int(chosen[1:])) == dna[key]
            if isinstance(chosen, dict) and isinstance(h.candidates[dna[key]]["sub"], gv.Hyper):
                sub = f"{key}={dna[key]}.sub"  # the chosen candidate's sub-space is active
                assert sub in dna or f"{sub}[0]" in dna
