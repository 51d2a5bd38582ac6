"""Config files: sites in the YAML files next to a program (Hydra/OmegaConf configs, or any YAML
the program reads), found, named, and written back byte for byte outside each value.

Before (``conf/config.yaml``, given with ``--config conf/config.yaml``)::

    optimizer:
      lr: 0.01  # glovec: floatv(0.001, 0.1, scale="log")
      name: adam  # glovec: oneof(["adam", "sgd"])

After: two sites, ``config.optimizer.lr`` and ``config.optimizer.name`` (the file's stem, then
the dotted key path; a sequence item is its index: ``config.layers.0.units``), listed in the
program's space document with ``"file"``; the search version of the file (``search_text``) holds
``${glovec:config.optimizer.lr}`` where the value was, and ``materialize`` writes chosen values
in. Rules files select values by key too: ``key = "optimizer.lr"``, ``key = "*.dropout"``
(dotted globs). What a trial reads is ``glovec.runtime.configs``'s job.

PyYAML reads the file (``yaml.compose``): its node marks give each scalar's span, which is all
the splicing needs; comments, which PyYAML drops, are found in the text outside every scalar.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field

from glovec.runtime.configs import placeholder, yaml_scalar

from .diagnostics import FileDiagnostic as Diagnostic, suggest
from .rewrite import apply_edits
from .sites import MARKER_RE, Site, _SpecText, _illegal, _legal, assign_ids
from .source import Snippet, Text
from .specs import CHOICES, RANGES, SpecError, parse_comment_spec

__all__ = ["ConfigFile", "ConfigsResult", "compile_configs", "search_path", "yaml_problem"]

_ID_JUNK = re.compile(r"[^A-Za-z0-9_\-/]+")
PLACEHOLDER = placeholder("")[:-1]  # "${glovec:": a search version's site, never a user's value
_SCALAR_TYPES = (bool, int, float, str, type(None))


def search_path(path: str) -> str:
    """Where ``glovec convert`` writes a config file's search version: ``<stem>_search<ext>``
    beside it."""
    stem, ext = os.path.splitext(path)
    return f"{stem}_search{ext or '.yaml'}"


@dataclass(eq=False)
class _Entry:
    """One value of the YAML document: a mapping item or a sequence item."""

    path: tuple[str, ...]
    line: int  # 0-based line of its key (mapping item) or of the item itself
    kind: str  # "scalar" | "mapping" | "sequence" | "alias" | "block"
    start: int = 0  # the scalar's own text (anchor and tag excluded)
    end: int = 0
    value: object = None
    style: str = ""


@dataclass(eq=False)
class ConfigFile:
    """One YAML file given with ``--config``: its text and its sites."""

    path: str  # as given
    ref: str  # relative to the folder of the file that carries the space document
    text: str
    bom: bool
    sites: list[Site] = field(default_factory=list)
    styles: dict = field(default_factory=dict)  # id(site) -> the scalar's quote ('', "'", '"')
    chosen: dict = field(default_factory=dict)  # id(site) -> (rule, why, spec, x): a key rule's site
    refusals: list = field(default_factory=list)  # rules.Refusal: values key rules left alone

    def search_text(self) -> str:
        """The file with each site's value written ``${glovec:SITE_ID}``."""
        edits = [(s.start, 0, 0, s.end, placeholder(s.id)) for s in self.sites]
        return apply_edits(self.text, edits)

    def doc_entry(self, embed: bool) -> dict:
        """This file in the space document's ``configs``: its search version in the document
        (``embed``: ``glovec run``, compiled in memory) or named (``glovec convert`` writes it)."""
        if embed:
            return {"path": self.ref, "text": self.search_text()}
        return {"path": self.ref, "search": search_path(self.ref)}

    def materialize(self, decisions: dict) -> str:
        """The file with ``decisions`` (site id -> oneof index or number) written in; a decision
        equal to the default keeps the file's own text."""
        edits = []
        for site in self.sites:
            decision = decisions.get(site.id, site.default)
            if decision == site.default and type(decision) is type(site.default):
                continue
            if site.kind == "oneof":
                value = ast.literal_eval(site.spec.candidates[decision].text)
            else:
                value = int(decision) if site.kind == "intv" else float(decision)
            edits.append((site.start, 0, 0, site.end,
                          yaml_scalar(value, self.styles.get(id(site), ""))))
        text = apply_edits(self.text, edits)
        return ("\ufeff" if self.bom else "") + text


