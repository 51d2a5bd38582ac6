"""The Ray executor: each trial a Ray task on an existing cluster or a local instance.

Ray is imported when the executor is made, never at import.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time

from ..wire import jsonable
from .base import ExecutorError, ProgramRef, TrialResult
from .resources import parse_memory
from .trial_process import _TrialProcess, _path_env, _script_for, trial_payload

__all__ = ["RayExecutor"]


def _ray_trial(trial_id, code, payload, source_path, argv, cwd, timeout, memory_limit):
    """Body of a Ray task: run one trial as a subprocess on this node; returns a TrialResult dict."""
    workdir = tempfile.mkdtemp(prefix="glovec-ray-")
    try:
        prog = ProgramRef(code=code, path=None, source_path=source_path, argv=list(argv), cwd=cwd)
        script = _script_for(prog, workdir)
        if cwd and not os.path.isdir(cwd):  # another node: the driver's folder is not here
            cwd = workdir
        proc = _TrialProcess(trial_id, script, payload, workdir, argv, cwd, timeout, memory_limit,
                             _path_env(script, prog))
        while True:
            result = proc.poll()
            if result is not None:
                return result.__dict__
            time.sleep(0.01)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


class RayExecutor:
    """Trials as Ray tasks on an existing cluster (``ray_address``) or a local instance."""

    def __init__(self, prog: ProgramRef, workers=1, timeout=None, gpus_per_trial=0, ray_address=None,
                 early_stopping=None, memory_limit=None):
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
        self._task = ray.remote(num_cpus=1, num_gpus=gpus_per_trial or 0, max_retries=0)(_ray_trial)
        self._refs: dict = {}  # ObjectRef -> trial id
        self._code = prog.code

    def submit(self, trial_id: int, decisions: dict, history=None) -> None:
        payload = json.loads(json.dumps(
            trial_payload(trial_id, decisions, self.prog, self.early_stopping, history), default=jsonable))
        ref = self._task.remote(trial_id, self._code, payload, self.prog.source_path, list(self.prog.argv),
                                self.prog.cwd, self.timeout, self.memory_limit)
        self._refs[ref] = trial_id

    def wait(self, timeout: float | None = None) -> list[TrialResult]:
        if not self._refs:
            return []
        ray = self._ray
        ready, _ = ray.wait(list(self._refs), num_returns=1, timeout=timeout)
        if ready:
            ready, _ = ray.wait(list(self._refs), num_returns=len(self._refs), timeout=0)
        results = []
        for ref in ready:
            trial_id = self._refs.pop(ref)
            try:
                results.append(TrialResult(**ray.get(ref)))
            except Exception as exc:  # the task itself died (node lost, worker killed)
                results.append(TrialResult(trial_id, "failed", error=f"the Ray task failed: {exc}"))
        return results

    @property
    def running(self) -> int:
        return len(self._refs)

    def close(self) -> None:
        for ref in list(self._refs):
            try:
                self._ray.cancel(ref, force=True)
            except Exception:
                pass
        self._refs.clear()
        if self._owns_ray:
            self._ray.shutdown()
