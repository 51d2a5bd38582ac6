"""``--objective NAME`` for Keras programs: report a Keras metric from every ``model.fit(...)``.

Before::

    model.fit(x, y, epochs=5, validation_split=0.2)

After (``--objective val_accuracy``)::

    model.fit(x, y, epochs=5, validation_split=0.2, callbacks=[_gv.keras_reporter("val_accuracy")])

The callback (``glovec.runtime.keras_support``) reports ``logs[NAME]`` at the end of each epoch
(so early stopping can prune the trial) and records it as a metric and as the objective, so the
last epoch's value is the trial's result. An existing ``callbacks=[...]`` list gets one more element;
any other ``callbacks=`` expression becomes ``[*(expr or ()), <reporter>]``. The edit never adds a
line: the argument goes after the call's last argument, before any trailing comma and newline.

Which calls: only in a program that imports keras or tensorflow, every ``<expr>.fit(...)`` that
passes a Keras-only keyword (``epochs``, ``validation_data``, ``callbacks``, ...); when no ``.fit``
call does, every ``.fit`` call. So a scikit-learn ``clf.fit(X, y)`` beside a Keras
``model.fit(..., epochs=3)`` is left alone, and so is a program without Keras.

The compiler calls ``plan_objective`` on the original module before it writes the header (it
records the objective's direction in the space when the program marks none) and then
``inject_objective_callback`` on the generated text.
"""

from __future__ import annotations

import json
from typing import NamedTuple

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

__all__ = ["inject_objective_callback", "plan_objective", "objective_direction", "Injection", "REPORTER"]

REPORTER = "_gv.keras_reporter"  # through the runtime name the generated program uses
# Keywords of keras.Model.fit that scikit-learn estimators do not take.
KERAS_FIT_KEYWORDS = frozenset({
    "epochs", "batch_size", "validation_data", "validation_split", "callbacks", "verbose",
    "steps_per_epoch", "validation_steps", "validation_batch_size", "validation_freq",
    "initial_epoch", "class_weight",
})
CALLBACKS_POSITION = 5  # fit(x, y, batch_size, epochs, verbose, callbacks, ...)
# Substrings of metric names where smaller is better; every other name is maximised.
MINIMIZED = ("loss", "error", "mse", "mae", "mape", "msle", "crossentropy", "hinge", "divergence",
             "poisson", "cosh", "perplexity")


class Injection(NamedTuple):
    result: object  # the same type as the input: str or libcst.Module
    calls: list  # (line, col) of each patched fit call, 1-based; empty: nothing to patch


def objective_direction(metric: str) -> str:
    """"minimize" for loss- and error-like Keras metric names, else "maximize"."""
    name = metric.lower()
    return "minimize" if any(word in name for word in MINIMIZED) else "maximize"


def inject_objective_callback(module_or_code, metric: str, gv: str = "_gv") -> Injection:
    """Add the reporter callback for ``metric`` to the program's ``fit`` calls (``gv``: the
    name the generated program gives ``glovec.runtime``).

    Takes source text or a ``libcst.Module`` and returns the same kind, plus the positions of the
    patched calls (the caller reports a diagnostic when there is none).
    """
    module = cst.parse_module(module_or_code) if isinstance(module_or_code, str) else module_or_code
    if not _imports_keras(module):
        return Injection(module_or_code, [])
    wrapper = MetadataWrapper(module)
    finder = _FitFinder()
    wrapper.visit(finder)
    chosen = [c for c in finder.calls if _keras_like(c)] or finder.calls
    positions = wrapper.resolve(PositionProvider)
    reporter = gv + REPORTER[len("_gv"):]
    new = wrapper.module.visit(_Patch(set(map(id, chosen)), metric, reporter))
    calls = [(positions[c].start.line, positions[c].start.column + 1) for c in chosen]
    result = new.code if isinstance(module_or_code, str) else new
    return Injection(result, calls)


