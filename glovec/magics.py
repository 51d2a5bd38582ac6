"""``%load_ext glovec``: glovec inside a notebook (IPython, Jupyter, VS Code, Colab).

    %glovec space [--json] [--rules R] [--notebook PATH]
    %glovec run [--trials N] [--algorithm A] [--workers N] [...as glovec run] [--notebook PATH] [-- ARGS]
    %%glovec                  run this cell as usual and make it the program of later %glovec calls
    %%glovec space | run ...  the same, for this cell alone

The program is, in this order: the notebook named by ``--notebook``; the body of a ``%%glovec``
cell (the cell the magic is on, or the last bare ``%%glovec`` cell run in this session); the
notebook file the kernel runs (JupyterLab and Jupyter Server say it in ``JPY_SESSION_NAME``,
VS Code in ``__vsc_ipynb_file__``); else the cells run so far in this session, in the order they
ran (the same text run twice counts once, at its last run), named ``In [N]``.

``%glovec run`` searches in worker processes (``--executor process`` unless another is asked
for): the kernel's own state is never touched, each trial runs the program's script equivalent
from the top. A live progress bar shows while it runs (an HTML bar in a notebook front end, the
text bar in a terminal), and the best trials come back as a table. Trials' tracebacks name the
cell and the line in it. glovec's own magic lines never run inside a trial.
"""

from __future__ import annotations

import html
import io
import os
import re
import shlex
import sys

import click
from IPython.core.magic import Magics, line_cell_magic, magics_class

__all__ = ["load_ipython_extension", "GlovecMagics"]

_MARKED = "%%glovec cell"


def load_ipython_extension(ipython) -> None:
    ipython.register_magics(GlovecMagics)


def _notebook_option():
    return click.Option(["--notebook", "notebook_path"], metavar="PATH", default=None,
                        help="search this notebook file instead of this session's program")


def _command(name: str) -> click.Command:
    """``%glovec NAME``'s options: those of ``glovec NAME`` without SRC, plus --notebook."""
    if name == "run":
        from glovec.commands.run import run_command as base
    else:
        from glovec.commands.convert import space_command as base
    params = [p for p in base.params if p.name != "src"] + [_notebook_option()]
    return click.Command(name, params=params, callback=lambda **kw: kw, help=base.help,
                         context_settings=base.context_settings)


@magics_class
class GlovecMagics(Magics):
    def __init__(self, shell) -> None:
        super().__init__(shell)
        self.marked: tuple[str, str] | None = None  # (label, text) of the last bare %%glovec cell

    @line_cell_magic
    def glovec(self, line: str, cell: str | None = None):
        """glovec in the notebook: `%glovec space`, `%glovec run --trials N ...`, `%%glovec`."""
        args = shlex.split(line)
        here = f"In [{self.shell.execution_count}]"
        if cell is not None and not args:  # mark this cell as the program, and run it as usual
            self.marked = (here, "%%glovec\n" + cell)  # (the first line keeps the cell's numbering)
            result = self.shell.run_cell(cell, store_history=False)
            return result.result
        if not args or args[0] in ("-h", "--help", "help"):
            print(__doc__.split("\n\n")[1].rstrip())
            return None
        name, rest = args[0], args[1:]
        if name not in ("space", "run"):
            print(f"%glovec: unknown subcommand {name!r} (space, run)", file=sys.stderr)
            return None
        try:
            options = _command(name).main(rest, prog_name=f"%glovec {name}", standalone_mode=False)
        except click.ClickException as exc:
            exc.show()
            return None
        if not isinstance(options, dict):  # --help
            return None
        body = (here, "%%glovec\n" + cell) if cell is not None else None  # its body: plain Python
        try:
            notebook = self._program(options.pop("notebook_path"), body)
        except click.ClickException as exc:
            exc.show()
            return None
        if notebook is None:
            return None
        if name == "space":
            return self._space(notebook, options)
        return self._run(notebook, options)

    # -- which program ------------------------------------------------------------------------

    def _kernel_notebook(self) -> str | None:
        for candidate in (self.shell.user_ns.get("__vsc_ipynb_file__"),
                          os.environ.get("JPY_SESSION_NAME")):
            if candidate and str(candidate).endswith(".ipynb") and os.path.isfile(candidate):
                return str(candidate)
        return None

    def _session_name(self) -> str:
        path = self._kernel_notebook()
        return os.path.relpath(path) if path else "session"

    def _program(self, path: str | None, body: tuple[str, str] | None):
        from glovec.commands._notebook import load
        from glovec.notebook import from_cells

        if body is None and path is None:
            body = self.marked
        if body is not None:
            return from_cells(self._session_name(), [body])
        if path is None:
            path = self._kernel_notebook()
            if path is not None:
                path = os.path.relpath(path)
        if path is not None:
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError as exc:
                raise click.UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
            return load(path, data)
        return from_cells("session", self._history())

    def _history(self) -> list[tuple[str, str]]:
        raw = list(self.shell.history_manager.input_hist_raw)
        cells: dict[str, int] = {}
        for number, text in enumerate(raw):
            if number and text.strip() and number != self.shell.execution_count:
                cells.pop(text, None)
                cells[text] = number  # a cell run again counts at its last run
        return [(f"In [{number}]", text) for text, number in
                sorted(cells.items(), key=lambda item: item[1])]

    # -- the subcommands ----------------------------------------------------------------------

    def _compile(self, notebook, rules=None, objective=None):
        from glovec.notebook import compile_notebook

        compiled = compile_notebook(notebook, rules=rules, objective=objective)
        for d in [*compiled.diagnostics, *compiled.warnings]:
            print(d.render(), file=sys.stderr)
        return compiled if compiled.ok else None

    def _space(self, notebook, options: dict):
        import json

        from glovec.commands.convert import space_json, space_table

        compiled = self._compile(notebook, options.get("rules"))
        if compiled is None:
            return None
        space = notebook.located_space(compiled.result.space_doc)
        if options.get("as_json"):
            print(json.dumps(space_json(compiled.result, space), indent=2))
        else:
            print(space_table(space, notebook.path), end="")
        return None

    def _run(self, notebook, options: dict):
        from glovec.commands.run import search
        from glovec.runtime.driver import default_study_path

        program_args = options.pop("program_args", ())
        rules = options.pop("rules", None)
        compiled = self._compile(notebook, rules, options.get("objective"))
        if compiled is None:
            return None
        ready = compiled.result  # its code, space document and header line
        if options.get("executor") is None and not os.environ.get("GLOVEC_EXECUTOR"):
            options["executor"] = "process"  # the kernel's own state stays as it is
        study = options.get("study") or os.environ.get("GLOVEC_STUDY") or \
            default_study_path(notebook.path)
        options["study"] = study
        summary = io.StringIO()
        bar = _live_bar(self.shell)
        try:
            status = search(notebook.path, ready, list(program_args), options, out=summary, err=bar)
        finally:
            bar.close()
        if status == 0 or os.path.exists(study):
            _show_best(study, summary.getvalue(), options.get("top"))
        return None


