"""The static commands: ``convert``, ``diff``, ``space`` and ``explain``.

None of them imports or runs the program: they read its text and compile it.

    glovec convert model.py               writes model_search.py beside it
    glovec convert model.py -o out.py     ... or there; "-o -" writes to stdout
    glovec convert model.py --diff        shows what would change, writes nothing (= glovec diff)
    glovec convert model.py --check       exit 1 when the output is missing or stale (for CI)
    glovec space model.py [--json]        the sites and the size of the space
    glovec space model.py --rules pytorch --explain [-- --lr 0.5]
                                          ... and why each rule chose (or refused) a value
    glovec explain [GV112]                what a diagnostic code means (all codes without one)

Exit status: 0 success, 1 the input has problems (diagnostics on stderr as
``path:line:col: GVnnn message``; a SRC that cannot be read is GV601, an output that cannot be
written GV602) or ``--check`` found the output stale, 2 usage or internal error. Warnings (GV312) are printed on stderr the same way and change neither. The input is never written; outputs are written atomically.
"""

from __future__ import annotations

import codecs
import difflib
import json
import os
from pathlib import Path

import click

from glovec.files import read_input, write_atomic, write_stdout

from glovec.commands._configs import config_option, read_configs
from glovec.commands._options import rules_for, rules_option
from glovec.compiler import CompileResult, compile_source
from glovec.notebook import is_notebook
from glovec.transforms.diagnostics import CATALOGUE, explain
from glovec.transforms.source import split_lines
from glovec.runtime.geno import site_size, space_size


def default_output(src: str) -> str:
    """``<stem>_search.py`` beside SRC; a notebook's is ``<stem>_search.ipynb``."""
    path = Path(src)
    return str(path.with_name(path.stem + ("_search.ipynb" if is_notebook(src) else "_search.py")))


def _compile(src: str, output_path: str | None, rules: str | None = None,
             settings: dict | None = None, configs=()) -> CompileResult | None:
    """Compile ``src`` (with its ``--config`` files); print its diagnostics and warnings, and
    return None when it has diagnostics (warnings do not stop it)."""
    return _compile_text(src, read_input(src), rules, output_path, settings, configs)


def _compile_text(src: str, data: bytes, rules=None, output_path: str | None = None,
                  settings: dict | None = None, configs=()) -> CompileResult | None:
    result = compile_source(data, src, output_path=output_path, rules=rules, settings=settings,
                            configs=read_configs(configs))
    for diagnostic in [*result.diagnostics, *result.warnings]:
        click.echo(diagnostic.render(src), err=True)
    if result.diagnostics:
        return None
    return result


def _encoded(result: CompileResult) -> bytes:
    return (codecs.BOM_UTF8 if result.bom else b"") + result.code.encode("utf-8")


