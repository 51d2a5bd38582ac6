"""``StudyError``: a study that cannot be opened, read or continued as asked."""

from __future__ import annotations


class StudyError(Exception):
    """A study cannot be opened or continued as asked. ``code`` is the GV5xx diagnostic code."""

    def __init__(self, code: str, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = path

    def render(self) -> str:
        where = f"{self.path}:1:1: " if self.path else ""
        return f"{where}{self.code} {self.message}"


def read_only(path: str, why: str) -> StudyError:
    """GV511: a run cannot write the study (read-only file or folder)."""
    return StudyError(
        "GV511",
        f"study {path} cannot be written ({why}); a run records every trial in it: make the file "
        f"and its folder writable, or use another --study",
        path,
    )
