"""Notebooks (.ipynb) on the command line: space, diagnostics at cells, convert, run, materialize
(byte for byte), check. Pure-Python notebooks, no kernel (tests/test_notebook_kernel.py runs one)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("IPython")

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output  # noqa: E402

from glovec.cli import main  # noqa: E402
from glovec.notebook import read_notebook  # noqa: E402
from glovec.transforms.diagnostics import CATALOGUE  # noqa: E402

# Markers in three cells, IPython syntax in two, markdown between: cell 2, 3 and 5 are code.
CELLS = [
    new_markdown_cell("# A tiny search\nThe objective peaks at width 48, depth 1, lr 10**-1.5."),
    new_code_cell('!echo "setting up"\nimport math\nlr = 0.1  # glovec: floatv(0.01, 1.0, scale="log")'),
    new_code_cell("def score(width, depth):\n"
                  "    if depth == 3:\n"
                  "        raise ValueError(\"depth 3 is not supported\")\n"
                  "    return -abs(width - 48) / 48 - abs(math.log10(lr) + 1.5) - depth / 10\n"),
    new_markdown_cell("The program: one run at the values written here."),
    new_code_cell("width = 32  # glovec: oneof([16, 32, 48, 64])\n"
                  "depth = 1  # glovec: oneof([1, 2, 3])\n"
                  "result = score(width, depth)  # glovec: objective\n"
                  "print(f\"objective {result:.6f}\")"),
]


def make(path: Path, cells=None, **write) -> Path:
    nb = new_notebook(cells=[c.copy() for c in (cells or CELLS)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells[-1].outputs = [new_output("stream", name="stdout", text="objective -0.766667\n")]
    nb.cells[-1].execution_count = 7
    if write:  # another JSON style than nbformat's own
        path.write_text(json.dumps(nb, **write), encoding="utf-8")
    else:
        nbformat.write(nb, str(path))
    return path


def run(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def test_space_lists_the_sites_of_every_cell_with_the_cell_number(tmp_path, capsys):
    nb = make(tmp_path / "tiny.ipynb")
    status, out, err = run(capsys, "space", nb)
    assert status == 0, err
    rows = {line.split()[0]: line for line in out.splitlines()[1:4]}
    assert set(rows) == {"lr", "width", "depth"}  # not "No sites": the JSON is not read as Python
    assert f"{nb}:cell 2:3:6" in rows["lr"] and f"{nb}:cell 5:1:9" in rows["width"]
    assert f"{nb}:cell 5:2:9" in rows["depth"]
    assert f"objective: maximize at {nb}:cell 5:3:10" in out
    status, out, _ = run(capsys, "space", nb, "--json")
    space = json.loads(out)
    assert [(s["id"], s["cell"], s["line"]) for s in space["sites"]] == [
        ("lr", "cell 2", 3), ("width", "cell 5", 1), ("depth", "cell 5", 2)]
    assert space["size"] is None  # a floatv: infinite


def test_ipython_syntax_is_left_to_ipython_and_never_a_parse_error(tmp_path, capsys):
    cells = [
        new_code_cell("%matplotlib inline\nx?\n!ls -l\nfiles = !ls\n%time y = 2  # glovec: oneof([2, 3])"),
        new_code_cell("%%bash\necho one\nunits = 4  # glovec: oneof([4, 8])"),  # all a string
        new_code_cell("%load_ext glovec\n%glovec run --trials 3\nunits = 64  # glovec: oneof([32, 64])"),
        new_code_cell("%env A=1 \\\n   B=2\nrate = 0.5  # glovec: oneof([0.5, 0.9])"),
    ]
    nb = make(tmp_path / "magic.ipynb", cells)
    status, out, err = run(capsys, "space", nb, "--json")
    assert status == 0, err
    sites = json.loads(out)["sites"]
    # markers on magic lines are part of the magic's text: no site; the others sit where written
    assert [(s["id"], s["cell"], s["line"]) for s in sites] == [("units", "cell 3", 3),
                                                                ("rate", "cell 4", 3)]
    script = read_notebook(nb.read_bytes(), str(nb)).script
    assert "get_ipython().run_line_magic('time'" in script and "run_cell_magic('bash'" in script
    assert "glovec" not in script.split("# %% cell 3\n")[1].split("\n")[0]  # own magics: empty


def test_diagnostics_name_the_notebook_the_cell_and_the_line(tmp_path, capsys):
    cells = [c.copy() for c in CELLS]
    cells[2] = new_code_cell("def score(width, depth):\n    k = 2  # glovec: oneoff([1, 2])\n"
                             "    return -width * k")
    cells[4] = new_code_cell("width = 32  # glovec: oneof([16, 32, 48, 64])\n"
                             "result = score(width, 1)  # glovec: objective\n"
                             "again = result  # glovec: objective")
    nb = make(tmp_path / "bad.ipynb", cells)
    before = nb.read_bytes()
    status, _, err = run(capsys, "convert", nb)
    assert status == 1
    assert f"{nb}:cell 3:2:22: GV102 " in err
    assert re.search(rf"{re.escape(str(nb))}:cell 5:3:9: GV116 .*line 2 of cell 5", err), err
    assert nb.read_bytes() == before and not (tmp_path / "bad_search.ipynb").exists()
    cells[4] = new_code_cell("x = (1,\n")
    status, _, err = run(capsys, "run", make(tmp_path / "syntax.ipynb", cells), "--trials", "1")
    assert status == 1 and f"syntax.ipynb:cell 5:1:" in err and "GV001" in err


@pytest.mark.parametrize("text, where", [
    ('{"cells": [', ":1:12: GV005 not a notebook: the file is not JSON"),
    ('{"a": 1}', ":1:1: GV005 not a notebook: the JSON has no \"cells\""),
    ('{"cells": [], "metadata": {}, "nbformat": 3, "nbformat_minor": 0}', ":1:1: GV005 nbformat 3 "),
    ('{"cells": [{"cell_type": "code", "source": ""}], "metadata": {}, "nbformat": 4, '
     '"nbformat_minor": 4}', ":cell 1:1:1: GV005 not a valid notebook (nbformat's validator"),
])
def test_a_malformed_notebook_is_a_diagnostic_not_a_traceback(tmp_path, capsys, text, where):
    nb = tmp_path / "broken.ipynb"
    nb.write_text(text)
    for command in (["space"], ["convert"], ["run", "--trials", "1"], ["materialize", "--defaults"],
                    ["check"]):
        status, out, err = run(capsys, command[0], nb, *command[1:])
        assert status == 1, (command, err)
        assert f"{nb}{where}" in err + out and "Traceback" not in err + out, (command, err + out)
    assert nb.read_text() == text


def test_gv005_catalogue_entry(tmp_path, capsys):
    entry = next(c for c in CATALOGUE if c.code == "GV005")
    assert entry.check == "notebook"
    nb = tmp_path / "model.ipynb"
    nb.write_text(entry.before)
    status, _, err = run(capsys, "space", nb)
    assert status == 1 and " GV005 " in err
    nb.write_text(entry.after)
    status, out, err = run(capsys, "space", nb)
    assert status == 0 and "floatv" in out, err


def test_convert_writes_a_notebook_with_the_space_in_its_first_cell(tmp_path, capsys):
    nb = make(tmp_path / "tiny.ipynb")
    status, _, err = run(capsys, "convert", nb)
    assert status == 0 and "3 site(s)" in err, err
    out = nbformat.read(str(tmp_path / "tiny_search.ipynb"), as_version=4)
    nbformat.validate(out)
    header = out.cells[0].source
    assert header.startswith("import glovec.runtime as _gv; _gv.program(__name__, None, ")
    assert '\\"id\\":\\"depth\\"' in json.dumps(header) or '"id":"depth"' in header
    original = nbformat.read(str(nb), as_version=4)
    assert [c.cell_type for c in out.cells[1:]] == [c.cell_type for c in original.cells]
    for new, old in zip(out.cells[1:], original.cells):
        if new.cell_type == "code":
            assert new.outputs == [] and new.execution_count is None
            changed = [(a, b) for a, b in zip(old.source.splitlines(), new.source.splitlines()) if a != b]
            assert all("# glovec:" in a and "_gv." in b for a, b in changed)
        else:
            assert new.source == old.source
    assert 'width = _gv.oneof("width", 1, (16, 32, 48, 64))' in out.cells[5].source
    # -o x.py: the script equivalent, one `# %% cell N` line before each code cell
    status, _, err = run(capsys, "convert", nb, "-o", tmp_path / "tiny_search.py")
    script = (tmp_path / "tiny_search.py").read_text()
    assert status == 0 and "# %% cell 2\nget_ipython().system('echo \"setting up\"')\n" in script
    assert run(capsys, "convert", nb, "--check")[0] == 0
    nb.write_text(nb.read_text().replace("oneof([1, 2, 3])", "oneof([1, 2])"))
    assert run(capsys, "convert", nb, "--check")[0] == 1
    status, out, _ = run(capsys, "diff", nb)
    assert status == 0 and '+depth = _gv.oneof("depth", 0, (1, 2))' in out


def test_converted_notebook_is_refused_and_its_script_searches(tmp_path, capsys):
    nb = make(tmp_path / "tiny.ipynb")
    run(capsys, "convert", nb)
    status, _, err = run(capsys, "space", tmp_path / "tiny_search.ipynb")
    assert status == 1 and "tiny_search.ipynb:cell 1:1:1: GV003" in err


def test_run_searches_the_script_equivalent_and_tracebacks_name_the_cell(tmp_path, capsys):
    nb = make(tmp_path / "tiny.ipynb")
    study = tmp_path / "s.db"
    status, out, err = run(capsys, "run", nb, "--trials", "12", "--seed", "0", "--study", study)
    assert status == 0, err
    assert "setting up" in out  # the `!echo` line ran, through IPython
    status, out, _ = run(capsys, "report", study, "--json")
    trials = json.loads(out)["trials"]
    failed = [t for t in trials if t["status"] == "failed"]
    assert failed and all(t["decisions"]["depth"] == "3" for t in failed)
    error = failed[0]["error"]
    assert f'File "{nb}, cell 3", line 3, in score' in error, error
    assert 'raise ValueError("depth 3 is not supported")' in error
    assert f'File "{nb}, cell 5", line 3, in <module>' in error
    assert {t["status"] for t in trials} == {"completed", "failed"}
    assert (tmp_path / "tiny.glovec.db").exists() is False  # --study was used


def test_run_in_worker_processes_names_the_cell_too(tmp_path, capsys):
    nb = make(tmp_path / "tiny.ipynb")
    status, _, err = run(capsys, "run", nb, "--trials", "3", "--seed", "4", "--executor", "process",
                         "--workers", "2")
    assert status == 0, err
    study = tmp_path / "tiny.glovec.db"  # the default: <stem>.glovec.db beside the notebook
    trials = json.loads(run(capsys, "report", study, "--json")[1])["trials"]
    assert len(trials) == 3
    for t in trials:
        if t["status"] == "failed":
            assert f'{nb}, cell 3", line 3' in t["error"]
        else:
            assert t["status"] == "completed" and t["decisions"]["depth"] != "3"


@pytest.mark.parametrize("style", [{}, {"indent": 2, "ensure_ascii": True}, {"separators": (",", ":")}])
def test_materialize_writes_values_into_the_cells_and_keeps_every_other_byte(tmp_path, capsys, style):
    cells = [c.copy() for c in CELLS]
    cells[1] = new_code_cell('!echo "réglage"\nimport math\nlr = 0.1  # glovec: floatv(0.01, 1.0, scale="log")')
    nb = make(tmp_path / "tiny.ipynb", cells, **style)
    status, out, err = run(capsys, "materialize", nb, "--defaults", "-o", tmp_path / "same.ipynb")
    assert status == 0, err
    assert (tmp_path / "same.ipynb").read_bytes() == nb.read_bytes()
    decisions = json.dumps({"width": "48", "depth": "2", "lr": 0.05})
    status, out, err = run(capsys, "materialize", nb, "--dna", decisions, "-o", tmp_path / "best.ipynb")
    assert status == 0, err
    before, after = json.loads(nb.read_text()), json.loads((tmp_path / "best.ipynb").read_text())
    sources = ["".join(c["source"]) for c in after["cells"]]
    assert "lr = 0.05  # glovec" in sources[1] and "width = 48  # glovec" in sources[4]
    assert "depth = 2  # glovec" in sources[4]
    for cell in (*before["cells"], *after["cells"]):
        cell.pop("source")
    assert after == before  # outputs, metadata, ids: all kept
    old_lines = nb.read_text().splitlines()
    new_lines = (tmp_path / "best.ipynb").read_text().splitlines()
    assert len(old_lines) == len(new_lines)
    changed = [(a, b) for a, b in zip(old_lines, new_lines) if a != b]
    assert changed and all("glovec" in a for a, _ in changed)
    # nbformat's style: a list of lines, so the 3 marked lines; json.dumps: one string per cell
    assert len(changed) == (3 if not style else 2 if style.get("indent") else 1)
    if style.get("ensure_ascii"):  # the file's escaping of non-ASCII text is kept
        assert "r\\u00e9glage" in (tmp_path / "best.ipynb").read_text()


def test_materialize_best_and_to_a_script(tmp_path, capsys):
    nb = make(tmp_path / "tiny.ipynb")
    study = tmp_path / "s.db"
    assert run(capsys, "run", nb, "--trials", "6", "--seed", "1", "--study", study)[0] == 0
    best = json.loads(run(capsys, "report", study, "--json")[1])
    top = next(t for t in best["trials"] if t["id"] == best["best"])
    status, _, err = run(capsys, "materialize", nb, "--best", "--study", study, "-o", tmp_path / "b.py")
    assert status == 0, err
    script = (tmp_path / "b.py").read_text()
    assert f"width = {top['decisions']['width']}  # glovec" in script and "# %% cell 5" in script


def test_check_treats_notebooks_in_a_folder_like_scripts(tmp_path, capsys):
    make(tmp_path / "tiny.ipynb")
    cells = [new_code_cell("import keras\nmodel = keras.layers.Dense(64)\n"
                           "lr = 0.1  # glovec: oneof([0.1, 0.01])\nacc = 1  # glovec: objective")]
    make(tmp_path / "dense.ipynb", cells)
    make(tmp_path / "plain.ipynb", [new_code_cell("print('no markers here')")])
    run(capsys, "convert", tmp_path / "tiny.ipynb")  # tiny_search.ipynb: generated, skipped
    status, out, err = run(capsys, "check", tmp_path, "--format", "json")
    report = json.loads(out)
    files = sorted({s["file"] for s in report["sites"]})
    assert files == [str(tmp_path / "dense.ipynb"), str(tmp_path / "tiny.ipynb")]
    gv401 = [f for f in report["findings"] if f["code"] == "GV401"]
    assert [(f["path"], f["line"], f["col"]) for f in gv401] == [
        (f"{tmp_path / 'dense.ipynb'}:cell 1", 2, 28)]
    assert status == 1


def test_the_example_notebook_has_the_sites_of_the_example_script(capsys):
    examples = Path(__file__).resolve().parents[1] / "examples"
    spaces = []
    for name in ("digits_keras.ipynb", "digits_keras.py"):
        status, out, err = run(capsys, "space", examples / name, "--json")
        assert status == 0, err
        spaces.append(json.loads(out))
    notebook, script = spaces
    strip = lambda site: {k: v for k, v in site.items() if k not in ("line", "col", "cell", "id")}  # noqa: E731
    assert [strip(s) for s in notebook["sites"]] == [strip(s) for s in script["sites"]]
    # the same ids, but batch_size is at the top level of its cell rather than in main()
    assert [s["id"] for s in notebook["sites"]] == [s["id"].removeprefix("main.") for s in script["sites"]]
    assert all(s["cell"] in ("cell 5", "cell 7") for s in notebook["sites"])


def test_check_dynamic_runs_the_cells_and_names_the_failing_cell(tmp_path, capsys):
    nb = make(tmp_path / "tiny.ipynb")
    status, out, err = run(capsys, "check", nb, "--dynamic", "4", "--format", "json")
    report = json.loads(out)
    gv404 = [f for f in report["findings"] if f["code"] == "GV404"]
    assert status == 1 and gv404, out
    assert gv404[0]["path"] == f"{nb}:cell 3" and gv404[0]["line"] == 3
    assert re.search(r"of site \w+ fails at line 3 of cell 3: ValueError: depth 3 is not supported",
                     gv404[0]["message"]), gv404
    assert {s["id"]: s["reached"] for s in report["sites"]} == {"lr": True, "width": True, "depth": True}


def test_annotations_and_rules_work_in_cells(tmp_path, capsys):
    cells = [
        new_code_cell("from typing import Annotated\nfrom glovec.hints import oneof\nimport keras"),
        new_code_cell("def block(k: Annotated[int, oneof([16, 32])] = 32):\n"
                      "    return keras.layers.Dense(k)"),
        new_code_cell("%time model = keras.Sequential([block(), keras.layers.Dropout(0.25)])"),
        new_code_cell("head = keras.layers.Dropout(0.5)"),
    ]
    nb = make(tmp_path / "rules.ipynb", cells)
    status, out, err = run(capsys, "space", nb, "--json", "--rules", "keras")
    assert status == 0, err
    sites = {s["id"]: (s["cell"], s["line"]) for s in json.loads(out)["sites"]}
    assert sites["block.k"] == ("cell 2", 1)
    assert [where for sid, where in sites.items() if sid.endswith("rate")] == [("cell 4", 1)]  # not the %time line


def test_cells_that_cannot_be_mapped_back_are_refused_not_garbled(tmp_path, capsys):
    # IPython dedents a cell that starts indented: its lines are not the cell's own any more
    indented = make(tmp_path / "indented.ipynb", [new_code_cell("  x = 1  # glovec: oneof([1, 2])\n  y = x")])
    status, _, err = run(capsys, "materialize", indented, "--dna", '{"x": "2"}')
    assert status == 1 and "cell 1:1: glovec cannot write a value into a line IPython rewrites" in err
    # a cell line that reads like the script's own `# %% cell N` line
    clash = make(tmp_path / "clash.ipynb", [new_code_cell("x = 1  # glovec: oneof([1, 2])\n# %% cell 2"),
                                            new_code_cell("y = 2")])
    status, _, err = run(capsys, "convert", clash)
    assert status == 1 and "glovec cannot tell the cells apart" in err
    assert not (tmp_path / "clash_search.ipynb").exists()