@dataclass
class ConfigsResult:
    files: list[ConfigFile]
    sites: list[Site]
    diagnostics: list[Diagnostic]
    warnings: list[Diagnostic]


def yaml_problem(path: str, exc) -> Diagnostic:
    """GV801 for PyYAML's error ``exc``, at its mark."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    parts = [getattr(exc, "context", None), getattr(exc, "problem", None)]
    message = ", ".join(p for p in parts if p) or str(exc).splitlines()[0]
    return Diagnostic("GV801", f"not valid YAML: {message}", line, col, path=path)


def _read(path: str, data: bytes | str) -> tuple[str, bool, Diagnostic | None]:
    if isinstance(data, bytes):
        bom = data.startswith(b"\xef\xbb\xbf")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return "", False, Diagnostic("GV801", f"not UTF-8 text (byte {exc.start})", 1, 1,
                                         path=path)
    else:
        text, bom = text_bom(data)
    return text, bom, None


def text_bom(text: str) -> tuple[str, bool]:
    return (text[1:], True) if text.startswith("\ufeff") else (text, False)


def _entries(text: str, path: str) -> tuple[list[_Entry], list[tuple[int, int]], Diagnostic | None]:
    """Every value of the document, and the spans of every scalar (keys too)."""
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.YAMLError as exc:
            return [], [], yaml_problem(path, exc)
        entries: list[_Entry] = []
        spans: list[tuple[int, int]] = []
        seen: set[int] = set()
        if root is None:
            return entries, spans, None

        def visit(node, key_path: tuple, line: int) -> None:
            if id(node) in seen:
                entries.append(_Entry(key_path, line, "alias"))
                return
            seen.add(id(node))
            if isinstance(node, yaml.ScalarNode):
                start, end = node.start_mark.index, node.end_mark.index
                spans.append((start, end))
                start = _skip_properties(text, start, end)
                piece = text[start:end]
                if node.style in ("|", ">") or "\n" in piece or "\r" in piece:
                    entries.append(_Entry(key_path, line, "block"))
                    return
                try:
                    value = loader.construct_object(node, deep=True)
                except yaml.YAMLError as exc:
                    entries.append(_Entry(key_path, line, "block"))
                    del exc
                    return
                kind = "scalar" if isinstance(value, _SCALAR_TYPES) else "block"
                entries.append(_Entry(key_path, line, kind, start, end, value, node.style or ""))
            elif isinstance(node, yaml.MappingNode):
                entries.append(_Entry(key_path, line, "mapping"))
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode):
                        spans.append((key.start_mark.index, key.end_mark.index))
                        visit(value, key_path + (str(key.value),), key.start_mark.line)
            elif isinstance(node, yaml.SequenceNode):
                entries.append(_Entry(key_path, line, "sequence"))
                for index, item in enumerate(node.value):
                    visit(item, key_path + (str(index),), item.start_mark.line)

        visit(root, (), root.start_mark.line)
        return entries[1:] if entries and entries[0].path == () and entries[0].kind in (
            "mapping", "sequence") else entries, sorted(spans), None
    finally:
        loader.dispose()


def _skip_properties(text: str, start: int, end: int) -> int:
    """The scalar's own first character: after an anchor (``&a``) and a tag (``!!float``)."""
    while start < end and text[start] in "&!":
        while start < end and not text[start].isspace():
            start += 1
        while start < end and text[start] in " \t":
            start += 1
    return start


def _markers(text: str, spans: list[tuple[int, int]]):
    """(offset of '#', offset after 'glovec:', end of line) of each marker comment."""
    import bisect

    starts = [s for s, _ in spans]
    for match in MARKER_RE.finditer(text):
        at = match.start()
        if at and not text[at - 1].isspace():
            continue
        i = bisect.bisect_right(starts, at) - 1
        if i >= 0 and spans[i][0] <= at < spans[i][1]:
            continue  # inside a scalar: a '#' in a quoted string
        end = len(text)
        for stop in ("\n", "\r"):
            found = text.find(stop, match.end())
            if found != -1:
                end = min(end, found)
        yield at, match.end(), end


