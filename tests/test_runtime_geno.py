"""DNASpec and DNA: round trips, validation, sizes, defaults, fingerprints."""

from __future__ import annotations

import itertools
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glovec.runtime.algorithms import get_algorithm
from glovec.runtime.geno import DNA, DecisionPoint, DNASpec, InvalidDNA, InvalidSpec


def random_dna(spec: DNASpec, seed: int) -> DNA:
    """A uniform DNA, drawn by the operators every algorithm uses (random search's)."""
    algo = get_algorithm("random", seed=seed)
    algo.setup(spec)
    return algo.propose()

# ---- random specs ----------------------------------------------------------------------------

KINDS = ["oneof", "manyof", "permutate", "floatv", "intv"]


@st.composite
def site_dicts(draw, prefix: str, depth: int, small: bool = False):
    """A list of site dicts (space JSON), possibly with conditional children and repeats."""
    count = draw(st.integers(1, 2 if small else 3))
    out = []
    for i in range(count):
        sid = f"{prefix}s{i}"
        kinds = KINDS if not small else ["oneof", "manyof", "permutate", "intv"]
        kind = draw(st.sampled_from(kinds))
        site: dict = {"id": sid, "kind": kind, "line": 1, "col": 1}
        if kind in ("oneof", "manyof", "permutate"):
            n = draw(st.integers(1, 3 if small else 4))
            site["candidates"] = [f"c{j}" for j in range(n)]
        if kind == "oneof":
            site["default"] = draw(st.integers(0, n - 1))
            if depth > 0 and draw(st.booleans()):
                kids = {}
                for j in range(n):
                    if draw(st.booleans()):
                        kids[str(j)] = draw(site_dicts(f"{sid}={j}.", depth - 1, small))
                if kids:
                    site["children"] = kids
        elif kind == "manyof":
            distinct = draw(st.booleans())
            k = draw(st.integers(1, n if distinct else (2 if small else 3)))
            srt = draw(st.booleans())
            site.update(k=k, distinct=distinct, sorted=srt)
            if distinct:
                default = list(range(k))
            else:
                default = sorted(draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k))) if srt \
                    else draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k))
            site["default"] = default
        elif kind == "permutate":
            site["default"] = list(range(n))
        elif kind == "floatv":
            scale = draw(st.sampled_from(["linear", "log"]))
            lo = draw(st.floats(1e-3, 10.0))
            hi = lo + draw(st.floats(0.0, 100.0))
            site.update(lo=lo, hi=hi, scale=scale, default=lo)
        else:
            lo = draw(st.integers(-5, 5))
            step = draw(st.integers(1, 3))
            count_ = draw(st.integers(1, 4))
            hi = lo + step * (count_ - 1) + draw(st.integers(0, step - 1))
            scale = "linear" if lo <= 0 else draw(st.sampled_from(["linear", "log"]))
            site.update(lo=lo, hi=hi, step=step, scale=scale, default=lo)
        if "children" not in site and draw(st.integers(0, 4)) == 0:
            site["repeat"] = draw(st.integers(2, 3))
        out.append(site)
    return out


def spaces(small: bool = False):
    return site_dicts("", 2 if not small else 1, small).map(lambda s: {"glovec_space": 1, "sites": s})


COMMON = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---- round trips -----------------------------------------------------------------------------


@COMMON
@given(space=spaces(), seed=st.integers(0, 2**32 - 1))
def test_random_dna_survives_every_round_trip(space, seed):
    spec = DNASpec.from_space_doc(space)
    dna = random_dna(spec, seed)
    assert DNA(spec, dna.decisions) == dna  # sampled DNA is legal
    assert DNA.from_numbers(spec, dna.to_numbers()) == dna
    assert DNA.from_dict(spec, dna.to_dict()) == dna
    assert DNA.from_dict(spec, dna.to_dict(literal=True)) == dna
    assert DNA.from_json(spec, dna.to_json()) == dna
    assert DNA.from_json(spec, json.loads(dna.to_json())) == dna
    assert DNA.from_tree(spec, dna.to_tree()) == dna
    assert hash(DNA.from_json(spec, dna.to_json())) == hash(dna)
    # only active points are decided, and every active point is
    assert [p.id for p in spec.active_points(dna.decisions)] == list(dna.decisions)


