"""The objective marker's expression as the one-shot evaluator.

The compiler records where the objective is (``space["objective"]``: line and column of the
marked value in the original file). One-shot search evaluates an architecture by evaluating that
expression again, in the frame that ran it, on the trained shared weights. The generated code is
unchanged: the expression's text is read back from the original source with ``ast``.

An expression that only reads a value computed earlier (``score = val_accuracy``) gives the same
number for every architecture, so it is refused before training (GV513). One exception: a Keras
objective that reads a validation metric from ``fit``'s history
(``history.history["val_accuracy"][-1]``) is evaluated again as that metric of
``model.evaluate`` on the ``validation_data`` given to ``fit`` (``Evaluator.history_metric``).
"""

from __future__ import annotations

import ast
import sys

from .errors import OneShotError

__all__ = ["Evaluator", "locate"]


class Evaluator:
    """The objective expression: its text, code object and the function that holds it."""

    def __init__(self, text: str, code, line: int, col: int, function: str | None,
                 source_path: str, history_metric: str | None = None) -> None:
        self.text = text
        self.history_metric = history_metric  # "val_NAME" read from a Keras History, or None
        self.code = code
        self.line = line
        self.col = col
        self.function = function  # the enclosing def's name, None at module level
        self.source_path = source_path

    def __call__(self, frame):
        return eval(self.code, frame.f_globals, _locals(frame))

    def frame_in_stack(self, start=None):
        """The innermost frame on the stack running the code that holds the objective, or None."""
        frame = start or sys._getframe(1)
        while frame is not None:
            if self.holds(frame.f_code):
                return frame
            frame = frame.f_back
        return None

    def holds(self, code) -> bool:
        name = code.co_name if self.function is not None else "<module>"
        if name != (self.function or "<module>"):
            return False
        if code.co_filename != self.source_path:
            # `python gen.py`: the generated file, lines shifted by the header.
            return any(ln in (self.line, self.line + 1) for _, _, ln in code.co_lines())
        return any(ln == self.line for _, _, ln in code.co_lines())


def _locals(frame) -> dict:
    # f_locals is a snapshot dict in a function (free variables included); globals win after.
    return dict(frame.f_locals)


def locate(source_path: str, space: dict) -> Evaluator:
    """The objective expression of the program at ``source_path``; OneShotError when unusable."""
    where = space.get("objective")
    if not where:
        raise OneShotError("GV512", "one-shot search needs an objective to evaluate each "
                           "architecture: mark an expression that evaluates the model, e.g. "
                           "`score = accuracy(model, x_val, y_val)  # glovec: objective`",
                           source_path, 1, 1)
    line, col = where["line"], where["col"]
    with open(source_path, "rb") as fh:
        raw = fh.read()
    text = raw.decode("utf-8-sig")
    tree = ast.parse(text, filename=source_path)
    lines = text.splitlines(keepends=True)
    target = None
    function = None
    stack: list = []

    class Finder(ast.NodeVisitor):
        def generic_visit(self, node):
            nonlocal target, function
            if target is not None:
                return
            if isinstance(node, ast.expr) and node.lineno == line and _char_col(lines, node) == col:
                target = node
                function = next((f.name for f in reversed(stack)), None)
                return
            is_def = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if is_def and not isinstance(node, ast.Lambda):
                stack.append(node)
            super().generic_visit(node)
            if is_def and not isinstance(node, ast.Lambda):
                stack.pop()

    Finder().visit(tree)
    if target is None:
        raise OneShotError("GV513", "the objective marker's expression could not be found again "
                           "in the source (was the file changed after conversion?)",
                           source_path, line, col)
    expr_text = ast.get_source_segment(text, target) or ast.unparse(target)
    code = compile(ast.Expression(body=target), source_path, "eval")
    history_metric = _history_metric(target)
    if history_metric is not None:
        return Evaluator(expr_text, code, line, col, function, source_path, history_metric)
    if not any(isinstance(n, ast.Call) for n in ast.walk(target)):
        raise OneShotError(
            "GV513", f"the objective `{expr_text}` only reads a value computed earlier, so "
            f"evaluating it again gives the same number for every architecture; mark an "
            f"expression that evaluates the model on validation data instead, e.g. "
            f"`score = accuracy(model, x_val, y_val)  # glovec: objective`",
            source_path, line, col)
    return Evaluator(expr_text, code, line, col, function, source_path)


def _history_metric(node) -> str | None:
    """``NAME.history["val_X"]`` (then any indexing, e.g. ``[-1]``), or ``max(...)``/``min(...)`` of
    it, without other calls: "val_X"; else None."""
    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
    if any(not (isinstance(c.func, ast.Name) and c.func.id in ("max", "min")) for c in calls):
        return None
    for n in ast.walk(node):
        if (isinstance(n, ast.Subscript) and isinstance(n.value, ast.Attribute)
                and n.value.attr == "history" and isinstance(n.slice, ast.Constant)
                and isinstance(n.slice.value, str) and n.slice.value.startswith("val_")):
            return n.slice.value
    return None


def _char_col(lines: list, node) -> int:
    """1-based character column of ``node`` (ast gives UTF-8 byte offsets)."""
    line = lines[node.lineno - 1] if node.lineno - 1 < len(lines) else ""
    return len(line.encode("utf-8")[:node.col_offset].decode("utf-8", "replace")) + 1