# ---- output -------------------------------------------------------------------------------------

_BAR = re.compile(r"(\d+)/(\d+) done(.*)$")


class _Bar(io.TextIOBase):
    """The driver's progress stream: its bar line (``\\r[###---] 3/20 done, ...``) goes to a
    display that is updated in place; whole lines (a failed trial) go to stderr."""

    def __init__(self, shell) -> None:
        self.shell = shell
        self.handle = None
        self.pending = ""

    def isatty(self) -> bool:  # the driver then draws its bar, at a few updates a second
        return True

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.pending += text
        while True:
            cut = min((i for i in (self.pending.find("\r"), self.pending.find("\n")) if i >= 0),
                      default=-1)
            if cut < 0:
                break
            piece, sep, self.pending = self.pending[:cut], self.pending[cut], self.pending[cut + 1:]
            if sep == "\n":
                if piece.strip() and not _BAR.search(piece):
                    print(piece, file=sys.stderr)
            elif piece.strip():
                self.draw(piece)
        if self.pending.strip() and _BAR.search(self.pending):  # a bar line drawn without end
            self.draw(self.pending)
            self.pending = ""
        return len(text)

    def draw(self, line: str) -> None:
        from IPython.display import display

        found = _BAR.search(line)
        if found is None:
            print(line.strip(), file=sys.stderr)
            return
        done, total, rest = found.groups()
        page = (f'<progress value="{done}" max="{max(int(total), 1)}" style="width:24em"></progress>'
                f" <code>{done}/{total} done{html.escape(rest)}</code>")
        shown = _Shown(line.strip(), page)
        if self.handle is None:
            self.handle = display(shown, display_id=True)
        else:
            self.handle.update(shown)

    def close(self) -> None:
        if self.pending.strip():
            self.draw(self.pending)
        self.pending = ""


class _Shown:
    """Something displayed with a text and an HTML form."""

    def __init__(self, text: str, page: str) -> None:
        self.text, self.page = text, page

    def _repr_html_(self) -> str:
        return self.page

    def __repr__(self) -> str:
        return self.text


def _live_bar(shell):
    """An HTML bar for a notebook front end (a kernel); the driver's text bar in a terminal."""
    if type(shell).__name__ == "ZMQInteractiveShell":
        return _Bar(shell)
    return _Stderr()


class _Stderr:
    """The terminal: the driver writes its own bar to stderr."""

    def __getattr__(self, name):
        return getattr(sys.stderr, name)

    def close(self) -> None:
        pass


def _show_best(study_path: str, summary: str, top: int | None) -> None:
    from IPython.display import display

    from glovec.runtime.driver import _fmt, _short, literal_decisions
    from glovec.runtime.study import Study, StudyError

    try:
        study = Study.load(study_path)
    except StudyError as exc:
        print(exc.render(), file=sys.stderr)
        return
    try:
        best = study.best(5 if top is None else top)
        direction = study.directions[0]
        rows = [(t, literal_decisions(study, t.decisions)) for t in best]
        ids = list(dict.fromkeys(k for _, d in rows for k in d))
        head = "".join(f"<th>{html.escape(x)}</th>" for x in
                       ["trial", f"objective ({direction})", *ids])
        body = "".join(
            "<tr>" + f"<td>{t.id}</td><td>{_fmt(t.objective)}</td>"
            + "".join(f"<td>{html.escape(_short(d[k]) if k in d else '')}</td>" for k in ids) + "</tr>"
            for t, d in rows)
        counts = study.counts()
        caption = (f"{counts['completed']} completed, {counts['failed']} failed, "
                   f"{counts['pruned']} pruned; study {html.escape(study.path)}")
        page = (f"<p>{caption}</p><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
                f"</table>")
    finally:
        study.close()
    display(_Shown(summary.strip() or caption, page))