def unified_diff(before: str, after: str, before_name: str, after_name: str) -> str:
    out = []
    for line in difflib.unified_diff(split_lines(before), split_lines(after), before_name, after_name):
        out.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _convert(src: str, out: str | None, diff: bool, check: bool, rules: str | None = None,
             settings: dict | None = None, configs=()) -> int:
    if diff and check:
        raise click.UsageError("--diff and --check do not go together")
    to_stdout = out == "-"
    if to_stdout and check:
        raise click.UsageError("--check compares a file; it cannot check stdout")
    target = None if to_stdout else (out or default_output(src))
    if target is not None and _same_file(src, target):
        raise click.UsageError(f"refusing to overwrite the input {src}; choose another -o")
    if is_notebook(src):  # a notebook (or, for -o x.py, its script); diffs show the scripts
        from glovec.commands._notebook import converted

        if configs:
            raise click.UsageError("--config goes with a .py program, not a notebook")
        made = converted(src, read_input(src), target, rules, settings)
    else:
        result = _compile(src, target, rules, settings, configs)
        made = result and (result, read_input(src).decode("utf-8-sig"), _encoded(result))
    if made is None:
        return 1
    result, before, data = made
    shown = "-" if to_stdout else target
    searches = _search_versions(result)  # each --config file's search version
    if diff:
        for config, path, text in searches:
            click.echo(unified_diff(config.text, text, config.path, path), nl=False)
        click.echo(unified_diff(before, result.code, src, shown), nl=False)
        return 0
    if check:
        stale = 0
        for output, expected in [(path, text.encode("utf-8")) for _, path, text in searches] + [
                (target, data)]:
            if not os.path.lexists(output):
                click.echo(f"{output} is missing; run `glovec convert {src}`", err=True)
                stale += 1
            elif read_input(output) != expected:
                click.echo(f"{output} is stale; run `glovec convert {src}`", err=True)
                stale += 1
        if stale:
            return 1
        click.echo(f"{target} is up to date", err=True)
        return 0
    for config, path, text in searches:
        write_atomic(path, text)
        click.echo(f"glovec: wrote {path}: {len(config.sites)} site(s) of {config.path}", err=True)
    if to_stdout:
        write_stdout(data)
    else:
        write_atomic(target, data)
    size = result.size
    click.echo(f"glovec: wrote {shown}: {_count(result)} site(s), space size "
               f"{'infinite' if size is None else f'{size:,}'}", err=True)
    return 0


def _search_versions(result: CompileResult) -> list[tuple]:
    """(config file, where its search version goes, its text) for each ``--config`` file."""
    from glovec.transforms.configs import search_path

    return [(config, search_path(config.path), ("\ufeff" if config.bom else "")
             + config.search_text()) for config in result.configs]


def _count(result: CompileResult) -> int:
    return sum(1 for site in result.sites for _ in site.walk())


@click.command("convert")
@click.argument("src")
@click.option("-o", "--output", "out", metavar="OUT",
              help="where to write the program (default: SRC's stem + _search.py beside it; - for stdout)")
@click.option("--diff", is_flag=True, help="show a unified diff of the change; write nothing")
@click.option("--check", is_flag=True, help="exit 1 when OUT is missing or not what convert would write")
@rules_option
@config_option
@click.option("--algorithm", help="search algorithm `python OUT` uses (default: chosen from "
              "the space, as `glovec run` does)")
@click.option("--trials", type=click.IntRange(min=0), help="trials `python OUT` runs (default 20)")
@click.option("--seed", type=int, help="the algorithm's seed")
@click.option("--executor", type=click.Choice(["inline", "process", "ray"]), help="where trials run (default inline; process with --workers > 1)")
@click.option("--workers", type=click.IntRange(min=1), help="trials at once (process, ray)")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="seconds a trial may run")
@click.option("--study", metavar="FILE", help="study file (default: OUT's stem + .glovec.db beside OUT)")
def convert_command(src: str, out: str | None, diff: bool, check: bool, rules: str | None,
                    configs=(), **settings) -> int:
    """Turn the marked program SRC into a search-space program.

    The search options (--algorithm, --trials, ...) are written into OUT: `python OUT` runs the
    search with them, and the GLOVEC_* environment variables (GLOVEC_TRIALS, ...) override them.
    """
    chosen = {key: value for key, value in settings.items() if value is not None}
    return _convert(src, out, diff, check, rules, chosen or None, configs)


@click.command("diff")
@click.argument("src")
@click.option("-o", "--output", "out", metavar="OUT", help="the output name shown in the diff")
@rules_option
@config_option
def diff_command(src: str, out: str | None, rules: str | None, configs=()) -> int:
    """Show what `glovec convert SRC` would change (same as convert --diff)."""
    return _convert(src, out, diff=True, check=False, rules=rules, configs=configs)


# ---- space ---------------------------------------------------------------------------------


def _rows(entries: list[dict], src: str, depth: int = 0):
    for entry in entries:
        yield depth, entry
        for index in sorted(entry.get("children", {}), key=int):
            yield from _rows(entry["children"][index], src, depth + 1)