@COMMON
@given(space=spaces())
def test_default_dna_is_legal_and_uses_the_site_defaults(space):
    spec = DNASpec.from_space_doc(space)
    dna = spec.default_dna()
    assert DNA(spec, dna.decisions) == dna
    for site in space["sites"]:
        ids = [site["id"]] if site.get("repeat", 1) == 1 else [f"{site['id']}[{i}]" for i in range(site["repeat"])]
        for pid in ids:
            want = site["default"]
            assert dna[pid] == (tuple(want) if isinstance(want, list) else want)


# ---- validation ------------------------------------------------------------------------------


def _corruptions(spec: DNASpec, dna: DNA):
    """(description, bad decisions, offending site id) for every corruption this DNA allows."""
    d = dna.decisions
    yield "unknown id", {**d, "no.such.site": 0}, "no.such.site"
    for pid in d:
        rest = dict(d)
        del rest[pid]
        yield "missing", rest, pid
        break
    active = set(d)
    for p in spec.points:
        if p.id not in active and p.parent in active:
            yield "inactive", {**d, p.id: p.default}, p.id
            break
    for p in spec.active_points(d):
        v = d[p.id]
        if p.kind == "oneof":
            yield "index out of range", {**d, p.id: p.n}, p.id
            yield "negative index", {**d, p.id: -1}, p.id
            yield "not an int", {**d, p.id: "c0"}, p.id
        elif p.kind == "manyof":
            yield "manyof too short", {**d, p.id: v[:-1]}, p.id
            yield "manyof too long", {**d, p.id: v + (0,)}, p.id
            if p.distinct and p.k >= 2:
                yield "manyof repeated", {**d, p.id: (v[0],) * p.k}, p.id
            if p.sorted and p.k >= 2 and len(set(v)) > 1:
                yield "manyof unsorted", {**d, p.id: tuple(sorted(v, reverse=True))}, p.id
            yield "manyof index out of range", {**d, p.id: (p.n,) + v[1:]}, p.id
        elif p.kind == "permutate":
            if p.n >= 2:
                yield "permutation repeats", {**d, p.id: (0,) * p.n}, p.id
            yield "permutation short", {**d, p.id: v[:-1]}, p.id
        elif p.kind == "floatv":
            yield "float above hi", {**d, p.id: p.hi * 2 + 1}, p.id
            yield "float below lo", {**d, p.id: p.lo - 1}, p.id
            yield "float NaN", {**d, p.id: float("nan")}, p.id
        elif p.kind == "intv":
            yield "int above hi", {**d, p.id: p.hi + p.step}, p.id
            if p.step > 1:
                yield "int off grid", {**d, p.id: p.lo + 1}, p.id
            yield "int is a float", {**d, p.id: p.lo + 0.5}, p.id


@COMMON
@given(space=spaces(), seed=st.integers(0, 2**32 - 1))
def test_validation_rejects_corrupted_dna_naming_the_site(space, seed):
    spec = DNASpec.from_space_doc(space)
    dna = random_dna(spec, seed)
    for what, bad, site_id in _corruptions(spec, dna):
        with pytest.raises(InvalidDNA) as info:
            DNA(spec, bad)
        assert info.value.site_id == site_id, what
        assert repr(site_id) in str(info.value), what


