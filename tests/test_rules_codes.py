"""The GV3xx entries of the diagnostics catalogue: each Before (a rules file applied to the
entry's program) gives its code, each After gives no diagnostic, and `glovec explain` shows it."""

from __future__ import annotations

import pytest

from glovec.cli import main
from glovec.compiler import compile_source
from glovec.transforms.diagnostics import CATALOGUE

RULES_CODES = [c for c in CATALOGUE if c.check == "rules"]


def test_rules_codes_are_the_gv3xx_range():
    assert [c.code for c in RULES_CODES] == sorted(c.code for c in CATALOGUE if c.code.startswith("GV3"))
    assert {"GV301", "GV302", "GV303", "GV304", "GV305", "GV310", "GV311"} <= {c.code for c in RULES_CODES}


def _codes(program: str, rules_text: str, tmp_path) -> list[str]:
    rules = tmp_path / "rules.toml"
    rules.write_text(rules_text)
    result = compile_source(program, "program.py", rules=str(rules))
    return [d.code for d in result.diagnostics + result.warnings]  # warnings: GV312


@pytest.mark.parametrize("entry", RULES_CODES, ids=lambda c: c.code)
def test_before_gives_the_code_and_after_none(entry, tmp_path):
    program = entry.example["program"]
    assert entry.code in _codes(program, entry.before, tmp_path)
    assert _codes(program, entry.after, tmp_path) == []


@pytest.mark.parametrize("entry", RULES_CODES, ids=lambda c: c.code)
def test_explain(entry, capsys):
    assert main(["explain", entry.code]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{entry.code} {entry.name}:") and "Before:" in out
