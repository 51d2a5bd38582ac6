"""Editing one site's spec in the program's own text (the dashboard's space editor).

Before (``set_spec(source, "model.py", "build.Dense.units", "oneof([32, 64, 128, 256])")``):

    layers.Dense(128),  # glovec: units=oneof([64, 128, 256]), activation=oneof(["relu", "gelu"])

After: only the primitive of that site changes, nothing else in the file (a decision tied over
several marked values, one ``name=`` on each, gets the new primitive in each marker):

    layers.Dense(128),  # glovec: units=oneof([32, 64, 128, 256]), activation=oneof(["relu", "gelu"])

The spec lives where the program wrote it: in a ``# glovec:`` comment (a named item keeps its
``units=``), in an ``Annotated[...]`` marker (a module prefix such as ``gh.`` is kept), or nested
in a oneof candidate. The edit is one replacement of the primitive's text, applied by the
compiler's own edit function (``transforms.rewrite.apply_edits``); the result is compiled again
and refused with its GV diagnostics when it does not compile (a spec that does not parse, a
program value that is not a legal point of the new spec, ...).

Sites chosen by a rules file have no text in the program: their "spec" is the rule's ``values``
template (``"[x // 2, x, x * 2]"``), and an edit rewrites that one TOML string in the rules
file (every value the rule selects follows it); the program is compiled with the new rules
before anything is written. Rules of a preset shipped with glovec are not edited.
"""

from __future__ import annotations

import codecs
import dataclasses
import json
import os
import re
import tempfile
from dataclasses import dataclass, field

from glovec.compiler import CompileResult, compile_source
from glovec.transforms.diagnostics import Diagnostic
from glovec.transforms.rewrite import apply_edits
from glovec.transforms.source import Text

# What stands before the primitive's name inside a spec item: `units=` and `gh.` prefixes.
_PREFIX_RE = re.compile(r"\s*(?:[A-Za-z_]\w*\s*=\s*)?(?:[A-Za-z_]\w*\s*\.\s*)*")


class SpecEditError(Exception):
    """The edit is refused. ``diagnostics`` are GV diagnostics (rendered with the path);
    ``status`` is the HTTP-like kind: 404 no such site, 400 a bad spec, 409 not editable."""

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None,
                 status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics = list(diagnostics or ())
        self.status = status


@dataclass
class SiteSpec:
    """Where a site's spec is written: ``text`` (the primitive, e.g. ``oneof([64, 128])``),
    ``start``/``end`` its offsets in the decoded program, ``origin`` comment, annotation or
    rules, and the 1-based line/column of the primitive."""

    id: str
    text: str
    start: int | None
    end: int | None
    origin: str
    line: int
    col: int
    rule: str | None = None  # rules sites: "rules.toml:12", where the rule's values are


@dataclass
class SpecEdit:
    """A successful edit: the new bytes of ``path`` (the program, or its rules file) and the
    program compiled with them (its space)."""

    data: bytes
    result: CompileResult
    site: SiteSpec
    diagnostics: list[Diagnostic] = field(default_factory=list)
    path: str | None = None  # the rules file, for a rules site; None: the program


def _all_sites(result: CompileResult):
    for top in result.sites:
        yield from top.walk()


def _decoded(source: bytes | str) -> tuple[str, bool]:
    if isinstance(source, str):
        return source, False
    bom = source.startswith(codecs.BOM_UTF8)
    return source[len(codecs.BOM_UTF8):].decode("utf-8") if bom else source.decode("utf-8"), bom


