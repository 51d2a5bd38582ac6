"""Warm workers (issue 15): imports paid once, trials still isolated from each other."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from glovec.runtime.executors import make_executor
from glovec.runtime.executors.server import module_imports

from test_executors import CRASHES, make_prog, run_all

ROOT = Path(__file__).resolve().parent.parent
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork server: Linux")


def test_module_imports_are_the_module_level_ones():
    code = ("import os, json as j\nfrom keras import layers\nfrom . import sibling\n"
            "try:\n    import torch\nexcept ImportError:\n    torch = None\n"
            "if True:\n    from a.b import c\n"
            "def f():\n    import inside_a_function\n")
    assert module_imports(code) == ["os", "json", "keras", "keras.layers", "torch", "a.b", "a.b.c"]


@pytest.fixture
def library(tmp_path_factory, monkeypatch):
    """A third-party module (outside the program's folder) with a module-level cache."""
    lib = tmp_path_factory.mktemp("lib")
    (lib / "statebox.py").write_text("import os\nLOADED_IN = os.getpid()\nCACHE = []\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(lib), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.syspath_prepend(str(lib))
    return lib


STATE = """\
import os, random
import statebox
import helper_state
x = _gv.intv("x", 0)
statebox.CACHE.append(x)
helper_state.SEEN.append(x)
_gv.metric("library_cache", len(statebox.CACHE))
_gv.metric("own_module_cache", len(helper_state.SEEN))
_gv.metric("imported_once", statebox.LOADED_IN != os.getpid())
_gv.objective(float(x))
"""


@linux_only
def test_fork_mode_imports_once_and_leaves_no_state_to_the_next_trial(tmp_path, library, monkeypatch):
    monkeypatch.delenv("GLOVEC_WORKER_MODE", raising=False)
    (tmp_path / "helper_state.py").write_text("SEEN = []\n")
    prog = make_prog(tmp_path, STATE)
    ex = make_executor("process", prog, workers=2)
    line = ex.describe()
    assert "forked from one warm worker that imported statebox once" in line, line
    assert "fork server" in line
    results = run_all(ex, {i: {"x": i} for i in range(4)})
    for i in range(4):
        assert results[i].status == "completed", results[i].error
        assert results[i].metrics == {"library_cache": 1, "own_module_cache": 1, "imported_once": True}


@linux_only
def test_reuse_mode_resets_the_programs_own_modules(tmp_path, library, monkeypatch):
    monkeypatch.setenv("GLOVEC_WORKER_MODE", "reuse")
    (tmp_path / "helper_state.py").write_text("SEEN = []\n")
    prog = make_prog(tmp_path, STATE)
    ex = make_executor("process", prog, workers=1)
    assert "reused interpreters: as GLOVEC_WORKER_MODE asks" in ex.describe()
    results = run_all(ex, {i: {"x": i} for i in range(3)})
    assert [results[i].metrics["own_module_cache"] for i in range(3)] == [1, 1, 1]
    # What a third-party module keeps is the documented limit of a reused interpreter.
    assert [results[i].metrics["library_cache"] for i in range(3)] == [1, 2, 3]


FINALIZED = """\
import os, weakref
import scratchdir
x = _gv.intv("x", 0)
_gv.metric("library_dir_there", os.path.isdir(scratchdir.DIR.name))
with open(os.path.join(scratchdir.DIR.name, f"trial-{x}"), "w") as f:
    f.write("written by the trial")


class Box:
    pass


scratchdir.KEEP.append(Box())  # alive until the trial's process ends
weakref.finalize(scratchdir.KEEP[-1], open(os.path.join(MARKS, f"finalized-{x}"), "w").close)
_gv.objective(float(x))
"""


@linux_only
def test_a_forked_trial_runs_its_own_finalizers_at_exit_not_the_warm_workers(tmp_path, library,
                                                                           monkeypatch):
    # A library the program imports at module level makes a temporary directory when imported:
    # in the warm worker, once. Its finalizer (which deletes the directory) is the worker's: a
    # trial that ran it at its exit would delete the directory under every later trial. The
    # finalizers the trial itself made still run when its process ends, as in `python model.py`.
    monkeypatch.delenv("GLOVEC_WORKER_MODE", raising=False)
    (library / "scratchdir.py").write_text(
        f"import tempfile\nDIR = tempfile.TemporaryDirectory(dir={str(tmp_path)!r})\nKEEP = []\n")
    marks = tmp_path / "marks"
    marks.mkdir()
    prog = make_prog(tmp_path, f"MARKS = {str(marks)!r}\n" + FINALIZED)
    ex = make_executor("process", prog, workers=1)
    assert "imported scratchdir once" in ex.describe(), ex.describe()
    results = run_all(ex, {i: {"x": i} for i in range(3)})
    for i in range(3):
        assert results[i].status == "completed", results[i].error
        assert results[i].metrics == {"library_dir_there": True}
        assert (marks / f"finalized-{i}").exists()


@pytest.mark.parametrize("mode", ["fork", "reuse", "fresh"])
def test_crash_hang_and_oom_stay_in_their_trial_in_every_mode(tmp_path, monkeypatch, mode):
    monkeypatch.setenv("GLOVEC_WORKER_MODE", mode)
    prog = make_prog(tmp_path, CRASHES)
    ex = make_executor("process", prog, workers=2, timeout=3, memory_limit="1G")
    trials = {0: {"how": 0}, 1: {"how": 1}, 2: {"how": 2}, 3: {"how": 3}, 4: {"how": 4}, 5: {"how": 0}}
    results = run_all(ex, trials)
    assert results[0].status == results[5].status == "completed", (results[0].error, results[5].error)
    assert "about to exit" in results[1].error and results[1].status == "failed"
    assert "SIGSEGV" in results[2].error and "about to segv" in results[2].error
    assert "timed out after 3 s" in results[3].error and "about to hang" in results[3].error
    assert "MemoryError" in results[4].error


@linux_only
def test_a_dead_warm_worker_is_replaced(tmp_path, monkeypatch):
    monkeypatch.delenv("GLOVEC_WORKER_MODE", raising=False)
    started = tmp_path / "started"
    prog = make_prog(tmp_path, f"""\
        import time
        if _gv.intv("wait", 0):
            open({str(started)!r}, "w").close()
            time.sleep(60)
        _gv.objective(1.0)
        """)
    ex = make_executor("process", prog, workers=1)
    ex.describe()
    server = ex._pool.workers[0].popen.pid
    ex.submit(0, {"wait": 1})
    for _ in range(600):
        ex.wait(0.05)
        if started.exists():
            break
    os.kill(server, signal.SIGKILL)  # the fork server dies; its trial dies with it
    first = []
    while not first:
        first = ex.wait(30)
    assert first[0].status == "failed" and "warm worker running the trial died" in first[0].error
    results = run_all(ex, {1: {"wait": 0}, 2: {"wait": 0}})
    assert results[1].status == results[2].status == "completed"
    assert ex._pool.workers == [] or ex._pool.workers[0].popen.pid != server


@linux_only
def test_a_fork_server_that_finds_cuda_initialized_reuses_interpreters(tmp_path, monkeypatch):
    fake = tmp_path / "fakelib" / "torch"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("class cuda:\n    @staticmethod\n"
                                      "    def is_initialized():\n        return True\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(fake.parent), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.delenv("GLOVEC_WORKER_MODE", raising=False)
    prog = make_prog(tmp_path, "import os, torch\n_gv.objective(float(os.getpid()))\n")
    ex = make_executor("process", prog, workers=2)
    line = ex.describe()
    assert "reused interpreters: torch initialized CUDA" in line, line
    results = run_all(ex, {i: {} for i in range(4)})
    assert all(r.status == "completed" for r in results.values())
    assert len({r.objective for r in results.values()}) == 2  # two reused workers ran them all


def _objectives(tmp_path, example, mode, trials=3) -> list:
    db = tmp_path / f"{mode}.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GLOVEC_SMOKE": "1", "GLOVEC_WORKER_MODE": mode}
    out = subprocess.run([sys.executable, "-m", "glovec.cli", "run", str(ROOT / example), "--trials",
                          str(trials), "--seed", "0", "--executor", "process", "--workers", "2",
                          "--study", str(db)], env=env, capture_output=True, text=True, cwd=tmp_path,
                         timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    first = next(line for line in out.stderr.splitlines() if line.startswith("glovec: process executor"))
    report = subprocess.run([sys.executable, "-m", "glovec.cli", "report", str(db), "--json"], env=env,
                            capture_output=True, text=True, check=True)
    trials_ = sorted(json.loads(report.stdout)["trials"], key=lambda t: t["id"])
    assert all(t["status"] == "completed" for t in trials_), trials_
    return first, [t["objective"] for t in trials_]


@pytest.mark.slow
@linux_only
@pytest.mark.parametrize("example, module", [("examples/torch_digits.py", "torch"),
                                             ("examples/digits_keras.py", "keras")])
def test_forked_trials_give_what_fresh_interpreters_give(tmp_path, example, module):
    pytest.importorskip(module)
    pytest.importorskip("sklearn")
    line, forked = _objectives(tmp_path, example, "fork")
    assert f"imported {module}" in line and "fork server" in line, line
    _, fresh = _objectives(tmp_path, example, "fresh")
    assert forked == fresh


TORCH_STATE = """\
import torch
first = torch.rand(1).item()  # a fresh interpreter seeds torch anew: a different draw each time
torch.manual_seed(_gv.intv("seed", 0))
torch.rand(5)
_gv.objective(first)
"""


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["fork", "reuse"])
def test_torchs_random_state_does_not_leak_into_the_next_trial(tmp_path, monkeypatch, mode):
    torch = pytest.importorskip("torch")
    monkeypatch.setenv("GLOVEC_WORKER_MODE", mode)
    prog = make_prog(tmp_path, TORCH_STATE)
    results = run_all(make_executor("process", prog, workers=1), {i: {"seed": i + 1} for i in range(4)})
    firsts = [results[i].objective for i in range(4)]
    assert len(set(firsts)) == 4  # not one state copied into every trial
    for i in range(1, 4):  # nor what the trial before left behind
        torch.manual_seed(i)
        torch.rand(5)
        assert firsts[i] != torch.rand(1).item()


KERAS_STATE = """\
import keras
layer = keras.layers.Dense(1)
_gv.metric("name", layer.name)  # Keras numbers layers per session: dense, dense_1, ...
_gv.objective(1.0)
"""


@pytest.mark.slow
def test_keras_session_state_does_not_leak_into_the_next_trial(tmp_path, monkeypatch):
    pytest.importorskip("keras")
    monkeypatch.delenv("GLOVEC_WORKER_MODE", raising=False)
    prog = make_prog(tmp_path, KERAS_STATE)
    results = run_all(make_executor("process", prog, workers=1), {i: {} for i in range(3)})
    assert [results[i].metrics["name"] for i in range(3)] == ["dense"] * 3


def test_workers_above_one_pick_the_process_executor(tmp_path):
    src = tmp_path / "model.py"
    src.write_text("import os\nx = 1  # glovec: oneof([1, 2, 3])\nscore = x  # glovec: objective\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("GLOVEC_EXECUTOR", None)
    out = subprocess.run([sys.executable, "-m", "glovec.cli", "run", str(src), "--trials", "3",
                          "--workers", "2", "--study", str(tmp_path / "s.db")], env=env,
                         capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    first = out.stderr.splitlines()[:2]  # the algorithm chosen for the space, then the executor
    assert first[0].startswith("glovec: searching with "), first
    assert first[1].startswith("glovec: process executor: 2 trial(s) at once"), first
    assert "3 completed, 0 failed" in out.stdout


LAZY = """\
import os

def lazily():
    import lazybox, helper_lazy  # inside a function: not imported by the warm worker at start
    return lazybox, helper_lazy

lazybox, helper_lazy = lazily()
lazybox.CACHE.append(_gv.intv("x", 0))
_gv.metric("imported_in_trial", lazybox.LOADED_IN == os.getpid())
_gv.metric("own_module_in_trial", helper_lazy.LOADED_IN == os.getpid())
_gv.metric("library_cache", len(lazybox.CACHE))
_gv.objective(1.0)
"""


@pytest.fixture
def lazylib(library):
    (library / "lazybox.py").write_text("import os\nLOADED_IN = os.getpid()\nCACHE = []\n"
                                        "FLAVOUR = os.environ.get('LAZY_FLAVOUR')\n")
    (library / "threadbox.py").write_text(
        "import threading, time\nthread = threading.Thread(target=time.sleep, args=(600,), daemon=True)\n"
        "thread.start()\n")
    return library


@linux_only
def test_a_fork_server_learns_what_trials_import_lazily(tmp_path, lazylib, monkeypatch):
    monkeypatch.delenv("GLOVEC_WORKER_MODE", raising=False)
    monkeypatch.delenv("GLOVEC_WORKER_LEARN", raising=False)
    (tmp_path / "helper_lazy.py").write_text("import os\nLOADED_IN = os.getpid()\n")
    ex = make_executor("process", make_prog(tmp_path, LAZY), workers=1)
    assert "what it imported lazily" in ex.describe()
    results = run_all(ex, {i: {"x": i} for i in range(3)})
    metrics = [results[i].metrics for i in range(3)]
    # The first trial imports it; the worker then has it, fresh (no trial's additions), for the next.
    assert [m["imported_in_trial"] for m in metrics] == [True, False, False], metrics
    assert [m["library_cache"] for m in metrics] == [1, 1, 1]
    assert [m["own_module_in_trial"] for m in metrics] == [True, True, True]  # the program's own: never


@linux_only
def test_the_first_forked_trial_finds_what_torch_imports_on_first_use(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.delenv("GLOVEC_WORKER_MODE", raising=False)
    prog = make_prog(tmp_path, "import sys, torch\n"
                               "_gv.metric('dynamo_there', 'torch._dynamo' in sys.modules)\n"
                               "_gv.objective(float(_gv.intv('x', 0)))\n")
    ex = make_executor("process", prog, workers=1)
    assert "imported torch, torch._dynamo once" in ex.describe(), ex.describe()
    results = run_all(ex, {0: {"x": 0}})
    # Without it, an optimizer's first step imports it (about 1.5 s) in every trial until learned.
    assert results[0].metrics == {"dynamo_there": True}, results[0].error


@linux_only
def test_glovec_worker_learn_0_keeps_lazy_imports_in_each_trial(tmp_path, lazylib, monkeypatch):
    monkeypatch.delenv("GLOVEC_WORKER_MODE", raising=False)
    monkeypatch.setenv("GLOVEC_WORKER_LEARN", "0")
    (tmp_path / "helper_lazy.py").write_text("import os\nLOADED_IN = os.getpid()\n")
    ex = make_executor("process", make_prog(tmp_path, LAZY), workers=1)
    assert "lazily" not in ex.describe()
    results = run_all(ex, {i: {"x": i} for i in range(3)})
    assert [results[i].metrics["imported_in_trial"] for i in range(3)] == [True, True, True]


@linux_only
def test_an_import_after_the_program_set_a_variable_is_not_learned(tmp_path, lazylib, monkeypatch):
    monkeypatch.delenv("GLOVEC_WORKER_MODE", raising=False)
    monkeypatch.delenv("GLOVEC_WORKER_LEARN", raising=False)
    prog = make_prog(tmp_path, """\
        import os
        def lazily():
            import lazybox
            return lazybox
        os.environ["LAZY_FLAVOUR"] = str(_gv.intv("x", 0))  # what the import reads
        lazybox = lazily()
        _gv.metric("flavour", lazybox.FLAVOUR)
        _gv.metric("imported_in_trial", lazybox.LOADED_IN == os.getpid())
        _gv.objective(1.0)
        """)
    results = run_all(make_executor("process", prog, workers=1), {i: {"x": i} for i in range(3)})
    assert [results[i].metrics["flavour"] for i in range(3)] == ["0", "1", "2"]
    assert all(results[i].metrics["imported_in_trial"] for i in range(3))


@linux_only
def test_a_lazy_import_that_starts_a_thread_retires_the_learning_worker(tmp_path, lazylib,
                                                                        monkeypatch):
    monkeypatch.delenv("GLOVEC_WORKER_MODE", raising=False)
    monkeypatch.delenv("GLOVEC_WORKER_LEARN", raising=False)
    prog = make_prog(tmp_path, """\
        def lazily():
            import threadbox
            return threadbox
        _gv.metric("thread_alive", lazily().thread.is_alive())  # as in a fresh interpreter
        _gv.objective(float(_gv.intv("x", 0)))
        """)
    ex = make_executor("process", prog, workers=2)
    ex.describe()
    first = ex._pool.workers[0].popen.pid
    results = run_all(ex, {i: {"x": i} for i in range(5)})
    assert all(results[i].status == "completed" for i in range(5)), [r.error for r in results.values()]
    assert all(results[i].metrics["thread_alive"] for i in range(5))
    assert ex._pool.retired and "started a thread" in ex._pool.retired
    assert ex._pool.setup["learn"] is False and first not in [w.popen.pid for w in ex._pool.workers]


def test_a_run_cancelled_before_a_worker_took_it_still_gets_a_result(tmp_path):
    from glovec.runtime.executors.process import make_workdir
    from glovec.runtime.executors.warm import WarmPool

    workdir = make_workdir("glovec-test-")
    pool = WarmPool(make_prog(tmp_path, "_gv.objective(1.0)\n"), 1, workdir)
    try:
        pool.start(7, {"trial_id": 7, "decisions": {}})  # the worker is still starting
        pool.cancel(7)
        results = pool.wait(30)
    finally:
        pool.close()
    assert [(r.trial_id, r.status, r.error) for r in results] == [(7, "failed", "cancelled before it started")]


EARLY = """\
import os
import earlybox
_gv.metric("imported_in", earlybox.LOADED_IN)
_gv.objective(float(_gv.intv("x", 0)))
"""


@pytest.fixture
def earlylib(library):
    """A library that notes the process that imported it (one line per import)."""
    (library / "earlybox.py").write_text(
        "import os\nLOADED_IN = os.getpid()\n"
        "with open(os.environ['EARLY_LOG'], 'a') as f:\n    f.write(f'{LOADED_IN}\\n')\n")
    return library


@linux_only
def test_a_fork_server_started_before_compiling_is_the_one_the_executor_uses(
        tmp_path, earlylib, monkeypatch):
    from glovec.runtime.executors import warm

    monkeypatch.delenv("GLOVEC_WORKER_MODE", raising=False)
    monkeypatch.setenv("EARLY_LOG", str(tmp_path / "imports.log"))
    prog = make_prog(tmp_path, EARLY)
    warm.start_early(prog.source_path, Path(prog.source_path).read_text(), prog.argv, prog.cwd,
                     {}, ())
    ex = make_executor("process", prog, workers=1)
    assert "imported earlybox once" in ex.describe(), ex.describe()
    results = run_all(ex, {i: {"x": i} for i in range(2)})
    # One warm worker imported it, before the program's SETUP came; both trials forked from it.
    importers = (tmp_path / "imports.log").read_text().split()
    assert len(importers) == 1, importers
    assert [results[i].metrics["imported_in"] for i in range(2)] == [int(importers[0])] * 2
    assert [results[i].objective for i in range(2)] == [0.0, 1.0]


@linux_only
def test_an_early_fork_server_that_does_not_fit_the_executor_is_killed(
        tmp_path, earlylib, monkeypatch):
    from glovec.runtime.executors import warm

    monkeypatch.delenv("GLOVEC_WORKER_MODE", raising=False)
    monkeypatch.setenv("EARLY_LOG", str(tmp_path / "imports.log"))
    prog = make_prog(tmp_path, EARLY, argv=["--other"])
    warm.start_early(prog.source_path, Path(prog.source_path).read_text(), [], prog.cwd, {}, ())
    early = warm._early
    ex = make_executor("process", prog, workers=1)  # other argv: it starts its own
    results = run_all(ex, {0: {"x": 0}})
    assert early.popen.poll() is not None and not os.path.exists(early.workdir)
    assert results[0].status == "completed", results[0].error


def _processes_with(variable: str) -> list[int]:
    """Live processes whose environment holds ``variable`` (Linux)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if variable.encode() in f.read().split(b"\0"):
                    with open(f"/proc/{entry}/stat", encoding="utf-8") as stat:
                        if stat.read().rsplit(")", 1)[1].split()[0] != "Z":
                            found.append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    return found


@linux_only
def test_glovec_run_that_stops_at_a_compile_error_leaves_no_early_worker(tmp_path, earlylib):
    (tmp_path / "model.py").write_text(
        "import earlybox\nx = 3  # glovec: oneof([1, 2]\n")  # a marker that does not parse
    mark = f"EARLY_LOG={tmp_path / 'imports.log'}"
    env = {**os.environ, "EARLY_LOG": mark.partition("=")[2],
           "PYTHONPATH": os.pathsep.join([str(earlylib), str(Path(__file__).resolve().parents[1])])}
    env.pop("GLOVEC_WORKER_MODE", None)
    out = subprocess.run([sys.executable, "-m", "glovec.cli", "run", "model.py", "--workers", "2",
                          "--trials", "2"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 1 and "model.py:2:" in out.stderr, out.stderr
    # The fork server it started while compiling (it had the same environment) ends with it.
    deadline = time.monotonic() + 10
    while _processes_with(mark) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_with(mark) == []


@linux_only
def test_glovec_run_with_workers_uses_the_worker_it_started_while_compiling(tmp_path, earlylib):
    (tmp_path / "model.py").write_text(
        "import earlybox\nx = 1  # glovec: oneof([1, 2])\nscore = x  # glovec: objective\n")
    env = {**os.environ, "EARLY_LOG": str(tmp_path / "imports.log"),
           "PYTHONPATH": os.pathsep.join([str(earlylib), str(Path(__file__).resolve().parents[1])])}
    env.pop("GLOVEC_WORKER_MODE", None)
    out = subprocess.run([sys.executable, "-m", "glovec.cli", "run", "model.py", "--workers", "2",
                          "--trials", "3", "--algorithm", "random"], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "imported earlybox once" in out.stderr
    # one warm worker imported the library: the one started before compiling, adopted
    assert len((tmp_path / "imports.log").read_text().split()) == 1
