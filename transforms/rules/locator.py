"""Where keys are in a TOML text: tomllib gives values only, diagnostics need lines and
columns."""

from __future__ import annotations

import re


class Locator:
    """Lines and columns of keys in a TOML text (tomllib gives values only)."""

    _KEY = re.compile(r"\s*([A-Za-z0-9_\-]+|\"[^\"]*\")\s*=\s*")
    _HEADER = re.compile(r"\s*(\[\[?)\s*([A-Za-z0-9_.\-]+)\s*\]\]?")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.tops: dict[str, tuple[int, int]] = {}
        self.headers: list[tuple[int, int]] = []
        self.keys: list[dict[str, tuple[int, int]]] = []
        table: str | None = None
        quote: str | None = None
        for number, line in enumerate(self.lines, 1):
            if quote is not None:  # inside a multi-line string
                if line.count(quote) % 2 == 1:
                    quote = None
                continue
            header = self._HEADER.match(line)
            if header and not self._KEY.match(line):
                table = header.group(2)
                if header.group(1) == "[[" and table == "rule":
                    self.headers.append((number, header.start(1) + 1))
                    self.keys.append({})
                else:
                    self.tops.setdefault(table, (number, header.start(2) + 1))
                continue
            key = self._KEY.match(line)
            if key:
                name = key.group(1).strip('"')
                position = (number, key.end() + 1)
                if table == "rule" and self.keys:
                    self.keys[-1].setdefault(name, position)
                elif table is None:
                    self.tops.setdefault(name, (number, key.start(1) + 1))
                rest = line[key.end():]
                for q in ('"""', "'''"):
                    if rest.startswith(q) and rest.count(q) == 1:
                        quote = q

    def top(self, key: str) -> tuple[int, int]:
        return self.tops.get(key, (1, 1))

    def rule(self, number: int) -> tuple[int, int]:
        return self.headers[number] if number < len(self.headers) else (1, 1)

    def key(self, number: int, key: str) -> tuple[int, int]:
        if number < len(self.keys) and key in self.keys[number]:
            return self.keys[number][key]
        return self.rule(number)

    def plain_string(self, at: tuple[int, int]) -> bool:
        """Whether the value at ``at`` is a one-line string whose characters map 1:1."""
        line, col = at
        if not 0 < line <= len(self.lines):
            return False
        text = self.lines[line - 1][col - 1:]
        if text.startswith("'") and not text.startswith("'''"):
            return True
        return text.startswith('"') and not text.startswith('"""') and "\\" not in text

    def inside(self, number: int, key: str, value: str, node) -> tuple[int, int]:
        at = self.key(number, key)
        if node is not None and "\n" not in value and self.plain_string(at):
            return at[0], at[1] + 1 + (len(value) - len(value.lstrip())) + node.col_offset
        return at

