"""The robustness suite (issue 17): probes that keep running with the default tests.

- tampered studies: random byte flips and random row edits never produce a traceback, and what
  `materialize` writes from a tampered study is always one of the programs the program's own
  candidates make;
- signals: SIGINT or SIGTERM to a running `glovec run`, then `--resume`, ends with every trial
  done exactly once;
- path faults: outputs into missing or read-only folders, or naming a folder, are GV602 and
  leave nothing behind;
- extreme objectives: an integer beyond a float's range, infinities and NaN fail their trial with
  the reason, and the report stays strict JSON.

Fast by design (a few dozen examples each, in-process where possible); `docs/guarantees.md`
says what these probes hold glovec to.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import edit_study as edit
from conftest import glovec_process, trials_of
from glovec.cli import main

PROGRAM = """\
width = 8  # glovec: oneof([4, 8, 16])
act = "relu"  # glovec: oneof(["relu", "gelu"])
score = width * (2 if act == "gelu" else 1)  # glovec: objective
"""
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
FUZZ = settings(max_examples=int(os.environ.get("GLOVEC_FUZZ_EXAMPLES", "25")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def glovec(*argv) -> tuple[int, str, str]:
    """``glovec ARGV`` in-process: (exit status, stdout, stderr)."""
    out, err = io.BytesIO(), io.StringIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(err):
        status = main([str(a) for a in argv])
    stdout.flush()
    return status, out.getvalue().decode("utf-8", "replace"), err.getvalue()


class Base(tuple):
    """(program path, study bytes, every program materialize can write), shown briefly."""

    def __repr__(self) -> str:
        return f"Base({self[0]}, {len(self[1])} study bytes)"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A program, a study of six finished trials, and every program materialize can write."""
    folder = tmp_path_factory.mktemp("robust")
    src = folder / "model.py"
    src.write_text(PROGRAM)
    db = folder / "model.glovec.db"
    assert glovec("run", src, "--trials", "6", "--seed", "0", "--study", db)[0] == 0
    programs = set()
    for width, act in itertools.product(range(3), range(2)):
        status, out, _ = glovec("materialize", src, "--dna", json.dumps({"width": width, "act": act}))
        assert status == 0
        programs.add(out)
    return Base((src, db.read_bytes(), programs))


