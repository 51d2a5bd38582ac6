"""File helpers every command shares: atomic writes, so a reader never sees half a file and an
interrupted command leaves the old file (or none) behind."""

from __future__ import annotations

import os
import sys
import tempfile


def write_atomic(path: str, data: bytes | str) -> None:
    """Write ``data`` (text is UTF-8 encoded, newlines untouched) to ``path`` through a temporary
    file in the same folder and a rename. An existing file keeps its permissions; a new one gets
    the usual ones (0666 less the umask), not mkstemp's 0600."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        try:
            mode = os.stat(path).st_mode & 0o777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_stdout(data: bytes | str) -> None:
    """Write to standard output byte for byte (no newline translation)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
