"""What a rule is: the keys a rules file may hold, ``Rule`` and ``RuleSet``, the presets,
and the diagnostics about a rules file."""

from __future__ import annotations

import ast
import fnmatch
import functools
import re
from dataclasses import dataclass
from importlib import resources

from ..diagnostics import Diagnostic, FileDiagnostic
from .template import Template

PRESETS = ("argparse", "config_keys", "keras", "pytorch")
SELECTORS = ("call", "assign", "param", "option", "key", "factor")  # key: a config file's dotted
# key (keys.py); factor: a literal that multiplies a named value (lr * 10, 0.5 * aux_loss)
RULE_KEYS = ("name", "call", "arg", "assign", "param", "option", "help", "type", "values",
             "where", "in_function", "in_class", "optional", "skip", "dedupe", "id", "key",
             "fallback", "factor", "tie")
TYPES = ("int", "float", "str", "bool")  # what `type = ...` may name
TOP_KEYS = ("version", "extends", "rule")
CALLEE = "callee"  # arg = "callee": the called name itself (nn.ReLU in nn.ReLU())


class RuleDiagnostic(FileDiagnostic):
    """A diagnostic about the rules file itself: always rendered with the rules file's path."""


class RulesError(Exception):
    """Raised by ``load_rules`` when the file cannot be used; carries the diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(d.render() for d in self.diagnostics))


@dataclass(eq=False)
class Rule:
    index: int  # position in the rule set (after extends)
    path: str
    line: int  # the [[rule]] header
    name: str | None
    selector: str
    pattern: tuple[str, ...]
    arg: str | None
    template: Template | None
    where: ast.expr | None
    in_function: str | None
    in_class: str | None
    optional: bool
    skip: bool
    dedupe: bool
    positions: dict  # key -> (line, col) of its value in the rules file
    site_id: str | None = None  # `id`: a format string for the site id
    col: int = 1  # the [[rule]] header's column
    help: tuple[str, ...] | None = None  # option rules: globs over the help text (lower case)
    types: tuple[str, ...] | None = None  # `type`: the declared (else the literal's) type names
    fallback: bool = False  # takes only values no earlier rule's pattern fits (none refused)
    # call rules: `tie`, the (callee glob, parameter) pairs a selected value flows into (a
    # layer's width is the next layer's input size); match.py ties them into one decision
    tie: tuple[tuple[str, str], ...] | None = None

    @property
    def label(self) -> str:
        return f"rule {self.name!r}" if self.name else f"the rule at {self.path}:{self.line}"


@dataclass(eq=False)
class RuleSet:
    """The rules of one file (its ``extends`` presets appended after its own rules)."""

    path: str
    rules: list[Rule]


def preset_path(name: str) -> str:
    return str(resources.files("glovec.transforms").joinpath("presets", f"{name}.toml"))



@functools.lru_cache(maxsize=None)
def _matcher(pattern: str):
    """``pattern`` compiled as ``fnmatch.fnmatchcase`` compiles it, kept for good: fnmatch's own
    cache holds 256 patterns on Python 3.10, fewer than the presets have, and thrashed there
    (a preset corpus test took ten minutes instead of seconds)."""
    return re.compile(fnmatch.translate(pattern)).match


def glob(pattern: str, name: str) -> bool:
    """Whether ``name`` matches one rules-file pattern (``*`` and ``?`` as wildcards)."""
    return _matcher(pattern)(name) is not None


def any_glob(patterns: tuple[str, ...], name: str) -> bool:
    return any(_matcher(p)(name) is not None for p in patterns)


def first_glob(patterns: tuple[str, ...], name: str) -> str | None:
    """The first of ``patterns`` that ``name`` matches (for saying why a rule chose it)."""
    return next((p for p in patterns if _matcher(p)(name) is not None), None)


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def option_name(text: str) -> str:
    """An option or field name in the one spelling ``option`` patterns use: no leading dashes,
    snake case, lower case (``--batch-size``, ``--batchSize``, ``batch_size`` -> ``batch_size``)."""
    return _CAMEL.sub("_", text.lstrip("-")).replace("-", "_").lower()
