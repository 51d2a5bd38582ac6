"""Executors: how a trial of a generated program runs.

Three kinds behind one small interface (the driver submits trials and collects results):

- ``inline`` (``inline.py``): the generated code is compiled once and re-executed per trial in
  this process, in a fresh ``__main__`` namespace. Fastest; a crash of the program is a crash of
  the driver.
- ``process`` (``process.py``): each trial in its own process, N at a time, from warm workers
  that imported the program's modules once (``warm.py`` the driver's side, ``server.py`` the
  worker: a fork server, or reused interpreters where forking is unsafe). A crash, hang
  (``timeout``) or out-of-memory (``memory_limit``) becomes a failed trial with the tail of its
  stderr; the study goes on. ``gpus_per_trial`` gives each trial its own ``CUDA_VISIBLE_DEVICES``
  slice. With N > 1, each trial's numeric thread pools (OpenMP, MKL, OpenBLAS, TensorFlow) get
  CPUs / N threads unless those variables are already set.
- ``ray`` (``ray_executor.py``): trials on Ray actors (one machine or a cluster), each keeping a
  warm worker on its node; a trial runs there the way the process executor runs it. Per-trial
  CPUs, GPUs (fractions share one) and custom resources; a trial whose node is lost runs again
  elsewhere (``retries``); each result names its node.

``trial_process.py`` holds a trial's files and what its end means (shared by the last two);
``resources.py`` the memory, GPU and CPU shares; ``base.py`` the types; ``spawn_main.py`` the
``__main__`` of a trial's multiprocessing "spawn" children.

Usage::

    ex = make_executor("process", ProgramRef(code=text, path=None, source_path="model.py",
                                             header_line=1), workers=2, timeout=600)
    ex.submit(trial_id, decisions, history=curves)
    for result in ex.wait(timeout=1.0): ...
    ex.close()

Only the standard library is imported here; Ray is imported when the Ray executor is made.
"""

from __future__ import annotations

import os

from ..wire import make_should_stop
from .base import ExecutorError, ProgramRef, TrialResult
from .inline import InlineExecutor, compile_program
from .process import ProcessExecutor
from .ray_executor import RayExecutor
from .resources import THREAD_VARIABLES, detect_gpus, gpu_slots, parse_memory

__all__ = [
    "ExecutorError",
    "ProgramRef",
    "TrialResult",
    "make_executor",
    "make_should_stop",
    "compile_program",
    "detect_gpus",
    "parse_memory",
    "InlineExecutor",
    "ProcessExecutor",
    "RayExecutor",
    "THREAD_VARIABLES",
]


def make_executor(
    kind: str,
    prog: ProgramRef,
    workers: int = 1,
    timeout: float | None = None,
    gpus_per_trial: float = 0,
    ray_address: str | None = None,
    early_stopping=None,
    memory_limit=None,
    preload=(),
    cpus_per_trial: float | None = None,
    resources=None,
    retries: int = 1,
    runtime_env=None,
):
    """Make the executor named ``kind`` ("inline", "process" or "ray") for ``prog``.

    ``timeout`` is seconds per trial; ``memory_limit`` caps a process trial's address space
    (bytes, or text such as "2G"; default: ``GLOVEC_MEMORY_LIMIT``); ``early_stopping`` is a
    policy from ``glovec.runtime.early_stopping``, evaluated in the worker against the history
    passed to ``submit``; ``preload`` names modules the warm workers of the process and Ray
    executors import once, beyond those the program imports at module level. Raises
    ExecutorError for a request that cannot be met (e.g. GPUs asked for and
    none present).

    Ray only: ``gpus_per_trial`` may be a fraction (0.5: two trials share a GPU);
    ``cpus_per_trial`` (default 1) and ``resources`` (``{"TPU": 1}``, or its JSON text) are what
    each trial asks Ray for; ``retries`` is how often a trial whose node is lost runs again;
    ``runtime_env`` (a dict or JSON text) is added to the job's Ray runtime environment.
    """
    if memory_limit is None:
        memory_limit = os.environ.get("GLOVEC_MEMORY_LIMIT") or None
    if workers is None or workers < 1:
        raise ExecutorError(f"--workers must be at least 1 (got {workers})")
    if gpus_per_trial and gpus_per_trial < 0:
        raise ExecutorError(f"--gpus-per-trial must not be negative (got {gpus_per_trial})")
    if kind != "ray":
        ray_only = [flag for flag, on in (("--cpus-per-trial", cpus_per_trial is not None),
                                          ("--resources", bool(resources)),
                                          ("--ray-runtime-env", bool(runtime_env))) if on]
        if ray_only:
            raise ExecutorError(f"{', '.join(ray_only)} only apply to --executor ray")
        if gpus_per_trial and gpus_per_trial != int(gpus_per_trial):
            raise ExecutorError(f"--gpus-per-trial {gpus_per_trial:g}: a fraction of a GPU needs "
                                f"--executor ray (the {kind} executor gives whole GPUs)")
        gpus_per_trial = int(gpus_per_trial or 0)
    if kind == "inline":
        if workers > 1:
            raise ExecutorError("the inline executor runs one trial at a time; "
                                "use --executor process for --workers > 1")
        if gpus_per_trial:
            gpu_slots(gpus_per_trial)  # says clearly when there is no GPU
        return InlineExecutor(prog, timeout=timeout, early_stopping=early_stopping)
    if kind == "process":
        return ProcessExecutor(prog, workers=workers, timeout=timeout, gpus_per_trial=gpus_per_trial,
                               early_stopping=early_stopping, memory_limit=memory_limit,
                               preload=preload)
    if kind == "ray":
        from .ray_executor import json_object

        return RayExecutor(prog, workers=workers, timeout=timeout, gpus_per_trial=gpus_per_trial,
                           ray_address=ray_address, early_stopping=early_stopping,
                           memory_limit=memory_limit, preload=preload,
                           cpus_per_trial=cpus_per_trial,
                           resources=json_object(resources, "--resources", '{"TPU": 1}'),
                           retries=retries,
                           runtime_env=json_object(runtime_env, "--ray-runtime-env",
                                                   '{"working_dir": "."}'))
    raise ExecutorError(f"unknown executor {kind!r} (choose inline, process or ray)")
