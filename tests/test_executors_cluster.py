"""The Ray executor on a cluster of three nodes on this machine (Ray's ``cluster_utils.Cluster``):
a head and two worker nodes, each with one CPU and a custom resource of its own (``node_head``,
``node_a``, ``node_b``) so that placement is visible; ``node_a`` also claims one (fake) GPU, so
that Ray schedules fractional GPU requests there.

The searches run as ``glovec run ... --ray-address`` processes started from a folder outside the
repository, so that Ray's habit of putting the driver's folder on its workers' import path does
not put glovec there; worker node ``b`` runs without the repository on its PYTHONPATH: trials land
there only when the job ships glovec. One cluster for the session; every node's processes are
killed at its end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = [pytest.mark.ray, pytest.mark.slow]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROGRAM = """\
import os, sys, time
import glovec, glovec.runtime as gv

x = 1  # glovec: oneof([1, 2, 3, 4, 5, 6, 7, 8])
marks = os.environ.get("GLOVEC_TEST_MARKS")
if marks:
    with open(os.path.join(marks, f"{os.environ.get('GLOVEC_TEST_NODE', 'head')}-{os.getpid()}"), "w") as f:
        f.write(str(x))
gv.metric("test_node", os.environ.get("GLOVEC_TEST_NODE", "head"))
gv.metric("glovec_from", os.path.dirname(os.path.dirname(glovec.__file__)))
gv.metric("cuda", os.environ.get("CUDA_VISIBLE_DEVICES"))
time.sleep(float(sys.argv[1]))  # the nap travels as the program's argument
score = x / 10  # glovec: objective
"""


class ClusterHandle:
    def __init__(self, cluster, nodes):
        self.cluster = cluster
        self.nodes = nodes  # name -> ray node
        self.address = cluster.address

    def node_id(self, name: str) -> str:
        return self.nodes[name].node_id


def _without_repo(env: dict) -> dict:
    env = dict(env)
    parts = [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
             if p and os.path.abspath(p) != ROOT]
    if parts:
        env["PYTHONPATH"] = os.pathsep.join(parts)
    else:
        env.pop("PYTHONPATH", None)
    return env


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory):
    """Head + nodes a and b (see the module doc); every process killed at the end."""
    pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    marks = tmp_path_factory.mktemp("marks")
    saved = dict(os.environ)
    cluster = Cluster(shutdown_at_exit=True)
    nodes = {}
    try:
        os.environ["GLOVEC_TEST_MARKS"] = str(marks)
        os.environ["GLOVEC_TEST_NODE"] = "head"
        nodes["head"] = cluster.add_node(num_cpus=1, resources={"node_head": 1},
                                         include_dashboard=False)
        os.environ["GLOVEC_TEST_NODE"] = "a"
        nodes["a"] = cluster.add_node(num_cpus=1, num_gpus=1,
                                      resources={"node_a": 1, "spare": 1})
        os.environ.clear()
        os.environ.update(_without_repo(saved))
        os.environ.update(GLOVEC_TEST_MARKS=str(marks), GLOVEC_TEST_NODE="b")
        nodes["b"] = cluster.add_node(num_cpus=1, resources={"node_b": 1})
    finally:
        os.environ.clear()
        os.environ.update(saved)
    handle = ClusterHandle(cluster, nodes)
    handle.marks = marks
    try:
        yield handle
    finally:
        cluster.shutdown()


def glovec_run(cluster, tmp_path, *args, nap=0.2, wait=True, timeout=240):
    """``glovec run model.py --executor ray --ray-address ...`` from ``tmp_path``."""
    src = tmp_path / "model.py"
    if not src.exists():
        src.write_text(PROGRAM)
    env = {**os.environ, "PYTHONPATH": ROOT}
    argv = [sys.executable, "-m", "glovec.cli", "run", "model.py", "--executor", "ray",
            "--ray-address", cluster.address, "--algorithm", "grid", *map(str, args), "--",
            str(nap)]
    if not wait:
        return subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
    return subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=timeout)


def report(tmp_path, *args) -> dict:
    out = subprocess.run([sys.executable, "-m", "glovec.cli", "report", "model.glovec.db",
                          "--json", *args], cwd=tmp_path, env={**os.environ, "PYTHONPATH": ROOT},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_trials_spread_over_the_nodes_and_glovec_travels(ray_cluster, tmp_path):
    out = glovec_run(ray_cluster, tmp_path, "--trials", 6, "--workers", 3)
    assert out.returncode == 0, out.stderr
    trials = report(tmp_path)["trials"]
    assert len(trials) == 6 and {t["status"] for t in trials} == {"completed"}
    ran_on = {t["metrics"]["test_node"] for t in trials}
    node_of = {name: ray_cluster.node_id(name) for name in ("head", "a", "b")}
    for t in trials:  # the node the study records is the node the trial ran on
        assert t["node"] == node_of[t["metrics"]["test_node"]]
    assert len(ran_on) >= 2, trials
    # node b has no glovec of its own: its trials imported the copy the job shipped
    pinned = tmp_path / "pinned"
    pinned.mkdir()
    out = glovec_run(ray_cluster, pinned, "--trials", 2, "--resources", '{"node_b": 0.5}',
                     "--cpus-per-trial", 0.5, "--workers", 2)
    assert out.returncode == 0, out.stderr
    trials = report(pinned)["trials"]
    assert [t["metrics"]["test_node"] for t in trials] == ["b", "b"]
    assert {t["node"] for t in trials} == {node_of["b"]}
    assert all(ROOT != t["metrics"]["glovec_from"] for t in trials)
    assert all("runtime_resources" in t["metrics"]["glovec_from"] for t in trials), trials
    grouped = report(pinned, "--by-node")["nodes"]
    assert [(g["node"], g["completed"]) for g in grouped] == [(node_of["b"], 2)]


def test_fractional_gpus_reach_ray(ray_cluster, tmp_path):
    out = glovec_run(ray_cluster, tmp_path, "--trials", 2, "--workers", 2, "--gpus-per-trial",
                     0.5, "--cpus-per-trial", 0.5)
    assert out.returncode == 0, out.stderr
    assert "asking for CPU 0.5, GPU 0.5 each" in out.stderr
    trials = report(tmp_path)["trials"]
    # the only node with a GPU; Ray gave each of the two actors half of GPU 0
    assert {t["node"] for t in trials} == {ray_cluster.node_id("a")}
    assert {t["metrics"]["cuda"] for t in trials} == {"0"}
    (tmp_path / "two").mkdir()
    out = glovec_run(ray_cluster, tmp_path / "two", "--trials", 1, "--gpus-per-trial", 2)
    assert out.returncode == 2
    assert "each trial asks for CPU 1, GPU 2, but no node of the Ray cluster has that much" \
        in out.stderr


def _wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"waited {seconds:g} s for {what}")


def _finish(proc, seconds: float = 240):
    try:
        out, err = proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"glovec run did not finish in {seconds:g} s:\n{err}")
    return proc.returncode, out, err


def _descendants(pids) -> list[int]:
    """Every process below ``pids`` (by parent id, from /proc), deepest last."""
    children: dict = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], list(pids)
    while todo:
        pid = todo.pop()
        for child in children.get(pid, ()):
            out.append(child)
            todo.append(child)
    return out


def _lose(cluster, node) -> None:
    """The machine of ``node`` goes away: its Ray processes and everything they started (the
    actors' workers, their warm workers and trials) are killed at once."""
    below = _descendants([p.process.pid for procs in node.all_processes.values() for p in procs])
    for pid in below:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    cluster.remove_node(node, allow_graceful=False)


def test_a_lost_node_loses_no_trial(ray_cluster, tmp_path):
    """Node c joins, takes a trial, and dies under it (all its processes killed): the trial runs
    again on another node; the study holds every trial once. Only nodes a and c have a ``spare``
    resource: each of the two actors that ask for one lands on one of them."""
    saved = dict(os.environ)
    os.environ.update(GLOVEC_TEST_NODE="c", GLOVEC_TEST_MARKS=str(ray_cluster.marks))
    try:
        node_c = ray_cluster.cluster.add_node(num_cpus=1, resources={"node_c": 1, "spare": 1})
    finally:
        os.environ.clear()
        os.environ.update(saved)
    before = set(os.listdir(ray_cluster.marks))
    proc = glovec_run(ray_cluster, tmp_path, "--trials", 8, "--workers", 2, "--retries", 1,
                      "--resources", '{"spare": 1}', nap=2, wait=False)
    try:
        _wait_for(lambda: [m for m in os.listdir(ray_cluster.marks)
                           if m.startswith("c-") and m not in before], 180, "a trial on node c")
        time.sleep(0.5)  # well inside its 2 s
    finally:
        _lose(ray_cluster.cluster, node_c)
    code, out, err = _finish(proc)
    assert code == 0, err
    trials = report(tmp_path)["trials"]
    assert [t["status"] for t in trials] == ["completed"] * 8, err
    assert sorted(int(t["decisions"]["x"]) for t in trials) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert node_c.node_id not in {t["node"] for t in trials}, [(t["id"], t["metrics"]["test_node"], t["node"][:6], t["attempts"], t["started"] if "started" in t else t["seconds"]) for t in trials]
    retried = [t for t in trials if t["attempts"] > 1]
    assert retried and all(t["attempts"] == 2 for t in retried), trials
    assert "8 completed, 0 failed" in out


def test_a_killed_driver_resumes_on_the_cluster(ray_cluster, tmp_path):
    before = set(os.listdir(ray_cluster.marks))
    proc = glovec_run(ray_cluster, tmp_path, "--trials", 5, "--workers", 3, nap=2, wait=False)
    _wait_for(lambda: len(set(os.listdir(ray_cluster.marks)) - before) >= 2, 180,
              "two trials to start")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    out = glovec_run(ray_cluster, tmp_path, "--trials", 5, "--workers", 3, "--resume", nap=0.2)
    assert out.returncode == 0, out.stderr
    assert "interrupted trial(s) run again" in out.stderr
    trials = report(tmp_path)["trials"]
    assert [t["status"] for t in trials] == ["completed"] * 5
    assert sorted(int(t["decisions"]["x"]) for t in trials) == [1, 2, 3, 4, 5]


def test_an_address_nothing_answers_on_is_refused_at_once(tmp_path):
    pytest.importorskip("ray")

    class Nowhere:
        address = "127.0.0.1:1"

    out = glovec_run(Nowhere, tmp_path, "--trials", 1, timeout=120)
    assert out.returncode == 2
    assert "glovec: cannot reach the Ray cluster at 127.0.0.1:1" in out.stderr