def _choices(entry: dict) -> str:
    kind = entry["kind"]
    if kind == "floatv":
        text = f"[{entry['lo']:g}, {entry['hi']:g}]"
    elif kind == "intv":
        text = f"[{entry['lo']}, {entry['hi']}]" + (f" step {entry['step']}" if entry["step"] != 1 else "")
    else:
        text = " | ".join(entry["candidates"])
        if kind == "manyof":
            text = f"{entry['k']} of {text}" + ("" if entry["distinct"] else " (repeats)") + (
                " (sorted)" if entry["sorted"] else "")
    if kind in ("floatv", "intv") and entry["scale"] == "log":
        text += " log"
    return text if len(text) <= 48 else text[:45] + "..."


def _default(entry: dict) -> str:
    default = entry["default"]
    if entry["kind"] == "oneof":
        return entry["candidates"][default]
    if entry["kind"] in ("manyof", "permutate"):
        return "[" + ", ".join(entry["candidates"][i] for i in default) + "]"
    return f"{default:g}" if isinstance(default, float) else str(default)


def _where(src: str, entry: dict) -> str:
    """``path:line:col``; ``path:cell N:line:col`` for a notebook's space (positions in cells);
    a config file's site names that file (its ``file`` is relative to the program's folder)."""
    if entry.get("file"):
        src = os.path.normpath(os.path.join(os.path.dirname(src), entry["file"]))
    cell = f":{entry['cell']}" if entry.get("cell") else ""
    return f"{src}{cell}:{entry['line']}:{entry['col']}"


def space_table(space_doc: dict, src: str) -> str:
    grouped = any(entry.get("group") for _, entry in _rows(space_doc["sites"], src))
    header = ("id", "kind", "candidates / range", "default", "location", "size")
    header += ("group",) if grouped else ()  # the column only when a site has a group
    rows = [header]
    for depth, entry in _rows(space_doc["sites"], src):
        size = site_size(entry)
        kind = entry["kind"] + (f" x{entry['repeat']}" if entry["repeat"] != 1 else "")
        rows.append(("  " * depth + entry["id"], kind, _choices(entry), _default(entry),
                     _where(src, entry), "inf" if size is None else f"{size:,}")
                    + ((entry.get("group") or "-",) if grouped else ()))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    total = space_size(space_doc)
    if not space_doc["sites"]:
        lines = ["no sites"]
    lines.append("")
    lines.append(f"size: {'infinite (floatv sites)' if total is None else f'{total:,}'}")
    objective = space_doc.get("objective")
    if objective:
        lines.append(f"objective: {objective['direction']} at {_where(src, objective)}")
    if space_doc.get("metrics"):
        lines.append("metrics: " + ", ".join(space_doc["metrics"]))
    if space_doc.get("reports"):
        lines.append("reports: " + ", ".join(_where(src, r) for r in space_doc["reports"]))
    for _, entry in _rows(space_doc["sites"], src):
        if entry.get("tied"):  # one decision at several values: each takes the same value
            lines.append(f"tied: {entry['id']} at {_where(src, entry)}, also at "
                         + ", ".join(_where(src, t) for t in entry["tied"]))
    return "\n".join(lines) + "\n"


def _rule_sites(hook, space_doc: dict) -> list[tuple[dict, object]]:
    """(space entry, RuleSite) for each site a rule chose in the program, in the table's
    order (a config file's sites are ``_key_sites``)."""
    by_place = {(site.line, site.col): site for site in getattr(hook, "sites", ())}
    pairs = []
    for _, entry in _rows(space_doc["sites"], ""):
        site = None if entry.get("file") else by_place.get((entry["line"], entry["col"]))
        if site is not None:
            pairs.append((entry, site))
    return pairs