def test_validation_messages_read_well():
    spec = DNASpec.from_space_doc({"sites": [
        {"id": "act", "kind": "oneof", "candidates": ['"relu"', '"gelu"'], "default": 0,
         "children": {"1": [{"id": "act=1.approx", "kind": "oneof", "candidates": ["True", "False"]}]}},
        {"id": "lr", "kind": "floatv", "lo": 1e-4, "hi": 0.1, "scale": "log", "default": 1e-3},
        {"id": "epochs", "kind": "intv", "lo": 2, "hi": 20, "step": 2, "default": 4},
        {"id": "ops", "kind": "manyof", "k": 2, "candidates": ["a", "b", "c"], "sorted": True},
    ]})
    ok = {"act": 0, "lr": 0.01, "epochs": 4, "ops": (0, 2)}
    DNA(spec, ok)
    cases = [
        ({**ok, "lr": 0.5}, "site 'lr': 0.5 is outside [0.0001, 0.1]"),
        ({**ok, "epochs": 5}, "site 'epochs': 5 is off the grid 2 + i * 2"),
        ({**ok, "act": 1}, "site 'act=1.approx': no decision for this active site (active because 'act' chose candidate 1)"),
        ({**ok, "act=1.approx": 0}, "site 'act=1.approx': decided but inactive: it belongs to candidate 1 of 'act', which chose 0"),
        ({**ok, "ops": (2, 0)}, "site 'ops': manyof indices [2, 0] must be sorted"),
        ({**ok, "ops": (1, 1)}, "site 'ops': manyof indices [1, 1] must be distinct"),
        ({**ok, "act": 2}, "site 'act': candidate index 2 is out of range 0..1"),
        ({**ok, "dropout": 0.1}, "site 'dropout': unknown site id (not in this space)"),
    ]
    for bad, message in cases:
        with pytest.raises(InvalidDNA) as info:
            DNA(spec, bad)
        assert str(info.value) == message


def test_literal_dicts_accept_candidate_text_and_values():
    spec = DNASpec.from_space_doc({"sites": [
        {"id": "act", "kind": "oneof", "candidates": ['"relu"', '"gelu"']},
        {"id": "units", "kind": "oneof", "candidates": ["64", "128"]},
    ]})
    dna = DNA(spec, {"act": 1, "units": 1})
    assert dna.to_dict(literal=True) == {"act": '"gelu"', "units": "128"}
    assert DNA.from_dict(spec, {"act": "gelu", "units": "128"}) == dna
    assert DNA.from_dict(spec, {"act": '"gelu"', "units": 1}) == dna  # an int is an index
    assert dna.value("act") == "gelu" and dna.value("units") == 128
    with pytest.raises(InvalidDNA, match="'act': 'tanh' is not one of its candidates"):
        DNA.from_dict(spec, {"act": "tanh", "units": 0})


def test_json_carries_schema_and_refuses_another_space():
    spec = DNASpec.from_space_doc({"sites": [{"id": "x", "kind": "intv", "lo": 0, "hi": 3}]})
    other = DNASpec.from_space_doc({"sites": [{"id": "x", "kind": "intv", "lo": 0, "hi": 4}]})
    text = DNA(spec, {"x": 2}).to_json()
    assert json.loads(text) == {"glovec_dna": 1, "fingerprint": spec.fingerprint, "decisions": {"x": 2}}
    with pytest.raises(InvalidDNA, match="another space"):
        DNA.from_json(other, text)
    with pytest.raises(InvalidDNA, match="schema 2"):
        DNA.from_json(spec, '{"glovec_dna": 2, "decisions": {"x": 2}}')


# ---- sizes -----------------------------------------------------------------------------------


def _raw_values(p: DecisionPoint):
    """A superset of each point's legal decisions (validation decides which are legal)."""
    if p.kind == "oneof":
        return range(p.n)
    if p.kind == "manyof":
        return list(itertools.product(range(p.n), repeat=p.k))
    if p.kind == "permutate":
        return list(itertools.product(range(p.n), repeat=p.n))
    return range(p.lo - 1, p.hi + 2)


