"""Robustness of the rules path: any valid Python file converts or gives diagnostics.

A corpus test over the standard library's own modules with the keras preset, and a
hypothesis test that mutates the realistic scripts (lines dropped, duplicated, re-indented
into functions) and asserts: generated code that parses and gives the input back through
``materialize --defaults``, or diagnostics; never an exception.
"""

from __future__ import annotations

import ast
import os
import random
import sysconfig
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from glovec.compiler import compile_source
from glovec.transforms.materialize import materialize_source

REALISTIC = Path(__file__).resolve().parent.parent / "fixtures" / "realistic"
SCRIPTS = sorted(REALISTIC.glob("*.py"))


def _stdlib_sample(n: int) -> list[str]:
    lib = sysconfig.get_paths()["stdlib"]
    files = []
    for root, dirs, names in os.walk(lib):
        dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "__pycache__"))
        files += [os.path.join(root, f) for f in sorted(names) if f.endswith(".py")]
    return random.Random(6).sample(files, min(n, len(files)))


def _converts_or_diagnoses(data: bytes, path: str, rules: str) -> None:
    result = compile_source(data, path, rules=rules)
    if result.diagnostics:
        for d in result.diagnostics:
            assert d.code.startswith("GV") and d.line >= 1 and d.col >= 1
        return
    ast.parse(result.code)
    if result.sites:  # every site at its default writes the program back as it was
        text = data.decode("utf-8-sig")
        assert materialize_source(data, path, {}, rules=rules) == text


@pytest.mark.slow
def test_stdlib_corpus_with_the_keras_preset():
    sample = _stdlib_sample(200)
    assert len(sample) == 200
    for path in sample:
        with open(path, "rb") as fh:
            data = fh.read()
        try:
            ast.parse(data)
        except (SyntaxError, ValueError):
            continue  # not valid Python for this interpreter (lib2to3 test data, ...)
        _converts_or_diagnoses(data, path, "keras")


@st.composite
def mutated_script(draw):
    script = draw(st.sampled_from(SCRIPTS))
    lines = script.read_text().splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "duplicate", "wrap", "fstring"]))
        if action == "drop":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "wrap" and lines[i].strip() and not lines[i].startswith((" ", "\t")):
            # a top-level statement moved into a decorated async function
            lines[i:i + 1] = ["@staticmethod\n", "async def _wrapped(*a, **k):\n", "    " + lines[i]]
        elif action == "fstring" and lines[i].strip():
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            lines.insert(i, f'{indent}_note = f"{{0.5:.1f}} {{max(1, 2)}}"\n')
    return script.name, "".join(lines)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_script())
def test_mutated_realistic_scripts(case):
    name, text = case
    try:
        ast.parse(text)
    except SyntaxError:
        return  # only syntactically valid programs are in scope
    _converts_or_diagnoses(text.encode("utf-8"), name,
                           "keras" if name.startswith("keras") else "pytorch")


@pytest.mark.parametrize("source", [
    "",
    "\n",
    "# only a comment\n",
    '"""docstring only"""\n',
    "from __future__ import annotations\nlr = 0.01\n",
    "lr = 0.01; batch_size = 32\n",
    "if True: lr = 0.01\n",
    "lr = (\n    0.01\n)\n",
    "lr = -0.01\n",
    "class C:\n    lr: float = 0.01\n",
    "def f(*, lr=0.01, **kw): ...\n",
    "def f(lr=0.01, /, batch_size=32): ...\n",
    "x = [layers.Dense(64) for layers in mods]\n",
    "from keras import layers\nlayers.Dense(*sizes)\n",
    "from keras import layers\nlayers.Dense(**{'units': 64})\n",
    "from keras import layers\nf = lambda: layers.Dense(64)\n",
    "from keras import layers\nprint(f'{layers.Dense(64)}')\n",
    "import keras\nasync def g():\n    async with x:\n        keras.layers.Dense(64)\n",
    "import keras\nmatch y:\n    case 64:\n        keras.layers.Dense(64)\n",
    "batch_size = 32\r\nlr = 0.01\r\n",
    "\ufefflr = 0.01\n",
    "lr = 0.01  # glovec: fixed\n",
    "lr = 1e-3  # glovec: floatv(1e-4, 1e-2)\n",
    "import tensorflow as tf\ntf.keras.layers.Dense(64, activation=tf.nn.relu)\n",
])
def test_edge_programs(source):
    _converts_or_diagnoses(source.encode("utf-8"), "edge.py", "keras")


# ---- rules files: any TOML gives a RuleSet or diagnostics ----------------------------------

_KEYS = ["name", "call", "arg", "assign", "param", "values", "where", "in_function", "in_class",
         "optional", "skip", "dedupe", "extends", "version", "bogus"]
_STRINGS = st.sampled_from([
    "keras.layers.Dense", "units", "lr", "*", "[x // 2, x, x * 2]", 'floatv(x / 10, x * 10)',
    "objective", "x >", "[x, y]", "callee", "arg0", "", "x > 1 and units != 3", "manyof(2, [x])",
    "[__import__('os')]", "keras", "nope.toml", 'intv(x, x * 2, step=0)', "oneof([x], name=1)"])
_VALUES = st.one_of(_STRINGS, st.booleans(), st.integers(-3, 3), st.lists(_STRINGS, max_size=3))


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "'" + value + "'" if "'" not in value else '"' + value.replace('"', '\\"') + '"'


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=6), max_size=4),
       st.sampled_from(["lr = 0.01\n", "from keras import layers\nd = layers.Dense(64, 'relu')\n",
                        "def f(units=32):\n    return units\n"]))
def test_random_rules_files_load_or_diagnose(tmp_path_factory, rules, program):
    from glovec.transforms.rules import RulesError, load_rules

    text = "".join("[[rule]]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in rule.items())
                   for rule in rules)
    path = tmp_path_factory.mktemp("rules") / "rules.toml"
    path.write_text(text)
    try:
        load_rules(str(path))
    except RulesError as exc:
        assert exc.diagnostics and all(d.code.startswith("GV3") for d in exc.diagnostics)
    result = compile_source(program, "p.py", rules=str(path))
    if not result.diagnostics:
        ast.parse(result.code)
