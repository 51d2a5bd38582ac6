"""The Ray executor: trials on Ray actors, on an existing cluster or a local instance.

Each of the ``workers`` actors lives on some node for the whole search and keeps a ``WarmPool``
of one warm worker there, so the program's modules are imported once per actor, not once per
trial; each trial then runs isolated on that node exactly as the process executor runs it (same
modes, same timeout and memory limit).

What an actor asks Ray for is one trial's share: ``cpus_per_trial`` CPUs (default 1),
``gpus_per_trial`` GPUs (a fraction shares a GPU: 0.5 puts two trials on one; Ray sets each
actor's ``CUDA_VISIBLE_DEVICES``) and any custom ``resources`` (``{"TPU": 1}``). A request that
no node of the cluster can ever meet is refused at once, not left pending.

What travels: the program's text goes with the actor's constructor; glovec itself goes with the
job (Ray's runtime environment ``py_modules``) when the executor connects to a cluster by address,
so a node needs only Ray and the program's own dependencies. The driver's working folder is used
where it exists on the node (a shared file system), else the runtime environment's
``working_dir`` when one was given, else the actor's own folder. Each actor checks that its node
runs the driver's glovec and Python (major.minor); a mismatch stops the run with both versions.

Faults: a trial whose actor dies under it (its node lost, its worker killed) runs again on a new
actor, wherever Ray places it, up to ``retries`` times; then it fails with the reason. Each
result names the node it ran on (Ray's node id). Ray is imported when the executor is made,
never at import.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import sys
from typing import Any

from .base import ExecutorError, ProgramRef, TrialResult
from .resources import parse_memory
from .trial_process import trial_payload

__all__ = ["RayExecutor", "TrialActor", "runtime_env_for", "node_versions", "json_object"]

MISMATCH = "glovec version mismatch"


def node_versions() -> dict:
    """What a driver and each node must agree on: glovec's version and Python's major.minor."""
    glovec = sys.modules.get("glovec")
    return {"glovec": getattr(glovec, "__version__", None),
            "python": "%d.%d" % sys.version_info[:2]}


def _glovec_package() -> str | None:
    """The folder of the ``glovec`` package this driver runs (what ``py_modules`` ships)."""
    glovec = sys.modules.get("glovec")
    where = getattr(glovec, "__file__", None)
    return os.path.dirname(os.path.abspath(where)) if where else None


def runtime_env_for(extra: dict | None = None) -> dict:
    """The job's runtime environment: ``extra`` (the user's, e.g. ``{"pip": [...],
    "working_dir": "."}``) plus the glovec package in ``py_modules``."""
    env = dict(extra or {})
    package = _glovec_package()
    if package:
        env["py_modules"] = list(env.get("py_modules") or []) + [package]
        env["excludes"] = list(env.get("excludes") or []) + ["__pycache__", "*.pyc"]
    return env


class TrialActor:
    """What each Ray actor holds: the workdir and warm worker of one program on its node."""

    def __init__(self, prog: dict, timeout=None, memory_limit=None, preload=(), mode=None,
                 versions=None, shipped_cwd=False) -> None:
        import ray

        from .process import make_workdir, remove_stale_workdirs
        from .warm import WarmPool

        self.node = ray.get_runtime_context().get_node_id()
        here = node_versions()
        if versions and here != versions:
            raise RuntimeError(
                f"{MISMATCH}: node {self.node} runs glovec {here['glovec']} with Python "
                f"{here['python']}, the driver glovec {versions['glovec']} with Python "
                f"{versions['python']}; install the driver's versions on that node (or let the "
                f"job ship glovec: connect with --ray-address)")
        remove_stale_workdirs("glovec-ray-")
        self.workdir = make_workdir("glovec-ray-")
        program = ProgramRef(**prog)
        if shipped_cwd:  # the runtime environment's working_dir, where Ray started this actor
            program.cwd = os.getcwd()
        elif program.cwd and not os.path.isdir(program.cwd):  # another node: not here
            program.cwd = self.workdir
        self.pool = WarmPool(program, 1, self.workdir, timeout=timeout, memory_limit=memory_limit,
                             preload=preload, mode=mode)

    def describe(self) -> str:
        return self.pool.describe()

    def run(self, trial_id, payload: dict) -> dict:
        self.pool.start(trial_id, payload)
        while True:
            done = self.pool.wait(None)
            if done:
                return {**done[0].__dict__, "node": self.node}

    def close(self) -> None:
        self.pool.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _fmt(n: float) -> str:
    return f"{n:g}"


class RayExecutor:
    """Trials on ``workers`` Ray actors (see the module doc)."""

    def __init__(self, prog: ProgramRef, workers=1, timeout=None, gpus_per_trial=0, ray_address=None,
                 early_stopping=None, memory_limit=None, preload=(), mode=None, cpus_per_trial=None,
                 resources=None, retries=1, runtime_env=None):
        try:
            import ray
        except ImportError:
            raise ExecutorError("the ray executor needs Ray: pip install 'glovec[ray]'") from None
        if retries is None or retries < 0:
            raise ExecutorError(f"--retries must not be negative (got {retries})")
        self._ray = ray
        self.prog = prog
        self.timeout = timeout
        self.early_stopping = early_stopping
        self.memory_limit = parse_memory(memory_limit)
        self.retries = retries
        self._owns_ray = False
        shipped_cwd = bool(runtime_env and runtime_env.get("working_dir"))
        if not ray.is_initialized():
            _reachable(ray_address)
            env = runtime_env_for(runtime_env) if ray_address else (runtime_env or None)
            try:
                ray.init(address=ray_address or "local", include_dashboard=False,
                         log_to_driver=False, configure_logging=False, runtime_env=env)
            except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
                where = f"the Ray cluster at {ray_address}" if ray_address else "a local Ray"
                raise ExecutorError(f"cannot start trials on {where}: {exc}") from None
            self._owns_ray = True
        self.request = self._request(cpus_per_trial, gpus_per_trial, resources)
        self.capacity = workers
        options = {"num_cpus": self.request.get("CPU", 0), "num_gpus": self.request.get("GPU", 0),
                   "resources": {k: v for k, v in self.request.items() if k not in ("CPU", "GPU")},
                   "max_restarts": 0}
        try:
            self._actor_class = ray.remote(**options)(TrialActor)
        except ValueError as exc:  # Ray's own rules (a fraction above 1 must be whole, ...)
            raise ExecutorError(f"Ray refuses the per-trial resources {self.request}: {exc}") \
                from None
        self._args = ({"code": prog.code, "path": None, "source_path": prog.source_path,
                       "header_line": prog.header_line, "argv": list(prog.argv), "cwd": prog.cwd},
                      timeout, self.memory_limit, list(preload or ()), mode, node_versions(),
                      shipped_cwd)
        self._idle: list = []  # actors that answered, free for a trial
        self._starting: dict = {}  # ObjectRef of an actor's describe() -> actor, until it answers
        self._first = None  # the first actor's describe() ref (``describe`` shows its text)
        for _ in range(workers):
            self._new_actor()
        self._refs: dict = {}  # ObjectRef -> (trial id, actor)
        self._payloads: dict = {}  # trial id -> payload, until its result is final
        self._tries: collections.Counter = collections.Counter()  # trial id -> attempts so far
        self._pending: collections.deque = collections.deque()

    # -- resources ------------------------------------------------------------------------------

    def _request(self, cpus, gpus, resources) -> dict:
        """{resource: amount} each actor asks for; ExecutorError when no node could meet it."""
        request = {"CPU": 1.0 if cpus is None else float(cpus)}
        if gpus:
            request["GPU"] = float(gpus)
        for name, amount in (resources or {}).items():
            if not isinstance(amount, (int, float)) or isinstance(amount, bool) or amount < 0:
                raise ExecutorError(f"--resources: {name!r} needs a non-negative number, "
                                    f"not {amount!r}")
            request[str(name)] = float(amount)
        for name, amount in request.items():
            if amount < 0:
                raise ExecutorError(f"the per-trial {name} must not be negative (got {amount:g})")
        asked = {k: v for k, v in request.items() if v > 0}
        nodes = self._nodes()
        if asked and not any(all(have.get(k, 0) >= v for k, v in asked.items()) for have in nodes):
            total = self._ray.cluster_resources()
            has = ", ".join(f"{k} {_fmt(total.get(k, 0))}" for k in asked)
            want = ", ".join(f"{k} {_fmt(v)}" for k, v in asked.items())
            hint = ("; run without --gpus-per-trial to use the CPU"
                    if "GPU" in asked and not total.get("GPU") else "")
            raise ExecutorError(
                f"each trial asks for {want}, but no node of the Ray cluster has that much (the "
                f"cluster has {has} in all, over {len(nodes)} node(s)){hint}")
        return request

    def _nodes(self) -> list[dict]:
        return [n.get("Resources", {}) for n in self._ray.nodes() if n.get("Alive")]

    def _missing(self) -> str | None:
        """None while some live node can hold an actor, else what none has (after a loss)."""
        asked = {k: v for k, v in self.request.items() if v > 0}
        if not asked or any(all(have.get(k, 0) >= v for k, v in asked.items())
                            for have in self._nodes()):
            return None
        return ", ".join(f"{k} {_fmt(v)}" for k, v in asked.items())

    # -- actors ---------------------------------------------------------------------------------

    def _new_actor(self) -> None:
        """Start an actor; it takes trials once it has answered (Ray placed it, its warm worker
        started): a replacement that no node has room for yet never holds a trial back."""
        actor: Any = self._actor_class.remote(*self._args)  # a Ray actor handle
        ref = actor.describe.remote()
        self._starting[ref] = actor
        if self._first is None:
            self._first = ref

    def describe(self) -> str:
        """The line ``glovec run`` starts with (waits for the first actor's warm worker)."""
        asks = ", ".join(f"{k} {_fmt(v)}" for k, v in self.request.items() if v)
        head = f"glovec: ray executor: {self.capacity} actor(s) asking for {asks or 'nothing'} each"
        if self._first is None:
            return head
        try:
            text = self._ray.get(self._first, timeout=600)
        except self._ray.exceptions.GetTimeoutError:
            return head + " (Ray has not started the first one after 10 minutes)"
        except self._ray.exceptions.RayError as exc:
            raise ExecutorError(self._actor_failure(exc)) from None
        return f"{head}, {text}"

    def _started(self, ref) -> None:
        """An actor's describe() came back: it is free, or it failed to start."""
        ray = self._ray
        actor = self._starting.pop(ref)
        try:
            ray.get(ref)
        except ray.exceptions.RayError as exc:
            self._forget(actor)
            if isinstance(exc, ray.exceptions.RayActorError) and exc.actor_init_failed:
                raise ExecutorError(self._actor_failure(exc)) from None
            if self._missing() is None:  # lost before it answered (its node died): another
                self._new_actor()
            return
        self._idle.append(actor)

    def _actor_failure(self, exc) -> str:
        text = str(exc)
        if MISMATCH in text:
            return text[text.index(MISMATCH):].splitlines()[0]
        return f"a Ray actor could not start: {text.strip()}"

    # -- trials ---------------------------------------------------------------------------------

    def submit(self, trial_id: int, decisions: dict, history=None) -> None:
        payload = trial_payload(trial_id, decisions, self.prog, self.early_stopping, history)
        self._payloads[trial_id] = payload
        self._pending.append(trial_id)
        self._start_pending()

    def _start_pending(self) -> None:
        while self._pending and self._idle:
            trial_id = self._pending.popleft()
            actor = self._idle.pop()
            self._tries[trial_id] += 1
            self._refs[actor.run.remote(trial_id, self._payloads[trial_id])] = (trial_id, actor)

    def wait(self, timeout: float | None = None) -> list[TrialResult]:
        ray = self._ray
        results: list[TrialResult] = []
        if not self._refs and not self._pending:
            return results
        if self._pending and not self._refs and not self._starting and not self._idle:
            raise ExecutorError(f"no node of the Ray cluster can run trials any more: none has "
                                f"{self._missing()} (the nodes that had it were lost)")
        watched = list(self._refs) + list(self._starting)
        ready, _ = ray.wait(watched, num_returns=1, timeout=timeout)
        if ready:
            ready, _ = ray.wait(watched, num_returns=len(watched), timeout=0)
        for ref in ready:
            if ref in self._starting:
                self._started(ref)
                continue
            trial_id, actor = self._refs.pop(ref)
            try:
                data = ray.get(ref)
            except ray.exceptions.RayError as exc:  # the actor died (node lost, worker killed)
                self._forget(actor)
                if isinstance(exc, ray.exceptions.RayActorError) and exc.actor_init_failed:
                    raise ExecutorError(self._actor_failure(exc)) from None
                left = self._missing()
                if left is None:
                    self._new_actor()
                tries = self._tries[trial_id]
                if tries <= self.retries and left is None:  # again, first in line, anywhere
                    self._pending.appendleft(trial_id)
                    continue
                why = (f"no live node has {left} any more" if left is not None else
                       f"it died on each of {tries} attempt(s) (--retries {self.retries})")
                results.append(TrialResult(
                    trial_id, "failed", attempts=tries,
                    error=f"the Ray actor running the trial was lost and {why}; the last time: "
                          f"{_first_line(exc)}"))
            else:
                self._idle.append(actor)
                results.append(TrialResult(**{**data, "attempts": self._tries[trial_id]}))
            self._payloads.pop(trial_id, None)
            self._tries.pop(trial_id, None)
        self._start_pending()
        return results

    def _forget(self, actor) -> None:
        try:
            self._ray.kill(actor)
        except Exception:  # noqa: BLE001 - already gone
            pass

    @property
    def running(self) -> int:
        return len(self._refs) + len(self._pending)

    def close(self) -> None:
        ray = self._ray
        actors = [a for _, a in self._refs.values()] + self._idle + list(self._starting.values())
        closing = []
        for actor in self._idle:
            try:
                closing.append(actor.close.remote())
            except Exception:  # noqa: BLE001
                pass
        try:
            ray.wait(closing, num_returns=len(closing), timeout=10)
        except Exception:  # noqa: BLE001
            pass
        for actor in actors:
            self._forget(actor)
        self._refs.clear()
        self._starting.clear()
        self._idle = []
        self._pending.clear()
        if self._owns_ray:
            ray.shutdown()


def _reachable(address: str | None, seconds: float = 10.0) -> None:
    """Refuse a ``HOST:PORT`` address nothing answers on (Ray itself retries for minutes);
    ``auto``, ``local`` and ``ray://`` addresses are left to Ray."""
    import socket

    if not address or "://" in address or ":" not in address:
        return
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=seconds).close()
    except ValueError:
        raise ExecutorError(f"--ray-address {address}: the port is not a number") from None
    except OSError as exc:
        raise ExecutorError(f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}); "
                            f"is `ray start --head` running there, and the port open?") from None


def _first_line(exc) -> str:
    """The useful line of a Ray error (its text starts with a class name and can run long)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: " + " ".join(lines[:3])[:500]


def json_object(text, flag: str, example: str) -> dict:
    """A flag's JSON object (``--resources '{"TPU": 1}'``), a dict as is; ExecutorError else."""
    if not text:
        return {}
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ExecutorError(f"{flag} is not JSON ({exc}); write e.g. '{example}'") from None
    if not isinstance(value, dict):
        raise ExecutorError(f"{flag} needs a JSON object, e.g. '{example}', not {text!r}")
    return value
