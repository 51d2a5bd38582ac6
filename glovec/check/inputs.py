"""Which files ``glovec check`` reads (``discover``) and its ``[tool.glovec.check]`` settings
(``load_config``)."""

from __future__ import annotations

import fnmatch
import os
import re




_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages", "venv", ".venv", "build", "dist"}


def discover(paths, exclude=(), only_marked=False, rules=False) -> list[str]:
    """The files to check. A file named on the command line is checked (with ``only_marked``,
    only when it is a glovec program); a directory contributes its ``*.py`` and ``*.ipynb`` files (recursively,
    hidden and virtual-env folders skipped) that mention ``glovec`` (a marker or
    ``glovec.hints``) and are not generated programs; with ``rules`` (sites chosen by a rules
    file, no markers needed), every ``*.py`` file that is not a generated program."""
    files: list[str] = []
    for path in paths:
        if not os.path.isdir(path):
            if not only_marked or _is_glovec_program(path, rules):
                files.append(path)
            continue
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
            for name in sorted(names):
                if not name.endswith((".py", ".ipynb")):  # notebooks as scripts (glovec.notebook)
                    continue
                full = os.path.join(root, name)
                if any(fnmatch.fnmatch(full, pat) or fnmatch.fnmatch(name, pat) for pat in exclude):
                    continue
                if _is_glovec_program(full, rules):
                    files.append(full)
    seen: set = set()
    return [f for f in files if not (f in seen or seen.add(f))]


def _is_glovec_program(path: str, rules: bool = False) -> bool:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return False
    from glovec.transforms.header import locate

    if locate(data) is not None:
        return False  # a generated program: `glovec convert --check` keeps it in step
    return rules or _MARKED.search(data) is not None


# A marker comment, the annotation markers, or a call into the runtime.
_MARKED = re.compile(rb"#[ \t]*glovec:|glovec\.hints|(?:from|import)[ \t]+glovec\.runtime")


def load_config(start: str) -> dict:
    """``[tool.glovec.check]`` of the nearest ``pyproject.toml`` at or above ``start``."""
    here = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    while True:
        candidate = os.path.join(here, "pyproject.toml")
        if os.path.isfile(candidate):
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10: the same parser, from PyPI
                import tomli as tomllib
            with open(candidate, "rb") as f:
                data = tomllib.load(f)
            return data.get("tool", {}).get("glovec", {}).get("check", {}) or {}
        parent = os.path.dirname(here)
        if parent == here:
            return {}
        here = parent
