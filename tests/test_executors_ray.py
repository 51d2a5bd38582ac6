"""The Ray executor against a local Ray instance (one per test session, see conftest.py)."""

from __future__ import annotations

import pytest

from glovec.runtime.executors import ExecutorError, make_executor

from test_executors import make_prog, run_all

pytestmark = pytest.mark.ray

PROGRAM = """\
import os, time
how = _gv.oneof("how", 0, ("ok", "crash", "hang", "raise"))
x = _gv.floatv("x", 1.0)
if how == "crash":
    os._exit(9)
if how == "hang":
    time.sleep(60)
if how == "raise":
    raise RuntimeError("diverged")
_gv.report(x / 2, step=0)
_gv.objective(x)
"""


def test_ray_trials_complete_and_failures_stay_trials(tmp_path, ray_local):
    prog = make_prog(tmp_path, PROGRAM)
    ex = make_executor("ray", prog, workers=2, timeout=3)
    assert ex.capacity == 2
    results = run_all(ex, {0: {"how": 0, "x": 0.5}, 1: {"how": 1}, 2: {"how": 2}, 3: {"how": 3},
                           4: {"how": 0, "x": 2.0}})
    assert (results[0].status, results[0].objective, results[0].reports) == ("completed", 0.5, [(0, 0.25)])
    assert (results[4].status, results[4].objective) == ("completed", 2.0)
    assert results[1].status == "failed" and "exited with status 9" in results[1].error
    assert results[2].status == "failed" and "timed out after 3 s" in results[2].error
    assert results[3].status == "failed"
    assert f'File "{tmp_path / "model.py"}", line 9, in <module>' in results[3].error
    assert ray_local.is_initialized()  # the executor leaves a Ray it did not start running


def test_ray_gpus_requested_on_a_cpu_cluster_says_so(tmp_path, ray_local):
    if ray_local.cluster_resources().get("GPU", 0):
        pytest.skip("this Ray cluster has GPUs")
    with pytest.raises(ExecutorError, match="the Ray cluster has 0"):
        make_executor("ray", make_prog(tmp_path, "_gv.objective(1)\n"), gpus_per_trial=1)
