"""The Ray executor: trials on Ray actors, on an existing cluster or a local instance.

Each of the ``workers`` actors (``num_cpus=1``, ``num_gpus=gpus_per_trial``; Ray sets its
``CUDA_VISIBLE_DEVICES``) lives on some node for the whole search and keeps a ``WarmPool`` of one
warm worker there, so the program's modules are imported once per actor, not once per trial; each
trial then runs isolated on that node exactly as the process executor runs it (same modes, same
timeout and memory limit). The program travels with the actor's constructor; the driver's working
folder is used where it exists on the node, else the actor's own. An actor that dies (its node
lost, say) fails the trial it ran, and a new one takes its place. Ray is imported when the
executor is made, never at import.
"""

from __future__ import annotations

import collections
import shutil

from .base import ExecutorError, ProgramRef, TrialResult
from .resources import parse_memory
from .trial_process import trial_payload

__all__ = ["RayExecutor", "TrialActor"]


class TrialActor:
    """What each Ray actor holds: the workdir and warm worker of one program on its node."""

    def __init__(self, prog: dict, timeout=None, memory_limit=None, preload=(), mode=None) -> None:
        import os

        from .process import make_workdir, remove_stale_workdirs
        from .warm import WarmPool

        remove_stale_workdirs("glovec-ray-")
        self.workdir = make_workdir("glovec-ray-")
        program = ProgramRef(**prog)
        if program.cwd and not os.path.isdir(program.cwd):  # another node: the folder is not here
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
                return done[0].__dict__

    def close(self) -> None:
        self.pool.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


class RayExecutor:
    """Trials on ``workers`` Ray actors (see the module doc)."""

    def __init__(self, prog: ProgramRef, workers=1, timeout=None, gpus_per_trial=0, ray_address=None,
                 early_stopping=None, memory_limit=None, preload=(), mode=None):
        try:
            import ray
        except ImportError:
            raise ExecutorError("the ray executor needs Ray: pip install 'glovec[ray]'") from None
        self._ray = ray
        self.prog = prog
        self.timeout = timeout
        self.early_stopping = early_stopping
        self.memory_limit = parse_memory(memory_limit)
        self._owns_ray = False
        if not ray.is_initialized():
            ray.init(address=ray_address or "local", include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
            self._owns_ray = True
        resources = ray.cluster_resources()
        if gpus_per_trial and resources.get("GPU", 0) < gpus_per_trial:
            raise ExecutorError(
                f"--gpus-per-trial {gpus_per_trial} asks for GPUs, but the Ray cluster has "
                f"{int(resources.get('GPU', 0))}; run without --gpus-per-trial to use the CPU")
        self.capacity = workers
        self._actor_class = ray.remote(num_cpus=1, num_gpus=gpus_per_trial or 0,
                                       max_restarts=0)(TrialActor)
        self._args = ({"code": prog.code, "path": None, "source_path": prog.source_path,
                       "header_line": prog.header_line, "argv": list(prog.argv), "cwd": prog.cwd},
                      timeout, self.memory_limit, list(preload or ()), mode)
        self._idle = [self._new_actor() for _ in range(workers)]
        self._refs: dict = {}  # ObjectRef -> (trial id, actor)
        self._pending: collections.deque = collections.deque()

    def _new_actor(self):
        return self._actor_class.remote(*self._args)

    def describe(self) -> str:
        """The line ``glovec run`` starts with (waits for the first actor's warm worker)."""
        actor = self._idle[0] if self._idle else None
        if actor is None:
            return f"glovec: ray executor: {self.capacity} actor(s)"
        text = self._ray.get(actor.describe.remote())
        return f"glovec: ray executor: {self.capacity} actor(s), each with {text}"

    def submit(self, trial_id: int, decisions: dict, history=None) -> None:
        payload = trial_payload(trial_id, decisions, self.prog, self.early_stopping, history)
        self._pending.append((trial_id, payload))
        self._start_pending()

    def _start_pending(self) -> None:
        while self._pending and self._idle:
            trial_id, payload = self._pending.popleft()
            actor = self._idle.pop()
            self._refs[actor.run.remote(trial_id, payload)] = (trial_id, actor)

    def wait(self, timeout: float | None = None) -> list[TrialResult]:
        if not self._refs:
            return []
        ray = self._ray
        ready, _ = ray.wait(list(self._refs), num_returns=1, timeout=timeout)
        if ready:
            ready, _ = ray.wait(list(self._refs), num_returns=len(self._refs), timeout=0)
        results = []
        for ref in ready:
            trial_id, actor = self._refs.pop(ref)
            try:
                results.append(TrialResult(**ray.get(ref)))
                self._idle.append(actor)
            except Exception as exc:  # the actor died (node lost, worker killed), or could not start
                results.append(TrialResult(trial_id, "failed", error=f"the Ray actor failed: {exc}"))
                self._forget(actor)
                self._idle.append(self._new_actor())
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
        actors = [a for _, a in self._refs.values()] + self._idle
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
        self._idle = []
        self._pending.clear()
        if self._owns_ray:
            ray.shutdown()
