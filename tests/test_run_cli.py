"""``glovec run``, ``glovec report`` and ``glovec materialize`` through the compiler, in-process."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from conftest import trials_of
from glovec.cli import main

PROGRAM = """\
import argparse
parser = argparse.ArgumentParser()
parser.add_argument("--scale", type=float, default=1.0)
args = parser.parse_args()
width = 32  # glovec: oneof([16, 32, 64])
lr = 0.01  # glovec: floatv(0.001, 0.1, scale="log")
act = "relu"  # glovec: oneof(["relu", "tanh"])
score = (width / 64 + lr * 10 + (act == "tanh")) * args.scale  # glovec: objective
print(f"score {score!r}")
"""


@pytest.fixture
def program(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(PROGRAM)
    return path


def run_ok(capsys, *argv):
    capsys.readouterr()
    status = main(list(argv))
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return captured


def test_run_inline_fills_the_default_study_beside_the_program(program, capsys):
    out = run_ok(capsys, "run", str(program), "--trials", "5", "--seed", "1", "--", "--scale", "2")
    db = program.parent / "model.glovec.db"
    trials = trials_of(db)
    assert [t[1] for t in trials] == ["completed"] * 5
    for _, _, dna, objective in trials:
        d = json.loads(dna)
        width = (16, 32, 64)[d["width"]]
        expected = (width / 64 + d["lr"] * 10 + (d["act"] == 1)) * 2   # --scale 2 reached argparse
        assert objective == pytest.approx(expected)
    assert f"study: {db}" in out.out
    assert "width=" in out.out and "act=" in out.out
    assert program.read_text() == PROGRAM   # the input is never modified


def test_report_json_table_and_plot(program, tmp_path, capsys):
    db = tmp_path / "s.db"
    run_ok(capsys, "run", str(program), "--trials", "6", "--seed", "4", "--study", str(db))
    data = json.loads(run_ok(capsys, "report", str(db), "--json").out)
    trials = data["trials"]
    assert [t["id"] for t in trials] == list(range(1, 7))
    assert {"id", "status", "objective", "decisions"} <= set(trials[0])
    assert set(trials[0]["decisions"]) == {"width", "lr", "act"}
    assert trials[0]["decisions"]["act"] in ('"relu"', '"tanh"')   # candidate text, by site id
    best = max(trials, key=lambda t: t["objective"])
    assert data["best"] == best["id"]

    text = run_ok(capsys, "report", str(db), "--top", "2").out
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if "objective (maximize)" in line)
    rows = lines[header + 1:]
    assert len(rows) == 2 and rows[0].split()[0] == str(best["id"])


def test_report_plot_writes_a_png(program, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    db = tmp_path / "s.db"
    run_ok(capsys, "run", str(program), "--trials", "3", "--seed", "4", "--study", str(db))
    png = tmp_path / "plot.png"
    run_ok(capsys, "report", str(db), "--plot", str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_lists_failed_trials_with_their_error(tmp_path, capsys):
    path = tmp_path / "flaky.py"
    path.write_text(PROGRAM.replace('print(f"score {score!r}")',
                                    'if width == 16:\n    raise RuntimeError("too narrow")\n'
                                    'print(f"score {score!r}")'))
    db = tmp_path / "f.db"
    run_ok(capsys, "run", str(path), "--trials", "8", "--seed", "2", "--study", str(db))
    failed = [t for t in trials_of(db) if t[1] == "failed"]
    assert failed and all(json.loads(t[2])["width"] == 0 for t in failed)
    text = run_ok(capsys, "report", str(db)).out
    assert f"  trial {failed[-1][0]}: RuntimeError: too narrow" in text


def test_report_on_a_missing_study_is_an_input_problem(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope.db")]) == 1
    assert "GV501" in capsys.readouterr().err


def test_materialize_best_runs_without_glovec_and_reproduces_the_objective(program, tmp_path,
                                                                          capsys):
    db = tmp_path / "s.db"
    run_ok(capsys, "run", str(program), "--trials", "8", "--seed", "5", "--study", str(db))
    best = max(trials_of(db), key=lambda t: t[3])
    out_py = tmp_path / "best.py"
    run_ok(capsys, "materialize", str(program), "--best", "--study", str(db), "-o", str(out_py))
    text = out_py.read_text()
    assert "_gv" not in text and "glovec.runtime" not in text
    assert "# glovec: floatv(0.001, 0.1" in text      # still searchable
    # -S: no site-packages, so glovec cannot be imported; the program must not need it
    proc = subprocess.run([sys.executable, "-S", str(out_py)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"score {best[3]!r}\n"


def test_materialize_a_trial_and_a_dna(program, tmp_path, capsys):
    db = tmp_path / "s.db"
    run_ok(capsys, "run", str(program), "--trials", "3", "--seed", "6", "--study", str(db))
    _, _, dna, objective = trials_of(db)[1]
    text = run_ok(capsys, "materialize", str(program), "--trial", "2", "--study", str(db)).out
    d = json.loads(dna)
    assert f"width = {(16, 32, 64)[d['width']]}" in text
    assert f"lr = {d['lr']!r}" in text
    literal = json.dumps({"width": "64", "lr": 0.05, "act": '"tanh"'})
    text = run_ok(capsys, "materialize", str(program), "--dna", literal).out
    assert "width = 64" in text and "lr = 0.05" in text and 'act = "tanh"' in text


def test_materialize_after_the_candidates_changed_writes_the_value_the_trial_ran(program,
                                                                                 tmp_path, capsys):
    db = tmp_path / "s.db"
    run_ok(capsys, "run", str(program), "--trials", "4", "--seed", "3", "--study", str(db))
    _, _, dna, _ = trials_of(db)[0]
    ran = (16, 32, 64)[json.loads(dna)["width"]]
    # the user reorders the candidates and adds one: stored index 0 would now mean 128
    program.write_text(PROGRAM.replace("oneof([16, 32, 64])", "oneof([128, 64, 32, 16])"))
    captured = run_ok(capsys, "materialize", str(program), "--trial", "1", "--study", str(db))
    assert f"width = {ran}  # glovec: oneof([128, 64, 32, 16])" in captured.out
    assert "changed: width" in captured.err and "matched to it by value" in captured.err
    # the value the trial ran is gone: refused, naming the site, nothing written
    others = [w for w in (16, 32, 64) if w != ran]
    program.write_text(PROGRAM.replace("oneof([16, 32, 64])", f"oneof({others})"))
    out_py = tmp_path / "t1.py"
    assert main(["materialize", str(program), "--trial", "1", "--study", str(db),
                 "-o", str(out_py)]) == 1
    err = capsys.readouterr().err
    assert "GV503" in err and "changed: width" in err and "trial 1" in err
    assert not out_py.exists()


def test_materialize_defaults_gives_back_the_input_byte_for_byte(tmp_path, capsys):
    path = tmp_path / "crlf.py"
    path.write_bytes(PROGRAM.replace("\n", "\r\n").encode())
    out_py = tmp_path / "same.py"
    run_ok(capsys, "materialize", str(path), "--defaults", "-o", str(out_py))
    assert out_py.read_bytes() == path.read_bytes()


def test_materialize_usage_errors(program, capsys):
    assert main(["materialize", str(program)]) == 2
    assert main(["materialize", str(program), "--defaults", "--best"]) == 2
    assert main(["materialize", str(program), "--defaults", "-o", str(program)]) == 2
    assert program.read_text() == PROGRAM
    assert main(["materialize", str(program), "--dna", '{"width": 7}']) == 1
    assert "width" in capsys.readouterr().err


def test_resume_with_a_changed_space_names_the_sites_and_migrate_keeps_fitting_trials(
        program, tmp_path, capsys):
    db = tmp_path / "s.db"
    run_ok(capsys, "run", str(program), "--trials", "4", "--seed", "7", "--study", str(db))
    before = {t[0]: t for t in trials_of(db)}
    # a new site, and "relu"/"tanh" widened with a third candidate
    program.write_text(PROGRAM.replace('oneof(["relu", "tanh"])', 'oneof(["relu", "tanh", "gelu"])')
                       .replace("args = parser.parse_args()\n",
                                "args = parser.parse_args()\ndepth = 2  # glovec: intv(1, 4)\n"))
    capsys.readouterr()
    assert main(["run", str(program), "--trials", "6", "--study", str(db), "--resume"]) == 1
    err = capsys.readouterr().err
    assert "GV503" in err and "added: depth" in err and "changed: act" in err
    assert trials_of(db) == list(before.values())   # nothing touched

    run_ok(capsys, "run", str(program), "--trials", "6", "--study", str(db), "--resume",
           "--migrate")
    after = trials_of(db)
    assert len(after) == 6 and all(t[1] == "completed" for t in after)
    for tid, old in before.items():   # every old trial fits: kept, decisions by site id
        new = json.loads(after[tid - 1][2])
        assert new["depth"] == 2 and {k: new[k] for k in ("width", "lr", "act")} == \
            json.loads(old[2])
        assert after[tid - 1][3] == old[3]


def test_run_reports_program_errors_as_diagnostics(tmp_path, capsys):
    bad = tmp_path / "bad.py"
    bad.write_text('x = 5  # glovec: oneof([1, 2, 3])\n')   # the default is not a candidate
    assert main(["run", str(bad), "--trials", "1"]) == 1
    err = capsys.readouterr().err
    assert err == f"{bad}:1:5: GV112 the program's value 5 is not one of the candidates (1, 2, 3)\n"
    assert not (tmp_path / "bad.glovec.db").exists()


def test_run_gpus_without_a_gpu_says_so(program, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    status = main(["run", str(program), "--trials", "1", "--study", str(tmp_path / "g.db"),
                   "--executor", "process", "--gpus-per-trial", "1"])
    assert status == 2
    assert "GPU" in capsys.readouterr().err


def test_grid_over_class_body_sites_runs_every_candidate_in_its_trial(tmp_path, capsys):
    """fixtures/convert/class_body: sites whose candidates use the class's own names (chosen in
    place, not in lambdas) take each decision inside a trial."""
    from pathlib import Path

    case = Path(__file__).resolve().parent.parent / "fixtures" / "convert" / "class_body"
    path = tmp_path / "model.py"
    path.write_bytes((case / "input.py").read_bytes())
    db = tmp_path / "s.db"
    out = run_ok(capsys, "run", str(path), "--algorithm", "grid", "--trials", "48", "--study", str(db))
    trials = trials_of(db)
    assert len(trials) == 48 and {t[1] for t in trials} == {"completed"}
    seen: dict = {}
    for _, _, dna, objective in trials:
        d = json.loads(dna)
        for site, value in d.items():
            seen.setdefault(site, set()).add(value)
        width = (64, 128)[d["Config.width"]]
        span = (72, 56)[d["Config.span"]]
        depth = (2, 4)[d["Config.layers.depth"]]
        assert objective == width + span + depth
    assert seen == {"Config.width": {0, 1}, "Config.act": {0, 1}, "Config.block": {0, 1},
                    "Config.block[=0].conv.width": {0, 1}, "Config.span": {0, 1},
                    "Config.layers.depth": {0, 1}}
    printed = {line.split()[2] for line in out.out.splitlines() if line[:3] in ("64 ", "128")}
    assert printed == {"conv64", "conv32", "skip"}
    assert path.read_bytes() == (case / "input.py").read_bytes()


@pytest.mark.parametrize("argv, said", [
    (["--gpus-per-trial", "0.5"], "a fraction of a GPU needs --executor ray"),
    (["--workers", "2", "--cpus-per-trial", "2"], "--cpus-per-trial only apply to --executor ray"),
    (["--resources", '{"TPU": 1}'], "--resources only apply to --executor ray"),
    (["--executor", "ray", "--resources", "[1]"], "--resources needs a JSON object"),
    (["--executor", "ray", "--resources", "{TPU"], "--resources is not JSON"),
    (["--executor", "ray", "--ray-runtime-env", "3"], "--ray-runtime-env needs a JSON object"),
])
def test_cluster_flags_that_cannot_apply_say_why(program, capsys, argv, said):
    status = main(["run", str(program), "--trials", "1", *argv])
    err = capsys.readouterr().err
    assert status == 2 and said in err
    assert not (program.parent / "model.glovec.db").exists() or trials_of(
        program.parent / "model.glovec.db") == []


def test_report_by_node_of_a_study_run_here(program, capsys):
    run_ok(capsys, "run", str(program), "--trials", "3", "--seed", "2")
    out = run_ok(capsys, "report", str(program.parent / "model.glovec.db"), "--by-node")
    assert "(this machine)" in out.out and "  3  " in out.out
    out = run_ok(capsys, "report", str(program.parent / "model.glovec.db"), "--json")
    assert {(t["node"], t["attempts"]) for t in json.loads(out.out)["trials"]} == {(None, 1)}


def test_without_algorithm_the_space_chooses_and_the_first_line_says_so(program, tmp_path, capsys):
    err = run_ok(capsys, "run", str(program), "--trials", "3", "--seed", "0", "--study", str(tmp_path / "a.db")).err
    assert err.splitlines()[0] == ("glovec: searching with tpe, the default for this space (1 of its 3 "
                                   "decisions is a number); --algorithm random for random search")
    err = run_ok(capsys, "run", str(program), "--trials", "3", "--seed", "0", "--algorithm", "random",
                 "--study", str(tmp_path / "b.db")).err
    assert "searching with" not in err
    help_text = run_ok(capsys, "run", "--help").out
    assert "chosen from the space" in " ".join(help_text.split())


def test_default_for_several_objectives_is_nsga2():
    from glovec.runtime.algorithms import choose_default
    from glovec.runtime.geno import DNASpec

    sites = [{"id": "a", "kind": "oneof", "candidates": ["1", "2"]}]
    two = DNASpec.from_space_doc({"sites": sites, "objective": [{"direction": "maximize"}, {"direction": "minimize"}]})
    assert choose_default(two)[0] == "nsga2"
    assert choose_default(DNASpec.from_space_doc({"sites": sites}))[1] == "its one decision is categorical"
