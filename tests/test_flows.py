"""Search flows end to end through the command line: groups, --only/--fix-from, --nest (one study,
a killed run resumed), --enqueue, --warm-start, their GV7xx diagnostics; and the same pieces in
Python (``sample(..., groups=, fixed=, enqueue=, warm=)``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import glovec_process
from glovec.cli import main
from glovec.transforms.diagnostics import CATALOGUE

HW = """\
threads = 2  # glovec: oneof([1, 2, 4], group="hw")
batch = 32  # glovec: oneof([16, 32, 64], group="hw")
width = 8  # glovec: oneof([4, 8, 16], group="arch")
depth = 2  # glovec: intv(1, 4, group="arch")
score = width * depth - abs(threads - 2) - batch / 64  # glovec: objective
"""


@pytest.fixture
def prog(tmp_path):
    src = tmp_path / "hw.py"
    src.write_text(HW)
    return src


def _report(capsys, study) -> dict:
    capsys.readouterr()
    assert main(["report", "--json", str(study)]) == 0
    return json.loads(capsys.readouterr().out)


def _run(capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(["run", *map(str, argv)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# ---- groups ---------------------------------------------------------------------------------


def test_space_shows_each_sites_group_and_keeps_ids(prog, capsys):
    assert main(["space", "--json", str(prog)]) == 0
    sites = json.loads(capsys.readouterr().out)["sites"]
    assert [(s["id"], s.get("group")) for s in sites] == [
        ("threads", "hw"), ("batch", "hw"), ("width", "arch"), ("depth", "arch")]
    assert main(["space", str(prog)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[-1] == "group" and table[1].split()[-1] == "hw"


def test_a_program_without_groups_shows_no_group(tmp_path, capsys):
    src = tmp_path / "plain.py"
    src.write_text("width = 8  # glovec: oneof([4, 8])\n")
    assert main(["space", "--json", str(src)]) == 0
    assert "group" not in json.loads(capsys.readouterr().out)["sites"][0]
    assert main(["space", str(src)]) == 0
    assert capsys.readouterr().out.splitlines()[0].split()[-1] == "size"  # no group column


def test_group_works_in_annotations_and_rules(tmp_path, capsys):
    src = tmp_path / "ann.py"
    src.write_text("from typing import Annotated\nfrom glovec.hints import oneof\n\n"
                   "def f(units: Annotated[int, oneof([32, 64], group='arch')] = 32):\n"
                   "    return units\n")
    assert main(["space", "--json", str(src)]) == 0
    assert json.loads(capsys.readouterr().out)["sites"][0]["group"] == "arch"


# ---- --only and --fix-from ------------------------------------------------------------------


def test_only_searches_the_group_and_leaves_the_rest_at_default(prog, tmp_path, capsys):
    study = tmp_path / "only.db"
    status, _, err = _run(capsys, prog, "--only", "arch", "--trials", "6", "--seed", "0",
                          "--study", study)
    assert status == 0, err
    trials = _report(capsys, study)["trials"]
    assert len(trials) == 6
    assert {(t["decisions"]["threads"], t["decisions"]["batch"]) for t in trials} == {("2", "32")}
    assert len({(t["decisions"]["width"], t["decisions"]["depth"]) for t in trials}) > 1


def test_fix_from_takes_an_earlier_trials_decisions(prog, tmp_path, capsys):
    first = tmp_path / "first.db"
    assert _run(capsys, prog, "--trials", "5", "--seed", "1", "--study", first)[0] == 0
    best = _report(capsys, first)["trials"]
    best = max(best, key=lambda t: t["objective"])
    study = tmp_path / "fixed.db"
    status, _, err = _run(capsys, prog, "--only", "hw", "--fix-from", f"{first}:best",
                          "--trials", "4", "--study", study)
    assert status == 0, err
    for t in _report(capsys, study)["trials"]:
        assert (t["decisions"]["width"], t["decisions"]["depth"]) == (
            best["decisions"]["width"], best["decisions"]["depth"])
    trial_two = _report(capsys, first)["trials"][1]
    study2 = tmp_path / "fixed2.db"
    assert _run(capsys, prog, "--only", "hw", "--fix-from", f"{first}:2", "--trials", "2",
                "--study", study2)[0] == 0
    assert {t["decisions"]["width"] for t in _report(capsys, study2)["trials"]} == {
        trial_two["decisions"]["width"]}


# ---- --nest ---------------------------------------------------------------------------------


def test_nest_runs_inner_searches_in_one_study(prog, tmp_path, capsys):
    study = tmp_path / "nest.db"
    status, out, err = _run(capsys, prog, "--nest", "hw", "--trials", "3", "--inner-trials", "4",
                            "--inner-algorithm", "evolution", "--seed", "0", "--study", study)
    assert status == 0, err
    report = _report(capsys, study)
    trials = report["trials"]
    outer = [t for t in trials if t["kind"] == "outer"]
    assert len(outer) == 3 and all(t["parent"] is None for t in outer)
    for o in outer:
        inner = [t for t in trials if t["parent"] == o["id"]]
        assert len(inner) == 4 and all(t["kind"] == "inner" for t in inner)
        # the outer decisions are fixed inside; the objective is the best inner one
        assert {(t["decisions"]["threads"], t["decisions"]["batch"]) for t in inner} == {
            (o["decisions"]["threads"], o["decisions"]["batch"])}
        assert o["objective"] == max(t["objective"] for t in inner)
    best = max((t for t in trials if t["kind"] == "inner"), key=lambda t: t["objective"])
    assert report["best"] == best["id"]
    # the report shows the tree; materialize --best writes the best inner trial
    assert main(["report", str(study)]) == 0
    text = capsys.readouterr().out
    assert f"outer {outer[0]['id']}" in text and "    inner " in text
    assert main(["materialize", str(prog), "--best", "--study", str(study)]) == 0
    code = capsys.readouterr().out
    assert f"width = {best['decisions']['width']}  #" in code
    assert f"threads = {best['decisions']['threads']}  #" in code


KILLED = HW + """\
import os, signal
with open(os.environ["FLOW_LOG"], "a") as fh:
    fh.write(f"{threads} {batch} {width} {depth}\\n")