def _key_sites(configs, space_doc: dict) -> list[tuple[dict, tuple]]:
    """(space entry, (rule, why, spec, x)) for each config-file site a ``key`` rule chose."""
    chosen = {(config.ref, site.id): config.chosen[id(site)]
              for config in configs for site in config.sites if id(site) in config.chosen}
    return [(entry, chosen[(entry["file"], entry["id"])])
            for _, entry in _rows(space_doc["sites"], "")
            if (entry.get("file"), entry["id"]) in chosen]


def command_line_note(hook, space_doc: dict, src: str) -> list[str]:
    """The lines `glovec space` adds about sites found in argparse defaults."""
    pairs = [(entry, site) for entry, site in _rule_sites(hook, space_doc) if site.options]
    given = [r for r in getattr(hook, "refusals", ()) if "given after `--`" in r.reason]
    lines = []
    if pairs:
        entry, site = pairs[0]
        example = next((o for o in site.options if o.startswith("--")), site.options[0])
        lines.append(f"argparse defaults: {', '.join(e['id'] for e, _ in pairs)}. Each trial's "
                     f"value is the option's default; a value given after `--` wins and is not "
                     f"searched (glovec run {src} -- {example} VALUE)")
    for refusal in given:
        lines.append(f"given on the command line, not searched: {src}:{refusal.line}:{refusal.col}"
                     f" (default {refusal.x!r})")
    return lines


def explain_lines(hook, space_doc: dict, src: str, configs=()) -> list[str]:
    """`glovec space --explain`: per rule site, the rule and why; per literal a rule looked at
    and left alone, the rule and why. ``configs``: the ``--config`` files (``ConfigFile``),
    whose ``key`` rule sites and refusals are listed at their YAML path:line:col."""
    from glovec.transforms.rules import rule_origin

    lines = ["", "why each site (--explain):"]
    pairs = _rule_sites(hook, space_doc)
    by_place = {(site.line, site.col): site for site in getattr(hook, "sites", ())}
    for entry, site in pairs:
        lines.append(f"  {entry['id']}  {_where(src, entry)}  {rule_origin(site.rule)}: "
                     f"{site.why}; x = {site_default(site, hook)} -> {site.spec}")
        lines += [f"    tied: {_where(src, t)}  {by_place[(t['line'], t['col'])].why}"
                  if (t["line"], t["col"]) in by_place and not t.get("file")
                  else f"    tied: {_where(src, t)}" for t in entry.get("tied") or ()]
    keyed = _key_sites(configs, space_doc)
    for entry, (rule, why, spec, x) in keyed:
        lines.append(f"  {entry['id']}  {_where(src, entry)}  {rule_origin(rule)}: {why}; "
                     f"x = {x!r} -> {spec}")
    if not pairs and not keyed:
        lines.append("  no site comes from a rule")
    refusals = [(src, r) for r in getattr(hook, "refusals", ())]
    refusals += [(config.path, r) for config in configs for r in config.refusals]
    lines.append("")
    lines.append("left alone (--explain):")
    for path, refusal in refusals:
        lines.append(f"  {path}:{refusal.line}:{refusal.col}  x = {refusal.x!r}  "
                     f"{rule_origin(refusal.rule)}: {refusal.reason}")
    if not refusals:
        lines.append("  nothing a rule looked at was left alone")
    return lines


def site_default(site, hook) -> str:
    """The program's literal at a rule site (its text, as written; a constant expression with
    the number it evaluates to: ``int(1e6) (= 1000000)``)."""
    import ast

    from glovec.transforms.rules import computed, literal_value

    text = getattr(hook, "text", None)
    if text is None:
        return "?"
    shown = text[site.start:site.end]
    try:
        node = ast.parse(shown.strip(), mode="eval").body
    except SyntaxError:
        return shown
    ok, x = literal_value(node)
    if ok and computed(node):
        return f"{shown} (= {x!r})"
    return shown