def plan_objective(module: cst.Module, space_doc: dict, metric: str) -> bool:
    """Whether ``--objective metric`` injects the callback into this program.

    No when the program records a metric of that name itself (``# glovec: metric("name")``) or has
    no Keras ``fit`` call. When it injects and the program marks no objective, the space's
    objective becomes the first patched call, with the direction ``objective_direction`` gives.
    """
    if metric in (space_doc.get("metrics") or ()):
        return False
    calls = inject_objective_callback(module, metric).calls
    if not calls:
        return False
    if space_doc.get("objective") is None:
        line, col = calls[0]
        space_doc["objective"] = {"direction": objective_direction(metric), "line": line, "col": col}
    return True


def _imports_keras(module: cst.Module) -> bool:
    for node in module.body:
        for stmt in getattr(node, "body", ()):
            if isinstance(stmt, cst.Import):
                names = [cst.Module([]).code_for_node(a.name) for a in stmt.names]
            elif isinstance(stmt, cst.ImportFrom) and stmt.module is not None:
                names = [cst.Module([]).code_for_node(stmt.module)]
            else:
                continue
            if any(n.split(".")[0] in ("keras", "tensorflow", "tf_keras") for n in names):
                return True
    return False


def _is_fit(node: cst.Call) -> bool:
    return isinstance(node.func, cst.Attribute) and node.func.attr.value == "fit"


def _keras_like(call: cst.Call) -> bool:
    keywords = {a.keyword.value for a in call.args if a.keyword is not None}
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return bool(keywords & KERAS_FIT_KEYWORDS) or len(positional) > 3


class _FitFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.calls: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        if _is_fit(node):
            self.calls.append(node)


def _reporter(metric: str, reporter: str) -> cst.BaseExpression:
    return cst.parse_expression(f"{reporter}({json.dumps(metric)})")


def _append(items: list, new, comma_cls):
    """``items + [new]``, with the last item's comma and its whitespace moved after ``new``."""
    if not items:
        return [new]
    last = items[-1]
    old_comma = last.comma
    if isinstance(old_comma, cst.Comma):
        last = last.with_changes(comma=old_comma.with_changes(whitespace_after=cst.SimpleWhitespace(" ")))
        new = new.with_changes(comma=old_comma)
    else:
        last = last.with_changes(comma=comma_cls(whitespace_after=cst.SimpleWhitespace(" ")))
    return [*items[:-1], last, new]


def _mentions_reporter(node: cst.CSTNode, reporter: str) -> bool:
    return reporter in cst.Module([]).code_for_node(node)


def _extend(value: cst.BaseExpression, metric: str, reporter: str) -> cst.BaseExpression:
    """The callbacks expression with the reporter added."""
    if isinstance(value, cst.List):
        return value.with_changes(elements=_append(
            list(value.elements), cst.Element(_reporter(metric, reporter)), cst.Comma))
    star = cst.StarredElement(cst.BooleanOperation(
        value, cst.Or(), cst.Tuple([]), lpar=[cst.LeftParen()], rpar=[cst.RightParen()]))
    return cst.List([star.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                     cst.Element(_reporter(metric, reporter))])


class _Patch(cst.CSTTransformer):
    def __init__(self, chosen: set, metric: str, reporter: str) -> None:
        self.chosen = chosen
        self.metric = metric
        self.reporter = reporter

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if id(original) not in self.chosen or _mentions_reporter(original, self.reporter):
            return updated
        args = list(updated.args)
        positional = [i for i, a in enumerate(args) if a.keyword is None and not a.star]
        for i, arg in enumerate(args):
            if (arg.keyword is not None and arg.keyword.value == "callbacks") or (
                    len(positional) > CALLBACKS_POSITION and i == positional[CALLBACKS_POSITION]):
                args[i] = arg.with_changes(value=_extend(arg.value, self.metric, self.reporter))
                return updated.with_changes(args=args)
        new_arg = cst.Arg(
            value=cst.List([cst.Element(_reporter(self.metric, self.reporter))]),
            keyword=cst.Name("callbacks"),
            equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
        )
        return updated.with_changes(args=_append(args, new_arg, cst.Comma))