def _stem(path: str) -> str:
    return _ID_JUNK.sub("_", os.path.splitext(os.path.basename(path))[0]).strip("_") or "config"


def _base_id(stem: str, key_path: tuple[str, ...]) -> str:
    return ".".join([stem] + [_ID_JUNK.sub("_", k).strip("_") or "_" for k in key_path])


class _File:
    """Finding the sites of one config file."""

    def __init__(self, path: str, ref: str, text: str, bom: bool) -> None:
        self.config = ConfigFile(path, ref, text, bom)
        self.path = path
        self.where = Text(text)
        self.diagnostics: list[Diagnostic] = []
        self.taken: dict[tuple[int, int], str] = {}  # value span -> "marker" | "rule"
        self.fixed: set[int] = set()

    def error(self, code: str, message: str, offset: int, severity: str = "error") -> None:
        line, col = self.where.position(offset)
        self.diagnostics.append(Diagnostic(code, message, line, col, path=self.path,
                                           severity=severity))

    def add(self, spec, entry: _Entry) -> Site:
        """A site of ``spec`` at ``entry`` (raises SpecError when the value does not fit)."""
        if spec.is_marker:
            raise SpecError("GV804", f"{spec.kind} marks a value of the program; a config "
                            "file's sites are oneof, floatv or intv", spec.start)
        if spec.kind not in CHOICES + RANGES or spec.kind in ("manyof", "permutate"):
            raise SpecError("GV804", f"{spec.kind} picks several values; a config file's "
                            "value is one scalar (oneof, floatv or intv)", spec.start)
        if spec.repeat != 1 or spec.has_nested:
            raise SpecError("GV804", "repeat= and nested specs need a place in the program; a "
                            "config file's value is read once", spec.start)
        for candidate in spec.candidates:
            try:
                value = ast.literal_eval(candidate.text)
            except (ValueError, SyntaxError):
                value = candidate
            if not isinstance(value, _SCALAR_TYPES) or (isinstance(value, str)
                                                        and not value.isprintable()):
                raise SpecError("GV804", f"candidate {candidate.text} is not a YAML scalar (a "
                                "number, a string, True/False/None)", candidate.start)
        snippet = Snippet(repr(entry.value), 0)
        node = snippet.parse().body
        legal = _legal(spec, node, snippet)
        if legal is None:
            code, message = _illegal(spec, node, snippet)
            message = message.replace("the program's value", "the file's value")
            raise SpecError(code, message.replace(" in the program", " in the file"), entry.start)
        line, col = self.where.position(entry.start)
        site = Site(spec, line, col, entry.start, entry.end, default=legal[0],
                    base_id=spec.name or _base_id(_stem(self.path), entry.path))
        site.file = self.config.ref
        self.config.sites.append(site)
        self.config.styles[id(site)] = entry.style
        return site

    def markers(self, entries: list[_Entry], spans) -> None:
        by_line: dict[int, list[_Entry]] = {}
        for entry in entries:
            by_line.setdefault(entry.line, []).append(entry)
        for hash_at, start, end in _markers(self.where.text, spans):
            line = self.where.line_of(hash_at) - 1
            if self.where.text[start:end].strip() == "fixed":
                self.fixed.add(line)
                continue
            specs, problems = parse_comment_spec(self.where, start, end)
            self.diagnostics.extend(
                Diagnostic(d.code, d.message, d.line, d.col, path=self.path) for d in problems)
            here = by_line.get(line, [])
            for spec in specs:
                try:
                    entry = self._target(spec, here, hash_at)
                    self.add(spec, entry)
                    self.taken[(entry.start, entry.end)] = "marker"
                except SpecError as exc:
                    self.error(exc.code, exc.message, exc.offset)

    def _target(self, spec, here: list[_Entry], hash_at: int) -> _Entry:
        if spec.param is not None:
            named = [e for e in here if e.path and e.path[-1] == spec.param]
            if not named:
                keys = [e.path[-1] for e in here if e.path]
                raise SpecError("GV203", f"no key {spec.param!r} on this line"
                                f"{suggest(spec.param, keys)}", spec.start)
            here = named
        scalars = [e for e in here if e.kind == "scalar"]
        if len(scalars) == 1:
            return scalars[0]
        if len(scalars) > 1 and all(e.path[-1].isdigit() for e in scalars):
            raise SpecError("GV802", f"the {spec.kind} marker is on a sequence, not a scalar "
                            "value: write the sequence one item per line and mark the item",
                            hash_at)
        if len(scalars) > 1:
            keys = ", ".join(e.path[-1] for e in scalars[:4])
            raise SpecError("GV202", f"{len(scalars)} values on this line ({keys}); name the "
                            f"key, e.g. {scalars[0].path[-1]}={spec.kind}(...)", spec.start)
        if not here:
            raise SpecError("GV201", f"the {spec.kind} marker is on a line with no value to "
                            "attach to (a config file's marker goes at the end of the value's "
                            "line)", hash_at)
        what = {"mapping": "a mapping", "sequence": "a sequence", "alias": "an alias (mark the "
                "anchored value instead)", "block": "a block or multi-line scalar"}[here[0].kind]
        raise SpecError("GV802", f"the {spec.kind} marker is on {what}, not a scalar value: "
                        f"mark each value on its own line", hash_at)