if sum(1 for _ in open(os.environ["FLOW_LOG"])) == int(os.environ.get("FLOW_KILL_AT", "0")):
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("kill_at", [7, 11])  # mid outer 2; at outer 3's first inner trial
def test_a_killed_nested_run_resumes_with_no_trial_lost_or_run_twice(tmp_path, capsys, kill_at,
                                                                     monkeypatch):
    src, study, log = tmp_path / "k.py", tmp_path / "k.db", tmp_path / "runs.log"
    src.write_text(KILLED)
    argv = ["run", src, "--nest", "hw", "--trials", "3", "--inner-trials", "5", "--seed", "3",
            "--study", study]
    monkeypatch.setenv("FLOW_LOG", str(log))
    monkeypatch.setenv("FLOW_KILL_AT", str(kill_at))
    done = glovec_process(argv)  # SIGKILLed by its own trial
    assert done.returncode == -9, done.stderr
    monkeypatch.delenv("FLOW_KILL_AT")
    status, _, err = _run(capsys, *argv[1:], "--resume")
    assert status == 0, err
    trials = _report(capsys, study)["trials"]
    assert all(t["status"] == "completed" for t in trials)
    outer = [t for t in trials if t["kind"] == "outer"]
    assert len(outer) == 3
    for o in outer:
        assert len([t for t in trials if t["parent"] == o["id"]]) == 5
    assert len(trials) == 3 + 3 * 5
    # every inner trial ran once, plus the one the kill interrupted (run again on resume)
    assert sum(1 for _ in open(log)) == 3 * 5 + 1


# ---- --enqueue and --warm-start -------------------------------------------------------------


