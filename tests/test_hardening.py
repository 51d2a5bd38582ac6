"""Issue 17 ("Hardening"): what a careless, unlucky or hostile user meets. Each test is one item
of the issue, seen the way a user sees it: the command's exit status, what it prints, and which
files it touched."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from conftest import edit_study as edit
from conftest import glovec_process, trials_of, without_root_powers
from glovec.cli import main
from glovec.runtime.study import Study, StudyError

PROGRAM = """\
width = 8  # glovec: oneof([4, 8, 16])
act = "relu"  # glovec: oneof(["relu", "gelu"])
score = width * (2 if act == "gelu" else 1)  # glovec: objective
"""


@pytest.fixture
def program(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(PROGRAM)
    return path


@pytest.fixture
def study(program, capsys):
    """A study of three finished trials beside the program."""
    db = program.parent / "model.glovec.db"
    assert main(["run", str(program), "--trials", "3", "--seed", "0", "--study", str(db)]) == 0
    capsys.readouterr()
    return db


def glovec(capsys, *argv):
    capsys.readouterr()
    status = main([str(a) for a in argv])
    out = capsys.readouterr()
    return status, out.out, out.err


# ---- security: the lock file --------------------------------------------------------------------


def test_a_symlink_planted_as_the_lock_file_is_refused_and_its_target_kept(program, tmp_path,
                                                                             capsys):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    db = tmp_path / "s.db"
    os.symlink(victim, str(db) + "-lock")
    status, _, err = glovec(capsys, "run", program, "--trials", "2", "--study", db)
    assert status == 1
    assert err.startswith(f"{db}:1:1: GV509 the lock file {db}-lock is a symbolic link")
    assert victim.read_text() == "precious\n"


def test_a_hard_link_or_a_foreign_file_as_the_lock_file_is_refused(program, tmp_path, capsys):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    db = tmp_path / "s.db"
    os.link(victim, str(db) + "-lock")
    status, _, err = glovec(capsys, "run", program, "--trials", "2", "--study", db)
    assert status == 1 and " GV509 " in err and "hard link" in err
    os.unlink(str(db) + "-lock")
    (tmp_path / "s.db-lock").write_text("not a process id\n")
    status, _, err = glovec(capsys, "run", program, "--trials", "2", "--study", db)
    assert status == 1 and " GV509 " in err and "other than a process id" in err
    assert (tmp_path / "s.db-lock").read_text() == "not a process id\n"
    assert victim.read_text() == "precious\n"


def test_a_folder_or_a_fifo_as_the_lock_file_is_refused(tmp_path):
    space = {"glovec_space": 1, "sites": []}
    os.mkfifo(tmp_path / "f.db-lock")
    with pytest.raises(StudyError) as raised:
        Study.open(str(tmp_path / "f.db"), space)
    assert raised.value.code == "GV509" and "not a plain file" in raised.value.message


def test_a_stale_lock_file_with_a_process_id_is_reused(program, tmp_path, capsys):
    db = tmp_path / "s.db"
    (tmp_path / "s.db-lock").write_text("12345")
    status, _, err = glovec(capsys, "run", program, "--trials", "2", "--study", db)
    assert status == 0, err
    assert (tmp_path / "s.db-lock").read_text() == str(os.getpid())


# ---- security: untrusted text on the terminal ---------------------------------------------------

OSC = "\x1b]0;pwned\x07"


def test_report_escapes_a_trial_error_from_the_program(tmp_path, capsys):
    src = tmp_path / "loud.py"
    src.write_text("width = 8  # glovec: oneof([4, 8])\n"
                   f"raise RuntimeError({OSC + 'red' + chr(0x9b) + '31m'!r})\n")
    db = tmp_path / "loud.db"
    glovec(capsys, "run", src, "--trials", "1", "--study", db)
    status, out, _ = glovec(capsys, "report", db)
    assert status == 0
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "\\x1b]0;pwned\\x07red\\x9b31m" in out
    status, out, _ = glovec(capsys, "report", db, "--json")   # JSON escapes by itself
    assert json.loads(out)["trials"][0]["error"].count(OSC) == 1 and "\x1b" not in out


def test_report_escapes_stored_candidates_and_statuses(study, capsys):
    con = sqlite3.connect(study)
    space = json.loads(con.execute("SELECT value FROM meta WHERE key = 'space'").fetchone()[0])
    con.close()
    space["sites"][0]["candidates"] = ["\x1b[2J4", "\u202e8", "16\r"]
    edit(study, "UPDATE meta SET value = ? WHERE key = 'space'", json.dumps(space))
    status, out, _ = glovec(capsys, "report", study)
    assert status == 0
    assert "\\x1b[2J4" in out or "\\u202e8" in out or "16\\r" in out
    assert not any(c in out for c in "\x1b\u202e\r")


# ---- read-only means read-only ------------------------------------------------------------------


def snapshot(folder):
    """Every file in ``folder`` with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_report_and_materialize_leave_a_foreign_sqlite_file_as_it_was(program, tmp_path, capsys):
    foreign = tmp_path / "notes.db"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE notes (body TEXT)")
    con.execute("INSERT INTO notes VALUES ('keep me')")
    con.commit()
    con.close()
    before = snapshot(tmp_path)
    status, _, err = glovec(capsys, "report", foreign)
    assert (status, err) == (1, f"{foreign}:1:1: GV501 {foreign} is an SQLite file but not a "
                                f"glovec study\n")
    status, _, err = glovec(capsys, "materialize", program, "--best", "--study", foreign)
    assert status == 1 and " GV501 " in err
    assert snapshot(tmp_path) == before


