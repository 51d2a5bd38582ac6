"""`glovec check` end to end on the fixtures under fixtures/check/, in every output format."""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from glovec.cli import main

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "fixtures" / "check"
FORMATS = ["text", "json", "junit", "github"]


def check(capsys, *args):
    rc = main(["check", *map(str, args)])
    out, err = capsys.readouterr()
    return rc, out, err


def program(case: str) -> str:
    return str(CASES / case / "program.py")


def findings_in(fmt: str, out: str, err: str) -> list[tuple[str, int, str]]:
    """(code, line, message) of every finding, read back from the format's own syntax."""
    if fmt == "text":
        found = []
        for line in err.splitlines():
            where, _, rest = line.partition(": ")
            code, _, message = rest.partition(" ")
            found.append((code, int(where.split(":")[-2]), message))
        return found
    if fmt == "json":
        return [(f["code"], f["line"], f["message"]) for f in json.loads(out)["findings"]]
    if fmt == "junit":
        root = ET.fromstring(out)
        found = []
        for case in root.iter("testcase"):
            for failure in case.findall("failure"):
                for rendered in failure.text.splitlines():
                    where, _, rest = rendered.partition(": ")
                    code, _, message = rest.partition(" ")
                    found.append((code, int(where.split(":")[-2]), message))
        return found
    found = []
    for line in out.splitlines():
        if line.startswith(("::error ", "::warning ")):
            props, _, message = line.split(" ", 1)[1].partition("::")
            fields = dict(p.split("=", 1) for p in props.split(","))
            found.append((fields["title"], int(fields["line"]), message.split(" ", 1)[1]))
    return found


# ---- static -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_unmarked_dense_is_reported_with_its_line_in_every_format(capsys, fmt):
    rc, out, err = check(capsys, program("unmarked_dense"), "--format", fmt)
    assert rc == 1
    found = findings_in(fmt, out, err)
    assert [(code, line) for code, line, _ in found] == [("GV401", 10)]
    assert "Dense.units is the literal 64" in found[0][2]
    if fmt == "github":
        assert out.startswith(f"::error file={program('unmarked_dense')},line=10,col=22,title=GV401::")


def test_unmarked_dense_json_lists_every_hyper_parameter_literal(capsys):
    rc, out, _ = check(capsys, program("unmarked_dense"), "--format", "json")
    report = json.loads(out)
    statuses = {(h["line"], h["name"]): h["status"] for h in report["hyperparameters"]}
    assert statuses == {
        (9, "Dense.units"): "searched",
        (10, "Dense.units"): "uncovered",
        (17, "Adam.learning_rate"): "fixed",
        (18, "fit.epochs"): "fixed",
        (18, "fit.batch_size"): "fixed",
    }
    assert report["mode"] == "static" and report["exit"] == 1
    assert report["coverage"]["candidates"] is None
    assert all(s["reached"] is None for s in report["sites"])


def test_allow_list_on_the_command_line_and_in_pyproject(capsys, tmp_path):
    rc, _, err = check(capsys, program("unmarked_dense"), "--allow", "lr,Dense.units")
    assert (rc, err) == (0, "")
    shutil.copy(program("unmarked_dense"), tmp_path / "model.py")
    (tmp_path / "pyproject.toml").write_text('[tool.glovec.check]\nallow = ["units"]\n')
    rc, _, err = check(capsys, tmp_path / "model.py")
    assert (rc, err) == (0, "")


def test_static_mode_never_executes_the_program(capsys, tmp_path, monkeypatch):
    sentinel = tmp_path / "executed"
    monkeypatch.setenv("GLOVEC_CHECK_SENTINEL", str(sentinel))
    for fmt in FORMATS:
        rc, _, _ = check(capsys, program("leaves_file"), "--format", fmt)
        assert rc == 0
    assert not sentinel.exists()
    # The same fixture does leave its file behind when it runs, so the check above can fail.
    rc, _, _ = check(capsys, program("leaves_file"), "--dynamic", "1")
    assert rc == 0 and sentinel.read_text() == "executed\n"


def test_missing_objective_is_a_warning_that_fails_only_when_strict(capsys, tmp_path):
    src = tmp_path / "model.py"
    src.write_text('width = 8  # glovec: oneof([4, 8])\nprint(width)\n')
    rc, _, err = check(capsys, src)
    assert rc == 0 and f"{src}:1:1: GV402 no objective is marked" in err
    rc, _, _ = check(capsys, src, "--strict")
    assert rc == 1


# ---- dynamic ------------------------------------------------------------------------------

