"""The commands' side of notebooks: ``convert``, ``diff``, ``space``, ``run`` and ``materialize``
given a ``.ipynb`` file go through here (``glovec.notebook`` holds the map between cells and the
script equivalent).

- ``convert model.ipynb`` writes ``model_search.ipynb`` (a first cell with the header that carries
  the space, the code cells with their sites rewritten, outputs cleared); ``-o x.py`` writes the
  script equivalent instead; ``--diff`` shows the change on the script equivalent, whose
  ``# %% cell N`` lines say where each cell starts.
- ``materialize model.ipynb ... -o best.ipynb`` edits the cells' sources in place in the file's
  JSON text; ``-o best.py`` writes the materialized script equivalent.
"""

from __future__ import annotations

import click

from glovec.notebook import (CellMapError, NotebookCompile, NotebookSupportMissing, compile_notebook,
                             is_notebook, read_notebook)
from glovec.transforms.diagnostics import DiagnosticError

__all__ = ["is_notebook", "load", "compile_file", "converted", "space_of", "materialized"]


def load(src: str, data: bytes):
    """The notebook in ``data``; prints its problems (GV002/GV005) and returns None for them.
    A missing nbformat/IPython is a usage error (exit 2)."""
    try:
        return read_notebook(data, src)
    except NotebookSupportMissing as exc:
        raise click.UsageError(str(exc)) from None
    except DiagnosticError as exc:
        for d in exc.diagnostics:
            click.echo(d.render(), err=True)
        return None


def compile_file(src: str, data: bytes, *, output_path: str | None = None, rules=None,
                 objective: str | None = None, settings: dict | None = None) -> NotebookCompile | None:
    """Read and compile; print diagnostics and warnings at their cells; None when it has errors."""
    notebook = load(src, data)
    if notebook is None:
        return None
    try:
        compiled = compile_notebook(notebook, output_path=output_path, rules=rules,
                                    objective=objective, settings=settings)
    except NotebookSupportMissing as exc:
        raise click.UsageError(str(exc)) from None
    for d in [*compiled.diagnostics, *compiled.warnings]:
        click.echo(d.render(), err=True)
    return compiled if compiled.ok else None


def converted(src: str, data: bytes, target: str | None, rules: str | None,
              settings: dict | None):
    """``glovec convert`` of a notebook: (CompileResult of the script equivalent, the script
    equivalent, the bytes to write: the converted notebook, or for a ``.py`` target the
    script), or None when it has problems (printed)."""
    compiled = compile_file(src, data, output_path=target, rules=rules, settings=settings)
    if compiled is None:
        return None
    result = compiled.result
    if target is not None and target.endswith(".py"):
        out = result.code.encode("utf-8")
    else:
        try:
            out = compiled.notebook.generated(result.code, result.header_line).encode("utf-8")
        except CellMapError as exc:
            click.echo(f"glovec: {exc}", err=True)
            return None
    return result, compiled.notebook.script, out


def space_of(compiled: NotebookCompile) -> dict:
    """The space with positions in cells (``glovec space``)."""
    return compiled.notebook.located_space(compiled.result.space_doc)


def materialized(src: str, data: bytes, decisions: dict, output: str | None, rules) -> str | None:
    """The notebook's text with ``decisions`` written into its cells (for a ``.py`` output, the
    materialized script equivalent); None when there are problems (printed)."""
    from glovec.transforms.materialize import materialize_source

    notebook = load(src, data)
    if notebook is None:
        return None
    try:
        script = materialize_source(notebook.script, src, decisions, rules=rules or None)
    except DiagnosticError as exc:
        for d in notebook.diagnostics(exc.diagnostics):
            click.echo(d.render(), err=True)
        return None
    if output and output.endswith(".py"):
        return script
    try:
        return notebook.with_sources(notebook.sources_from(script))
    except CellMapError as exc:
        click.echo(f"glovec: {exc}", err=True)
        return None
