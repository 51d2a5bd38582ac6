"""Awkward sources the compiler must convert correctly (issue 17): a program that uses the name
the generated code gives the runtime, and form feeds at the start of statement lines."""

from __future__ import annotations

import contextlib
import io
import runpy

import pytest

from glovec.compiler import compile_source
from glovec.transforms import header

# (program, what it prints); each binds or reads `_gv` itself
OWN_GV = {
    "module-level": ("_gv = 'mine'\nlr = 0.1  # glovec: floatv(0.01, 1.0)\nprint(_gv, lr)\n",
                     "mine 0.1\n"),
    "parameter": ("def f(_gv):\n    lr = 0.1  # glovec: floatv(0.01, 1.0)\n    return _gv, lr\n"
                  "print(*f('p'))\n", "p 0.1\n"),
    "import": ("import os.path as _gv\nsep = '/'  # glovec: oneof(['/', '-'])\n"
               "print(_gv.join('a', 'b'), sep)\n", "a/b /\n"),
    "also _gv_1": ("_gv, _gv_1 = 1, 2\nn = 3  # glovec: oneof([3, 4])\nprint(_gv + _gv_1 + n)\n",
                   "6\n"),
}


def _run(path, monkeypatch) -> str:
    monkeypatch.setenv("GLOVEC_DEFAULTS", "1")  # run as a script: every site yields its default
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(path), run_name="__main__")
    return out.getvalue()


@pytest.mark.parametrize("case", sorted(OWN_GV))
def test_a_program_that_uses_gv_itself_still_runs_converted(case, tmp_path, monkeypatch):
    source, printed = OWN_GV[case]
    result = compile_source(source, "model.py")
    assert result.ok, [d.render() for d in result.diagnostics]
    alias = "_gv_2" if "_gv_1" in source else "_gv_1"
    assert result.code.startswith(f"import glovec.runtime as {alias}; {alias}.program(")
    assert header.locate(result.code) == result.header_line == 1
    (tmp_path / "model.py").write_text(source)
    (tmp_path / "gen.py").write_text(result.code)
    monkeypatch.chdir(tmp_path)
    assert _run(tmp_path / "model.py", monkeypatch) == printed
    assert _run(tmp_path / "gen.py", monkeypatch) == printed


def test_gv_in_a_string_or_an_attribute_keeps_the_usual_name():
    result = compile_source("self_gv = obj._gv if False else '_gv'\nn = 3  # glovec: oneof([3, 4])\n",
                            "m.py")
    assert result.code.startswith("import glovec.runtime as _gv; _gv.program(")
    assert "n = _gv.oneof(" in result.code


def test_the_keras_reporter_goes_through_the_same_name():
    source = "import keras\n_gv = 1\nmodel.fit(x, y, epochs=5, validation_split=0.2)\n"
    result = compile_source(source, "m.py", objective="val_accuracy")
    assert result.ok
    assert 'callbacks=[_gv_1.keras_reporter("val_accuracy")]' in result.code.splitlines()[3]


# (source, [(site id, line, col)]); str.splitlines would count a form feed as a line break, Python
# does not
FORM_FEEDS = {
    "module": ("a = 1  # glovec: oneof([1, 2])\n\fb = 3  # glovec: oneof([3, 4])\n"
               "c = 5  # glovec: oneof([5, 6])\n", [("a", 1, 5), ("b", 2, 6), ("c", 3, 5)]),
    "no final line break": ("a = 1  # glovec: oneof([1, 2])\n\fb = 3  # glovec: oneof([3, 4])\n"
                            "c = 5  # glovec: oneof([5, 6])", [("a", 1, 5), ("b", 2, 6), ("c", 3, 5)]),
    "in a function": ("def f():\n    a = 1  # glovec: oneof([1, 2])\n"
                      "\f    b = 3  # glovec: oneof([3, 4])\n    return a, b\n"
                      "c = 5  # glovec: oneof([5, 6])\n", [("f.a", 2, 9), ("f.b", 3, 10), ("c", 5, 5)]),
    "several": ("\fa = 1  # glovec: oneof([1, 2])\n\fb = 3  # glovec: oneof([3, 4])\n"
                "\f\fc = 5  # glovec: oneof([5, 6])\n", [("a", 1, 6), ("b", 2, 6), ("c", 3, 7)]),
}


@pytest.mark.parametrize("case", sorted(FORM_FEEDS))
def test_a_form_feed_at_the_start_of_a_statement_line_changes_nothing(case):
    source, sites = FORM_FEEDS[case]
    result = compile_source(source, "m.py")
    assert result.ok, [d.render() for d in result.diagnostics]
    assert [(s["id"], s["line"], s["col"]) for s in result.space_doc["sites"]] == sites
    # the output is the header, then the input with each value wrapped, form feeds kept
    expected = source
    for (site, _, _), value in zip(sites, (1, 3, 5)):
        expected = expected.replace(f"= {value}  #", f'= _gv.oneof("{site}", 0, ({value}, {value + 1}))  #')
    assert result.code.split("\n", 1)[1] == expected
