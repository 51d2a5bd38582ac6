"""A search runs on unmodified realistic scripts through the presets (small data, few trials).

Keras: `glovec run --rules keras --objective val_accuracy` (the objective comes from
model.fit's history). PyTorch: a rules file that extends the pytorch preset and marks the
script's validation accuracy as the objective. Then `glovec materialize --best` writes the
best trial back as plain Python, changed only on the sites' lines.
"""

from __future__ import annotations

import ast
import difflib
import json
from pathlib import Path

import pytest

from glovec.cli import main
from glovec.compiler import compile_source

REALISTIC = Path(__file__).resolve().parent.parent / "fixtures" / "realistic"


def _search(tmp_path, capsys, monkeypatch, script: str, rules: str, *extra: str) -> dict:
    monkeypatch.setenv("GLOVEC_SMOKE", "1")
    monkeypatch.chdir(tmp_path)
    src = str(REALISTIC / script)
    db = str(tmp_path / "study.db")
    status = main(["run", src, "--rules", rules, "--trials", "2", "--seed", "3", "--study", db,
                   *extra])
    captured = capsys.readouterr()
    assert status == 0, captured.err[-3000:]
    assert main(["report", db, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    space = compile_source((REALISTIC / script).read_bytes(), src, rules=rules).space_doc
    site_ids = {s["id"] for s in space["sites"]}
    trials = report["trials"]
    assert [t["status"] for t in trials] == ["completed", "completed"], captured.err[-3000:]
    assert all(set(t["decisions"]) == site_ids for t in trials)
    assert all(0.0 <= t["objective"] <= 1.0 for t in trials)

    assert main(["materialize", src, "--rules", rules, "--best", "--study", db]) == 0
    best = capsys.readouterr().out
    ast.parse(best)
    original = (REALISTIC / script).read_text()
    site_lines = {s["line"] for s in space["sites"]}
    changed = {i + 1 for i, (a, b) in enumerate(zip(original.splitlines(), best.splitlines()))
               if a != b}
    assert len(best.splitlines()) == len(original.splitlines())
    assert changed <= site_lines, "".join(difflib.unified_diff(
        original.splitlines(True), best.splitlines(True)))
    return report


@pytest.mark.slow
@pytest.mark.tf
def test_keras_preset_search(tmp_path, capsys, monkeypatch):
    pytest.importorskip("keras")
    _search(tmp_path, capsys, monkeypatch, "keras_sequential_digits.py", "keras",
            "--objective", "val_accuracy")


@pytest.mark.slow
@pytest.mark.torch
def test_pytorch_preset_search(tmp_path, capsys, monkeypatch):
    pytest.importorskip("torch")
    rules = tmp_path / "rules.toml"
    rules.write_text('extends = "pytorch"\n\n[[rule]]\nassign = "val_acc"\nvalues = "objective"\n')
    _search(tmp_path, capsys, monkeypatch, "torch_mlp_digits.py", str(rules))


@pytest.mark.slow
@pytest.mark.torch
def test_converted_with_a_preset_runs_like_the_original(tmp_path):
    """Outside a search (GLOVEC_DEFAULTS=1) the converted program prints what the original does."""
    import os
    import subprocess
    import sys

    pytest.importorskip("torch")
    script = REALISTIC / "torch_argparse_iris.py"
    out = tmp_path / "iris_search.py"
    assert main(["convert", str(script), "--rules", "pytorch", "-o", str(out)]) == 0
    env = {**os.environ, "GLOVEC_SMOKE": "1", "GLOVEC_DEFAULTS": "1"}
    original = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                              env=env, timeout=300)
    converted = subprocess.run([sys.executable, str(out)], capture_output=True, text=True,
                               env=env, timeout=300)
    assert original.returncode == converted.returncode == 0, converted.stderr[-2000:]
    assert converted.stdout == original.stdout and "validation accuracy" in original.stdout