def test_enqueue_proposes_the_given_points_first(prog, tmp_path, capsys):
    study = tmp_path / "enq.db"
    points = json.dumps([{"width": 16, "depth": 4}, {"threads": "4", "batch": 16}])
    status, _, err = _run(capsys, prog, "--enqueue", points, "--trials", "4", "--study", study)
    assert status == 0, err
    trials = _report(capsys, study)["trials"]
    assert trials[0]["decisions"] == {"threads": "2", "batch": "32", "width": "16", "depth": 4}
    assert trials[1]["decisions"] == {"threads": "4", "batch": "16", "width": "8", "depth": 2}
    # a file, and STUDY:top2 (the best two trials of a study) work too
    path = tmp_path / "points.json"
    path.write_text(json.dumps({"decisions": {"width": "4"}}))
    study2 = tmp_path / "enq2.db"
    assert _run(capsys, prog, "--enqueue", path, "--trials", "1", "--study", study2)[0] == 0
    assert _report(capsys, study2)["trials"][0]["decisions"]["width"] == "4"
    study3 = tmp_path / "enq3.db"
    assert _run(capsys, prog, "--enqueue", f"{study}:top2", "--trials", "2", "--study", study3)[0] == 0
    top = sorted(trials, key=lambda t: -t["objective"])[:2]
    assert [t["decisions"] for t in _report(capsys, study3)["trials"]] == [
        t["decisions"] for t in top]


def test_an_enqueued_point_resumed_is_not_proposed_again(prog, tmp_path, capsys):
    study = tmp_path / "r.db"
    points = json.dumps([{"width": 16}, {"width": 4}])
    assert _run(capsys, prog, "--enqueue", points, "--trials", "1", "--study", study)[0] == 0
    assert _run(capsys, prog, "--enqueue", points, "--trials", "3", "--study", study,
                "--resume")[0] == 0
    widths = [t["decisions"]["width"] for t in _report(capsys, study)["trials"]]
    assert widths[:2] == ["16", "4"] and len(widths) == 3


def test_warm_start_feeds_an_earlier_study_and_reports_mismatches(prog, tmp_path, capsys):
    old_src = tmp_path / "old.py"
    old_src.write_text(HW + 'extra = 1  # glovec: oneof([1, 2])\n')
    old = tmp_path / "old.db"
    assert _run(capsys, old_src, "--trials", "6", "--seed", "2", "--study", old)[0] == 0
    study = tmp_path / "warm.db"
    status, _, err = _run(capsys, prog, "--warm-start", old, "--algorithm", "evolution",
                          "--trials", "3", "--seed", "2", "--study", study)
    assert status == 0, err
    assert "warm start from" in err and "kept 6, dropped 0" in err and "removed: extra" in err
    cold = tmp_path / "cold.db"
    assert _run(capsys, prog, "--algorithm", "evolution", "--trials", "3", "--seed", "2",
                "--study", cold)[0] == 0
    # the algorithm saw the earlier trials: its proposals differ from a cold start's
    assert [t["decisions"] for t in _report(capsys, study)["trials"]] != [
        t["decisions"] for t in _report(capsys, cold)["trials"]]


# ---- bad input: GV7xx, exit 1 ---------------------------------------------------------------


@pytest.mark.parametrize("flags, code", [
    (["--nest", "gpu", "--trials", "2"], "GV701"),
    (["--only", "hw,nope"], "GV701"),
    (["--only", ","], "GV702"),
    (["--only", "hw", "--nest", "hw"], "GV702"),
    (["--fix-from", "other.db"], "GV702"),
    (["--enqueue", '{"width": 32}'], "GV703"),
    (["--enqueue", '{"colour": 1}'], "GV703"),
    (["--enqueue", '{"depth": 9}'], "GV703"),
    (["--enqueue", '{not json'], "GV704"),
    (["--warm-start", "missing.db"], "GV704"),
])
def test_bad_flow_input_is_a_diagnostic(prog, tmp_path, capsys, flags, code):
    study = tmp_path / "bad.db"
    status, _, err = _run(capsys, prog, "--study", study, *flags)
    assert status == 1 and f":1:1: {code} " in err, err
    assert not study.exists() or json.loads(json.dumps(_report(capsys, study)))["trials"] == []
    assert prog.read_text() == HW


