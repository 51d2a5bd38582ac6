"""Programs that break (issue 17): what a trial sees, and what a trial cannot do to the search."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from glovec.runtime.executors import make_executor
from glovec.runtime.executors.process import make_workdir, remove_stale_workdirs

from test_executors import _alive, make_prog, run_all

ROOT = Path(__file__).resolve().parent.parent
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux process tools")


def glovec(*args, cwd=None, env=None, timeout=300):
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "glovec.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def study_trials(db) -> list:
    out = glovec("report", str(db), "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["trials"]


# ---- __file__ and the working directory -------------------------------------------------------

FILE_PROGRAM = """\
import os
here = os.path.dirname(__file__)
with open(os.path.join(here, "data.txt")) as f:
    value = float(f.read())
scale = 1.0  # glovec: oneof([1.0, 2.0])
print("cwd", os.getcwd(), "file", __file__)
score = value * scale  # glovec: objective
"""


@pytest.mark.parametrize("executor", ["inline", "process"])
def test_a_trial_sees_the_programs_own_file_and_working_directory(tmp_path, executor):
    (tmp_path / "prog").mkdir()
    src = tmp_path / "prog" / "model.py"
    src.write_text(FILE_PROGRAM)
    (tmp_path / "prog" / "data.txt").write_text("21\n")
    logs = tmp_path / "logs"
    out = glovec("run", str(src), "--trials", "2", "--algorithm", "grid", "--executor", executor,
                 "--study", str(tmp_path / "s.db"), cwd=tmp_path, env={"GLOVEC_LOG_DIR": str(logs)})
    assert out.returncode == 0, out.stderr
    trials = study_trials(tmp_path / "s.db")
    assert sorted(t["objective"] for t in trials) == [21.0, 42.0], trials
    if executor == "process":
        printed = (logs / f"trial-{trials[0]['id']}.out").read_text()
        assert printed.strip() == f"cwd {tmp_path} file {src}"


def test_a_process_trials_traceback_names_the_users_file_and_line(tmp_path):
    src = tmp_path / "model.py"
    src.write_text("import os\nx = 1  # glovec: oneof([1, 2])\n\nraise ValueError(f'bad {x}')\n")
    out = glovec("run", str(src), "--trials", "1", "--executor", "process", "--study",
                 str(tmp_path / "s.db"), cwd=tmp_path)
    error = study_trials(tmp_path / "s.db")[0]["error"]
    assert f'File "{src}", line 4, in <module>' in error, error
    assert error.rstrip().splitlines()[-1] in ("ValueError: bad 1", "ValueError: bad 2")
    assert "glovec-trials" not in error and "server.py" not in error, out.stderr


# ---- inline: os._exit and fork ----------------------------------------------------------------

def test_inline_os_exit_fails_the_trial_and_the_search_goes_on(tmp_path):
    src = tmp_path / "model.py"
    src.write_text("import os\nx = 1  # glovec: oneof([1, 2, 3, 4])\n"
                   "if x == 2:\n    os._exit(0)\nscore = x  # glovec: objective\n")
    out = glovec("run", str(src), "--trials", "4", "--algorithm", "grid", "--study",
                 str(tmp_path / "s.db"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    trials = study_trials(tmp_path / "s.db")
    assert [t["status"] for t in trials] == ["completed", "failed", "completed", "completed"]
    assert "os._exit(0)" in trials[1]["error"]
    assert "3 completed, 1 failed" in out.stdout


@linux_only
def test_inline_a_forked_child_that_falls_through_leaves_the_study_alone(tmp_path):
    pids = tmp_path / "children"
    src = tmp_path / "model.py"
    src.write_text(textwrap.dedent(f"""\
        import os
        x = 1  # glovec: oneof([1, 2, 3])
        pid = os.fork()
        if pid == 0:
            with open({str(pids)!r}, "a") as f:
                f.write(f"{{os.getpid()}}\\n")
        else:
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0
        score = x  # glovec: objective
        """))
    out = glovec("run", str(src), "--trials", "3", "--algorithm", "grid", "--study",
                 str(tmp_path / "s.db"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    trials = study_trials(tmp_path / "s.db")
    assert [(t["status"], t["objective"]) for t in trials] == [("completed", 1), ("completed", 2),
                                                               ("completed", 3)]
    assert out.stdout.count("3 completed, 0 failed") == 1  # one summary: no child drove a search
    assert len(pids.read_text().split()) == 3


# ---- process: leftovers, SIGTERM, stale folders ------------------------------------------------

@linux_only
def test_processes_a_trial_leaves_behind_die_when_it_ends(tmp_path):
    pid_file = tmp_path / "sleeper.pid"
    prog = make_prog(tmp_path, f"""\
        import subprocess
        p = subprocess.Popen(["sleep", "120"])
        open({str(pid_file)!r}, "w").write(str(p.pid))
        _gv.objective(1.0)
        """)
    results = run_all(make_executor("process", prog), {0: {}})
    assert results[0].status == "completed", results[0].error
    sleeper = int(pid_file.read_text())
    for _ in range(100):
        if not _alive(sleeper):
            break
        time.sleep(0.05)
    else:
        os.kill(sleeper, signal.SIGKILL)
        pytest.fail("a process the trial started outlived the trial")


@linux_only
def test_sigterm_stops_the_driver_and_removes_its_files(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    started = tmp_path / "started"
    src = tmp_path / "model.py"
    src.write_text(f"import time\nx = 1  # glovec: oneof([1, 2])\nopen({str(started)!r}, 'w').close()\n"
                   "time.sleep(120)\nscore = x  # glovec: objective\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp)}
    proc = subprocess.Popen([sys.executable, "-m", "glovec.cli", "run", str(src), "--trials", "2",
                             "--executor", "process", "--study", str(tmp_path / "s.db")],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        for _ in range(1200):
            if started.exists():
                break
            time.sleep(0.05)
        assert list(tmp.glob("glovec-trials-*"))
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert "terminated (SIGTERM)" in err
    assert list(tmp.glob("glovec-trials-*")) == []
    trials = study_trials(tmp_path / "s.db")
    assert [t["status"] for t in trials] == ["running"]  # run again on --resume


@linux_only
def test_folders_of_killed_drivers_are_removed_at_the_next_start(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"glovec-trials-{dead.pid}-abc"
    stale.mkdir()
    (stale / "driver").write_text(f"{dead.pid} 1\n")
    (stale / "trial-1.json").write_text("{}")
    mine = Path(make_workdir())
    other = tmp_path / "glovec-trials-unrelated"  # no driver file: not judged
    other.mkdir()
    assert remove_stale_workdirs() == [str(stale)]
    assert not stale.exists() and mine.exists() and other.exists()
    prog = make_prog(tmp_path, "_gv.objective(1)\n")
    stale.mkdir()
    (stale / "driver").write_text(f"{dead.pid} 1\n")
    ex = make_executor("process", prog)  # a new executor clears them too
    ex.close()
    assert not stale.exists()
