"""``<study>-lock``: one driver writes a study at a time (GV508)."""

from __future__ import annotations

import os

from .errors import StudyError


def lock(path: str) -> int | None:
    """Hold ``<study>-lock`` so that a second driver cannot write the same study (GV508).

    A POSIX record lock: the kernel drops it when the process ends, however it ends (SIGKILL
    included), so a crashed driver never leaves a stale lock behind. Locks belong to the process,
    so one process may open a study more than once (tests do, to play a driver that died).
    """
    if path == ":memory:":
        return None
    try:
        import fcntl
    except ImportError:  # not POSIX: no guard
        return None
    try:
        fd = os.open(path + "-lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StudyError("GV501", f"cannot open the study {path}: {exc.strerror}", path) from exc
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
        os.close(fd)
        raise StudyError(
            "GV508",
            f"study {path} is in use by another driver (process {holder}); wait for it to end, "
            f"or stop it and continue with --resume",
            path,
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd
