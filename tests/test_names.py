"""One resolver (transforms/names.py): a marker, a rule and `glovec check` read one callee the same
way, through an aliased import, a re-bound name and a relative import."""

from __future__ import annotations

import ast
import json

import pytest

from glovec.cli import main
from glovec.transforms.names import Names

# `L` means torch.nn on line 4 and keras.layers (through tf.keras) from line 5 on: the binding in
# effect at the call counts, as in Python. `Dense` on line 7 is the program's own (a relative
# import), not Keras's, so nothing is guessed about its parameters.
AWKWARD = """\
import torch.nn as L
from .blocks import Dense

first = L.Linear(8, 32){m1}
import tensorflow.keras.layers as L
second = L.Dense(64){m2}
third = Dense(128){m3}
"""
PLAIN = AWKWARD.format(m1="", m2="", m3="")
MARKED = AWKWARD.format(m1="  # glovec: oneof([16, 32])", m2="  # glovec: oneof([32, 64])",
                        m3="  # glovec: oneof([128, 256])")
RULES = """\
[[rule]]
call = "torch.nn.Linear"
arg = "out_features"
values = "[x // 2, x]"

[[rule]]
call = "keras.layers.Dense"
arg = "units"
values = "[x // 2, x]"
"""
# what each line's value is: a library's hyper-parameter, named Callee.param, or the program's own
LIBRARY_SITES = {(4, "Linear.out_features"), (6, "Dense.units")}


def space_sites(capsys, *args) -> dict[int, str]:
    assert main(["space", "--json", *map(str, args)]) == 0
    return {s["line"]: s["id"] for s in json.loads(capsys.readouterr().out)["sites"]}


def test_a_marker_a_rule_and_check_resolve_the_same_callee_the_same_way(capsys, tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "marked.py").write_text(MARKED)
    (package / "plain.py").write_text(PLAIN)
    (package / "rules.toml").write_text(RULES)

    markers = space_sites(capsys, package / "marked.py")
    # the relative import's Dense has no known signature: its positional argument is arg0
    assert markers == {4: "Linear.out_features", 6: "Dense.units", 7: "Dense.arg0"}

    rules = space_sites(capsys, package / "plain.py", "--rules", package / "rules.toml")
    assert set(rules.items()) == LIBRARY_SITES

    assert main(["check", str(package / "plain.py"), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    uncovered = {(h["line"], h["name"]) for h in report["hyperparameters"]
                 if h["status"] == "uncovered"}
    assert uncovered == LIBRARY_SITES


@pytest.mark.parametrize("line, expected", [
    (4, "torch.nn.Linear"),  # before the re-binding: the first import
    (6, "keras.layers.Dense"),  # after it: tf.keras folded onto keras
    (7, ".blocks.Dense"),  # the program's own module keeps its leading dot
])
def test_the_binding_in_effect_at_the_use_counts(line, expected):
    tree = ast.parse(PLAIN)
    names = Names.of(tree)
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and n.lineno == line)
    assert names.qualify(call.func) == expected


def test_a_function_above_its_imports_means_the_modules_last_binding():
    tree = ast.parse("def build():\n    return L.Dense(8)\n\nimport keras.layers as L\n")
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call))
    assert Names.of(tree).qualify(call.func) == "keras.layers.Dense"


def test_a_name_re_bound_to_a_value_keeps_its_own_spelling():
    tree = ast.parse("from keras import layers\nlayers = []\nlayers.append(1)\n")
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call))
    assert Names.of(tree).qualify(call.func) == "layers.append"


def test_a_program_and_its_resolver_are_freed_without_the_cycle_collector():
    # the resolver reads node lines from the program's spans; it must not hold the Program (a
    # cycle keeps the whole libcst tree alive until the next collection, which slows every
    # later parse of a long program)
    import gc
    import weakref

    from glovec.transforms.program import Program

    enabled = gc.isenabled()
    gc.disable()
    try:
        program = Program(MARKED, "m.py")
        assert program.resolver.signature(program.module.body[2].body[0].value.func) is not None
        freed = weakref.ref(program)
        del program
        assert freed() is None
    finally:
        if enabled:
            gc.enable()
