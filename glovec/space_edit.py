"""Editing one site's spec in the program's own text (the dashboard's space editor).

Before (``set_spec(source, "model.py", "build.Dense.units", "oneof([32, 64, 128, 256])")``):

    layers.Dense(128),  # glovec: units=oneof([64, 128, 256]), activation=oneof(["relu", "gelu"])

After: only the primitive of that site changes, nothing else in the file:

    layers.Dense(128),  # glovec: units=oneof([32, 64, 128, 256]), activation=oneof(["relu", "gelu"])

The spec lives where the program wrote it: in a ``# glovec:`` comment (a named item keeps its
``units=``), in an ``Annotated[...]`` marker (a module prefix such as ``gh.`` is kept), or nested
in a oneof candidate. The edit is one replacement of the primitive's text, applied by the
compiler's own edit function (``transforms.rewrite.apply_edits``); the result is compiled again
and refused with its GV diagnostics when it does not compile (a spec that does not parse, a
program value that is not a legal point of the new spec, ...). Sites chosen by a rules file or
preset have no text in the program: their rule is edited in the rules file instead (not here).
"""

from __future__ import annotations

import codecs
import re
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


@dataclass
class SpecEdit:
    """A successful edit: the new file bytes and the compiled result (its space)."""

    data: bytes
    result: CompileResult
    site: SiteSpec
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _all_sites(result: CompileResult):
    for top in result.sites:
        yield from top.walk()


def _decoded(source: bytes | str) -> tuple[str, bool]:
    if isinstance(source, str):
        return source, False
    bom = source.startswith(codecs.BOM_UTF8)
    return source[len(codecs.BOM_UTF8):].decode("utf-8") if bom else source.decode("utf-8"), bom


def site_specs(result: CompileResult, source: bytes | str) -> dict[str, SiteSpec]:
    """Every site's spec text and place (nested sites too), by site id."""
    text, _ = _decoded(source)
    lines = Text(text)
    out: dict[str, SiteSpec] = {}
    for site in _all_sites(result):
        spec = site.spec
        if not isinstance(spec.src, Text):  # a rules file's spec string
            out[site.id] = SiteSpec(site.id, spec.src.text[spec.start:spec.end].strip(), None, None,
                                    "rules", site.line, site.col)
            continue
        written = text[spec.start:spec.end]
        start = spec.start + _PREFIX_RE.match(written).end()
        line, col = lines.position(start)
        line_start = lines.line_starts[line - 1]
        origin = "comment" if "#" in text[line_start:start] else "annotation"
        out[site.id] = SiteSpec(site.id, text[start:spec.end], start, spec.end, origin, line, col)
    return out


def set_spec(source: bytes, path: str, site_id: str, new_spec: str, *, rules=None) -> SpecEdit:
    """The program ``source`` with site ``site_id``'s primitive replaced by ``new_spec``
    (raises SpecEditError). Nothing is written: the caller writes ``SpecEdit.data``."""
    before = compile_source(source, path, rules=rules)
    if before.diagnostics:
        raise SpecEditError(f"{path} has problems; fix them first", before.diagnostics, 409)
    specs = site_specs(before, source)
    place = specs.get(site_id)
    if place is None:
        raise SpecEditError(f"{path} has no site {site_id!r}", status=404)
    if place.origin == "rules":
        raise SpecEditError(f"site {site_id!r} is chosen by the rules file, not written in "
                            f"{path}; edit its rule there", status=409)
    new_spec = new_spec.strip()
    if not new_spec:
        raise SpecEditError("empty spec", [Diagnostic("GV101", "empty spec", place.line,
                                                      place.col, path)])
    if "\n" in new_spec or "\r" in new_spec or (place.origin == "comment" and "#" in new_spec
                                                  and not _hash_in_string(new_spec)):
        raise SpecEditError("a spec is one line", [Diagnostic(
            "GV101", "spec: the new spec must be one line with no comment", place.line,
            place.col, path)])
    text, bom = _decoded(source)
    new_text = apply_edits(text, [(place.start, 0, 0, place.end, new_spec)])
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


def _hash_in_string(spec: str) -> bool:
    """Whether every ``#`` of ``spec`` is inside a string literal (then it is no comment)."""
    import io
    import tokenize

    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(spec).readline))
    except (tokenize.TokenError, SyntaxError):
        return False
    return not any(t.type == tokenize.COMMENT for t in tokens)
