"""`glovec convert / diff / space / explain` in-process: outputs, exit statuses, files touched."""

from __future__ import annotations

import codecs
import json
import stat
import sys

import pytest

from glovec.cli import main
from glovec.transforms.diagnostics import CATALOGUE

PROGRAM = 'import math\nwidth = 64  # glovec: oneof([32, 64, 128])\nlr = 1e-3  # glovec: floatv(1e-4, 1e-1, scale="log")\nprint(width)\n'


@pytest.fixture
def program(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "model.py"
    path.write_text(PROGRAM)
    return path


def run(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_convert_writes_stem_search_py_beside_the_input(program, capsys):
    status, out, err = run(capsys, "convert", "model.py")
    assert status == 0 and out == ""
    assert err == "glovec: wrote model_search.py: 2 site(s), space size infinite\n"
    code = (program.parent / "model_search.py").read_text()
    assert code.startswith('import glovec.runtime as _gv; _gv.program(__name__, __file__, "model.py", 1, ')
    assert program.read_text() == PROGRAM
    assert sorted(p.name for p in program.parent.iterdir()) == ["model.py", "model_search.py"]


def test_convert_to_stdout_and_to_another_folder(program, capsys, tmp_path):
    status, out, _ = run(capsys, "convert", "model.py", "-o", "-")
    assert status == 0 and '"model.py", 1, ' in out.splitlines()[0]
    assert not (tmp_path / "model_search.py").exists()
    (tmp_path / "gen").mkdir()
    assert run(capsys, "convert", "model.py", "-o", "gen/search.py")[0] == 0
    assert '"../model.py", 1, ' in (tmp_path / "gen" / "search.py").read_text().splitlines()[0]


def test_convert_never_writes_the_input(program, capsys):
    status, _, err = run(capsys, "convert", "model.py", "-o", "model.py")
    assert status == 2 and "refusing to overwrite the input" in err
    assert program.read_text() == PROGRAM


def test_output_replaces_an_existing_file_atomically_keeping_its_mode(program, capsys, tmp_path):
    out = tmp_path / "model_search.py"
    out.write_text("old")
    out.chmod(0o640)
    assert run(capsys, "convert", "model.py")[0] == 0
    assert out.read_text().startswith("import glovec.runtime")
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_check_missing_stale_and_up_to_date(program, capsys, tmp_path):
    status, _, err = run(capsys, "convert", "model.py", "--check")
    assert status == 1 and err == "model_search.py is missing; run `glovec convert model.py`\n"
    run(capsys, "convert", "model.py")
    assert run(capsys, "convert", "model.py", "--check")[0] == 0
    program.write_text(PROGRAM.replace("64  #", "32  #"))
    status, _, err = run(capsys, "convert", "model.py", "--check")
    assert status == 1 and "model_search.py is stale" in err
    assert run(capsys, "convert", "model.py", "--check", "-o", "-")[0] == 2
    assert run(capsys, "convert", "model.py", "--check", "--diff")[0] == 2


def test_diff_is_convert_diff_and_writes_nothing(program, capsys, tmp_path):
    status, out, _ = run(capsys, "diff", "model.py")
    assert status == 0
    assert (status, out) == run(capsys, "convert", "model.py", "--diff")[:2]
    assert out.startswith("--- model.py\n+++ model_search.py\n@@ -1,4 +1,5 @@\n")
    assert '\n-width = 64  # glovec: oneof([32, 64, 128])\n' in out
    assert '\n+width = _gv.oneof("width", 1, (32, 64, 128))  # glovec: oneof([32, 64, 128])\n' in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.py"]


def test_diff_of_a_file_without_final_newline(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text("x = 1  # glovec: oneof([1, 2])")
    status, out, _ = run(capsys, "diff", "m.py")
    assert status == 0 and out.endswith('\n\\ No newline at end of file\n')


def test_problems_exit_1_with_diagnostics_on_stderr(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text("x = 3  # glovec: oneof([1, 2])\ny = 1  # glovec: intv(2, 1)\n")
    for command in (["convert", "m.py"], ["diff", "m.py"], ["space", "m.py"], ["space", "m.py", "--json"],
                    ["convert", "m.py", "-o", "-"]):
        status, out, err = run(capsys, *command)
        assert (status, out) == (1, "")
        assert err.splitlines() == [
            "m.py:1:5: GV112 the program's value 3 is not one of the candidates (1, 2)",
            "m.py:2:23: GV106 intv needs lo < hi, got lo=2 and hi=1",
        ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.py"]


def test_non_utf8_and_byte_order_mark(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "latin.py").write_bytes(b"s = '\xe9'\n")
    status, _, err = run(capsys, "convert", "latin.py")
    assert status == 1 and err == "latin.py:1:6: GV002 byte 0xe9 is not UTF-8; save the file as UTF-8\n"
    (tmp_path / "cookie.py").write_bytes(b"# -*- coding: latin-1 -*-\nx = 1\n")
    assert run(capsys, "convert", "cookie.py")[2].startswith("cookie.py:1:15: GV002")
    (tmp_path / "bom.py").write_bytes(codecs.BOM_UTF8 + b"x = 1  # glovec: oneof([1, 2])\n")
    assert run(capsys, "convert", "bom.py")[0] == 0
    data = (tmp_path / "bom_search.py").read_bytes()
    assert data.startswith(codecs.BOM_UTF8 + b"import glovec.runtime as _gv;")
    assert run(capsys, "convert", "bom.py", "--check")[0] == 0


def test_missing_input_is_a_diagnostic(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, "convert", "nope.py")
    assert (status, err) == (1, "nope.py:1:1: GV601 cannot read nope.py: No such file or directory\n")


def test_internal_error_exits_2_never_0(program, capsys, monkeypatch):
    import glovec.commands.convert as convert

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(convert, "compile_source", broken)
    status, _, err = run(capsys, "convert", "model.py")
    assert status == 2 and "internal error" in err and "boom" in err
    assert not (program.parent / "model_search.py").exists()


def test_space_table_and_json(program, capsys):
    status, out, _ = run(capsys, "space", "model.py")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == ["id", "kind", "candidates", "/", "range", "default", "location", "size"]
    assert lines[1].split() == ["width", "oneof", "32", "|", "64", "|", "128", "64", "model.py:2:9", "3"]
    assert lines[2].split() == ["lr", "floatv", "[0.0001,", "0.1]", "log", "0.001", "model.py:3:6", "inf"]
    assert "size: infinite (floatv sites)" in lines
    status, out, _ = run(capsys, "space", "model.py", "--json")
    space = json.loads(out)
    assert space["size"] is None
    assert [(s["id"], s["kind"], s["default"], s["line"], s["col"]) for s in space["sites"]] == [
        ("width", "oneof", 1, 2, 9), ("lr", "floatv", 0.001, 3, 6)]


def test_space_of_a_finite_space_with_nested_sites(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text(
        "b = conv(16)  # glovec: oneof([conv(oneof([16, 32])), pool(intv(1, 3))])\n"
        "acc = 0.5  # glovec: objective\nfor e in range(2):\n    v = e  # glovec: report(step=e)\n")
    status, out, _ = run(capsys, "space", "m.py")
    assert status == 0
    assert "  b[=0].conv.arg0" in out and "  b[=1].pool.arg0" in out
    assert "size: 5" in out and "objective: maximize at m.py:2:7" in out and "reports: m.py:4:9" in out


def test_explain_one_code_and_all(capsys):
    status, out, _ = run(capsys, "explain", "gv112")
    assert status == 0 and out.startswith("GV112 default-not-a-candidate:")
    assert "Before:" in out and "After:" in out and '    act = "relu"  # glovec: oneof(["gelu", "swish"])' in out
    status, out, _ = run(capsys, "explain")
    assert status == 0
    assert [line.split()[0] for line in out.splitlines()] == [c.code for c in CATALOGUE]
    status, _, err = run(capsys, "explain", "GV1122")
    assert status == 2 and "unknown code" in err


def test_static_commands_do_not_import_the_program(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text("raise SystemExit('ran')\nx = 1  # glovec: oneof([1, 2])\n")
    for command in (["convert", "m.py"], ["diff", "m.py"], ["space", "m.py"]):
        assert run(capsys, *command)[0] == 0   # running it would have raised SystemExit('ran')
    assert "m" not in sys.modules
