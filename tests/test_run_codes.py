"""Meta-test of the GV5xx and GV6xx catalogue entries (run, study and resume errors; files that
cannot be read or written): each Before gives its code and each After does not, through the
harness described in transforms/diagnostics.py."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import glovec_process
from glovec.cli import main
from glovec.compiler import compile_source
from glovec.runtime.study import Study, StudyError
from glovec.transforms.diagnostics import CATALOGUE

RUN_CODES = [c for c in CATALOGUE if c.code.startswith(("GV5", "GV6"))]

# A process that opens a study (as a driver does) and keeps it open until killed.
HOLD = """\
import json, sys, time
from glovec.runtime.study import Study
study = Study.open(sys.argv[1], json.loads(sys.argv[2]), resume=True)
print("open", flush=True)
time.sleep(60)
"""


def test_every_code_the_driver_emits_is_in_the_catalogue():
    assert [c.code for c in RUN_CODES] == [f"GV5{i:02}" for i in range(1, 17)] + ["GV601", "GV602"]
    assert {c.check for c in RUN_CODES} == {"run", "api"}


def _run(capsys, tmp_path, entry, which: str):
    src, study = tmp_path / "model.py", tmp_path / "model.glovec.db"
    for path in tmp_path.iterdir():
        path.unlink()
    program = entry.example.get("program")
    if program is not None:
        src.write_text(program)
        assert main(["run", str(src), "--trials", "2", "--study", str(study)]) == 0
    src.write_text(entry.before if which == "before" else entry.after)
    argv = [a.replace("{src}", str(src)).replace("{study}", str(study))
            for a in entry.example[which]]
    holder = None
    if entry.example.get("hold") and which == "before":  # another driver has the study open
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(study), json.dumps(compile_source(program, "m.py").space_doc)],
            stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline() == "open\n"
    capsys.readouterr()
    if entry.example.get("read_only") and which == "before":  # the study made read-only
        return _run_read_only(study, argv)
    try:
        status = main(argv)
    finally:
        if holder is not None:
            holder.kill()
            holder.wait()
    return status, capsys.readouterr().err


def _run_read_only(study, argv):
    """``glovec ARGV`` in a process for which ``study`` is read-only."""
    import os

    os.chmod(study, 0o444)
    try:
        done = glovec_process(argv)
    finally:
        os.chmod(study, 0o644)
    return done.returncode, done.stderr


def _api(tmp_path, snippet: str, name: str):
    path = str(tmp_path / f"{name}.glovec.db")
    space = {"glovec_space": 1, "sites": [{"id": "w", "kind": "oneof", "candidates": ["1", "2"],
                                           "default": 0, "repeat": 1}]}
    study = Study.open(path, space)
    try:
        exec(snippet, {"Study": Study, "study": study, "space": space, "path": path})
    except StudyError as exc:
        return exc.code
    finally:
        study.close()
    return None


@pytest.mark.parametrize("entry", RUN_CODES, ids=lambda c: c.code)
def test_before_gives_the_code_and_after_does_not(capsys, tmp_path, entry):
    if "import torch" in entry.before:  # the one-shot codes (GV512-GV516) run a PyTorch program
        pytest.importorskip("torch")
    if entry.check == "api":
        assert _api(tmp_path, entry.before, "before") == entry.code
        assert _api(tmp_path, entry.after, "after") is None
        return
    status, err = _run(capsys, tmp_path, entry, "before")
    assert status == 1 and f" {entry.code} " in err, err
    status, err = _run(capsys, tmp_path, entry, "after")
    assert status == 0 and "GV5" not in err and "GV6" not in err, err


def test_explain_describes_a_run_code(capsys):
    assert main(["explain", "GV503"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--migrate" in text and "site id" in text
