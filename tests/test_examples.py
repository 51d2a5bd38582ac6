"""The real examples: they run plainly, convert to the expected sites, and search for real.

The scikit-learn pipeline is searched with the process executor in every run of the suite (a few
seconds); the PyTorch and Keras searches are marked slow. GLOVEC_SMOKE=1 shrinks the epochs.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from glovec.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ACCURACY = re.compile(r"accuracy: (\d\.\d{4})")


def space(path: Path, capsys) -> dict:
    capsys.readouterr()
    assert main(["space", str(path), "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def report(study: Path, capsys) -> list[dict]:
    capsys.readouterr()
    assert main(["report", str(study), "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)["trials"]


def run_plain(path: Path, cwd: Path) -> float:
    out = subprocess.run([sys.executable, str(path)], cwd=cwd, capture_output=True, text=True,
                         env={**os.environ, "GLOVEC_SMOKE": "1"}, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return float(ACCURACY.search(out.stdout).group(1))


@pytest.mark.parametrize("name, kinds", [
    ("sklearn_pipeline.py", ["oneof", "floatv", "oneof"]),
    ("digits_keras.py", ["oneof", "oneof", "oneof", "floatv", "oneof"]),
    ("torch_digits.py", ["oneof", "oneof", "oneof", "floatv", "oneof", "oneof"]),
])
def test_examples_convert_to_the_marked_sites_only(name, kinds, capsys):
    path = EXAMPLES / name
    found = space(path, capsys)
    assert sorted(s["kind"] for s in found["sites"]) == sorted(kinds)
    assert found.get("size") is None  # each has a floatv: an infinite space
    capsys.readouterr()
    assert main(["convert", str(path), "-o", "-"]) == 0, capsys.readouterr().err
    generated = capsys.readouterr().out
    original = path.read_text()
    changed = [line for line in difflib.ndiff(original.splitlines(), generated.splitlines())
               if line[:2] in ("- ", "+ ")]
    removed = [line[2:] for line in changed if line.startswith("- ")]
    added = [line[2:] for line in changed if line.startswith("+ ")]
    assert all("# glovec:" in line for line in removed)  # only marked lines changed...
    assert len(added) == len(removed) + 1 and sum("_gv.program(" in line for line in added) == 1
    assert generated.count("\n") == original.count("\n") + 1  # ...plus the one header line


def test_sklearn_example_searched_with_two_process_workers(tmp_path, capsys):
    pytest.importorskip("sklearn")
    study = tmp_path / "pipeline.glovec.db"
    status = main(["run", str(EXAMPLES / "sklearn_pipeline.py"), "--trials", "4", "--seed", "0",
                   "--executor", "process", "--workers", "2", "--study", str(study)])
    assert status == 0, capsys.readouterr().err
    trials = report(study, capsys)
    assert [t["status"] for t in trials] == ["completed"] * 4
    assert all(0.5 < t["objective"] <= 1.0 for t in trials)
    assert len({json.dumps(t["decisions"], sort_keys=True) for t in trials}) == 4


@pytest.mark.torch
@pytest.mark.slow
def test_torch_example_reports_every_epoch(tmp_path, capsys, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setenv("GLOVEC_SMOKE", "1")
    study = tmp_path / "torch.glovec.db"
    status = main(["run", str(EXAMPLES / "torch_digits.py"), "--trials", "2", "--seed", "1",
                   "--executor", "process", "--workers", "2", "--study", str(study)])
    assert status == 0, capsys.readouterr().err
    from glovec.runtime.study import Study

    with Study.load(study) as s:
        done = s.trials("completed")
        assert len(done) == 2
        for t in done:
            assert [step for step, _ in s.reports(t.id)] == [0, 1, 2]
            assert t.objective == s.reports(t.id)[-1][1]


@pytest.mark.tf
@pytest.mark.slow
def test_keras_digits_search_then_the_materialized_best_reproduces_it(tmp_path, capsys, monkeypatch):
    """The README's main job, shrunk: 2 trials with the process executor (+ --objective's callback),
    then the best trial as plain code, which runs without glovec and prints the same accuracy."""
    pytest.importorskip("keras")
    monkeypatch.setenv("GLOVEC_SMOKE", "1")
    study = tmp_path / "digits.glovec.db"
    status = main(["run", str(EXAMPLES / "digits_keras.py"), "--trials", "2", "--seed", "3",
                   "--executor", "process", "--workers", "2", "--study", str(study),
                   "--objective", "val_accuracy"])
    assert status == 0, capsys.readouterr().err
    from glovec.runtime.study import Study

    with Study.load(study) as s:
        done = s.trials("completed")
        assert len(done) == 2
        for t in done:  # the injected callback reported each of the 2 epochs
            assert [step for step, _ in s.reports(t.id)] == [0, 1]
            assert t.metrics["val_accuracy"] == t.objective
        best = s.best(1)[0]
    best_py = tmp_path / "digits_best.py"
    capsys.readouterr()
    assert main(["materialize", str(EXAMPLES / "digits_keras.py"), "--best", "--study", str(study),
                 "-o", str(best_py)]) == 0, capsys.readouterr().err
    text = best_py.read_text()
    assert "_gv" not in text and "import glovec" not in text
    assert run_plain(best_py, tmp_path) == round(best.objective, 4)


def test_the_examples_pass_glovec_check(capsys):
    # our own examples are what users copy: no hard-coded hyper-parameter left unsearched
    pytest.importorskip("nbformat")  # the folder holds a notebook (the `notebook` extra)
    pytest.importorskip("IPython")
    status = main(["check", str(EXAMPLES)])
    assert status == 0, capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize("name, framework", [
    pytest.param("nas_cell_torch.py", "torch", marks=pytest.mark.torch),
    pytest.param("nas_cell_keras.py", "keras", marks=pytest.mark.tf),
])
def test_nas_cell_per_trial_and_one_shot_on_the_same_file(name, framework, tmp_path, capsys, monkeypatch):
    """The cell examples (PyTorch, Keras): a per-trial search and a one-shot search of the same
    unmodified file, then the one-shot pick as plain code that trains it alone."""
    pytest.importorskip(framework)
    monkeypatch.setenv("GLOVEC_SMOKE", "1")
    path = EXAMPLES / name
    assert space(path, capsys)["size"] == 5 ** 6
    per_trial, one_shot = tmp_path / "trials.db", tmp_path / "oneshot.db"
    assert main(["run", str(path), "--trials", "2", "--seed", "0", "--study", str(per_trial)]) == 0
    assert all(not t["estimate"] for t in report(per_trial, capsys))
    assert main(["run", str(path), "--one-shot", "spos", "--trials", "6", "--seed", "0",
                 "--study", str(one_shot)]) == 0, capsys.readouterr().err
    trials = report(one_shot, capsys)
    estimates = [t for t in trials if t["estimate"]]
    finals = [t for t in trials if not t["estimate"]]  # the 2 best and the program's own, alone
    assert len(estimates) == 6 and all(0 <= t["objective"] <= 1 for t in estimates)
    assert len(finals) in (2, 3) and all(t["metrics"]["glovec.finalist"] == "spos" for t in finals)
    best = max(finals, key=lambda t: t["objective"])
    best_py = tmp_path / "cell_best.py"
    assert main(["materialize", str(path), "--best", "--study", str(one_shot), "-o", str(best_py)]) == 0
    assert "_gv" not in best_py.read_text()
    # Trained alone without glovec, the pick gets the accuracy its finalist trial recorded.
    assert run_plain(best_py, tmp_path) == round(best["objective"], 4)


@pytest.mark.torch
def test_nas_mlp_torch_shares_its_widths_one_shot(tmp_path, capsys, monkeypatch):
    """The PyTorch MLP example: its two widths and its activation are searched on one supernet
    (width sharing), and the pick, as plain code, trains to the accuracy its finalist recorded."""
    pytest.importorskip("torch")
    monkeypatch.setenv("GLOVEC_SMOKE", "1")
    path = EXAMPLES / "nas_mlp_torch.py"
    study = tmp_path / "mlp.db"
    assert main(["run", str(path), "--one-shot", "spos", "--trials", "8", "--seed", "0",
                 "--study", str(study)]) == 0
    err = capsys.readouterr().err
    assert "one-shot spos: 3 site(s) searched, 0 fixed" in err
    assert re.search(r"build_model.width_1 +searched, width sharing \(5 widths; 3 layer", err), err
    trials = report(study, capsys)
    finals = [t for t in trials if not t["estimate"]]
    assert len([t for t in trials if t["estimate"]]) == 8 and len(finals) in (2, 3)
    best = max(finals, key=lambda t: t["objective"])
    best_py = tmp_path / "mlp_best.py"
    assert main(["materialize", str(path), "--best", "--study", str(study), "-o", str(best_py)]) == 0
    assert run_plain(best_py, tmp_path) == round(best["objective"], 4)