def test_report_leaves_an_empty_file_empty(program, tmp_path, capsys):
    empty = tmp_path / "empty.db"
    empty.touch()
    before = snapshot(tmp_path)
    status, _, err = glovec(capsys, "report", empty)
    assert (status, err) == (1, f"{empty}:1:1: GV501 {empty} is not a glovec study (it holds "
                                f"no tables)\n")
    status, _, err = glovec(capsys, "materialize", program, "--trial", "1", "--study", empty)
    assert status == 1 and " GV501 " in err
    assert snapshot(tmp_path) == before and empty.stat().st_size == 0


def test_reading_a_study_changes_no_byte_and_creates_no_wal_files(study, program, capsys):
    before = snapshot(study.parent)
    assert glovec(capsys, "report", study)[0] == 0
    assert glovec(capsys, "report", study, "--json")[0] == 0
    assert glovec(capsys, "materialize", program, "--best", "--study", study)[0] == 0
    assert snapshot(study.parent) == before


def test_report_reads_the_log_of_a_driver_that_is_still_running(study, capsys):
    con = sqlite3.connect(study)
    space = json.loads(con.execute("SELECT value FROM meta WHERE key = 'space'").fetchone()[0])
    con.close()
    running = Study.open(str(study), space, resume=True)   # a driver that has not ended
    try:
        tid = running.add_trial({"width": 2, "act": 1}, status="running")
        running.complete(tid, 100.0)
        assert os.path.exists(f"{study}-wal")
        status, out, _ = glovec(capsys, "report", study, "--json")
        assert status == 0 and json.loads(out)["best"] == tid
    finally:
        running.close()


def test_report_and_materialize_work_in_a_read_only_folder(study, program, tmp_path):
    import subprocess

    before = snapshot(study.parent)
    os.chmod(study.parent, 0o555)
    try:
        probe = subprocess.run([*without_root_powers(), "touch", str(study.parent / "probe")],
                               capture_output=True)
        assert probe.returncode != 0   # the folder really is read-only for the commands below
        report = glovec_process(["report", study])
        assert report.returncode == 0, report.stderr
        assert "3 completed" in report.stdout
        best = glovec_process(["materialize", program, "--best", "--study", study])
        assert best.returncode == 0, best.stderr
        assert best.stdout.startswith("width = ")
    finally:
        os.chmod(study.parent, 0o755)
    assert snapshot(study.parent) == before


# ---- tracebacks where a diagnostic belongs: damaged studies ------------------------------------

