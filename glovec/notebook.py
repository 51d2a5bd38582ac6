"""Jupyter notebooks (``.ipynb``) as glovec programs.

A notebook is compiled as its *script equivalent*: its code cells in order, each turned into
Python by IPython's own input transformer (``%magic``, ``!shell`` and ``?help`` lines become the
``get_ipython()`` calls IPython itself runs), each after a ``# %% cell N`` line (the percent
format editors show as cells). The script keeps every cell's line count, so line L of a cell is a
fixed script line and the map goes both ways:

- diagnostics and ``glovec space`` locations name the cell and the line in it
  (``model.ipynb:cell 3:2:17: GV101 ...``); "cell N" counts every cell of the file from 1,
  markdown cells included;
- the compiled space carries the map (``space["cells"]``), so a failing trial's traceback names
  the cell and the line (``glovec.runtime.notebook``);
- an edited script (``materialize``, ``convert``) maps back to cell sources, which are written
  into the raw JSON text in place: every other byte of the file (metadata, outputs, the file's
  own JSON formatting) is kept, so all-default decisions give the file back byte for byte.

A line IPython rewrites (a magic) is never the user's Python: a marker on it is part of the magic's
text, so it holds no site. Lines the transformer drops (a ``%%cell_magic``'s body, a ``\\``
continuation of a magic) become empty lines of the script, as do glovec's own magics
(``%load_ext glovec``, ``%glovec run ...``: a trial must not start a search); the body of a
bare ``%%glovec`` cell is plain Python of the notebook, a ``%%glovec space|run ...`` cell is a
program of its own (``glovec.magics``) and empty in the notebook's script.

Reading needs ``nbformat`` (the notebook is checked with its validator) and IPython's
``TransformerManager``: ``pip install 'glovec[notebook]'``. The runtime never imports them.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
import warnings
from dataclasses import dataclass, field

from glovec.compiler import CompileResult
from glovec.transforms.diagnostics import Diagnostic, DiagnosticError
from glovec.transforms.header import for_kernel
from glovec.transforms.source import split_lines as _lines

__all__ = ["CellMapError", "NotebookSupportMissing", "Cell", "Notebook", "is_notebook", "read_notebook",
           "from_cells", "compile_notebook", "NotebookCompile", "SUFFIX"]

SUFFIX = ".ipynb"
INSTALL_HINT = "pip install 'glovec[notebook]'"


def is_notebook(path: str) -> bool:
    return str(path).lower().endswith(SUFFIX)


class CellMapError(ValueError):
    """An edited script cannot be written back into the cells (a value on a line IPython
    rewrites, a cell line that reads like a ``# %% cell N`` line): exit 1 with the message."""


class NotebookSupportMissing(RuntimeError):
    """nbformat or IPython is not installed (a usage problem: exit 2 with the install hint)."""


def _transformer():
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        raise NotebookSupportMissing(
            f"reading notebooks needs IPython and nbformat: {INSTALL_HINT}") from None
    return TransformerManager()


def _bare(line: str) -> str:
    return line.rstrip("\r\n")


@dataclass
class Cell:
    """One code cell. ``label`` names it in messages ("cell 3", or "In [5]" for a kernel's
    history); ``index`` is its position in the file's ``cells`` list (None when the cell is not
    from a file); ``first_line`` is the script line of its first line (after its ``# %%`` line)."""

    label: str
    source: str
    index: int | None = None
    first_line: int = 0
    script: list[str] = field(default_factory=list)  # its script lines, one per source line
    plain: list[bool] = field(default_factory=list)  # script line == source line (no magic)

    @property
    def source_lines(self) -> list[str]:
        return _lines(self.source)


_LINE_IN_MESSAGE = re.compile(r"\bline (\d+)\b(?! of )")

# glovec's own magics never run in a trial (a trial that started a search would never end): their
# lines are empty in the script; a `%%glovec` cell's body is plain Python of the program.
_OWN_MAGIC = re.compile(r"[ \t]*(?:%(?:load_ext|reload_ext)[ \t]+glovec\b|%glovec\b)")
_OWN_CELL_MAGIC = re.compile(r"[ \t]*%%glovec\b")


def _without_own_magics(src: list[str]) -> str:
    lines = list(src)
    if lines and _OWN_CELL_MAGIC.match(lines[0]):
        if lines[0].split()[1:2]:  # `%%glovec run ...`: a program of its own, not the notebook's
            return "\n" * len(lines)
        lines[0] = "\n"
    return "".join("\n" if _OWN_MAGIC.match(line) else line for line in lines)


def _script_lines(source: str, transform) -> tuple[list[str], list[bool]]:
    """The cell's script lines, one per source line, and which of them are the source's own."""
    src = _lines(source)
    if not src:
        return [], []
    try:
        transformed = _lines(transform(_without_own_magics(src)))
    except Exception:  # IPython could not read it: Python's parser reports it (GV001)
        transformed = list(src)
    lines: list[str] = []
    plain: list[bool] = []
    matcher = difflib.SequenceMatcher(None, [_bare(x) for x in src], [_bare(x) for x in transformed],
                                      autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines.extend(_bare(x) + "\n" for x in src[i1:i2])
            plain.extend([True] * (i2 - i1))
            continue
        old, new = i2 - i1, j2 - j1
        block = [_bare(x) + "\n" for x in transformed[j1:j2]]
        if new > old:  # more lines than the cell had (never seen from IPython): the text as is
            block = [_bare(x) + "\n" for x in src[i1:i2]]
        lines.extend(block + ["\n"] * (old - len(block)))
        plain.extend([False] * old)
    return lines, plain


class Notebook:
    """The code cells of a notebook, their script equivalent and the map between the two.

    ``raw`` is the file's text when the notebook came from a file (None for cells from a
    kernel's history)."""

    def __init__(self, path: str, cells: list[Cell], raw: str | None = None,
                 data: dict | None = None) -> None:
        self.path = path
        self.cells = cells
        self.raw = raw
        self.data = data
        transform = None
        parts: list[str] = []
        line = 1
        for cell in cells:
            if transform is None:
                transform = _transformer().transform_cell
            cell.script, cell.plain = _script_lines(cell.source, transform)
            parts.append(self.separator(cell))
            cell.first_line = line + 1
            parts.extend(cell.script)
            line += 1 + len(cell.script)
        self.script = "".join(parts)

    @staticmethod
    def separator(cell: Cell) -> str:
        return f"# %% {cell.label}\n"

    # -- script lines <-> cells ------------------------------------------------------------------

    def locate(self, line: int) -> tuple[Cell, int] | None:
        """(cell, 1-based line in the cell) of a script line; None for a ``# %%`` line."""
        for cell in self.cells:
            if cell.first_line <= line < cell.first_line + len(cell.script):
                return cell, line - cell.first_line + 1
        return None

    def where(self, line: int) -> tuple[str, int]:
        """(``path:cell N``, line in the cell) for a script line."""
        found = self.locate(line)
        if found is None:
            for cell in self.cells:  # a separator line: the cell it opens, line 1
                if cell.first_line - 1 == line:
                    return f"{self.path}:{cell.label}", 1
            return self.path, line
        cell, in_cell = found
        return f"{self.path}:{cell.label}", in_cell

    def diagnostics(self, diagnostics) -> list[Diagnostic]:
        """The compiler's diagnostics (script lines) at their cells: path ``model.ipynb:cell 3``."""
        out = []
        for d in diagnostics:
            if d.path and d.path != self.path:  # a rules file's own diagnostic
                out.append(d)
                continue
            path, line = self.where(d.line)
            out.append(dataclasses.replace(d, path=path, line=line, message=self.message(d.message)))
        return out

    def message(self, text: str) -> str:
        """A message that names a script line (``the first is on line 12``), naming the cell."""
        def cell_line(match: re.Match) -> str:
            found = self.locate(int(match.group(1)))
            return match.group(0) if found is None else f"line {found[1]} of {found[0].label}"

        return _LINE_IN_MESSAGE.sub(cell_line, text)

    def cell_map(self) -> list[list]:
        """What the space carries for the runtime: ``[label, first script line, lines, index]``."""
        return [[c.label, c.first_line, len(c.script), c.index] for c in self.cells]

    def located_space(self, space: dict) -> dict:
        """A copy of ``space`` whose positions are in cells: each site, the objective and each
        report gets ``cell`` (its label) and ``line`` in that cell."""
        space = json.loads(json.dumps(space))

        def fix(entry: dict) -> None:
            if entry.get("line"):
                found = self.locate(entry["line"])
                if found is not None:
                    entry["cell"], entry["line"] = found[0].label, found[1]

        def walk(sites) -> None:
            for site in sites or ():
                fix(site)
                for tied in site.get("tied") or ():
                    if not tied.get("file"):
                        fix(tied)
                for kids in (site.get("children") or {}).values():
                    walk(kids)

        walk(space.get("sites"))
        for key in ("objective",):
            if isinstance(space.get(key), dict):
                fix(space[key])
        for report in space.get("reports") or ():
            fix(report)
        return space

    # -- an edited script back into cells ------------------------------------------------------

    def sources_from(self, script: str, drop_line: int | None = None) -> list[str]:
        """Each cell's source after the edits in ``script`` (the script equivalent with sites
        rewritten: ``materialize_source``'s or the compiler's output; ``drop_line`` is a line
        the edit inserted, the generated header). Lines IPython rewrites come back as written."""
        lines = _lines(script)
        if drop_line is not None:
            del lines[drop_line - 1]
        separators = [self.separator(cell) for cell in self.cells]
        if sum(lines.count(sep) for sep in set(separators)) != len(separators):
            raise CellMapError(f"a cell of {self.path} holds a line that reads like glovec's own "
                               f"`# %% cell N` line; glovec cannot tell the cells apart")
        out: list[str] = []
        cursor = 0
        for number, cell in enumerate(self.cells):
            sep = self.separator(cell)
            if cursor >= len(lines) or lines[cursor] != sep:
                raise CellMapError(f"glovec lost the cell boundary of {cell.label} in {self.path}")
            cursor += 1
            end = len(lines)
            if number + 1 < len(self.cells):
                nxt = self.separator(self.cells[number + 1])
                end = lines.index(nxt, cursor)
            out.append(self._cell_text(cell, lines[cursor:end]))
            cursor = end
        return out

    def _cell_text(self, cell: Cell, new: list[str]) -> str:
        if new == cell.script:
            return cell.source
        src = cell.source_lines
        result: list[str] = []
        matcher = difflib.SequenceMatcher(None, cell.script, new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                result.extend(src[i1:i2])
                continue
            if not all(cell.plain[i1:i2]):
                raise CellMapError(f"{self.path}:{cell.label}:{i1 + 1}: glovec cannot write a value "
                                   f"into a line IPython rewrites")
            result.extend(new[j1:j2])
        text = "".join(result)
        if not cell.source.endswith(("\n", "\r")) and text.endswith("\n"):
            text = text[:-1]  # a cell's last line has no newline in the file; keep it that way
        return text

    # -- writing --------------------------------------------------------------------------------

    def with_sources(self, sources: list[str]) -> str:
        """The file's text with the code cells' sources replaced, edited in place: every other
        byte stays (unchanged cells and unchanged lines keep their exact JSON text)."""
        if self.raw is None:
            raise RuntimeError("these cells did not come from a notebook file")
        spans = _source_spans(self.raw)
        edits = []
        for cell, new in zip(self.cells, sources):
            if new == cell.source:
                continue
            edits.extend(_source_edits(self.raw, spans[cell.index], cell.source, new))
        text = self.raw
        for start, end, insert in sorted(edits, reverse=True):
            text = text[:start] + insert + text[end:]
        return text

    def generated(self, code: str, header_line: int) -> str:
        """The converted notebook (``glovec convert model.ipynb``): a first cell with the
        header (the space), the code cells with their sites rewritten, outputs cleared."""
        import nbformat

        header = _lines(code)[header_line - 1]
        header = for_kernel(header)  # in a kernel the program has no __file__
        sources = self.sources_from(code, drop_line=header_line)
        nb = nbformat.from_dict(json.loads(json.dumps(self.data)))
        by_index = {cell.index: text for cell, text in zip(self.cells, sources)}
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                cell.source = by_index.get(index, cell.source)
                cell.outputs = []
                cell.execution_count = None
        first = nbformat.v4.new_code_cell(_bare(header))
        if nb.nbformat_minor < 5:  # cell ids came with nbformat 4.5
            first.pop("id", None)
        else:  # the same output for the same input (`glovec convert --check`)
            first["id"] = "glovec-space"
        nb.cells.insert(0, first)
        return nbformat.writes(nb)


# ---- reading ------------------------------------------------------------------------------------


def _problem(message: str, line: int = 1, col: int = 1) -> DiagnosticError:
    return DiagnosticError([Diagnostic("GV005", message, line, col)])


def read_notebook(data: bytes | str, path: str) -> Notebook:
    """The notebook in ``data`` (a file's bytes). Raises DiagnosticError (GV002 not UTF-8, GV005
    not a notebook: bad JSON, or a file nbformat's validator refuses), with their ``path`` set
    (``path:cell N`` when the problem is in a cell), or NotebookSupportMissing."""
    try:
        import nbformat
    except ImportError:
        raise NotebookSupportMissing(
            f"reading notebooks needs nbformat and IPython: {INSTALL_HINT}") from None
    try:
        return _read(data, path, nbformat)
    except DiagnosticError as exc:
        raise DiagnosticError([d if d.path else dataclasses.replace(d, path=path)
                               for d in exc.diagnostics]) from None


def _read(data: bytes | str, path: str, nbformat) -> Notebook:
    if isinstance(data, bytes):
        from glovec.transforms.source import decode

        text, _bom = decode(data)
    else:
        text = data
    try:
        nb = json.loads(text)
    except ValueError as exc:
        line, col = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        raise _problem(f"not a notebook: the file is not JSON ({getattr(exc, 'msg', exc)})",
                       line, col) from None
    if not isinstance(nb, dict) or "cells" not in nb and "worksheets" not in nb:
        raise _problem("not a notebook: the JSON has no \"cells\" (save it from Jupyter as .ipynb)")
    major = nb.get("nbformat")
    if major != 4:
        raise _problem(f"nbformat {major!r} notebook: glovec reads nbformat 4; open and save it in "
                       f"Jupyter to upgrade it")
    try:
        with warnings.catch_warnings():  # nbformat warns about missing cell ids: not our business
            warnings.simplefilter("ignore")
            nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        at = list(exc.absolute_path)
        where = "/".join(str(p) for p in at) or "the top level"
        problem = _problem(f"not a valid notebook (nbformat's validator, at {where}): {exc.message}")
        if len(at) >= 2 and at[0] == "cells" and isinstance(at[1], int):
            problem.diagnostics[0] = dataclasses.replace(problem.diagnostics[0],
                                                         path=f"{path}:cell {at[1] + 1}")
        raise problem from None
    cells = []
    for index, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        cells.append(Cell(f"cell {index + 1}", source, index))
    return Notebook(path, cells, text, nb)


def from_cells(path: str, cells: list[tuple[str, str]]) -> Notebook:
    """A notebook made of ``(label, source)`` cells that are not in a file (a kernel's history,
    a ``%%glovec`` cell); ``path`` names it in messages."""
    return Notebook(path, [Cell(label, source) for label, source in cells])


# ---- the raw JSON: where each cell's source is ------------------------------------------------

_WS = re.compile(r"[ \t\n\r]*")


def _source_spans(text: str) -> dict[int, tuple]:
    """{cell index: (start, end, [(start, end) of each string when the source is a list] or
    None)} for ``cells[i]["source"]`` in the JSON text, found without re-serializing (values
    that are not on the way are skipped by the C decoder)."""
    decoder = json.JSONDecoder()
    spans: dict[int, tuple] = {}

    def ws(i: int) -> int:
        return _WS.match(text, i).end()  # type: ignore[union-attr]  (it matches the empty string)

    def skip(key, i: int) -> int:
        return decoder.raw_decode(text, i)[1]

    def each(i: int, handle) -> int:
        """``handle(key, start) -> end`` for each member (key: its name) of the object, or
        element (key: its index) of the array, at ``i``; returns the container's end."""
        close = "}" if text[i] == "{" else "]"
        i, index = ws(i + 1), 0
        while text[i] != close:
            key = index
            if close == "}":
                key, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
                i = ws(ws(i) + 1)  # past ':'
            i = ws(handle(key, i))
            index += 1
            if text[i] == ",":
                i = ws(i + 1)
        return i + 1

    def cell(index: int, at: int) -> int:
        def member(key, i: int) -> int:
            if key != "source":
                return skip(key, i)
            parts = None
            if text[i] == "[":
                parts = []

                def part(_, j: int) -> int:
                    parts.append((j, skip(_, j)))
                    return parts[-1][1]

                end = each(i, part)
            else:
                end = skip(key, i)
            spans[index] = (i, end, parts)
            return end

        return each(at, member)

    each(ws(0), lambda key, at: each(at, cell) if key == "cells" else skip(key, at))
    return spans


def _source_edits(raw: str, span: tuple, old: str, new: str) -> list[tuple[int, int, str]]:
    """Edits of the raw text that turn the source at ``span`` from ``old`` into ``new``: the
    changed lines only, when the line count is the same; else the whole list, in its style."""
    start, end, parts = span
    ascii_only = "\\u" in raw[start:end] and not any(ord(ch) > 127 for ch in raw[start:end])
    dump = lambda s: json.dumps(s, ensure_ascii=ascii_only)  # noqa: E731
    if parts is None:  # one string
        return [(start, end, dump(new))]
    old_lines, new_lines = _lines(old), _lines(new)
    if len(old_lines) == len(new_lines) == len(parts):
        return [(s, e, dump(n)) for (s, e), o, n in zip(parts, old_lines, new_lines) if o != n]
    if len(parts) >= 1:
        first = parts[0][0]
        indent = raw[raw.rfind("\n", start, first) + 1:first] if "\n" in raw[start:first] else ""
        closing = raw[raw.rfind("\n", start, end) + 1:end - 1] if "\n" in raw[parts[-1][1]:end] else None
    else:
        indent, closing = "", None
    if not new_lines:
        return [(start, end, "[]")]
    if indent or closing is not None:
        sep = ",\n" + indent
        body = "[\n" + indent + sep.join(dump(x) for x in new_lines) + "\n" + (closing or "") + "]"
    else:
        body = "[" + ", ".join(dump(x) for x in new_lines) + "]"
    return [(start, end, body)]


# ---- compiling ----------------------------------------------------------------------------------


@dataclass
class NotebookCompile:
    """``compile_source``'s result for the script equivalent, with the notebook beside it:
    ``diagnostics``/``warnings`` are already at their cells (render them with ``render()``)."""

    notebook: Notebook
    result: CompileResult  # in script lines
    diagnostics: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.diagnostics


def compile_notebook(notebook: Notebook, *, output_path: str | None = None, rules=None,
                     objective: str | None = None, settings: dict | None = None) -> NotebookCompile:
    """Compile the notebook's script equivalent (``compile_source``) with its cell map."""
    from glovec.compiler import compile_source

    result = compile_source(notebook.script, notebook.path, output_path=output_path, rules=rules,
                            objective=objective, settings=settings, cells=notebook.cell_map())
    return NotebookCompile(notebook, result, notebook.diagnostics(result.diagnostics),
                           notebook.diagnostics(result.warnings))

