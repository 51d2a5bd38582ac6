"""The golden cases of fixtures/convert: up to date, minimal, parseable, and default-equivalent.

- the golden files are what `scripts/regen-fixtures` writes, byte for byte (CI "regenerates and
  fails on a diff");
- `glovec diff` on each case changes only the header and the lines that hold sites;
- every generated program parses, keeps every line (line N of the input is line N+1), and, run
  outside a trial, prints exactly what the original prints;
- `glovec space` sizes the space without running the program.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from glovec.cli import main
from glovec.compiler import compile_source

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "fixtures" / "convert"
ALL = sorted(p.parent.name for p in CASES.glob("*/input.py"))
GOOD = [c for c in ALL if (CASES / c / "expected.py").exists()]
BAD = [c for c in ALL if (CASES / c / "expected.txt").exists()]
HEAVY = ["keras_mlp_digits", "keras_cnn", "torch_loop", "sklearn_pipeline"]  # TF / torch / sklearn
LIGHT = [c for c in GOOD if c not in HEAVY]


def test_there_are_enough_cases_of_each_kind():
    assert len(GOOD) >= 15 and len(BAD) >= 15
    assert set(GOOD) | set(BAD) == set(ALL) and not set(GOOD) & set(BAD)


def test_golden_files_are_what_regen_writes(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scripts" / "regen-fixtures"), "--into", str(tmp_path)],
                   check=True, cwd=ROOT)
    for case in ALL:
        for name in ("expected.py", "expected_space.json", "expected.txt"):
            golden, fresh = CASES / case / name, tmp_path / case / name
            assert golden.exists() == fresh.exists(), f"{case}/{name}"
            if golden.exists():
                assert golden.read_bytes() == fresh.read_bytes(), \
                    f"{case}/{name} is stale: run scripts/regen-fixtures and review the diff"


def _site_lines(case: str) -> set[int]:
    """The lines a site or marker of the case's input covers (its value's lines)."""
    result = compile_source((CASES / case / "input.py").read_bytes(), "input.py")
    text = (CASES / case / "input.py").read_bytes().decode("utf-8")
    lines: set[int] = set()
    for top in result.sites + result.markers:
        for site in top.walk():
            if site.start is not None:
                first = text.count("\n", 0, site.start) + 1
                last = text.count("\n", 0, site.end) + 1
                lines.update(range(first, last + 1))
    return lines


def _changed_lines(diff: str) -> tuple[set[int], set[int]]:
    """(input lines removed, output lines added) of a unified diff."""
    removed, added = set(), set()
    old = new = 0
    for line in diff.splitlines():
        hunk = re.match(r"@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@", line)
        if hunk:
            old, new = int(hunk.group(1)), int(hunk.group(2))
        elif line.startswith(("---", "+++", "\\")):
            continue
        elif line.startswith("-"):
            removed.add(old)
            old += 1
        elif line.startswith("+"):
            added.add(new)
            new += 1
        else:
            old += 1
            new += 1
    return removed, added


@pytest.mark.parametrize("case", GOOD)
def test_diff_changes_only_site_lines_and_the_header(case, capsys, monkeypatch):
    monkeypatch.chdir(CASES / case)
    assert main(["diff", "input.py"]) == 0
    out = capsys.readouterr().out
    removed, added = _changed_lines(out)
    header = next(i for i, line in enumerate((CASES / case / "expected.py").read_text(
        encoding="utf-8").splitlines(), 1) if line.startswith("import glovec.runtime as _gv;"))
    sites = _site_lines(case)
    assert removed <= sites
    assert added == {header} | {line + 1 if line >= header else line for line in removed}
    assert not (CASES / case / "input_search.py").exists()   # --diff writes nothing


@pytest.mark.parametrize("case", GOOD)
def test_generated_program_parses_and_keeps_every_line(case):
    source = (CASES / case / "input.py").read_bytes().decode("utf-8")
    generated = (CASES / case / "expected.py").read_bytes().decode("utf-8")
    ast.parse(generated)
    before, after = source.splitlines(keepends=True), generated.splitlines(keepends=True)
    assert len(after) == len(before) + 1
    header = next(i for i, line in enumerate(after) if line.startswith("import glovec.runtime as _gv;"))
    assert after[:header] == before[:header]
    sites = _site_lines(case)
    for number, (old, new) in enumerate(zip(before[header:], after[header + 1:]), header + 1):
        assert old == new or number in sites, f"line {number} changed: {old!r} -> {new!r}"
        assert _ending(old) == _ending(new)   # line endings kept (CRLF too)


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")):]


def _run(path: Path, run_name: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(path), run_name=run_name)
    return out.getvalue()


@pytest.mark.parametrize("case", LIGHT)
def test_outside_a_trial_the_generated_program_prints_what_the_original_prints(case, tmp_path, monkeypatch):
    monkeypatch.setenv("GLOVEC_FIXTURE_SENTINEL", str(tmp_path / "executed"))
    monkeypatch.chdir(CASES / case)
    original = _run(CASES / case / "input.py", "__main__")
    # imported (not __main__): the header returns at once, every site yields its default
    assert _run(CASES / case / "expected.py", f"fixture_{case}") == original
    # run as a script with GLOVEC_DEFAULTS=1: same
    monkeypatch.setenv("GLOVEC_DEFAULTS", "1")
    assert _run(CASES / case / "expected.py", "__main__") == original
    assert not list((CASES / case).glob("*.glovec.db"))


_BOTH = """
import contextlib, io, json, runpy, sys
outputs = {}
for case, path in json.loads(sys.argv[1]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(path, run_name="__main__")
    outputs.setdefault(case, []).append(out.getvalue())
print(json.dumps(outputs))
"""


@pytest.mark.slow
@pytest.mark.tf
@pytest.mark.torch
def test_heavy_fixtures_print_what_the_original_prints():
    """Keras, PyTorch and scikit-learn cases: the original and the generated program, one
    interpreter (each imports TensorFlow/torch once), the generated one with GLOVEC_DEFAULTS=1."""
    for module in ("keras", "torch", "sklearn"):
        pytest.importorskip(module)
    runs = [(c, str(CASES / c / name)) for c in HEAVY for name in ("input.py", "expected.py")]
    env = {**os.environ, "GLOVEC_DEFAULTS": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
    done = subprocess.run([sys.executable, "-c", _BOTH, json.dumps(runs)], capture_output=True,
                          text=True, env=env, timeout=900, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    outputs = json.loads(done.stdout.strip().splitlines()[-1])
    for case in HEAVY:
        original, generated = outputs[case]
        assert original and generated == original, case


def test_space_is_sized_without_running_the_program(tmp_path, capsys, monkeypatch):
    sentinel = tmp_path / "executed"
    monkeypatch.setenv("GLOVEC_FIXTURE_SENTINEL", str(sentinel))
    shutil.copy(CASES / "never_executed" / "input.py", tmp_path / "model.py")
    monkeypatch.chdir(tmp_path)
    assert main(["space", "model.py", "--json"]) == 0
    space = json.loads(capsys.readouterr().out)
    assert space["size"] == 12 and [s["id"] for s in space["sites"]] == ["width", "depth"]
    assert main(["space", "model.py"]) == 0
    assert "size: 12" in capsys.readouterr().out
    assert main(["convert", "model.py"]) == 0
    assert not sentinel.exists() and not (tmp_path / "EXECUTED").exists()
    # and the program really does write the file when it runs
    subprocess.run([sys.executable, "model.py"], check=True, capture_output=True, cwd=tmp_path)
    assert sentinel.exists()


@pytest.mark.parametrize("case, size", [("nasbench201_cell", 5 ** 6), ("repeat_loop", 3 ** 3 * 2 ** 3),
                                        ("conditional", 3 + 3 + 2), ("manyof_permutate", 12 * 6 * 3),
                                        ("keras_mlp_digits", None)])
def test_space_sizes(case, size):
    space = json.loads((CASES / case / "expected_space.json").read_text())
    assert space["size"] == size


@pytest.mark.parametrize("case", GOOD)
def test_convert_writes_the_golden_program_and_space(case, tmp_path, capsys, monkeypatch):
    for name in ("input.py", "expected.py", "expected_space.json"):
        shutil.copy(CASES / case / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    assert main(["convert", "input.py"]) == 0
    assert (tmp_path / "input_search.py").read_bytes() == (tmp_path / "expected.py").read_bytes()
    assert (tmp_path / "input.py").read_bytes() == (CASES / case / "input.py").read_bytes()
    assert main(["convert", "input.py", "--check"]) == 0
    capsys.readouterr()
    assert main(["space", "input.py", "--json"]) == 0
    assert capsys.readouterr().out == (tmp_path / "expected_space.json").read_text()


@pytest.mark.parametrize("case", BAD)
def test_bad_input_prints_its_diagnostics_and_writes_nothing(case, tmp_path, capsys, monkeypatch):
    shutil.copy(CASES / case / "input.py", tmp_path / "input.py")
    monkeypatch.chdir(tmp_path)
    assert main(["convert", "input.py"]) == 1
    captured = capsys.readouterr()
    assert captured.err == (CASES / case / "expected.txt").read_text(encoding="utf-8")
    assert "Traceback" not in captured.err and captured.out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.py"]
    assert (tmp_path / "input.py").read_bytes() == (CASES / case / "input.py").read_bytes()
    assert main(["space", "input.py"]) == 1
