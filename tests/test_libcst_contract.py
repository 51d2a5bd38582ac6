"""What glovec needs from libcst's internals (transforms/source.py), checked against its public API.

The span pass subclasses libcst's private ``CodegenState`` and calls ``Module._codegen``, so
pyproject pins the libcst versions it is tested with. These tests fail, naming what moved, when a
libcst release changes those internals or their output.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import libcst as cst
import pytest

from glovec.transforms import source

ROOT = Path(__file__).resolve().parent.parent


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def test_pyproject_pins_the_libcst_versions_the_span_pass_is_tested_with():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'"libcst{source.LIBCST_TESTED}"' in pyproject
    low, high = re.fullmatch(r">=([\d.]+),<([\d.]+)", source.LIBCST_TESTED).groups()
    installed = _version(importlib.metadata.version("libcst"))
    assert _version(low) <= installed < _version(high), (
        f"libcst {importlib.metadata.version('libcst')} is installed; glovec is tested with "
        f"libcst{source.LIBCST_TESTED}")


@pytest.mark.parametrize("name", ["add_indent_tokens", "add_token", "before_codegen",
                                  "after_codegen", "record_syntactic_position",
                                  "pop_trailing_newline"])
def test_the_code_generation_state_has_the_hooks_glovec_overrides(name):
    assert callable(getattr(source.CodegenState, name, None)), (
        f"libcst._nodes.internal.CodegenState.{name} is gone: transforms/source.py's span pass "
        "needs rewriting for this libcst")


def test_a_module_generates_its_code_through_the_state():
    assert callable(getattr(cst.Module, "_codegen", None)), "libcst.Module._codegen is gone"
    state = source.CodegenState(default_indent="    ", default_newline="\n")
    assert hasattr(state, "indent_tokens") and hasattr(state, "tokens")


@pytest.mark.parametrize("path", ["examples/digits_keras.py", "examples/torch_digits.py",
                                  "fixtures/convert/keras_cnn/input.py"])
def test_every_expression_span_holds_the_code_libcst_generates_for_it(path):
    # the public Module.code_for_node is the reference: an expression's code, its own whitespace
    # and parentheses included, which is what its span is (sites are expressions). It generates a
    # node outside its block, so the lines of a multi-line value are compared without indentation.
    text = (ROOT / path).read_text(encoding="utf-8")
    module = cst.parse_module(text)
    spans, comments = source.node_spans(module, text)
    expressions = [n for n in spans if isinstance(n, (cst.BaseExpression, cst.Comment))]
    assert len(expressions) > 100 and comments
    for node in expressions:
        start, end = spans[node]
        assert _unindented(text[start:end]) == _unindented(module.code_for_node(node)), node


def _unindented(code: str) -> list[str]:
    first, *rest = code.split("\n")
    return [first] + [line.lstrip(" \t") for line in rest]