def site_specs(result: CompileResult, source: bytes | str, rule_sites=()) -> dict[str, SiteSpec]:
    """Every site's spec text and place (nested sites too), by site id. ``rule_sites``: the
    rules hook's ``sites`` after the compile (``compile_rules``), for rules sites."""
    text, _ = _decoded(source)
    lines = Text(text)
    out: dict[str, SiteSpec] = {}
    for site in _all_sites(result):
        spec = site.spec
        if not isinstance(spec.src, Text):  # a rules file's spec string
            rule = _rule_of(site, rule_sites)
            if rule is None:
                continue
            values = _toml_value(rule)
            out[site.id] = SiteSpec(site.id, values[0] if values else "", None, None, "rules",
                                    site.line, site.col, f"{rule.path}:{rule.positions['values'][0]}"
                                    if values else None)
            continue
        start = _primitive_start(text, spec)
        line, col = lines.position(start)
        line_start = lines.line_starts[line - 1]
        origin = "comment" if "#" in text[line_start:start] else "annotation"
        out[site.id] = SiteSpec(site.id, text[start:spec.end], start, spec.end, origin, line, col)
    return out


def _primitive_start(text: str, spec) -> int:
    """Where a written spec's primitive begins (after ``units=`` and a module prefix)."""
    return spec.start + _PREFIX_RE.match(text[spec.start:spec.end]).end()


def compile_rules(source: bytes, path: str, rules=None) -> tuple[CompileResult, list]:
    """``compile_source`` with ``rules``, and the rules hook's RuleSites (which rule chose
    each value); ``[]`` without rules."""
    if rules is None:
        return compile_source(source, path), []
    from glovec.transforms.rules import rules_hook

    hook, problems = rules_hook(rules)
    if problems:
        return compile_source(source, path, rules=rules), []
    result = compile_source(source, path, rules=hook)
    return result, list(getattr(hook, "sites", ()) or ())


def set_spec(source: bytes, path: str, site_id: str, new_spec: str, *, rules=None) -> SpecEdit:
    """The program ``source`` with site ``site_id``'s primitive replaced by ``new_spec``
    (raises SpecEditError). Nothing is written: the caller writes ``SpecEdit.data`` to
    ``SpecEdit.path`` (the rules file, for a rules site), or to the program."""
    before, rule_sites = compile_rules(source, path, rules)
    if before.diagnostics:
        raise SpecEditError(f"{path} has problems; fix them first", before.diagnostics, 409)
    specs = site_specs(before, source, rule_sites)
    place = specs.get(site_id)
    if place is None:
        raise SpecEditError(f"{path} has no site {site_id!r}", status=404)
    new_spec = new_spec.strip()
    if not new_spec:
        raise SpecEditError("empty spec", [Diagnostic("GV101", "empty spec", place.line,
                                                      place.col, path)])
    if place.origin == "rules":
        site = next(s for s in _all_sites(before) if s.id == site_id)
        return _set_rule_values(source, path, _rule_of(site, rule_sites), place, new_spec)
    if "\n" in new_spec or "\r" in new_spec or (place.origin == "comment" and "#" in new_spec
                                                  and not _hash_in_string(new_spec)):
        raise SpecEditError("a spec is one line", [Diagnostic(
            "GV101", "spec: the new spec must be one line with no comment", place.line,
            place.col, path)])
    text, bom = _decoded(source)
    # a decision tied over several marked values (one name=): each marker gets the new spec
    tied = [t.spec for s in _all_sites(before) if s.id == site_id for t in s.ties
            if isinstance(t.spec.src, Text)]
    new_text = apply_edits(text, [(place.start, 0, 0, place.end, new_spec)] + [
        (_primitive_start(text, spec), 0, 0, spec.end, new_spec) for spec in tied])
    data = (codecs.BOM_UTF8 if bom else b"") + new_text.encode("utf-8")
    after = compile_source(data, path, rules=rules)
    if after.diagnostics:
        raise SpecEditError(f"the new spec for {site_id!r} is refused", after.diagnostics)
    edited = [s for s in _all_sites(after) if s.spec.start <= place.start < s.spec.end
              and isinstance(s.spec.src, Text) and s.spec.end == place.start + len(new_spec)]
    if not edited:
        raise SpecEditError(f"the new spec no longer marks the value of {site_id!r} (an "
                            "annotation needs a primitive imported from glovec.hints)")
    new_place = site_specs(after, data)[edited[0].id]
    return SpecEdit(data, after, new_place, list(after.warnings))


# ---- rules files ----------------------------------------------------------------------------