def compile_configs(configs, ruleset, program_sites: list[Site], base: str) -> ConfigsResult:
    """The sites of each config file ``(path, bytes or text)`` (markers, then ``key`` rules of
    ``ruleset``), with ids unique beside the program's sites; ``base`` is the file whose folder
    the space document's paths are relative to (the output, or the program)."""
    folder = os.path.dirname(os.path.abspath(base))
    files: list[_File] = []
    diagnostics: list[Diagnostic] = []
    parsed: list[tuple[_File, list[_Entry]]] = []
    for path, data in configs:
        text, bom, problem = _read(path, data)
        if problem is not None:
            diagnostics.append(problem)
            continue
        ref = os.path.relpath(os.path.abspath(path), folder).replace(os.sep, "/")
        one = _File(path, ref, text, bom)
        written = text.find(PLACEHOLDER)
        if written != -1:  # a search version (convert's <stem>_search.yaml), or a clash with it
            diagnostics.append(Diagnostic(
                "GV805", f"the file already holds {PLACEHOLDER}...}}, the text glovec writes for a "
                "site in a search version: give the original file (a search version is written "
                "by `glovec convert`, and a trial reads its values through it)",
                *one.where.position(written), path=path))
            continue
        entries, spans, problem = _entries(text, path)
        if problem is not None:
            diagnostics.append(problem)
            continue
        one.markers(entries, spans)
        files.append(one)
        parsed.append((one, entries))
    rules = [r for r in (ruleset.rules if ruleset is not None else ()) if r.selector == "key"]
    warnings: list[Diagnostic] = []
    if rules:
        from .rules.keys import match_keys

        more, warnings = match_keys(rules, ruleset, parsed, given=bool(configs))
        diagnostics.extend(more)
    for one in files:
        one.config.sites.sort(key=lambda s: s.start)
        diagnostics.extend(one.diagnostics)
    sites = [s for one in files for s in one.config.sites]
    sites = _assign_ids(sites, program_sites, diagnostics, {f.config.ref: f.path for f in files})
    return ConfigsResult([one.config for one in files], sites, diagnostics, warnings)


def _assign_ids(sites: list[Site], program_sites: list[Site], diagnostics: list,
                paths: dict) -> list[Site]:
    """Ids as the program's sites get them (``sites.assign_ids``): name= wins, else the key path;
    a second site with an id gets ``_2``; a name with the same spec as another site's (the
    program's or a file's) is that site's decision. Returns the decisions."""
    def error(code: str, message: str, site: Site) -> None:
        diagnostics.append(Diagnostic(code, message, site.line, site.col, path=paths[site.file]))

    return assign_ids(sites, error, earlier=program_sites)
