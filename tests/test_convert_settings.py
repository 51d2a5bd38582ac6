"""Search settings chosen at `glovec convert` time travel in the generated program; the
GLOVEC_* environment overrides them (issue 4 item 1)."""

import json
import os
import subprocess
import sys

from glovec.cli import main

PROGRAM = """\
x = 3  # glovec: oneof([1, 2, 3])
y = 0.5  # glovec: floatv(0.0, 1.0)
score = x + y  # glovec: objective
print(score)
"""


def _trials(tmp_path, capsys, db):
    capsys.readouterr()
    assert main(["report", str(db), "--json"]) == 0
    return json.loads(capsys.readouterr().out)["trials"]


def _run(gen, env_extra):
    env = dict(os.environ, **env_extra)
    env.pop("GLOVEC_DEFAULTS", None)
    return subprocess.run([sys.executable, str(gen)], cwd=gen.parent, env=env,
                          capture_output=True, text=True, timeout=120)


def test_convert_settings_drive_python_gen(tmp_path, capsys):
    src = tmp_path / "prog.py"
    src.write_text(PROGRAM.replace("y = 0.5  # glovec: floatv(0.0, 1.0)", "y = 0.5"))
    gen = tmp_path / "prog_search.py"
    assert main(["convert", str(src), "--trials", "3", "--algorithm", "grid", "--seed", "1"]) == 0
    assert '"settings":{"algorithm":"grid","seed":1,"trials":3}' in gen.read_text()

    done = _run(gen, {})
    assert done.returncode == 0, done.stderr
    trials = _trials(tmp_path, capsys, tmp_path / "prog_search.glovec.db")
    assert [t["status"] for t in trials] == ["completed"] * 3
    # grid, not the default random search: the three trials are x's three candidates
    assert sorted(t["decisions"]["x"] for t in trials) == ["1", "2", "3"]


def test_environment_overrides_convert_settings(tmp_path, capsys):
    src = tmp_path / "prog.py"
    src.write_text(PROGRAM)
    gen = tmp_path / "prog_search.py"
    assert main(["convert", str(src), "--trials", "5"]) == 0
    done = _run(gen, {"GLOVEC_TRIALS": "2", "GLOVEC_STUDY": str(tmp_path / "s.db")})
    assert done.returncode == 0, done.stderr
    assert len(_trials(tmp_path, capsys, tmp_path / "s.db")) == 2


def test_no_settings_keeps_the_header_unchanged(tmp_path):
    src = tmp_path / "prog.py"
    src.write_text(PROGRAM)
    assert main(["convert", str(src)]) == 0
    assert '"settings"' not in (tmp_path / "prog_search.py").read_text()


def test_run_memory_limit_fails_only_the_hungry_trial(tmp_path, capsys):
    src = tmp_path / "hog.py"
    src.write_text("n = 1  # glovec: oneof([1, 3000])\n"
                   "blob = bytearray(n * 1024 * 1024)\n"
                   "size = len(blob)  # glovec: objective\n")
    db = tmp_path / "hog.db"
    main(["run", str(src), "--algorithm", "grid", "--trials", "2", "--executor", "process",
          "--memory-limit", "1G", "--study", str(db)])
    by_size = {t["decisions"]["n"]: t for t in _trials(tmp_path, capsys, db)}
    assert by_size["1"]["status"] == "completed"
    assert by_size["3000"]["status"] == "failed"
    assert "MemoryError" in by_size["3000"]["error"]
