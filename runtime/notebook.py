"""A notebook's script equivalent at run time: tracebacks that name cells, and IPython lines.

``glovec run model.ipynb`` runs trials of the notebook's script equivalent (``glovec.notebook``):
its code cells in order, IPython syntax turned into ``get_ipython()`` calls. The compiled space
carries the cell map (``"cells": [[label, first script line, lines, index in the file], ...]``);
the generated header hands it here (``enter``) before anything else runs, and:

- ``frame(source, line, name)`` turns a traceback frame of the script into one that names the
  cell and the line in it (``File "model.ipynb, cell 3", line 2, in train``), with the line's
  text read from the notebook file when it is there;
- a program whose cells use IPython syntax (``%time``, ``!pip``) gets a ``get_ipython()`` that
  returns an IPython shell whose namespace is the program's own (IPython imported only when a
  cell calls it), so those lines do what they do in the notebook.

Standard library only.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

__all__ = ["enter", "frame", "locate", "install_shell"]

_cells: list | None = None  # the running program's cell map, or None for a plain script
_source: str | None = None  # the notebook's file name (frames of other files are not mapped)
_texts: dict = {}  # notebook path -> its cells' sources (read once, for traceback lines)


def enter(name: str, source: str, space_json: str) -> None:
    """Called by ``glovec.runtime.program`` with the generated header's arguments."""
    global _cells, _source
    try:
        _cells = json.loads(space_json).get("cells") or None
    except ValueError:
        _cells = None
    _source = os.path.basename(source)
    module = sys.modules.get(name)
    if _cells and module is not None:
        install_shell(vars(module))


def install_shell(namespace: dict) -> None:
    """Give a notebook's script the ``get_ipython()`` its IPython lines call (unless it runs
    inside IPython already)."""
    import builtins

    if "get_ipython" not in namespace and not hasattr(builtins, "get_ipython"):
        namespace["get_ipython"] = _ShellFor(namespace)


def locate(line: int) -> tuple[str, int, int | None] | None:
    """(cell label, line in the cell, cell index in the file) of a script line, or None."""
    for label, first, count, index in _cells or ():
        if first <= line < first + count:
            return label, line - first + 1, index
    return None


def frame(source: str, line: int | None, name: str) -> traceback.FrameSummary:
    """A traceback frame at ``line`` of the script equivalent of the notebook ``source``."""
    mine = _cells and os.path.basename(source) == _source  # not another program's frame
    found = locate(line) if mine and line else None
    if found is None:
        return traceback.FrameSummary(source, line, name)
    label, in_cell, index = found
    return traceback.FrameSummary(f"{source}, {label}", in_cell, name,
                                  line=_line_text(source, index, in_cell))


def _line_text(source: str, index: int | None, line: int) -> str:
    if index is None:
        return ""
    if source not in _texts:
        try:
            with open(source, encoding="utf-8") as f:
                data = json.load(f)
            _texts[source] = ["".join(c["source"]) if isinstance(c.get("source"), list)
                              else c.get("source", "") for c in data["cells"]]
        except (OSError, ValueError, KeyError, TypeError):
            _texts[source] = []
    cells = _texts[source]
    if index >= len(cells):
        return ""
    lines = cells[index].splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


class _ShellFor:
    """``get_ipython`` for a notebook run as a script: an IPython shell on the program's globals."""

    def __init__(self, namespace: dict) -> None:
        self.namespace = namespace

    def __call__(self):
        try:
            from IPython.core.interactiveshell import InteractiveShell
        except ImportError:
            raise RuntimeError("this notebook cell uses IPython syntax (%magic, !shell); running it "
                               "as a script needs IPython: pip install ipython") from None
        fresh = not InteractiveShell.initialized()
        shell = InteractiveShell.instance()
        if fresh:  # a script has no GUI event loop: `%matplotlib inline` picks a backend only
            shell.enable_gui = lambda gui=None: None
        if shell.user_ns is not self.namespace:  # a new trial in this process: its namespace
            shell.user_ns = self.namespace
            shell.init_user_ns()
        return shell

