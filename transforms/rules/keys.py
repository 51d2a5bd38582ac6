"""The ``key`` selector: rules that choose values in config files by their dotted key path.

    [[rule]]
    key = ["optimizer.lr", "*.learning_rate"]   # dotted globs over the key path, any case
    values = 'floatv(x / 10, x * 10, scale="log")'

The path is the file's keys from the top, joined with dots (``model.layers.0.units`` for an
item of a sequence); ``*`` matches across dots. ``where`` sees ``x`` (the value) and ``key``
(the path); ``id`` may use ``{x}``, ``{key}`` and ``{file}`` (the file's stem). The first rule
that selects a value takes it, as for the other selectors; a value a ``# glovec:`` marker holds
is GV311, a template that does not fit it GV310. A pattern with no wildcard names one key: when
no file given with ``--config`` has it, that is GV803 at the rule. A rule of the user's own file
that selects nothing else warns (GV312).
"""

from __future__ import annotations

import ast

from ..diagnostics import FileDiagnostic as Diagnostic, suggest
from ..sites import _SpecText
from ..specs import SpecError, parse_comment_spec
from .hook import rule_origin
from .match import Refusal, _type_name
from .schema import RuleDiagnostic, any_glob, first_glob, option_name
from .template import UNKNOWN, MatchError, TemplateError, evaluate, instantiate
from .unmatched import own_rules

_WILD = "*?["