def test_nest_with_a_group_holding_every_site(tmp_path, capsys):
    src = tmp_path / "all.py"
    src.write_text('width = 8  # glovec: oneof([4, 8], group="g")\n'
                   'score = width  # glovec: objective\n')
    status, _, err = _run(capsys, src, "--nest", "g", "--study", tmp_path / "s.db")
    assert status == 1 and " GV702 " in err


GV7 = [c for c in CATALOGUE if c.code.startswith("GV7")]


@pytest.mark.parametrize("entry", GV7, ids=lambda c: c.code)
def test_catalogue_before_gives_the_code_after_does_not(capsys, tmp_path, entry):
    from test_run_codes import _run as run_entry

    status, err = run_entry(capsys, tmp_path, entry, "before")
    assert status == 1 and f" {entry.code} " in err, err
    status, err = run_entry(capsys, tmp_path, entry, "after")
    assert status == 0 and " GV7" not in err, err


def test_explain_describes_a_flow_code(capsys):
    assert main(["explain", "GV701"]) == 0
    assert "group" in capsys.readouterr().out


# ---- the same pieces in Python --------------------------------------------------------------


def test_sample_nested_by_hand_with_groups_and_fixed():
    import glovec.runtime as gv

    space = gv.Space(threads=gv.oneof([1, 2, 4], group="hw"),
                     width=gv.oneof([4, 8, 16], group="arch"),
                     depth=gv.intv(1, 3, group="arch"))
    seen = []
    for hw, hw_feedback in gv.sample(space, "random", 3, seed=0, groups=["hw"]):
        assert (hw["width"], hw["depth"]) == (4, 1)  # defaults outside the searched group
        best = None
        for arch, feedback in gv.sample(space, "evolution", 4, seed=hw.id, groups=["arch"],
                                        fixed=hw.decisions):
            assert arch["threads"] == hw["threads"]
            value = arch["width"] * arch["depth"] - arch["threads"]
            feedback(value)
            best = value if best is None else max(best, value)
            seen.append(arch.decisions)
        assert space["threads"] == hw["threads"]  # the outer trial is active again
        hw_feedback(best)
    assert len(seen) == 12


def test_sample_enqueue_and_warm():
    import glovec.runtime as gv

    space = gv.Space(width=gv.oneof([4, 8, 16]), depth=gv.intv(1, 3))
    trials = [t for t, fb in _fed(gv.sample(space, "random", 2, seed=0,
                                            enqueue=[{"width": 16, "depth": 3}]))]
    assert trials[0].decisions == {"width": 2, "depth": 3}
    with pytest.raises(Exception) as info:
        list(gv.sample(space, "random", 1, enqueue=[{"width": 5}]))
    assert getattr(info.value, "code", None) == "GV703"


def _fed(loop):
    for trial, feedback in loop:
        feedback(1.0)
        yield trial, feedback


def test_example_flow_runs_small(monkeypatch):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
    try:
        import flow_hw_arch as ex
    finally:
        sys.path.pop(0)
    value, decisions = ex.nested(lambda t: t["hidden"] * t["depth"] - t["threads"], 2, 3, seed=0)
    assert set(decisions) == set(ex.SPACE.keys()) and value > 0


# ---- constraints ----------------------------------------------------------------------------

CONSTRAINED = """\
width = 8  # glovec: oneof([4, 8, 16])
depth = 2  # glovec: intv(1, 4)
ok = width * depth <= 32  # glovec: constraint
score = width * depth  # glovec: objective
"""


def test_a_false_constraint_makes_the_trial_infeasible(tmp_path, capsys):
    src, study = tmp_path / "c.py", tmp_path / "c.db"
    src.write_text(CONSTRAINED)
    status, _, err = _run(capsys, src, "--algorithm", "grid", "--trials", "12", "--study", study)
    assert status == 0, err
    trials = _report(capsys, study)["trials"]
    infeasible = [t for t in trials if not t["feasible"]]
    assert infeasible and all(t["status"] == "completed" and t["objective"] > 32
                              for t in infeasible)  # the objective is kept
    assert all(t["objective"] <= 32 for t in trials if t["feasible"])
    best = max((t for t in trials if t["feasible"]), key=lambda t: t["objective"])
    assert _report(capsys, study)["best"] == best["id"]
    assert main(["report", str(study)]) == 0
    assert f"infeasible (a constraint was false; never the best): {len(infeasible)}" in \
        capsys.readouterr().out
    assert main(["materialize", str(src), "--best", "--study", str(study)]) == 0
    code = capsys.readouterr().out
    assert f"width = {best['decisions']['width']}  #" in code
    assert f"depth = {best['decisions']['depth']}  #" in code