DAMAGE = {
    "dna not JSON": ("UPDATE trials SET dna = '{bad' WHERE id = 1", "trial 1", "its dna is not JSON"),
    "dna a list": ("UPDATE trials SET dna = '[1]' WHERE id = 1", "trial 1",
                   "its dna is not a JSON object"),
    "dna of text": ("""UPDATE trials SET dna = '{"width": "x"}' WHERE id = 1""", "trial 1",
                    "its dna holds str for 'width', not a decision"),
    "metrics not JSON": ("UPDATE trials SET metrics = '{x' WHERE id = 1", "trial 1",
                         "its metrics is not JSON"),
    "metrics a list": ("UPDATE trials SET metrics = '[1]' WHERE id = 1", "trial 1",
                       "its metrics are not a JSON object"),
    "objective text": ("UPDATE trials SET objective = 'abc' WHERE id = 1", "trial 1",
                       "its objective is not JSON"),
    "objective of strings": ("""UPDATE trials SET objective = '["a"]' WHERE id = 1""", "trial 1",
                             "its objective is not a number nor a list of numbers"),
    "objective a blob": ("UPDATE trials SET objective = x'00' WHERE id = 1", "trial 1",
                         "its objective is bytes, not JSON text"),
    "space not JSON": ("UPDATE meta SET value = '{' WHERE key = 'space'", "the stored space",
                       "its JSON is not JSON"),
    "space a list": ("UPDATE meta SET value = '[]' WHERE key = 'space'", "the stored space",
                     "it is not a space"),
    "site without id": ("UPDATE meta SET value = json_remove(value, '$.sites[0].id') "
                        "WHERE key = 'space'", "the stored space", "its sites do not make a space"),
    "objective a string": ("UPDATE meta SET value = json_set(value, '$.objective', 'x') "
                           "WHERE key = 'space'", "the stored space",
                           "its objective is not a JSON object"),
    "no trials table": ("DROP TABLE trials", "the file", "it has no table trials"),
    "objective an empty list": ("UPDATE trials SET objective = '[]' WHERE id = 1", "trial 1",
                                "its objective is not a number nor a list of numbers"),
    "text not UTF-8": ("UPDATE trials SET dna = CAST(x'7bff' AS TEXT) WHERE id = 1", "trial 1",
                       "its dna is not JSON"),
    "a column missing": ("ALTER TABLE trials DROP COLUMN finished", "the file",
                         "no such column: finished"),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
@pytest.mark.parametrize("command", ["report", "report --json", "materialize", "resume"])
def test_a_damaged_study_is_a_diagnostic_not_a_traceback(study, program, capsys, case, command):
    sql, what, why = DAMAGE[case]
    edit(study, sql)
    argv = {"report": ["report", study], "report --json": ["report", study, "--json"],
            "materialize": ["materialize", program, "--trial", "1", "--study", study],
            "resume": ["run", program, "--trials", "5", "--study", study, "--resume"]}[command]
    status, out, err = glovec(capsys, *argv)
    assert status == 1, err
    diagnostic = f"{study}:1:1: GV510 {what} of study {study} is damaged: {why}"
    assert err.splitlines()[-1].startswith(diagnostic), err
    assert "Traceback" not in err and out == ""


def test_a_resumed_trial_whose_decisions_no_longer_fit_is_a_diagnostic(study, program, capsys):
    edit(study, """UPDATE trials SET status = 'running', dna = '{"width": 7, "act": 0}'
                   WHERE id = 3""")
    before = snapshot(study.parent)
    status, _, err = glovec(capsys, "run", program, "--trials", "5", "--study", study, "--resume")
    assert status == 1
    assert err.startswith(f"{study}:1:1: GV510 trial 3 of study {study} is damaged: its "
                          f"decisions do not fit the study's space (site 'width': candidate "
                          f"index 7"), err
    assert trials_of(study) == trials_of_snapshot(before, study)   # nothing requeued or run


def trials_of_snapshot(files, db):
    copy = db.parent / "copy.db"
    copy.write_bytes(files[db.name])
    try:
        return trials_of(copy)
    finally:
        copy.unlink()


def test_resume_of_a_read_only_study_file_is_a_diagnostic(study, program):
    os.chmod(study, 0o444)
    try:
        run = glovec_process(["run", program, "--trials", "5", "--study", study, "--resume"])
    finally:
        os.chmod(study, 0o644)
    assert run.returncode == 1, run.stderr
    assert run.stderr.startswith(f"{study}:1:1: GV511 study {study} cannot be written"), run.stderr
    assert len(trials_of(study)) == 3


# ---- tracebacks where a diagnostic belongs: paths ------------------------------------------------


@pytest.mark.parametrize("command", ["convert", "materialize"])
def test_an_output_into_a_missing_folder_or_naming_a_folder_is_gv602(program, tmp_path, capsys,
                                                                      command):
    argv = ["convert", program] if command == "convert" else \
        ["materialize", program, "--defaults"]
    missing = tmp_path / "nowhere" / "out.py"
    status, out, err = glovec(capsys, *argv, "-o", missing)
    assert (status, err) == (1, f"{missing}:1:1: GV602 cannot write {missing}: the folder "
                                f"{missing.parent} does not exist\n")
    folder = tmp_path / "outputs"
    folder.mkdir()
    status, out, err = glovec(capsys, *argv, "-o", folder)
    assert (status, err) == (1, f"{folder}:1:1: GV602 cannot write {folder}: it is a folder; "
                                f"name a file\n")
    assert list(folder.iterdir()) == [] and not missing.parent.exists()


def test_an_output_into_a_read_only_folder_is_gv602(program, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        done = glovec_process(["convert", program, "-o", folder / "out.py"])
    finally:
        folder.chmod(0o755)
    assert done.returncode == 1
    assert done.stderr == (f"{folder / 'out.py'}:1:1: GV602 cannot write {folder / 'out.py'}: "
                           f"Permission denied\n")
    assert list(folder.iterdir()) == []


def test_report_plot_into_a_missing_folder_is_gv602(study, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "nowhere" / "p.png"
    status, out, err = glovec(capsys, "report", study, "--plot", plot)
    assert status == 1 and err.startswith(f"{plot}:1:1: GV602 cannot write {plot}: the folder ")
    status, out, err = glovec(capsys, "report", study, "--plot", tmp_path / "p.png")
    assert status == 0 and (tmp_path / "p.png").read_bytes().startswith(b"\x89PNG")


def test_a_missing_path_to_check_is_gv601_exit_1_too(tmp_path, capsys):
    missing = tmp_path / "nope.py"
    status, _, err = glovec(capsys, "check", missing)
    assert (status, err) == (1, f"{missing}:1:1: GV601 cannot read {missing}: No such file or "
                                f"directory\n")


@pytest.mark.parametrize("command", ["convert", "diff", "space", "run", "materialize"])
def test_a_missing_or_folder_src_is_gv601_exit_1_in_every_command(tmp_path, capsys, command):
    extra = ["--defaults"] if command == "materialize" else []
    for src, why in ((tmp_path / "nope.py", "No such file or directory"),
                     (tmp_path, "it is a folder, not a file")):
        status, _, err = glovec(capsys, command, src, *extra)
        assert (status, err) == (1, f"{src}:1:1: GV601 cannot read {src}: {why}\n")


def test_materialize_dna_that_is_not_an_object_is_gv506(program, capsys):
    status, out, err = glovec(capsys, "materialize", program, "--dna", "[1]")
    assert (status, out) == (1, "")
    assert err == (f"{program}:1:1: GV506 the DNA does not fit this program: --dna needs a JSON "
                   f"object {{site id: decision}}, not list\n")


def test_a_partial_dna_takes_the_default_for_what_it_leaves_out(program, tmp_path, capsys):
    status, out, err = glovec(capsys, "materialize", program, "--dna", '{"act": "\\"gelu\\""}')
    assert status == 0, err
    assert out == PROGRAM.replace('act = "relu"', 'act = "gelu"')
    other = tmp_path / "other.py"
    other.write_text('opt = "sgd"  # glovec: oneof(["sgd", "adam"])\n'
                      'lr = 0.1  # glovec: floatv(0.01, 1.0)\n')
    status, out, err = glovec(capsys, "materialize", other, "--dna", "{}")
    assert status == 0 and out == other.read_text()


# ---- a diverging trial's intermediate values ------------------------------------------------------

DIVERGING = """\
import glovec.runtime as gv
width = 8  # glovec: oneof([4, 8, 16])
for step, loss in enumerate([10**400, float("inf"), float("nan"), width / 10]):
    gv.report(loss, step=step)
score = width  # glovec: objective
"""


@pytest.mark.parametrize("executor", ["inline", "process"])
def test_reports_beyond_a_float_or_not_finite_do_not_stop_the_search(tmp_path, capsys, executor):
    path = tmp_path / "diverge.py"
    path.write_text(DIVERGING)
    db = tmp_path / "d.db"
    status, _, err = glovec(capsys, "run", path, "--trials", "3", "--seed", "0", "--study", db,
                            "--executor", executor)
    assert status == 0, err
    assert "internal error" not in err
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT trial_id, step, value FROM reports ORDER BY trial_id").fetchall()
    widths = dict(conn.execute("SELECT id, objective FROM trials").fetchall())
    conn.close()
    # only the finite report is kept, and the study stays strict JSON for report --json
    assert rows == [(tid, 3, widths[tid] / 10) for tid in sorted(widths)]
    status, out, err = glovec(capsys, "report", db, "--json")
    assert status == 0, err
    assert [t["status"] for t in json.loads(out)["trials"]] == ["completed"] * 3


def test_a_report_that_is_not_a_number_fails_its_trial_with_the_reason(tmp_path, capsys):
    path = tmp_path / "text.py"
    path.write_text(DIVERGING.replace("width / 10]", '"low"]'))
    db = tmp_path / "t.db"
    status, _, err = glovec(capsys, "run", path, "--trials", "2", "--seed", "0", "--study", db)
    assert "internal error" not in err
    errors = [e for (e,) in sqlite3.connect(db).execute("SELECT error FROM trials")]
    assert len(errors) == 2
    assert all("report() needs a number, not 'low'" in e for e in errors)