def _rule_of(site, rule_sites):
    """The Rule that chose ``site``: the RuleSite whose value lies in the site's value."""
    inside = [r for r in rule_sites if site.start is not None
              and site.start <= r.start and r.end <= site.end]
    inside.sort(key=lambda r: r.end - r.start)
    return inside[-1].rule if inside else None


def _toml_value(rule) -> tuple[str, int, int, str] | None:
    """The rule's ``values`` string: (its value, start and end offsets of the TOML string in
    the rules file's text, that text); None when it is not a one-line string."""
    at = rule.positions.get("values") if rule.template is not None else None
    if at is None:
        return None
    try:
        with open(rule.path, encoding="utf-8", newline="") as fh:
            text = fh.read()
    except OSError:
        return None
    lines = Text(text)
    if not 0 < at[0] <= len(lines.line_starts):
        return None
    start = lines.line_starts[at[0] - 1] + at[1] - 1
    line = lines.line_text(at[0])[at[1] - 1:]
    if line.startswith("'") and not line.startswith("'''"):
        end = line.find("'", 1)
        if end < 0:
            return None
        return line[1:end], start, start + end + 1, text
    if line.startswith('"') and not line.startswith('"""'):
        i = 1
        while i < len(line) and line[i] != '"':
            i += 2 if line[i] == "\\" else 1
        if i >= len(line):
            return None
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib
        return tomllib.loads("v = " + line[:i + 1])["v"], start, start + i + 1, text
    return None


def _toml_string(value: str) -> str:
    if "'" not in value and not any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return f"'{value}'"
    return json.dumps(value, ensure_ascii=False)  # JSON's escapes are TOML's


def _set_rule_values(source: bytes, path: str, rule, place: SiteSpec, template: str) -> SpecEdit:
    from glovec.transforms.rules import PRESETS, preset_path

    if rule is None:
        raise SpecEditError(f"no rule of the rules file chose {place.id!r}", status=409)
    presets = {os.path.abspath(preset_path(name)) for name in PRESETS}
    if os.path.abspath(rule.path) in presets:
        raise SpecEditError(f"{place.id!r} comes from a preset shipped with glovec; copy the "
                            "preset into a rules file of your own to change it", status=409)
    found = _toml_value(rule)
    if found is None:
        raise SpecEditError(f"the values of {rule.label} are not a one-line string; edit "
                            f"{rule.path} by hand", status=409)
    _, start, end, text = found
    if "\n" in template or "\r" in template:
        raise SpecEditError("a template is one line", [Diagnostic(
            "GV305", "values: the new template must be one line", *rule.positions["values"],
            rule.path)])
    new_text = text[:start] + _toml_string(template) + text[end:]
    data = new_text.encode("utf-8")
    folder = os.path.dirname(os.path.abspath(rule.path))
    fd, trial_rules = tempfile.mkstemp(dir=folder, prefix=".glovec-rules-", suffix=".toml")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        after, rule_sites = compile_rules(source, path, trial_rules)
    finally:
        os.unlink(trial_rules)
    problems = [dataclasses.replace(d, path=rule.path if d.path == trial_rules else d.path,
                                    message=d.message.replace(trial_rules, rule.path))
                for d in after.diagnostics]
    if problems:
        raise SpecEditError(f"the new values of {rule.label} are refused", problems)
    same = [s for s in _all_sites(after) if (s.line, s.col) == (place.line, place.col)
            and not isinstance(s.spec.src, Text)]
    if not same or _rule_of(same[0], rule_sites) is None:
        raise SpecEditError(f"with the new values, {rule.label} no longer selects the value of "
                            f"{place.id!r}")
    new_place = dataclasses.replace(place, id=same[0].id, text=template)
    return SpecEdit(data, after, new_place, list(after.warnings), path=rule.path)


def _hash_in_string(spec: str) -> bool:
    """Whether every ``#`` of ``spec`` is inside a string literal (then it is no comment)."""
    import io
    import tokenize

    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(spec).readline))
    except (tokenize.TokenError, SyntaxError):
        return False
    return not any(t.type == tokenize.COMMENT for t in tokens)
