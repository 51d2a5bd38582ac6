"""The compiler: one call from a program's text to the instrumented program and its space
document.

Every other part (the command line, `glovec run`, `glovec check`, the rules-file engine, tests)
goes through ``compile_source``. The passes it chains live in ``glovec.transforms``:
``program`` (parse, spans) -> ``sites`` (find sites, defaults, ids; a ``rules`` hook adds more)
-> ``space_doc`` (the space document) -> ``rewrite`` (byte-exact edits and the header line).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field

from glovec.runtime.geno import space_size
from glovec.transforms.diagnostics import Diagnostic, DiagnosticError
from glovec.transforms.header import runtime_alias
from glovec.transforms.program import Program, parse_quietly
from glovec.transforms.rewrite import rewrite
from glovec.transforms.sites import Site, SpecRequest, find_sites
from glovec.transforms.space_doc import build_space_doc

__all__ = ["CompileResult", "compile_source", "source_name", "SpecRequest"]


@dataclass
class CompileResult:
    """``code`` is the generated program (None when there are diagnostics); ``space_doc`` the
    space document (the sites found so far, when there are diagnostics); ``sites`` the top-level
    search-space sites with positions (nested ones under ``Site.children``); ``markers`` the
    objective/metric/report markers. ``diagnostics`` are errors (they block the output);
    ``warnings`` (severity "warning", e.g. GV312 a rule that matches nothing) never do: report
    them and use ``code`` as usual. ``header_line``: the 1-based line of the header in ``code``
    (``glovec.transforms.header``), None without code."""

    code: str | None
    space_doc: dict
    sites: list[Site] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    markers: list[Site] = field(default_factory=list)
    bom: bool = False  # the input began with a UTF-8 byte-order mark (write it back)
    warnings: list[Diagnostic] = field(default_factory=list)
    header_line: int | None = None
    configs: list = field(default_factory=list)  # transforms.configs.ConfigFile per --config

    @property
    def ok(self) -> bool:
        return not self.diagnostics

    @property
    def size(self) -> int | None:
        return space_size(self.space_doc) if self.space_doc else None


def source_name(path: str, output_path: str | None) -> str:
    """How the generated program names its original: relative to the output's folder, or as
    given when the output has no folder (stdout); always with '/'."""
    if output_path is not None:
        folder = os.path.dirname(os.path.abspath(output_path))
        path = os.path.relpath(os.path.abspath(path), folder)
    return path.replace(os.sep, "/")


def compile_source(source: bytes | str, path: str, *, output_path: str | None = None,
                   rules=None, objective: str | None = None,
                   settings: dict | None = None, cells: list | None = None,
                   configs: list | None = None) -> CompileResult:
    """Compile a marked program. ``path`` names it in diagnostics and in the generated header;
    ``output_path`` (where the code will be written) makes that name relative to the output.

    ``rules``: a rules file path or preset name (``glovec.transforms.rules``), or a hook: a
    callable ``rules(program) -> iterable of SpecRequest``, or an object with
    ``find_sites(program)`` returning the same (and optionally a ``diagnostics`` list);
    ``program`` is the parsed ``glovec.transforms.program.Program`` (text, libcst module, node
    spans, resolver).

    ``objective``: a Keras metric name (``glovec run --objective val_accuracy``): Keras ``fit``
    calls get a callback that reports it, and it becomes the space's objective when the program
    marks none (``glovec.transforms.keras_objective.plan_objective``).

    ``settings``: search settings chosen at convert time (``{"trials": 50, "algorithm": "tpe"}``),
    carried in the space so ``python gen.py`` starts from them; ``GLOVEC_*`` variables override.

    ``cells``: a notebook's cell map (``glovec.notebook``: the source is its script equivalent),
    carried in the space so tracebacks of trials name the cell and the line in it.

    ``configs``: YAML config files the program reads, ``[(path, bytes or text)]``: their sites
    (``# glovec:`` comments, rules' ``key`` selector) join the space (``transforms/configs.py``);
    ``CompileResult.configs`` holds each file, and the space document's ``configs`` says where a
    trial's values are read (``glovec.runtime.configs``).
    """
    name = source_name(path, output_path)
    hook = rules
    if rules is not None and not callable(rules) and not hasattr(rules, "find_sites"):
        from glovec.transforms.rules import rules_hook

        hook, problems = rules_hook(rules)
        if problems:
            return CompileResult(None, {}, diagnostics=_at(problems, path))
    try:
        program = Program(source, path)
    except DiagnosticError as exc:
        return CompileResult(None, {}, diagnostics=_at(exc.diagnostics, path))
    found = find_sites(program, hook)
    diagnostics = found.diagnostics + list(getattr(hook, "diagnostics", None) or ())
    warnings = _at(list(getattr(hook, "warnings", None) or ()), path)
    sites, config_files = found.sites, []
    ruleset = getattr(hook, "ruleset", None)
    if configs or (ruleset is not None and any(r.selector == "key" for r in ruleset.rules)):
        from glovec.transforms.configs import compile_configs

        more = compile_configs(configs or [], ruleset, found.sites, output_path or path)
        config_files, sites = more.files, found.sites + more.sites
        diagnostics += more.diagnostics
        warnings += more.warnings
    space_doc = build_space_doc(sites, found.markers, name)
    if config_files:
        space_doc["configs"] = [f.doc_entry(embed=output_path is None) for f in config_files]
    if diagnostics:
        return CompileResult(None, space_doc, sites, _at(diagnostics, path), found.markers,
                             program.bom, warnings, configs=config_files)
    if settings:
        space_doc["settings"] = dict(sorted(settings.items()))
    if cells:
        space_doc["cells"] = cells
    inject = False
    if objective is not None:
        from glovec.transforms.keras_objective import plan_objective

        inject = plan_objective(program.module, space_doc, objective)
    gv = runtime_alias(program.text.text, program.tree)  # `_gv` unless the program uses it
    code, header_line = rewrite(program, found.sites, found.markers, space_doc, gv)
    if inject:
        from glovec.transforms.keras_objective import inject_objective_callback

        code = inject_objective_callback(code, objective, gv).result
    try:
        parse_quietly(code)
    except SyntaxError as exc:  # a compiler bug, never the user's fault
        raise RuntimeError(f"glovec generated invalid Python for {path} at line {exc.lineno}: "
                           f"{exc.msg}") from exc
    return CompileResult(code, space_doc, sites, [], found.markers, program.bom, warnings,
                         header_line, config_files)


def _at(diagnostics: list[Diagnostic], path: str) -> list[Diagnostic]:
    # a diagnostic that names its own file (a rules file's) keeps it
    return [d if d.path else dataclasses.replace(d, path=path) for d in diagnostics]
