"""The covering design behind `glovec check --dynamic`, and the runner that records reached sites."""

from __future__ import annotations

import os

from glovec.check.runner import RunResult, run_once
from glovec.check.dynamic import cover
from glovec.runtime.geno import DNASpec


def oneof(id, n, default=0, line=1, children=None):
    site = {"id": id, "kind": "oneof", "line": line, "col": 1,
            "candidates": [str(i) for i in range(n)], "default": default, "repeat": 1}
    if children:
        site["children"] = children
    return site


def spec_of(*sites):
    return DNASpec.from_space_doc({"glovec_space": 1, "sites": list(sites)})


def runner(fail=lambda d: None, unreachable=()):
    """A fake program: reaches every decided point except `unreachable`; `fail(d)` -> (error, line)."""
    seen = []

    def run(decisions):
        seen.append(dict(decisions))
        reached = [k for k in decisions if k not in unreachable]
        failure = fail(decisions)
        if failure:
            return RunResult("error", reached, failure[0], failure[1])
        return RunResult("ok", reached)

    return run, seen


def coverage_of(report):
    return {s.id: (len(s.exercised), len(s.labels)) for s in report.sites}


def test_enough_runs_exercise_every_candidate_in_max_n_runs():
    spec = spec_of(oneof("a", 4), oneof("b", 2), oneof("c", 3, default=2))
    run, seen = runner()
    report = cover(spec, run, budget=10)
    assert coverage_of(report) == {"a": (4, 4), "b": (2, 2), "c": (3, 3)}
    assert len(seen) == 4  # the largest candidate count: a covering design, not random draws
    assert seen[0] == {"a": 0, "b": 0, "c": 2}  # the first run keeps the defaults


def test_small_budget_exercises_one_new_candidate_per_site_per_run():
    spec = spec_of(oneof("a", 5), oneof("b", 3), oneof("c", 2))
    run, seen = runner()
    report = cover(spec, run, budget=2)
    assert len(seen) == 2
    assert coverage_of(report) == {"a": (2, 5), "b": (2, 3), "c": (2, 2)}


def test_nested_candidates_are_exercised_under_the_parent_choice_that_enables_them():
    child = oneof("opt[=1].beta", 3)
    spec = spec_of(oneof("opt", 2, children={"1": [child]}))
    run, seen = runner()
    report = cover(spec, run, budget=10)
    assert coverage_of(report) == {"opt": (2, 2), "opt[=1].beta": (3, 3)}
    assert [d.get("opt[=1].beta") for d in seen if d["opt"] == 1] == [0, 1, 2]
    assert len(seen) == 4  # the least possible: opt=0 once, and opt=1 under each beta


def test_ranges_count_their_bounds_and_manyof_its_members():
    spec = spec_of(
        {"id": "lr", "kind": "floatv", "lo": 0.001, "hi": 0.1, "scale": "log", "default": 0.01, "repeat": 1},
        {"id": "n", "kind": "intv", "lo": 1, "hi": 8, "step": 3, "scale": "linear", "default": 4, "repeat": 1},
        {"id": "ops", "kind": "manyof", "k": 2, "distinct": True, "sorted": True,
         "candidates": ["a", "b", "c", "d", "e"], "default": [0, 1], "repeat": 1},
    )
    run, seen = runner()
    report = cover(spec, run, budget=10)
    assert coverage_of(report) == {"lr": (2, 2), "n": (2, 2), "ops": (5, 5)}
    assert {d["n"] for d in seen} >= {1, 7}  # 7: the highest value on the step grid
    assert all(list(d["ops"]) == sorted(d["ops"]) for d in seen)


def test_repeat_sites_count_once_over_their_points():
    site = oneof("block.width", 3)
    site["repeat"] = 2
    run, seen = runner()
    report = cover(spec_of(site), run, budget=10)
    assert coverage_of(report) == {"block.width": (3, 3)}
    assert len(seen) == 2


def test_site_decided_in_a_completed_run_but_never_looked_up_is_dead():
    spec = spec_of(oneof("a", 2), oneof("dead", 3))
    run, seen = runner(unreachable={"dead"})
    report = cover(spec, run, budget=10)
    by_id = {s.id: s for s in report.sites}
    assert by_id["dead"].dead and not by_id["dead"].reached
    assert not by_id["a"].dead
    assert len(seen) == 2  # the dead site is not chased with more runs


