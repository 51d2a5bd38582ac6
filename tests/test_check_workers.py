"""`glovec check --dynamic`: program arguments after `--`, and --workers (same report as 1)."""

from __future__ import annotations

import json
import threading

import pytest

from glovec.cli import main
from glovec.check.runner import RunResult
from glovec.check.dynamic import cover
from test_check_dynamic import oneof, spec_of  # the same small specs


def check(capsys, *args):
    rc = main(["check", *map(str, args)])
    out, err = capsys.readouterr()
    return rc, out, err


def as_data(report):
    sites = [(s.id, s.reached, s.dead, sorted(s.exercised, key=str), s.failures)
             for s in report.sites]
    runs = [{k: v for k, v in r.items() if k != "seconds"} for r in report.runs]
    return sites, runs, report.run_failures


# Deterministic fake programs: (spec, run(decisions) -> RunResult), each one that makes the plan
# adapt (a site reached only under another's choice, a dead site, crashes that need isolating).
def conditional(d):
    return RunResult("ok", ["optimizer"] + (["beta"] if d["optimizer"] == 1 else []))


def dead(d):
    return RunResult("ok", [k for k in d if k != "dead"])


def crashing(d):
    if d["act"] == 2 or d["scale"] == 1:
        return RunResult("error", list(d), "ValueError: bad", 12)
    return RunResult("ok", list(d))


def nested(d):
    return RunResult("ok", list(d))


CASES = {
    "conditional": (spec_of(oneof("optimizer", 2), oneof("beta", 3)), conditional),
    "dead": (spec_of(oneof("a", 3), oneof("dead", 3)), dead),
    "crashing": (spec_of(oneof("act", 4, line=10), oneof("scale", 3, line=11)), crashing),
    "nested": (spec_of(oneof("opt", 2, children={"1": [oneof("opt[=1].beta", 3)]}), oneof("w", 4)),
               nested),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("budget", [3, 10])
def test_cover_with_workers_gives_the_sequential_report(case, budget):
    spec, run = CASES[case]
    sequential = as_data(cover(spec, run, budget))
    for workers in (2, 3, 5):
        assert as_data(cover(spec, run, budget, workers=workers)) == sequential, workers


def test_cover_with_two_workers_runs_two_at_once():
    # Both runs of the first wave must be inside `run` together, or the barrier breaks.
    barrier = threading.Barrier(2, timeout=10)
    calls = []

    def run(d):
        calls.append(d)
        if len(calls) <= 2:
            barrier.wait()
        return RunResult("ok", list(d))

    report = cover(spec_of(oneof("a", 4), oneof("b", 2)), run, 10, workers=2)
    assert len(report.runs) == 4 and len(calls) == 4


# ---- the command -------------------------------------------------------------------------------

ARGV_PROGRAM = '''import sys
act = "relu"  # glovec: oneof(["relu", "tanh", "swish"])
if act == "swish" and sys.argv[1:] != ["--safe", "x y"]:
    raise ValueError("swish needs --safe, got %r" % (sys.argv[1:],))
print(act)  # glovec: objective
'''


def test_arguments_after_double_dash_reach_every_dynamic_run_of_every_program(capsys, tmp_path):
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    first.write_text(ARGV_PROGRAM)
    second.write_text(ARGV_PROGRAM)
    rc, out, err = check(capsys, first, "--dynamic", "3", "--format", "json")
    (failure,) = json.loads(out)["sites"][0]["failures"]
    assert rc == 1 and failure["error"] == "ValueError: swish needs --safe, got []"
    rc, out, err = check(capsys, first, second, "--dynamic", "3", "--format", "json",
                         "--", "--safe", "x y")
    report = json.loads(out)
    assert rc == 0, err + out
    assert report["findings"] == []
    assert {r["file"] for r in report["runs"]} == {str(first), str(second)}
    assert all(r["status"] == "ok" for r in report["runs"]) and len(report["runs"]) == 6


def test_program_arguments_need_dynamic(capsys, tmp_path):
    src = tmp_path / "a.py"
    src.write_text(ARGV_PROGRAM)
    rc, _, err = check(capsys, src, "--", "--safe")
    assert rc == 2 and "need --dynamic" in err


WORKERS_PROGRAM = '''import sys
act = "relu"  # glovec: oneof(["relu", "tanh", "swish"])
opt = "sgd"  # glovec: oneof(["sgd", "momentum"])
if opt == "momentum":
    beta = 0.9  # glovec: oneof([0.9, 0.99, 0.999])
else:
    beta = 0.0
if act == "swish":
    raise KeyError(act)
def never():
    depth = 2  # glovec: oneof([1, 2])
    return depth
print(beta)  # glovec: objective
'''


def test_workers_two_gives_the_same_json_report_as_one(capsys, tmp_path):
    src = tmp_path / "prog.py"
    src.write_text(WORKERS_PROGRAM)
    reports = []
    for workers in ("1", "2"):
        rc, out, _ = check(capsys, src, "--dynamic", "8", "--workers", workers, "--format", "json")
        report = json.loads(out)
        for run in report["runs"]:
            assert run.pop("seconds") >= 0
        reports.append((rc, report))
    assert reports[0] == reports[1]
    rc, report = reports[0]
    codes = sorted(f["code"] for f in report["findings"])
    assert rc == 1 and codes == ["GV403", "GV404"]  # the dead site and the crashing candidate
    assert [r["purpose"] for r in report["runs"]].count("isolate") >= 1


def test_a_run_started_ahead_and_no_longer_needed_is_killed(tmp_path):
    from glovec.check.runner import run_once

    code = "import glovec.runtime as _gv\nimport time\nx = _gv.floatv('lr', 0.1)\ntime.sleep(60)\n"
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    result = run_once(code, str(tmp_path / "p.py"), {"lr": 0.5}, timeout=60, stop=stop)
    assert result.status == "stopped" and result.seconds < 30
