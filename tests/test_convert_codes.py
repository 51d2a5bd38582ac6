"""Meta-test of the diagnostic catalogue: stable unique codes, and every Before/After behaves as
documented (the Before gives its code, the After gives none).

Harnesses (``Code.check``): "convert" and "materialize" (GV0xx-GV2xx, the compiler's codes) and
"rules" (Before/After are rules files applied to ``example["program"]``) here; the other ranges'
harnesses live with their commands' tests (tests/test_check_codes.py, tests/test_run_codes.py).
"""

from __future__ import annotations

import re

import pytest

from glovec.cli import main
from glovec.compiler import compile_source
from glovec.transforms.diagnostics import CATALOGUE, CODES, DiagnosticError
from glovec.transforms.materialize import materialize_source



def test_codes_are_unique_ordered_and_well_formed():
    codes = [c.code for c in CATALOGUE]
    names = [c.name for c in CATALOGUE]
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)
    assert codes == sorted(codes)
    for entry in CATALOGUE:
        assert re.fullmatch(r"GV[0-8]\d\d", entry.code), entry.code  # GV8xx: config files
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry.name), entry.name
        assert entry.summary and entry.explanation and entry.before and entry.after is not None
        assert re.fullmatch(r"[a-z]+", entry.check), entry.check
        if entry.code < "GV300":  # "notebook": tests/test_notebook.py runs it
            assert entry.check in ("convert", "materialize", "notebook"), entry.code
    assert set(CODES) == set(codes)


def _codes(result) -> list[str]:
    return [d.code for d in result.diagnostics + result.warnings]  # warnings: GV312


CONVERT = [c for c in CATALOGUE if c.check == "convert"]
MATERIALIZE = [c for c in CATALOGUE if c.check == "materialize"]
RULES = [c for c in CATALOGUE if c.check == "rules"]


@pytest.mark.parametrize("entry", CONVERT, ids=lambda c: c.code)
def test_convert_before_gives_the_code_and_after_compiles(entry):
    assert entry.code in _codes(compile_source(entry.before, "model.py", **entry.example))
    after = compile_source(entry.after, "model.py", **entry.example)
    assert after.diagnostics == [] and after.code is not None


@pytest.mark.parametrize("entry", MATERIALIZE, ids=lambda c: c.code)
def test_materialize_before_gives_the_code_and_after_writes(entry):
    with pytest.raises(DiagnosticError) as raised:
        materialize_source(entry.before, "model.py", entry.example["before"])
    assert entry.code in [d.code for d in raised.value.diagnostics]
    assert isinstance(materialize_source(entry.after, "model.py", entry.example["after"]), str)


@pytest.mark.parametrize("entry", RULES, ids=lambda c: c.code)
def test_rules_before_gives_the_code_and_after_compiles(entry, tmp_path):
    program = entry.example["program"]
    before = tmp_path / "before.toml"
    before.write_text(entry.before)
    assert entry.code in _codes(compile_source(program, "model.py", rules=str(before)))
    after = tmp_path / "after.toml"
    after.write_text(entry.after)
    assert _codes(compile_source(program, "model.py", rules=str(after))) == []


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda c: c.code)
def test_explain_prints_the_entry(entry, capsys):
    assert main(["explain", entry.code]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{entry.code} {entry.name}: {entry.summary}\n")
    assert "\nBefore:\n" in out and "\nAfter:\n" in out