def test_crashing_candidate_is_isolated_and_blamed_with_its_line():
    spec = spec_of(oneof("act", 3, line=10), oneof("scale", 3, line=11))
    run, seen = runner(fail=lambda d: ("KeyError: 'swish'", 12) if d["act"] == 2 else None)
    report = cover(spec, run, budget=10)
    by_id = {s.id: s for s in report.sites}
    assert by_id["scale"].failures == []
    (failure,) = by_id["act"].failures
    assert failure["candidate"] == "2" and failure["line"] == 12 and failure["confirmed"]
    assert failure["error"] == "KeyError: 'swish'"
    assert [r["purpose"] for r in report.runs] == ["cover", "cover", "cover", "isolate"]


def test_crash_at_a_site_line_is_blamed_without_an_extra_run():
    spec = spec_of(oneof("act", 3, line=10), oneof("scale", 3, line=11))
    run, seen = runner(fail=lambda d: ("NameError: x", 10) if d["act"] == 2 else None)
    report = cover(spec, run, budget=3)
    (failure,) = {s.id: s for s in report.sites}["act"].failures
    assert failure["confirmed"] and len(seen) == 3


def test_failing_defaults_are_a_run_failure_not_a_candidate():
    spec = spec_of(oneof("a", 2))
    run, seen = runner(fail=lambda d: ("ZeroDivisionError: division by zero", 3))
    report = cover(spec, run, budget=5)
    assert report.run_failures and report.run_failures[0]["line"] == 3
    assert [s.failures for s in report.sites if s.id == "a"][0][0]["candidate"] == "1"


# ---- the runner, in a real interpreter --------------------------------------------------------

GENERATED = '''"""doc"""
import glovec.runtime as _gv; _gv.program(__name__, __file__, "prog.py", 2, '{}')
import os
act = _gv.oneof("act", 0, ("relu", "bad"))
def never():
    return _gv.oneof("never.x", 0, (1, 2))
if os.environ.get("GLOVEC_SMOKE") != "1":
    raise SystemExit("not in smoke mode")
if act == "bad":
    raise ValueError("unknown activation")
'''


def test_runner_records_reached_sites_and_maps_the_failing_line(tmp_path):
    src = str(tmp_path / "prog.py")
    ok = run_once(GENERATED, src, {"act": 0}, timeout=60)
    assert (ok.status, ok.reached, ok.error) == ("ok", ["act"], None)
    bad = run_once(GENERATED, src, {"act": 1}, timeout=60)
    assert bad.status == "error" and bad.error == "ValueError: unknown activation"
    assert bad.line == 9  # line 10 of the generated text is line 9 of the original


def test_runner_kills_a_hang_at_the_timeout_and_keeps_what_was_reached(tmp_path):
    code = "import glovec.runtime as _gv\nimport time\nx = _gv.floatv('lr', 0.1)\ntime.sleep(60)\n"
    result = run_once(code, str(tmp_path / "p.py"), {"lr": 0.5}, timeout=1)
    assert result.status == "timeout" and result.reached == ["lr"]
    assert "timed out after 1 s" in result.error


def test_runner_reports_a_process_that_dies(tmp_path):
    code = "import glovec.runtime as _gv\nimport os\nx = _gv.floatv('lr', 0.1)\nos._exit(3)\n"
    result = run_once(code, str(tmp_path / "p.py"), {"lr": 0.5}, timeout=60)
    assert result.status == "error" and "status 3" in result.error and result.reached == ["lr"]
    assert not os.path.exists(tmp_path / "result.json")


def test_a_site_reached_only_under_another_sites_choice_still_gets_its_candidates():
    # `if optimizer == "momentum": beta = ...  # glovec: oneof([...])`: code-level, not in the DNA tree
    spec = spec_of(oneof("optimizer", 2), oneof("beta", 3))

    def run(decisions):
        reached = ["optimizer"] + (["beta"] if decisions["optimizer"] == 1 else [])
        return RunResult("ok", reached)

    report = cover(spec, run, budget=10)
    by_id = {s.id: s for s in report.sites}
    assert by_id["beta"].exercised == {0, 1, 2} and not by_id["beta"].dead
    assert len(report.runs) <= 5