DYNAMIC = [
    ("dead_branch", "GV403", 8, "depth"),
    ("never_called", "GV403", 5, "make_schedule.warmup"),
    ("crashing_candidate", "GV404", 12, "act"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case, code, line, site", DYNAMIC)
def test_dynamic_findings_with_their_line_in_every_format(capsys, fmt, case, code, line, site):
    rc, out, err = check(capsys, program(case), "--dynamic", "6", "--timeout", "60", "--format", fmt)
    assert rc == 1
    found = findings_in(fmt, out, err)
    assert [(c, n) for c, n, _ in found] == [(code, line)]
    assert f" {site} " in found[0][2]
    if fmt == "junit":
        (case_el,) = [c for c in ET.fromstring(out).iter("testcase") if c.get("name") == site]
        assert case_el.find("failure").get("type") == code


def test_dynamic_json_reports_reached_sites_candidates_and_failures(capsys):
    rc, out, _ = check(capsys, program("crashing_candidate"), "--dynamic", "6", "--format", "json")
    report = json.loads(out)
    sites = {s["id"]: s for s in report["sites"]}
    act = sites["act"]
    assert (act["reached"], act["candidates_exercised"], act["candidates_total"]) == (True, 3, 3)
    assert [(f["candidate"], f["line"], f["error"]) for f in act["failures"]] == [
        ('"swish"', 12, "KeyError: 'swish'")]
    assert sites["scale"]["failures"] == []
    assert report["coverage"]["sites"] == 1.0 and report["coverage"]["candidates"] == 1.0
    assert len(report["runs"]) <= 6

    rc, out, _ = check(capsys, program("dead_branch"), "--dynamic", "6", "--format", "json")
    sites = {s["id"]: s for s in json.loads(out)["sites"]}
    assert sites["depth"]["reached"] is False and sites["depth"]["candidates_exercised"] == 0
    assert sites["width"]["reached"] is True and sites["width"]["candidates_exercised"] == 3


def test_dynamic_runs_in_smoke_mode(capsys, tmp_path):
    src = tmp_path / "model.py"
    src.write_text('import os\n'
                   'width = 8  # glovec: oneof([4, 8])\n'
                   'assert os.environ["GLOVEC_SMOKE"] == "1", "not a smoke run"\n'
                   'print(width)  # glovec: objective\n')
    rc, _, err = check(capsys, src, "--dynamic", "2")
    assert (rc, err) == (0, "")


def test_a_run_past_the_timeout_fails_its_candidate(capsys, tmp_path):
    src = tmp_path / "model.py"
    src.write_text('import time\n'
                   'pause = 0  # glovec: oneof([0, 30])\n'
                   'time.sleep(pause)\n'
                   'print(pause)  # glovec: objective\n')
    rc, _, err = check(capsys, src, "--dynamic", "2", "--timeout", "1")
    assert rc == 1 and "GV404 candidate 30 of site pause fails: timed out after 1 s" in err


# ---- coverage threshold -------------------------------------------------------------------


@pytest.mark.parametrize("threshold, expected", [("0.8", 0), ("85%", 0), ("0.9", 1), ("100%", 1)])
def test_min_coverage_applies_to_candidates_in_dynamic_mode(capsys, threshold, expected):
    # Two runs over candidate counts 2, 3, 2: 6 of 7 candidates (85.7%) exercised.
    rc, out, _ = check(capsys, program("clean"), "--dynamic", "2", "--min-coverage", threshold,
                       "--format", "json")
    report = json.loads(out)
    assert report["coverage"]["candidates"] == round(6 / 7, 4)
    assert rc == expected == report["exit"]
    assert [f["code"] for f in report["findings"]] == (["GV405"] if expected else [])


def test_min_coverage_applies_to_attached_markers_in_static_mode(capsys):
    rc, out, err = check(capsys, program("clean"), "--min-coverage", "100%")
    assert rc == 0 and "markers attached 3/3 (100.0%)" in out


def test_static_min_coverage_counts_markers_that_attach_to_nothing(capsys, tmp_path):
    src = tmp_path / "model.py"
    src.write_text("w = 8  # glovec: oneof([4, 8])\n"
                   "x = max(1, 2)  # glovec: units=oneof([1, 2])\n"
                   "print(w)  # glovec: objective\n")
    rc, out, err = check(capsys, src, "--min-coverage", "0.9")
    assert rc == 1 and "markers attached 1/2 (50.0%)" in out
    assert f"{src}:1:1: GV405 coverage of markers attached 50.0% is below --min-coverage 90.0%" in err
    rc, out, err = check(capsys, src, "--min-coverage", "0.5", "--format", "json")
    assert "GV405" not in [f["code"] for f in json.loads(out)["findings"]]


def test_min_coverage_rejects_values_outside_zero_to_one(capsys):
    rc, _, err = check(capsys, program("clean"), "--min-coverage", "1.5")
    assert rc == 2 and "--min-coverage" in err


# ---- baseline -----------------------------------------------------------------------------


@pytest.fixture
def baseline(capsys, tmp_path):
    """The space of the version a study started from, written by `glovec space --json`."""
    rc = main(["space", "--json", str(CASES / "changed_space" / "before.py")])
    out, _ = capsys.readouterr()
    assert rc == 0
    path = tmp_path / "space.json"
    path.write_text(out)
    return path


def test_baseline_diff_on_a_changed_program(capsys, baseline):
    rc, out, err = check(capsys, program("changed_space"), "--baseline", baseline, "--format", "json")
    report = json.loads(out)
    diff = report["baseline"]
    assert rc == 1 and diff["resumable"] is False
    assert (diff["added"], diff["removed"]) == (["width"], ["dropout"])
    assert [c["id"] for c in diff["changed"]] == ["act"]
    assert diff["changed"][0]["fields"]["candidates"][1][-1] == '"gelu"'
    assert diff["defaults_changed"] == ["depth"]  # a new default keeps the study resumable
    assert [(f["code"], f["line"], f["site"]) for f in report["findings"]] == [
        ("GV406", 1, None), ("GV406", 5, "act"), ("GV406", 6, "width")]

    rc, out, err = check(capsys, program("changed_space"), "--baseline", baseline)
    assert "1 added, 1 removed, 1 changed, 1 default(s) changed: a study is NOT resumable" in out


def test_baseline_of_the_same_space_is_resumable(capsys, baseline):
    rc, out, err = check(capsys, CASES / "changed_space" / "before.py", "--baseline", baseline)
    assert rc == 0 and "a study is resumable" in out and err == ""


def test_a_baseline_that_is_not_a_space_is_a_usage_error(capsys, tmp_path):
    bad = tmp_path / "space.json"
    bad.write_text("[1, 2]")
    rc, _, err = check(capsys, program("clean"), "--baseline", bad)
    assert rc == 2 and "glovec space --json" in err


# ---- many files, the whole tree, hooks ------------------------------------------------------


def test_directories_recurse_into_glovec_programs_only(capsys, tmp_path):
    (tmp_path / "pkg").mkdir()
    shutil.copy(program("unmarked_dense"), tmp_path / "pkg" / "model.py")
    (tmp_path / "pkg" / "util.py").write_text("from keras import layers\nlayers.Dense(64)\n")
    (tmp_path / "model_search.py").write_text(
        "import glovec.runtime as _gv; _gv.program(__name__, __file__, 'm.py', 1, '{}')\n")
    rc, out, err = check(capsys, tmp_path, "--format", "json")
    report = json.loads(out)
    assert {Path(f["path"]).name for f in report["findings"]} == {"model.py"}
    assert rc == 1
    rc, _, err = check(capsys, tmp_path / "pkg" / "util.py", "--only-marked")
    assert (rc, err) == (0, "")
    empty = tmp_path / "empty"
    empty.mkdir()
    rc, _, err = check(capsys, empty)
    assert rc == 2 and "no glovec programs" in err


def test_pre_commit_hooks_run_real_commands(capsys):
    yaml = pytest.importorskip("yaml")
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["glovec-check", "glovec-convert-check"]
    for hook in hooks:
        argv = hook["entry"].split()
        assert argv[0] == "glovec"
        assert main([*argv[1:], "--help"]) == 0
        assert "--check" in argv or "check" in argv
    capsys.readouterr()


# ---- golden findings ----------------------------------------------------------------------
# fixtures/check/<case>/expected.txt holds the findings (stderr of the text format) of
# `glovec check program.py` run in the case's folder, with `--dynamic 6` for the cases below;
# regenerate with: GLOVEC_REGEN=1 pytest tests/test_check.py -k golden

GOLDEN_DYNAMIC = {"dead_branch", "never_called", "crashing_candidate", "clean", "leaves_file"}


@pytest.mark.parametrize("case", sorted(p.parent.name for p in CASES.glob("*/expected.txt")))
def test_golden_findings(capsys, monkeypatch, tmp_path, case):
    monkeypatch.chdir(CASES / case)
    monkeypatch.setenv("GLOVEC_CHECK_SENTINEL", str(tmp_path / "executed"))
    extra = ["--dynamic", "6", "--timeout", "60"] if case in GOLDEN_DYNAMIC else []
    rc, out, err = check(capsys, "program.py", *extra)
    expected = CASES / case / "expected.txt"
    if os.environ.get("GLOVEC_REGEN") == "1":
        expected.write_text(err, encoding="utf-8", newline="")
    assert err == expected.read_text(encoding="utf-8")
    assert rc == (1 if err else 0)


# ---- the whole fixtures/ tree, as CI runs it -------------------------------------------------


def test_check_over_the_whole_fixtures_tree(capsys, monkeypatch):
    """`glovec check fixtures/` (static) over every feature's fixtures: no internal error on any
    of them, the check fixtures give exactly their expected findings, and a compiler diagnostic
    appears only in a bad-input fixture that expects it."""
    monkeypatch.chdir(ROOT)
    rc, out, _ = check(capsys, "fixtures", "--format", "json")
    report = json.loads(out)
    assert rc == 1 == report["exit"]
    by_file: dict = {}
    for f in report["findings"]:
        by_file.setdefault(f["path"], []).append((f["code"], f["line"]))
    mine = {path: found for path, found in by_file.items() if path.startswith("fixtures/check/")}
    assert mine == {"fixtures/check/unmarked_dense/program.py": [("GV401", 10)]}
    for path, found in by_file.items():
        compiler_codes = {code for code, _ in found if code[:3] in ("GV0", "GV1", "GV2", "GV3")}
        if not compiler_codes:
            continue
        case = ROOT / path
        expected = " ".join(p.read_text(errors="replace") for p in case.parent.glob("expected*"))
        bad_case = case.parent.name.startswith(("error", "bad"))
        assert bad_case or compiler_codes <= set(expected.split()), (path, found)
    checked = {s["file"] for s in report["sites"]}
    assert "fixtures/check/clean/program.py" in checked


# ---- a real training script ---------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.torch
def test_dynamic_check_of_a_pytorch_training_script_with_the_preset(capsys):
    """A real PyTorch program (no markers: the pytorch preset picks the sites), smoke-run."""
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    rc, out, _ = check(capsys, ROOT / "fixtures" / "realistic" / "torch_mlp_digits.py",
                       "--rules", "pytorch", "--dynamic", "2", "--timeout", "300", "--format", "json")
    report = json.loads(out)
    assert report["sites"] and all(s["reached"] for s in report["sites"])
    # two runs: two candidates (or both bounds) of every site, none repeated
    assert all(s["candidates_exercised"] == min(2, s["candidates_total"]) for s in report["sites"])
    assert [f["code"] for f in report["findings"] if f["severity"] == "error"] == []
    assert rc == 0 and [r["status"] for r in report["runs"]] == ["ok", "ok"]


@pytest.mark.parametrize("data, expected", [
    (b'x = "caf\xe9"  # glovec: oneof(["a"])\n', ":1:9: GV002 "),
    (b"x = (1,\n", ":1:5: GV001 "),
    (b"x = 8  # glovec: oneof([4, 8]\n", ": GV101 "),
], ids=["not-utf8", "syntax-error", "spec-syntax-error"])
def test_bad_input_is_a_compiler_diagnostic_not_a_crash(capsys, tmp_path, data, expected):
    src = tmp_path / "model.py"
    src.write_bytes(data)
    rc, out, err = check(capsys, src)
    assert rc == 1 and expected in err and "Traceback" not in err + out


def test_text_report_names_the_candidates_a_small_budget_left_out(capsys):
    rc, out, _ = check(capsys, program("clean"), "--dynamic", "2")
    assert rc == 0
    assert "  not exercised in batch_size: 64\n" in out
    assert "candidates exercised 6/7 (85.7%)" in out


def test_the_installed_command_exits_with_the_check_status():
    """What CI and pre-commit run: the console script, in a real process."""
    import subprocess
    import sys

    exe = shutil.which("glovec")
    argv = [exe] if exe else [sys.executable, "-m", "glovec.cli"]
    bad = subprocess.run([*argv, "check", program("unmarked_dense"), "--format", "github"],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 1 and "title=GV401::" in bad.stdout
    good = subprocess.run([*argv, "check", "--only-marked", program("clean"), "glovec/cli.py"],
                          capture_output=True, text=True, cwd=ROOT)
    assert good.returncode == 0, good.stderr
    usage = subprocess.run([*argv, "check", "--format", "xml", program("clean")],
                           capture_output=True, text=True, cwd=ROOT)
    assert usage.returncode == 2
