"""Meta-test of the GV4xx catalogue entries: `glovec check` finds each code in its Before and
not in its After (harness "check" of transforms/diagnostics.py)."""

from __future__ import annotations

import json

import pytest

from glovec.cli import main
from glovec.compiler import compile_source
from glovec.check.findings import SEVERITY
from glovec.transforms.diagnostics import CATALOGUE

CHECK_CODES = [c for c in CATALOGUE if c.check == "check"]


def test_every_check_code_is_in_the_catalogue_once_with_a_severity():
    codes = [c.code for c in CHECK_CODES]
    assert codes == sorted(SEVERITY) == [f"GV40{i}" for i in range(1, 8)]
    assert all(c.code.startswith("GV4") for c in CHECK_CODES)


def findings(capsys, tmp_path, text: str, entry) -> list[str]:
    src = tmp_path / "model.py"
    src.write_text(text, encoding="utf-8")
    args = list(entry.example.get("args", []))
    if "baseline" in entry.example:
        space = compile_source(entry.example["baseline"], "model.py").space_doc
        baseline = tmp_path / "space.json"
        baseline.write_text(json.dumps(space))
        args += ["--baseline", str(baseline)]
    rc = main(["check", str(src), *args, "--format", "json"])
    out, _ = capsys.readouterr()
    assert rc in (0, 1), out
    return [f["code"] for f in json.loads(out)["findings"]]


@pytest.mark.parametrize("entry", CHECK_CODES, ids=lambda c: c.code)
def test_before_gives_the_code_and_after_does_not(capsys, tmp_path, entry):
    assert entry.code in findings(capsys, tmp_path, entry.before, entry)
    assert entry.code not in findings(capsys, tmp_path, entry.after, entry)


@pytest.mark.parametrize("code, words", [("GV405", ["candidates exercised", "markers attached"]),
                                         ("GV401", ["# glovec: fixed", "--allow"])])
def test_explain_documents_the_check(capsys, code, words):
    assert main(["explain", code]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for word in words:
        assert word in text


def test_check_help_says_which_figure_min_coverage_applies_to(capsys):
    assert main(["check", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--min-coverage F applies to the candidates figure with --dynamic, to the markers figure" in text
