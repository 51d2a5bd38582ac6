"""File helpers every command shares: reading an input, and atomic writes, so a reader never
sees half a file and an interrupted command leaves the old file (or none) behind.

A file glovec cannot read (a missing SRC, a folder, no permission) is GV601 and an output it
cannot write (a missing or read-only folder, a folder named as the output) is GV602: a diagnostic
``path:1:1: GVnnn message`` on stderr and exit 1, as for any other problem with the user's input
(``FileProblem``, shown by ``glovec.cli.main``).
"""

from __future__ import annotations

import os
import sys
import tempfile


class FileProblem(Exception):
    """A path glovec cannot read (GV601) or write (GV602)."""

    def __init__(self, code: str, path: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.path = path
        self.message = message

    def render(self) -> str:
        return f"{self.path}:1:1: {self.code} {self.message}"


def read_input(path: str) -> bytes:
    """The bytes of an input file (a program, a --dna @FILE); GV601 when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except IsADirectoryError:
        raise FileProblem("GV601", path, f"cannot read {path}: it is a folder, not a file") \
            from None
    except OSError as exc:
        raise FileProblem("GV601", path, f"cannot read {path}: {exc.strerror or exc}") from None


def write_atomic(path: str, data: bytes | str) -> None:
    """Write ``data`` (text is UTF-8 encoded, newlines untouched) to ``path`` through a temporary
    file in the same folder and a rename. An existing file keeps its permissions; a new one gets
    the usual ones (0666 less the umask), not mkstemp's 0600. GV602 when it cannot be written;
    then nothing is left behind."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if os.path.isdir(path):
        raise FileProblem("GV602", path, f"cannot write {path}: it is a folder; name a file")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        shown = os.path.dirname(path) or folder
        raise FileProblem("GV602", path, f"cannot write {path}: the folder {shown} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    except OSError as exc:
        raise FileProblem("GV602", path, f"cannot write {path}: {exc.strerror or exc}") from None
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
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise FileProblem("GV602", path, f"cannot write {path}: {exc.strerror or exc}") \
                from None
        raise


def write_stdout(data: bytes | str) -> None:
    """Write to standard output byte for byte (no newline translation)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