def explain_json(hook, space_doc: dict, configs=()) -> dict:
    from glovec.transforms.rules import rule_origin

    return {
        "sites": [{"id": entry["id"], "line": entry["line"], "col": entry["col"],
                   "rule": rule_origin(site.rule), "why": site.why, "spec": site.spec,
                   "options": list(site.options),
                   **({"tied": entry["tied"]} if entry.get("tied") else {})}
                  for entry, site in _rule_sites(hook, space_doc)]
        + [{"id": entry["id"], "file": entry["file"], "line": entry["line"],
            "col": entry["col"], "rule": rule_origin(rule), "why": why, "spec": spec,
            "options": []} for entry, (rule, why, spec, _x) in _key_sites(configs, space_doc)],
        "left_alone": [{"line": r.line, "col": r.col, "x": r.x, "rule": rule_origin(r.rule),
                        "reason": r.reason} for r in getattr(hook, "refusals", ())]
        + [{"file": config.ref, "line": r.line, "col": r.col, "x": r.x,
            "rule": rule_origin(r.rule), "reason": r.reason}
           for config in configs for r in config.refusals],
    }


def space_json(result: CompileResult, space_doc: dict | None = None) -> dict:
    """What `glovec space --json` prints (and the dashboard's ``GET /api/space`` answers);
    ``space_doc``: the space document to show instead of ``result.space_doc`` (a notebook's, at
    its cells)."""
    return {**(result.space_doc if space_doc is None else space_doc), "size": result.size}


@click.command("space")
@click.argument("src")
@click.option("--json", "as_json", is_flag=True, help="print the space as JSON (with its size)")
@click.option("--explain", is_flag=True,
              help="with --rules: which rule chose each site and why, and which rule left each "
                   "other literal it looked at alone, and why")
@rules_option
@config_option
@click.argument("program_args", nargs=-1, type=click.UNPROCESSED)
def space_command(src: str, as_json: bool, explain: bool, rules: str | None,
                  program_args, configs=()) -> int:
    """List the sites of SRC and the size of its space, without running it.

    Arguments after `--` are the program's, as for `glovec run`: an argparse option given there
    is the value the program uses, so its default is not searched.

    For a notebook, each location names the cell (cell N counts every cell from 1) and the line
    in it."""
    if explain and rules is None:
        raise click.UsageError("--explain says why rules chose each site: give --rules FILE|PRESET")
    hook = rules_for(rules, program_args)
    if is_notebook(src):
        if explain:
            raise click.UsageError("--explain reads a .py program (convert the notebook first, "
                                   "or run `glovec space` on its script)")
        from glovec.commands._notebook import compile_file, space_of

        if configs:
            raise click.UsageError("--config goes with a .py program, not a notebook")
        compiled = compile_file(src, read_input(src), rules=hook)
        if compiled is None:
            return 1
        result, space_doc = compiled.result, space_of(compiled)
    else:
        data = read_input(src)
        result = _compile_text(src, data, hook, configs=configs)
        if result is None:
            return 1
        space_doc = result.space_doc
    notes = command_line_note(hook, space_doc, src) if hasattr(hook, "sites") else []
    if as_json:
        doc = space_json(result, space_doc)
        if explain:
            doc["explain"] = explain_json(hook, space_doc, result.configs)
        click.echo(json.dumps(doc, indent=2, default=repr))
    else:
        lines = notes + (explain_lines(hook, space_doc, src, result.configs) if explain else [])
        click.echo(space_table(space_doc, src) + "".join(line + "\n" for line in lines), nl=False)
    return 0


# ---- explain -------------------------------------------------------------------------------


@click.command("explain")
@click.argument("code", required=False)
def explain_command(code: str | None) -> int:
    """Describe diagnostic CODE (e.g. GV112), or list every code."""
    if code is None:
        width = max(len(c.name) for c in CATALOGUE)
        for entry in CATALOGUE:
            click.echo(f"{entry.code}  {entry.name.ljust(width)}  {entry.summary}")
        return 0
    try:
        entry = explain(code)
    except KeyError as exc:
        raise click.UsageError(exc.args[0]) from None
    click.echo(entry.render(), nl=False)
    return 0
