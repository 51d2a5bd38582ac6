"""``<study>-lock``: one driver writes a study at a time (GV508).

The lock file sits in a folder that others may write to (a shared study folder), so it is opened
with care: never through a symbolic link, never a file that is not a plain file or that has other
names (a hard link), and never truncated unless it holds nothing but a process id (GV509). A lock
file of another user is locked but not written.
"""

from __future__ import annotations

import errno
import os
import stat

from .errors import StudyError, read_only

_MAX_PID_TEXT = 32


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
    lock_path = path + "-lock"
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(lock_path, flags, 0o644)
    except OSError as exc:
        if os.path.islink(lock_path):
            raise _refused(path, lock_path, "is a symbolic link") from None
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise read_only(path, f"{lock_path}: {exc.strerror}") from None
        raise StudyError("GV501", f"cannot open the study {path}: {exc.strerror}", path) from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _refused(path, lock_path, "is not a plain file")
        if info.st_nlink != 1:
            raise _refused(path, lock_path, f"has {info.st_nlink} names (a hard link)")
        text = os.pread(fd, _MAX_PID_TEXT + 1, 0)
        if len(text) > _MAX_PID_TEXT or not text.strip().isdigit() and text.strip():
            raise _refused(path, lock_path, "holds something other than a process id")
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = text.decode("ascii", "replace").strip() or "?"
            raise StudyError(
                "GV508",
                f"study {path} is in use by another driver (process {holder}); wait for it to "
                f"end, or stop it and continue with --resume",
                path,
            ) from None
        if info.st_uid == os.geteuid():  # another user's lock file is locked, not written
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _refused(path: str, lock_path: str, why: str) -> StudyError:
    return StudyError(
        "GV509",
        f"the lock file {lock_path} {why}; glovec does not write through it. Remove it if no "
        f"driver is running, or use another --study",
        path,
    )