def _brute_force_size(spec: DNASpec) -> int | None:
    choices = [_raw_values(p) for p in spec.points]
    if math.prod(len(c) for c in choices) > 30000:
        return None
    seen = set()
    for combo in itertools.product(*choices):
        full = {p.id: v for p, v in zip(spec.points, combo)}
        active = {p.id: full[p.id] for p in spec.active_points(full)}
        try:
            DNA(spec, active)
        except InvalidDNA:
            continue
        seen.add(tuple(sorted(active.items())))
    return len(seen)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(space=spaces(small=True))
def test_size_is_exact_against_brute_force(space):
    spec = DNASpec.from_space_doc(space)
    brute = _brute_force_size(spec)
    if brute is None:
        return
    assert spec.size == brute
    dnas = list(spec.iter_dna())
    assert len(dnas) == brute == len(set(dnas))


def test_sizes_of_each_kind():
    def size(site):
        return DNASpec.from_space_doc({"sites": [site]}).size

    assert size({"id": "a", "kind": "oneof", "candidates": list("abcd")}) == 4
    assert size({"id": "a", "kind": "manyof", "k": 2, "candidates": list("abcde")}) == 20
    assert size({"id": "a", "kind": "manyof", "k": 2, "sorted": True, "candidates": list("abcde")}) == 10
    assert size({"id": "a", "kind": "manyof", "k": 2, "distinct": False, "candidates": list("abcde")}) == 25
    assert size({"id": "a", "kind": "manyof", "k": 2, "distinct": False, "sorted": True, "candidates": list("abcde")}) == 15
    assert size({"id": "a", "kind": "permutate", "candidates": list("abcd")}) == 24
    assert size({"id": "a", "kind": "intv", "lo": 1, "hi": 20, "step": 3}) == 7
    assert size({"id": "a", "kind": "floatv", "lo": 0, "hi": 1}) is None
    assert size({"id": "a", "kind": "oneof", "candidates": list("abc"), "repeat": 3}) == 27
    nested = {"id": "a", "kind": "oneof", "candidates": ["x", "y", "z"],
              "children": {"1": [{"id": "a=1.b", "kind": "oneof", "candidates": list("pq")},
                                 {"id": "a=1.c", "kind": "intv", "lo": 0, "hi": 2}]}}
    assert size(nested) == 1 + 2 * 3 + 1
    nested["children"]["2"] = [{"id": "a=2.f", "kind": "floatv", "lo": 0, "hi": 1}]
    assert size(nested) is None


def test_nas_bench_201_cell_has_15625_points():
    ops = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
    spec = DNASpec.from_space_doc({"sites": [{"id": "edge", "kind": "oneof", "candidates": ops, "repeat": 6}]})
    assert [p.id for p in spec.points] == [f"edge[{i}]" for i in range(6)]
    assert {p.site_id for p in spec.points} == {"edge"}
    assert spec.size == 5**6 == 15625


# ---- spec structure --------------------------------------------------------------------------


def test_points_depth_first_with_parents():
    spec = DNASpec.from_space_doc({"sites": [
        {"id": "m", "kind": "oneof", "candidates": ["a", "b"],
         "children": {"0": [{"id": "m=0.u", "kind": "oneof", "candidates": ["1", "2"]}],
                      "1": [{"id": "m=1.f", "kind": "intv", "lo": 1, "hi": 3}]}},
        {"id": "lr", "kind": "floatv", "lo": 0.1, "hi": 1.0},
    ]})
    assert [p.id for p in spec.roots] == ["m", "lr"]
    assert [p.id for p in spec.points] == ["m", "m=0.u", "m=1.f", "lr"]
    f = spec.point("m=1.f")
    assert (f.parent, f.parent_choice, f.index) == ("m", 1, 2)
    assert spec.point("m").children[0][0].id == "m=0.u"
    assert spec.default_dna().decisions == {"m": 0, "m=0.u": 0, "lr": 0.1}
    assert DNA(spec, {"m": 1, "m=1.f": 3, "lr": 0.5}).to_numbers() == [1, 3, 0.5]
    assert DNA(spec, {"m": 1, "m=1.f": 3, "lr": 0.5}).to_tree() == [
        {"id": "m", "value": 1, "children": [{"id": "m=1.f", "value": 3, "children": []}]},
        {"id": "lr", "value": 0.5, "children": []},
    ]


def test_fingerprint_is_stable_and_ignores_defaults_and_positions():
    site = {"id": "u", "kind": "oneof", "candidates": ["1", "2"], "default": 0, "line": 3, "col": 4}
    a = DNASpec.from_space_doc({"sites": [site]})
    b = DNASpec.from_space_doc(json.dumps({"sites": [{**site, "default": 1, "line": 9}]}))
    c = DNASpec.from_space_doc({"sites": [{**site, "candidates": ["1", "3"]}]})
    assert a.fingerprint == b.fingerprint == DNASpec.from_space_doc({"sites": [site]}).fingerprint
    assert a.fingerprint != c.fingerprint
    assert len(a.fingerprint) == 16


def test_dna_order_and_hash():
    spec = DNASpec.from_space_doc({"sites": [{"id": "a", "kind": "oneof", "candidates": list("abc")},
                                         {"id": "x", "kind": "floatv", "lo": 0, "hi": 1}]})
    d1, d2, d3 = (DNA(spec, {"a": a, "x": x}) for a, x in [(0, 0.9), (1, 0.1), (1, 0.2)])
    assert sorted([d3, d1, d2]) == [d1, d2, d3]
    assert len({d1, d2, d3, DNA(spec, {"x": 0.9, "a": 0})}) == 3


def test_bad_specs_name_the_site():
    cases = [
        ({"id": "u", "kind": "oneof", "candidates": []}, "at least one candidate"),
        ({"id": "u", "kind": "manyof", "k": 4, "candidates": ["a", "b"]}, "cannot choose 4 distinct of 2"),
        ({"id": "u", "kind": "floatv", "lo": 0, "hi": 1, "scale": "log"}, "needs lo > 0"),
        ({"id": "u", "kind": "floatv", "lo": 2, "hi": 1}, "lo 2.0 is above hi 1.0"),
        ({"id": "u", "kind": "intv", "lo": 0, "hi": 10, "step": 3, "default": 4}, "off the grid"),
        ({"id": "u", "kind": "floatv", "lo": 0, "hi": 1, "default": 3}, "outside"),
        ({"id": "u", "kind": "wat"}, "unknown kind 'wat'"),
        ({"id": "u", "kind": "oneof", "candidates": ["a"], "repeat": 2,
          "children": {"0": [{"id": "u=0.v", "kind": "oneof", "candidates": ["b"]}]}}, "cannot hold nested"),
    ]
    for site, message in cases:
        with pytest.raises(InvalidSpec, match=message) as info:
            DNASpec.from_space_doc({"sites": [site]})
        assert info.value.site_id == "u"
    dup = {"id": "u", "kind": "oneof", "candidates": ["a"]}
    with pytest.raises(InvalidSpec, match="appears twice"):
        DNASpec.from_space_doc({"sites": [dup, dup]})


def test_spec_by_hand_round_trips_through_space_json():
    spec = DNASpec([
        DecisionPoint("opt", "oneof", candidates=['"sgd"', '"adam"'],
                      children=[[DecisionPoint("opt=0.momentum", "floatv", lo=0.0, hi=0.99)], []]),
        DecisionPoint("layers", "intv", lo=1, hi=8, step=1, scale="log", default=2),
    ])
    again = DNASpec.from_space_doc(json.loads(json.dumps(spec.to_space_doc())))
    assert again.fingerprint == spec.fingerprint
    assert again.default_dna() == spec.default_dna()
    assert spec.size is None and DNASpec([DecisionPoint("z", "intv", lo=1, hi=8)]).size == 8