def strict_json(text: str):
    """``text`` parsed as strict JSON: NaN and Infinity (which Python writes) are refused."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def check_commands(src: Path, db: Path, programs: set[str]) -> None:
    """What every command may do with a tampered study: exit 0 or 1, no traceback, nothing of the
    study's text reaching the terminal raw, and no program but the program's own."""
    for argv in (["report", db], ["report", db, "--json"],
                 ["materialize", src, "--best", "--study", db],
                 ["materialize", src, "--trial", "2", "--study", db]):
        status, out, err = glovec(*argv)
        assert status in (0, 1), (argv, err)
        assert "internal error" not in err and "Traceback" not in err, (argv, err)
        if status == 1:
            assert re.search(r" GV5\d\d ", err), (argv, err)
        if argv[0] == "report" and status == 0:
            if "--json" in argv:
                strict_json(out)
            else:
                assert not CONTROL.search(out.replace("\n", "").replace("\t", "")), out
        if argv[0] == "materialize" and status == 0:
            assert out in programs, out
    copy = db.with_name("resume.db")
    copy.write_bytes(db.read_bytes())
    status, _, err = glovec("run", src, "--trials", "8", "--study", copy, "--resume")
    assert status in (0, 1) and "internal error" not in err and "Traceback" not in err, err


# ---- tampered studies ---------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_random_byte_flips_never_give_a_traceback(base, data):
    src, study, programs = base
    used = [i for i, byte in enumerate(study) if byte]   # most of a page is zeros nobody reads
    flips = data.draw(st.lists(st.tuples(st.sampled_from(used), st.integers(1, 255)),
                               min_size=1, max_size=8))
    damaged = bytearray(study)
    for offset, mask in flips:
        damaged[offset] ^= mask
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "t.db"
        db.write_bytes(bytes(damaged))
        check_commands(src, db, programs)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=3),
    max_leaves=6)
CELL = (st.none() | st.integers(-3, 10) | st.floats() | st.text(max_size=12)
        | st.binary(max_size=6) | JSONISH.map(json.dumps)
        | st.sampled_from(['{"width": 2, "act": 1}', '{"width": 9, "act": 0}', '{"width": 1}',
                           "completed", "running", "proposed", "\x1b]0;owned\x07", "[1.5, 2]"]))
TRIAL_COLUMNS = ("status", "dna", "objective", "metrics", "error", "step", "started", "finished")
SITE_KEYS = ("id", "kind", "candidates", "default", "repeat", "children", "lo", "hi")


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(1, 6), st.sampled_from(TRIAL_COLUMNS), CELL),
                      min_size=1, max_size=4),
       space_edit=st.none() | st.tuples(st.integers(0, 1), st.sampled_from(SITE_KEYS), JSONISH))
def test_random_row_edits_never_give_a_traceback_nor_a_foreign_program(base, edits, space_edit):
    src, study, programs = base
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "t.db"
        db.write_bytes(study)
        for tid, column, value in edits:
            try:
                edit(db, f"UPDATE trials SET {column} = ? WHERE id = ?", value, tid)
            except sqlite3.IntegrityError:   # NOT NULL columns: the edit SQLite itself refuses
                pass
        if space_edit is not None:
            index, key, value = space_edit
            edit(db, "UPDATE meta SET value = json_set(value, ?, json(?)) WHERE key = 'space'",
                 f"$.sites[{index}].{key}", json.dumps(value))
        check_commands(src, db, programs)


# ---- signals ------------------------------------------------------------------------------------

SLOW = """\
import time
width = 8  # glovec: oneof([4, 8, 16, 32])
depth = 2  # glovec: oneof([1, 2, 3])
time.sleep(0.25)
score = width * depth  # glovec: objective
"""


def _finished(db: Path) -> int:
    try:
        return sum(1 for row in trials_of(db) if row[1] == "completed")
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signalled_run_resumes_with_every_trial_done_exactly_once(tmp_path, signum):
    src = tmp_path / "slow.py"
    src.write_text(SLOW)
    db = tmp_path / "slow.db"
    root = Path(__file__).resolve().parent.parent
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GLOVEC_")},
           "PYTHONPATH": str(root)}
    argv = [sys.executable, "-m", "glovec.cli", "run", str(src), "--trials", "8", "--seed", "3",
            "--study", str(db)]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.time() + 60
    while _finished(db) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    expected = (130,) if signum == signal.SIGINT else (-signal.SIGTERM, 128 + signal.SIGTERM)
    assert proc.returncode in expected, err
    if signum == signal.SIGINT:
        assert "interrupted" in err and "Traceback" not in err
    before = trials_of(db)
    done_before = {row[0]: row for row in before if row[1] == "completed"}
    assert 2 <= len(done_before) < 8
    again = subprocess.run([*argv, "--resume"], env=env, capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr
    after = trials_of(db)
    assert [row[0] for row in after] == list(range(1, 9))      # nothing counted twice
    assert [row[1] for row in after] == ["completed"] * 8
    for tid, row in done_before.items():                       # nothing lost or re-run
        assert after[tid - 1] == row
    for row in before:                                         # in flight: run again, same DNA
        if row[1] != "completed":
            assert after[row[0] - 1][2] == row[2]
    for _, _, dna, objective in after:
        d = json.loads(dna)
        assert objective == (4, 8, 16, 32)[d["width"]] * (1, 2, 3)[d["depth"]]


# ---- path faults --------------------------------------------------------------------------------

OUTPUTS = {
    "convert -o": lambda src, db, out: ["convert", src, "-o", out],
    "materialize -o": lambda src, db, out: ["materialize", src, "--best", "--study", db, "-o", out],
    "report --plot": lambda src, db, out: ["report", db, "--plot", out],
    "check -o": lambda src, db, out: ["check", src, "-o", out],
}


@pytest.fixture
def study_copy(base, tmp_path):
    src, study, _ = base
    db = tmp_path / "s.db"
    db.write_bytes(study)
    return src, db


@pytest.mark.parametrize("command", sorted(OUTPUTS))
@pytest.mark.parametrize("fault", ["missing folder", "names a folder"])
def test_an_output_path_fault_is_gv602_and_leaves_nothing(study_copy, tmp_path, command, fault):
    if command == "report --plot":
        pytest.importorskip("matplotlib")
    src, db = study_copy
    out = tmp_path / "out"
    if fault == "missing folder":
        out = out / "result"
    else:
        out.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    status, _, err = glovec(*OUTPUTS[command](src, db, out))
    assert status == 1 and err.splitlines()[-1].startswith(f"{out}:1:1: GV602 cannot write {out}")
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.parametrize("command", sorted(OUTPUTS))
def test_an_output_into_a_read_only_folder_is_gv602(study_copy, tmp_path, command):
    if command == "report --plot":
        pytest.importorskip("matplotlib")
    src, db = study_copy
    folder = tmp_path / "locked"
    folder.mkdir()
    out = folder / "result"
    folder.chmod(0o555)
    try:
        done = glovec_process(OUTPUTS[command](src, db, out))
    finally:
        folder.chmod(0o755)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-1] == f"{out}:1:1: GV602 cannot write {out}: Permission denied"
    assert list(folder.iterdir()) == []


# ---- extreme objectives ---------------------------------------------------------------------------

EXTREME = """\
kind = 0  # glovec: oneof([0, 1, 2, 3, 4])
score = [10**400, float("inf"), float("-inf"), float("nan"), 1.0][kind]  # glovec: objective
"""


def test_extreme_objectives_fail_their_trial_and_the_report_stays_strict_json(tmp_path):
    src = tmp_path / "extreme.py"
    src.write_text(EXTREME)
    db = tmp_path / "extreme.db"
    status, _, err = glovec("run", src, "--algorithm", "grid", "--trials", "5", "--study", db)
    assert status == 0, err
    status, out, _ = glovec("report", db, "--json")
    report = strict_json(out)
    assert report["counts"]["completed"] == 1 and report["counts"]["failed"] == 4
    assert report["best"] == 5
    reasons = [t["error"] for t in report["trials"] if t["status"] == "failed"]
    assert reasons == ["the objective is not a finite number (an integer of 401 digits, beyond "
                       "a float's range)", "the objective is not a finite number (inf)",
                       "the objective is not a finite number (-inf)",
                       "the objective is not a finite number (nan)"]
    edit(db, "UPDATE trials SET objective = 1e999 WHERE id = 5")   # a study can only be made so
    status, _, err = glovec("report", db, "--json")
    assert status == 1 and " GV510 trial 5 " in err and "not a finite number" in err
