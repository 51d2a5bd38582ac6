"""Notebooks executed headless in a real kernel (nbclient + ipykernel): the search, the best
notebook glovec materializes, the converted notebook, and the %glovec magics in a running kernel.

Each test starts one kernel (a second or two); the programs are pure Python.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from nbformat.v4 import new_code_cell, new_notebook  # noqa: E402

from glovec.cli import main  # noqa: E402

from test_notebook import CELLS, make, run  # noqa: E402  (the same tiny notebook)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def kernel_sees_glovec(monkeypatch):
    """The kernel is a child process: it imports this checkout's glovec."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.delenv("GLOVEC_TRIAL", raising=False)


def execute(path: Path, timeout: int = 120):
    nb = nbformat.read(str(path), as_version=4)
    nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def text_of(cell) -> str:
    parts = []
    for output in cell.get("outputs", ()):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("display_data", "execute_result"):
            parts.append(output.data.get("text/plain", ""))
    return "".join(parts)


def objective_printed(nb) -> float:
    found = re.search(r"objective (-?\d+\.\d+)", text_of(nb.cells[-1]))
    assert found, text_of(nb.cells[-1])
    return float(found.group(1))


def test_search_then_the_materialized_best_notebook_runs_and_prints_its_objective(tmp_path, capsys):
    nb = make(tmp_path / "tiny.ipynb")
    study = tmp_path / "tiny.glovec.db"
    status, _, err = run(capsys, "run", nb, "--trials", "8", "--seed", "2")
    assert status == 0, err
    best = json.loads(run(capsys, "report", study, "--json")[1])
    top = next(t for t in best["trials"] if t["id"] == best["best"])
    status, _, err = run(capsys, "materialize", nb, "--best", "--study", study,
                         "-o", tmp_path / "best.ipynb")
    assert status == 0, err
    ran = execute(tmp_path / "best.ipynb")
    assert objective_printed(ran) == pytest.approx(top["objective"], abs=1e-6)
    assert "setting up" in text_of(ran.cells[1])  # the `!echo` line, run by the kernel itself


def test_converted_notebook_runs_in_a_kernel_at_the_defaults(tmp_path, capsys):
    nb = make(tmp_path / "tiny.ipynb")
    assert run(capsys, "convert", nb)[0] == 0
    ran = execute(tmp_path / "tiny_search.ipynb")
    # width 32, depth 1, lr 0.1: the values written in the notebook
    assert objective_printed(ran) == pytest.approx(-16 / 48 - 0.5 - 0.1, abs=1e-6)
    assert all(o.output_type != "error" for c in ran.cells for o in c.get("outputs", ()))


def test_magics_search_the_notebook_inside_a_running_kernel(tmp_path):
    cells = [
        new_code_cell("%load_ext glovec"),
        *[c.copy() for c in CELLS if c.cell_type == "code"],
        new_code_cell("%glovec space"),
        new_code_cell("%glovec run --trials 4 --seed 0 --study session.db --workers 2"),
        new_code_cell("%%glovec run --trials 3 --seed 0 --study cell.db\n"
                      "size = 2  # glovec: oneof([1, 2, 3])\n"
                      "loss = (size - 3) ** 2  # glovec: objective(minimize)"),
        new_code_cell("%%glovec\nk = 5  # glovec: oneof([4, 5])\nprint('k is', k)"),
        new_code_cell("%glovec space"),
    ]
    path = tmp_path / "magics.ipynb"
    nbformat.write(new_notebook(cells=cells), str(path))
    ran = execute(path, timeout=300)
    space = text_of(ran.cells[4])
    for site in ("lr", "width", "depth"):  # the cells run so far, named by their execution count
        assert re.search(rf"^{site} .* session:In \[\d\]:\d:\d+", space, re.M), space
    search = ran.cells[5]
    bars = [o for o in search.outputs if "<progress" in o.get("data", {}).get("text/html", "")]
    assert bars and 'value="4" max="4"' in bars[-1].data["text/html"]  # updated in place to the end
    table = search.outputs[-1].data
    assert "<table>" in table["text/html"] and re.search(r"\d completed", table["text/html"])
    assert re.search(r"^\s+\d+\s+-?\d", table["text/plain"], re.M)  # rows of the best trials
    cell_search = ran.cells[6].outputs[-1].data["text/plain"]
    assert "3 completed" in cell_search and "size=3" in cell_search.splitlines()[2]
    assert "k is 5" in text_of(ran.cells[7])  # a bare %%glovec cell runs as usual...
    marked = text_of(ran.cells[8])  # ...and is the program of the next %glovec
    assert re.search(r"^k\s+oneof\s+4 \| 5\s+5\s+session:In \[\d+\]:2:5", marked, re.M), marked
    assert (tmp_path / "session.db").exists() and (tmp_path / "cell.db").exists()
    status = main(["report", str(tmp_path / "session.db"), "--json"])
    assert status == 0


@pytest.mark.tf
@pytest.mark.slow
def test_keras_example_notebook_searched_and_its_best_notebook_run(tmp_path, capsys, monkeypatch):
    pytest.importorskip("keras")
    monkeypatch.setenv("GLOVEC_SMOKE", "1")  # 2 epochs
    nb = tmp_path / "digits_keras.ipynb"
    nb.write_bytes((ROOT / "examples" / "digits_keras.ipynb").read_bytes())
    status, _, err = run(capsys, "run", nb, "--trials", "2", "--seed", "0", "--executor", "process",
                         "--workers", "2")
    assert status == 0, err
    study = tmp_path / "digits_keras.glovec.db"
    best = json.loads(run(capsys, "report", study, "--json")[1])
    top = next(t for t in best["trials"] if t["id"] == best["best"])
    assert run(capsys, "materialize", nb, "--best", "--study", study, "-o", tmp_path / "best.ipynb")[0] == 0
    trained = nbformat.read(str(tmp_path / "best.ipynb"), as_version=4)
    trained.cells = [c for c in trained.cells if "%glovec" not in c.source and "load_ext" not in c.source]
    nbformat.write(trained, str(tmp_path / "best.ipynb"))  # the training cells only, not the search
    ran = execute(tmp_path / "best.ipynb", timeout=600)
    found = re.search(r"validation accuracy: (\d\.\d{4})", "".join(text_of(c) for c in ran.cells))
    assert found and float(found.group(1)) == pytest.approx(top["objective"], abs=1e-4)