def match_keys(rules, ruleset, parsed, given: bool) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Add the sites ``rules`` (the key rules of ``ruleset``, in order) select to each parsed
    file ``(configs._File, entries)``; (diagnostics, warnings)."""
    diagnostics: list[Diagnostic] = []
    matched: set[int] = set()
    seen: set[int] = set()  # rules whose pattern some key fits (their where may refuse it)
    paths: set[str] = set()
    for one, entries in parsed:
        for entry in entries:
            key = ".".join(entry.path)
            spelled = ".".join(option_name(part) for part in entry.path)
            paths.add(spelled)
            if entry.kind != "scalar":
                continue
            earlier = None  # the first rule naming the key whose where refused the value
            for rule in rules:
                pattern = first_glob(rule.pattern, spelled)
                if pattern is None:
                    continue
                seen.add(rule.index)
                why = f"key {key} matches {pattern!r}"
                if rule.help is not None:
                    said = _comment(one.where.text, entry.end)
                    fits = first_glob(rule.help, said) if said is not None else None
                    if fits is None:
                        continue
                    why += f"; the comment {said!r} matches {fits!r}"
                if entry.line in one.fixed:
                    matched.add(rule.index)
                    _refuse(one, rule, entry, f"{why}, but the line is `# glovec: fixed`")
                    break
                found = _type_name(entry.value)
                if rule.fallback and earlier is not None and not earlier.fallback:
                    continue  # a rule that knows the key refused the value: its refusal says why
                if rule.types is not None and found not in rule.types:
                    if rule.fallback:
                        continue  # a fallback of another type has nothing to say
                    _refuse(one, rule, entry, f"{why}, but it is type {found} and the rule "
                            f"takes {' or '.join(rule.types)}")
                    continue
                if rule.where is not None and not _where(rule, entry.value, key):
                    if rule.fallback:
                        continue  # a fallback that does not apply has nothing to say
                    _refuse(one, rule, entry, f"{why}, but where is false for x = "
                            f"{entry.value!r}: {ast.unparse(rule.where)}")
                    if rule.help is None and not any(p == "*" for p in rule.pattern):
                        earlier = earlier or rule  # a rule that knows the key by its name
                    continue
                matched.add(rule.index)
                if rule.skip:
                    _refuse(one, rule, entry, f"{why}: kept out of the search (skip = true)")
                else:
                    _take(one, rule, entry, key, why)
                break
    warnings: list[Diagnostic] = []
    for rule in rules:
        if rule.index in matched or rule.optional:
            continue
        exact = [p for p in rule.pattern if not any(c in p for c in _WILD)]
        line, col = rule.positions.get("key", (rule.line, rule.col))
        if given and exact and rule in own_rules(ruleset):
            shown = " or ".join(exact)
            diagnostics.append(RuleDiagnostic(
                "GV803", f"no config file has the key {shown}"
                f"{suggest(exact[0], sorted(p.lower() for p in paths))}", line, col,
                path=rule.path))
        elif rule in own_rules(ruleset):
            why = ("no file given with --config" if not given else
                   "its where holds for none of the keys it fits" if rule.index in seen else
                   f"no key {' or '.join(rule.pattern)} in the config files")
            warnings.append(RuleDiagnostic(
                "GV312", f"{rule.label if rule.name else 'this rule'} matched nothing: {why}",
                rule.line, rule.col, path=rule.path, severity="warning"))
    return diagnostics, warnings


def _comment(text: str, end: int) -> str | None:
    """A scalar's help text: the comment right after it on its line (``lr: 0.01  # initial
    learning rate``), lower case with spaces folded, a ``glovec:`` marker and what follows it
    left out; None where the line goes on with something else (a flow mapping) or has none."""
    stop = min((i for i in (text.find("\n", end), text.find("\r", end)) if i != -1),
               default=len(text))
    rest = text[end:stop].lstrip(" \t")
    if not rest.startswith("#"):
        return None
    said = rest[1:]
    marker = said.find("glovec:")
    if marker != -1:
        said = said[:marker].rstrip().rstrip("#")
    said = " ".join(said.lower().split())
    return said or None


def _refuse(one, rule, entry, reason: str) -> None:
    """Record for ``glovec space --explain`` that ``rule`` looked at ``entry`` and left it."""
    line, col = one.where.position(entry.start)
    one.config.refusals.append(Refusal(rule, line, col, entry.value, reason))


def _where(rule, x, key: str) -> bool:
    names = {"x": x, "key": key, "True": True, "False": False, "None": None}
    for sub in ast.walk(rule.where):
        if isinstance(sub, ast.Name):
            names.setdefault(sub.id, UNKNOWN)
    try:
        return bool(evaluate(rule.where, names))
    except TemplateError:
        return False


def _take(one, rule, entry, key: str, why: str) -> None:
    origin = rule_origin(rule)
    if (entry.start, entry.end) in one.taken:
        one.error("GV311", f"{origin}: the rule selects a value already marked in the file; "
                  "remove the marker or narrow the rule", entry.start)
        return
    if rule.template.kind == "marker":
        one.error("GV804", f"{origin}: {rule.template.text} marks a value of the program; a "
                  "config file's sites are oneof, floatv or intv", entry.start)
        return
    try:
        spec_text = instantiate(rule.template, entry.value, rule.dedupe)
    except MatchError as exc:
        if not rule.optional:
            one.error("GV310", f"{rule.label} selects this value, but {exc}", entry.start)
        return
    if rule.site_id is not None:
        from .match import _ID_JUNK

        try:
            name = rule.site_id.format_map({"x": entry.value, "key": key,
                                            "file": _file_stem(one.path)})
        except (KeyError, ValueError, IndexError):
            name = None
        name = _ID_JUNK.sub("_", name).strip("_.") if name else None
        if name:
            spec_text = spec_text[:-1] + f', name="{name}")'
    where = one.where.position(entry.start)
    specs, problems = parse_comment_spec(_SpecText(spec_text, where), 0, len(spec_text))
    if problems:
        one.diagnostics.extend(Diagnostic(d.code, f"{origin}: {d.message}", *where, path=one.path)
                               for d in problems)
        return
    try:
        site = one.add(specs[0], entry)
    except SpecError as exc:
        one.error(exc.code, f"{origin}: {exc.message}", entry.start)
        return
    one.taken[(entry.start, entry.end)] = "rule"
    one.config.chosen[id(site)] = (rule, why, spec_text, entry.value)


def _file_stem(path: str) -> str:
    from ..configs import _stem

    return _stem(path)
