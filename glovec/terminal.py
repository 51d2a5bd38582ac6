"""Text from untrusted places (a study's stored candidates, a trial's error) shown on a terminal.

A study is a file anyone who can write the folder may have edited, and a trial's error is what the
user's program printed: either may hold escape sequences that retitle, recolour or rewrite the
user's terminal, even through a pipe. ``printable`` shows every control character as a Python-style
escape (``\\x1b``, ``\\u202e``), so what reaches the terminal is inert text. JSON output needs none
of this: ``json.dumps`` already escapes control characters.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls (U+0080-U+009F: U+009B is a one-byte CSI on
# some terminals), and the bidirectional overrides and isolates that reorder what is shown.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, lines: bool = False) -> str:
    """``text`` with its control characters escaped. With ``lines`` a newline is kept (a table of
    several lines); otherwise it is escaped too, so one value stays one line."""
    text = _UNSAFE.sub(_escape, text)
    return text if lines else text.replace("\n", "\\n")
