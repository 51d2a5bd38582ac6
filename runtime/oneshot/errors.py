"""The one error type of one-shot search: a diagnostic at a place in the user's program."""

from __future__ import annotations

__all__ = ["OneShotError"]


class OneShotError(Exception):
    """``path:line:col: GVnnn message`` (codes GV512-GV516 in transforms/diagnostics.py)."""

    def __init__(self, code: str, message: str, path: str | None = None, line: int = 1,
                 col: int = 1) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = path
        self.line = line
        self.col = col

    def render(self) -> str:
        return f"{self.path or '<program>'}:{self.line}:{self.col}: {self.code} {self.message}"

    def __str__(self) -> str:
        return self.render()
