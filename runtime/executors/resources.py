"""What a trial may use: memory limits, GPU slices, and each parallel trial's share of the CPUs."""

from __future__ import annotations

import os
import subprocess

from .base import ExecutorError

__all__ = ["parse_memory", "detect_gpus", "gpu_slots", "thread_env", "THREAD_VARIABLES"]


def parse_memory(limit) -> int | None:
    """Bytes from 1073741824, "1G", "512M", "300k" (powers of 1024); None/0 means no limit."""
    if limit in (None, 0, ""):
        return None
    if isinstance(limit, (int, float)):
        return int(limit)
    text = str(limit).strip().upper().removesuffix("B").removesuffix("I")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in "KMGT" else text
    try:
        return int(float(number) * scale)
    except ValueError:
        raise ExecutorError(f"cannot read memory limit {limit!r} (try 2G or 512M)") from None


def detect_gpus() -> list[str]:
    """GPU ids this process may use: ``CUDA_VISIBLE_DEVICES`` when set, else ``nvidia-smi -L``."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        ids = [v.strip() for v in visible.split(",") if v.strip()]
        return [] if ids in ([], ["-1"]) or any(v.startswith("-") for v in ids[:1]) else ids
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return []
    if out.returncode != 0:
        return []
    return [str(i) for i, line in enumerate(out.stdout.splitlines()) if line.startswith("GPU ")]


def gpu_slots(gpus_per_trial: int) -> list[list[str]]:
    """The GPU ids split into slices of ``gpus_per_trial``; ExecutorError when there is none."""
    ids = detect_gpus()
    if not ids:
        raise ExecutorError(
            f"--gpus-per-trial {gpus_per_trial} asks for GPUs, but none was found "
            "(CUDA_VISIBLE_DEVICES is unset or empty and `nvidia-smi -L` lists no GPU); "
            "run without --gpus-per-trial to use the CPU")
    slots = [ids[i:i + gpus_per_trial] for i in range(0, len(ids) - gpus_per_trial + 1, gpus_per_trial)]
    if not slots:
        raise ExecutorError(
            f"--gpus-per-trial {gpus_per_trial} asks for more GPUs than this machine has ({len(ids)}: "
            f"{','.join(ids)})")
    return slots


# Thread pools of the numeric libraries; each sizes itself to the whole machine by default, so N
# trials at once would oversubscribe the CPUs N times over.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def cpu_count() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def thread_env(workers: int) -> dict:
    """With several trials at once, each gets its share of the CPUs (unless the user chose)."""
    if workers <= 1:
        return {}
    share = str(max(1, cpu_count() // workers))
    return {var: share for var in THREAD_VARIABLES if var not in os.environ}