def test_algorithms_rank_infeasible_below_feasible():
    from glovec.runtime.loop import infeasible

    assert infeasible(2.0) < infeasible(1e6) < -1e8 < -1e6  # below every feasible reward
    assert infeasible(1.0) < infeasible(2.0)  # still ordered among themselves
    assert all(v < -1e8 for v in infeasible((3.0, -2.0)))


@pytest.mark.parametrize("name", ["evolution", "tpe", "random"])
def test_the_algorithm_sees_infeasible_trials_as_worse(name):
    # through sample(): feedback(value, metrics={"feasible": False}) is what a false constraint
    # records; the algorithm's best must be a feasible trial even though infeasible ones score more
    import glovec.runtime as gv
    from glovec.runtime.algorithms import get_algorithm

    space = gv.Space(width=gv.oneof([4, 8, 16]), depth=gv.intv(1, 4))
    algorithm = get_algorithm(name, seed=0)
    for trial, feedback in gv.sample(space, algorithm, 25):
        value = trial["width"] * trial["depth"]
        feedback(value, metrics={"feasible": False} if value > 32 else None)
    best = algorithm.best_dna
    assert space.value("width", best) * space.value("depth", best) <= 32


def test_a_constraint_that_raises_stops_the_run(tmp_path, capsys):
    src, study = tmp_path / "r.py", tmp_path / "r.db"
    src.write_text("width = 8  # glovec: oneof([4, 8])\n"
                   "ok = 16 / (width - 8) > 1  # glovec: constraint\n"
                   "score = width  # glovec: objective\n")
    status, _, err = _run(capsys, src, "--algorithm", "grid", "--trials", "2", "--study", study)
    assert status == 1 and f"{src}:2:1: GV705 the constraint on line 2 raised ZeroDivisionError" in err
    assert "(width - 8)" in src.read_text()  # the input is untouched


def test_group_in_a_rules_file(tmp_path, capsys):
    src, rules = tmp_path / "r.py", tmp_path / "rules.toml"
    src.write_text("lr = 0.01\nbatch = 32\n")
    rules.write_text('[[rule]]\nassign = "lr"\nvalues = \'floatv(x / 10, x * 10, scale="log", '
                     'group="opt")\'\n\n[[rule]]\nassign = "batch"\n'
                     'values = \'oneof([16, 32, 64], group="hw")\'\n')
    assert main(["space", "--json", str(src), "--rules", str(rules)]) == 0
    sites = json.loads(capsys.readouterr().out)["sites"]
    assert [(s["id"], s["group"]) for s in sites] == [("lr", "opt"), ("batch", "hw")]


def test_a_nested_study_resumes_only_as_the_same_nested_search(prog, tmp_path, capsys):
    study = tmp_path / "nest.db"
    status, _, err = _run(capsys, prog, "--study", study, "--nest", "hw", "--trials", "1",
                          "--inner-trials", "2")
    assert status == 0, err
    before = _report(capsys, study)["trials"]
    for flags in ([], ["--nest", "arch"]):
        status, _, err = _run(capsys, prog, "--study", study, "--resume", "--trials", "4", *flags)
        assert status == 1 and " GV706 " in err and "--nest hw" in err, err
    assert _report(capsys, study)["trials"] == before  # nothing was added beside the tree
    status, _, err = _run(capsys, prog, "--study", study, "--resume", "--nest", "hw",
                          "--trials", "2", "--inner-trials", "2")
    assert status == 0, err
    assert [t["kind"] for t in _report(capsys, study)["trials"]].count("outer") == 2
