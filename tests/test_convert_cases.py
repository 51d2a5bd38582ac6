"""`glovec convert` as tables: (program, what its site lines become), noops, diagnostics.

Each case compiles a small program and compares every line but the header with the expected
text, so one row shows one rule of site finding or code generation.
"""

from __future__ import annotations

import ast

import pytest

from glovec.compiler import compile_source
from glovec.transforms import header
from glovec.transforms.materialize import materialize_source


def body(code: str) -> str:
    """The generated program without its header line."""
    lines = code.splitlines(keepends=True)
    header = next(i for i, line in enumerate(lines) if line.startswith("import glovec.runtime as _gv;"))
    return "".join(lines[:header] + lines[header + 1:])


def convert(src: str) -> str:
    result = compile_source(src, "model.py")
    assert result.diagnostics == [], [d.render() for d in result.diagnostics]
    ast.parse(result.code)
    return body(result.code)


CASES = [
    ("value of an assignment",
     'lr = 1e-3  # glovec: floatv(1e-4, 1e-1, scale="log")\n',
     'lr = _gv.floatv("lr", 1e-3)  # glovec: floatv(1e-4, 1e-1, scale="log")\n'),
    ("intv",
     "epochs = 5  # glovec: intv(1, 20)\n",
     'epochs = _gv.intv("epochs", 5)  # glovec: intv(1, 20)\n'),
    ("literal oneof keeps the program's own text for the default",
     "act = 'relu'  # glovec: oneof([\"relu\", \"gelu\"])\n",
     "act = _gv.oneof(\"act\", 0, ('relu', \"gelu\"))  # glovec: oneof([\"relu\", \"gelu\"])\n"),
    ("1e-3 equals 0.001",
     "lr = 0.001  # glovec: oneof([1e-4, 1e-3])\n",
     'lr = _gv.oneof("lr", 1, (1e-4, 0.001))  # glovec: oneof([1e-4, 1e-3])\n'),
    ("a single candidate is a one-element tuple",
     "x = 3  # glovec: oneof([3])\n",
     'x = _gv.oneof("x", 0, (3,))  # glovec: oneof([3])\n'),
    ("an m = [0, 1] right-hand side is one value",
     "m = [0, 1]  # glovec: oneof([[0, 1], [1, 0]])\n",
     'm = _gv.oneof_lazy("m", 0, (lambda: [0, 1], lambda: [1, 0]))  # glovec: oneof([[0, 1], [1, 0]])\n'),
    ("an unparenthesised tuple gets parentheses",
     "shape = 8, 8  # glovec: oneof([(8, 8), (4, 4)])\n",
     'shape = _gv.oneof("shape", 0, ((8, 8), (4, 4)))  # glovec: oneof([(8, 8), (4, 4)])\n'),
    ("expression candidates are lazy",
     "act = nn.ReLU()  # glovec: oneof([nn.ReLU(), nn.GELU()])\n",
     'act = _gv.oneof_lazy("act", 0, (lambda: nn.ReLU(), lambda: nn.GELU()))  # glovec: oneof([nn.ReLU(), nn.GELU()])\n'),
    ("the callee, when the candidates are callables",
     "opt = Adam(1e-3)  # glovec: oneof([Adam, SGD])\n",
     'opt = _gv.oneof_lazy("opt", 0, (lambda: Adam, lambda: SGD))(1e-3)  # glovec: oneof([Adam, SGD])\n'),
    ("the one number on the line",
     "model.add(layers.Dropout(0.2))  # glovec: floatv(0.0, 0.5)\n",
     'model.add(layers.Dropout(_gv.floatv("Dropout.rate", 0.2)))  # glovec: floatv(0.0, 0.5)\n'),
    ("a named parameter by keyword",
     "model.fit(x, y, epochs=5, batch_size=32)  # glovec: batch_size=oneof([16, 32])\n",
     'model.fit(x, y, epochs=5, batch_size=_gv.oneof("fit.batch_size", 1, (16, 32)))  # glovec: batch_size=oneof([16, 32])\n'),
    ("a named parameter by position (Keras table)",
     "from keras import layers\nh = layers.Dense(64)(x)  # glovec: units=oneof([32, 64])\n",
     'from keras import layers\nh = layers.Dense(_gv.oneof("Dense.units", 1, (32, 64)))(x)  # glovec: units=oneof([32, 64])\n'),
    ("a named parameter by position (torch table through an alias import)",
     "import torch.nn as nn\nfc = nn.Linear(64, 10)  # glovec: out_features=intv(2, 20)\n",
     'import torch.nn as nn\nfc = nn.Linear(64, _gv.intv("Linear.out_features", 10))  # glovec: out_features=intv(2, 20)\n'),
    ("a named parameter by position (same-file definition)",
     "def block(x, width=8):\n    return x\ny = block(1, 16)  # glovec: width=oneof([8, 16])\n",
     'def block(x, width=8):\n    return x\ny = block(1, _gv.oneof("block.width", 1, (8, 16)))  # glovec: width=oneof([8, 16])\n'),
    ("argN: a positional argument of an unknown callee",
     "y = mystery(3, 4)  # glovec: arg1=intv(1, 8)\n",
     'y = mystery(3, _gv.intv("mystery.arg1", 4))  # glovec: arg1=intv(1, 8)\n'),
    ("two named parameters in one marker",
     "Dense(64, activation='relu')  # glovec: units=oneof([32, 64]), activation=oneof(['relu', 'gelu'])\n",
     "Dense(_gv.oneof(\"Dense.units\", 1, (32, 64)), activation=_gv.oneof(\"Dense.activation\", 0, ('relu', 'gelu')))"
     "  # glovec: units=oneof([32, 64]), activation=oneof(['relu', 'gelu'])\n"),
    ("a parameter default on a def line",
     "def f(x=3):  # glovec: x=intv(1, 5)\n    return x\n",
     'def f(x=_gv.intv("f.x", 3)):  # glovec: x=intv(1, 5)\n    return x\n'),
    ("an if condition",
     "if score > 0.5:  # glovec: oneof([score > 0.5, score > 0.9])\n    pass\n",
     'if _gv.oneof_lazy("value", 0, (lambda: score > 0.5, lambda: score > 0.9)):  # glovec: oneof([score > 0.5, score > 0.9])\n    pass\n'),
    ("scope: enclosing class and function",
     "class Net:\n    def build(self):\n        self.width = 64  # glovec: oneof([32, 64])\n",
     'class Net:\n    def build(self):\n        self.width = _gv.oneof("Net.build.width", 1, (32, 64))  # glovec: oneof([32, 64])\n'),
    ("class body: expression candidates are a conditional expression (a lambda there cannot see units)",
     "class C:\n    units = 64\n    width = units * 2  # glovec: oneof([units, units * 2, units * 4])\n",
     'class C:\n    units = 64\n    width = (units if _gv.index("C.width", 1) == 0 else units * 2 if _gv.index("C.width", 1) == 1 else units * 4)'
     "  # glovec: oneof([units, units * 2, units * 4])\n"),
    ("class body: literal candidates stay a constant tuple",
     "class C:\n    width = 64  # glovec: oneof([32, 64])\n    acts = ['a', 'b']  # glovec: manyof(2, ['a', 'b', 'c'])\n",
     'class C:\n    width = _gv.oneof("C.width", 1, (32, 64))  # glovec: oneof([32, 64])\n'
     "    acts = _gv.manyof(\"C.acts\", (0, 1), ('a', 'b', 'c'))  # glovec: manyof(2, ['a', 'b', 'c'])\n"),
    ("class body: a nested site is a conditional expression too",
     "class C:\n    n = 8\n    b = pool(n)  # glovec: oneof([conv(oneof([n, 2 * n])), pool(n)])\n",
     'class C:\n    n = 8\n    b = (conv((n if _gv.index("C.b[=0].conv.arg0", 0) == 0 else 2 * n)) if _gv.index("C.b", 1) == 0 else pool(n))'
     "  # glovec: oneof([conv(oneof([n, 2 * n])), pool(n)])\n"),
    ("class body: lambdas and conditional expressions get parentheses",
     "class C:\n    f = lambda x: x  # glovec: oneof([lambda x: x, a if b else c])\n",
     'class C:\n    f = ((lambda x: x) if _gv.index("C.f", 0) == 0 else (a if b else c))'
     "  # glovec: oneof([lambda x: x, a if b else c])\n"),
    ("class body: a single expression candidate",
     "class C:\n    n = 8\n    m = n  # glovec: oneof([n])\n",
     'class C:\n    n = 8\n    m = (_gv.index("C.m", 0), n)[1]  # glovec: oneof([n])\n'),
    ("class body: a method's parameter default runs in the class body",
     "class C:\n    n = 8\n    def f(self, w=n):  # glovec: w=oneof([n, 2 * n])\n        return w\n",
     'class C:\n    n = 8\n    def f(self, w=(n if _gv.index("C.f.w", 0) == 0 else 2 * n)):  # glovec: w=oneof([n, 2 * n])\n        return w\n'),
    ("class body: a one-line class",
     "class C: n = 8; m = n  # glovec: oneof([n, -n])\n",
     'class C: n = 8; m = (n if _gv.index("m", 0) == 0 else -n)  # glovec: oneof([n, -n])\n'),
    ("class body: inside a comprehension the lambdas stay (that scope is the comprehension's)",
     "class C:\n    xs = [f(i) for i in range(3)]  # glovec: oneof([f(i), g(i)])\n",
     'class C:\n    xs = [_gv.oneof_lazy("C.xs", 0, (lambda: f(i), lambda: g(i))) for i in range(3)]  # glovec: oneof([f(i), g(i)])\n'),
    ("duplicate ids get _2, _3",
     "a = f(1)  # glovec: arg0=oneof([1, 2])\nb = f(1)  # glovec: arg0=oneof([1, 2])\nc = f(2)  # glovec: arg0=oneof([1, 2])\n",
     'a = f(_gv.oneof("f.arg0", 0, (1, 2)))  # glovec: arg0=oneof([1, 2])\n'
     'b = f(_gv.oneof("f.arg0_2", 0, (1, 2)))  # glovec: arg0=oneof([1, 2])\n'
     'c = f(_gv.oneof("f.arg0_3", 1, (1, 2)))  # glovec: arg0=oneof([1, 2])\n'),
    ("name= replaces the id",
     "w = 8  # glovec: oneof([4, 8], name='width')\n",
     'w = _gv.oneof("width", 1, (4, 8))  # glovec: oneof([4, 8], name=\'width\')\n'),
    ("repeat=N",
     "for _ in range(3):\n    w = 8  # glovec: oneof([4, 8], repeat=3)\n",
     'for _ in range(3):\n    w = _gv.oneof(_gv.rep("w", 3), 1, (4, 8))  # glovec: oneof([4, 8], repeat=3)\n'),
    ("nested specs: the program's candidate keeps its text, with the nested site inside",
     "b = conv(16)  # glovec: oneof([conv(oneof([16, 32])), pool(2)])\n",
     'b = _gv.oneof_lazy("b", 0, (lambda: conv(_gv.oneof("b[=0].conv.arg0", 0, (16, 32))), lambda: pool(2)))'
     "  # glovec: oneof([conv(oneof([16, 32])), pool(2)])\n"),
    ("nested specs in another candidate start at their first choice",
     "b = pool(2)  # glovec: oneof([conv(oneof([16, 32])), pool(2)])\n",
     'b = _gv.oneof_lazy("b", 1, (lambda: conv(_gv.oneof("b[=0].conv.arg0", 0, (16, 32))), lambda: pool(2)))'
     "  # glovec: oneof([conv(oneof([16, 32])), pool(2)])\n"),
    ("manyof on a list",
     "aug = ['flip', 'crop']  # glovec: manyof(2, ['flip', 'crop', 'noise'])\n",
     "aug = _gv.manyof(\"aug\", (0, 1), ('flip', 'crop', 'noise'))  # glovec: manyof(2, ['flip', 'crop', 'noise'])\n"),
    ("permutate on a tuple stays a tuple",
     "order = ('a', 'b')  # glovec: permutate(['b', 'a'])\n",
     "order = tuple(_gv.permutate(\"order\", (1, 0), ('b', 'a')))  # glovec: permutate(['b', 'a'])\n"),
    ("a replaced multi-line value keeps its line count and comments",
     "xs = [\n    1,  # one\n    2,\n]  # glovec: manyof(2, [1, 2, 3])\nprint(xs)\n",
     'xs = _gv.manyof("xs", (0, 1), (1, 2, 3)\n    # one\n\n)  # glovec: manyof(2, [1, 2, 3])\nprint(xs)\n'),
    ("objective",
     "acc = evaluate()  # glovec: objective\n",
     'acc = _gv.objective(evaluate())  # glovec: objective\n'),
    ("metric and report",
     "for e in range(3):\n    loss = step(e)  # glovec: report(step=e)\nacc = 0.5  # glovec: metric(\"acc\")\n",
     'for e in range(3):\n    loss = _gv.report(step(e), step=e)  # glovec: report(step=e)\nacc = _gv.metric("acc", 0.5)  # glovec: metric("acc")\n'),
    ("a marker after another comment",
     "x = 1  # noqa  # glovec: oneof([1, 2])\n",
     'x = _gv.oneof("x", 0, (1, 2))  # noqa  # glovec: oneof([1, 2])\n'),
    ("a comment after the spec",
     "x = 1  # glovec: oneof([1, 2])  # why: small\n",
     'x = _gv.oneof("x", 0, (1, 2))  # glovec: oneof([1, 2])  # why: small\n'),
    ("non-ASCII text before the site",
     "label = 'é'; n = 2  # glovec: intv(1, 3)\n",
     "label = 'é'; n = _gv.intv(\"n\", 2)  # glovec: intv(1, 3)\n"),
    ("annotated assignment",
     "from typing import Annotated\nfrom glovec.hints import oneof\nw: Annotated[int, oneof([4, 8])] = 8\n",
     'from typing import Annotated\nfrom glovec.hints import oneof\nw: Annotated[int, oneof([4, 8])] = _gv.oneof("w", 1, (4, 8))\n'),
]

NOOPS = [
    ("no marker", "x = 1\nprint(x)\n"),
    ("glovec without a colon", "x = 1  # glovec is not a marker here\n"),
    ("a marker inside a string", "s = '# glovec: oneof([1, 2])'\n"),
    ("a marker inside a docstring", '"""Mark with # glovec: oneof([1, 2])."""\nx = 1\n'),
    ("check-only fixed", "epochs = 10  # glovec: fixed\n"),
    ("Annotated without glovec.hints", "from typing import Annotated\nx: Annotated[int, 'meta'] = 1\n"),
    ("a primitive named like glovec's but not imported from glovec.hints",
     "from typing import Annotated\nfrom mylib import oneof\nx: Annotated[int, oneof([1, 2])] = 1\n"),
    ("empty file", ""),
    ("no trailing newline", "x = 1"),
]

DIAGNOSTICS = [
    ("syntax error", "x = (1,\n", "GV001", 1),
    ("spec syntax", "x = 1  # glovec: oneof([1, 2]\n", "GV101", 1),
    ("empty spec", "x = 1  # glovec:\n", "GV101", 1),
    ("unknown primitive", "x = 1  # glovec: choice([1, 2])\n", "GV102", 1),
    ("a spec item that is no call", "x = 1  # glovec: [1, 2]\n", "GV102", 1),
    ("markers take no parameter name", "x = f(1)  # glovec: a=objective\n", "GV110", 1),
    ("unknown option", "x = 1  # glovec: oneof([1, 2], nmae='x')\n", "GV103", 1),
    ("too many arguments", "x = 1  # glovec: intv(0, 3, 1)\n", "GV104", 1),
    ("missing argument", "x = 1  # glovec: manyof([1, 2])\n", "GV104", 1),
    ("bare primitive", "x = 1  # glovec: oneof\n", "GV104", 1),
    ("metric without a name", "x = 1  # glovec: metric\n", "GV104", 1),
    ("report with a positional argument", "x = 1  # glovec: report(3)\n", "GV104", 1),
    ("empty candidates", "x = 1  # glovec: oneof([])\n", "GV105", 1),
    ("lo >= hi", "x = 1  # glovec: intv(3, 1)\n", "GV106", 1),
    ("log scale from 0", "x = 1  # glovec: intv(0, 8, scale='log')\n", "GV107", 1),
    ("manyof k > n", "x = [1]  # glovec: manyof(4, [1, 2])\n", "GV108", 1),
    ("one name, two specs", "a = 1  # glovec: oneof([1, 2], name='n')\nb = 1  # glovec: oneof([1, 3], name='n')\n", "GV109", 2),
    ("one name, two defaults", "a = 1  # glovec: oneof([1, 2], name='n')\nb = 2  # glovec: oneof([1, 2], name='n')\n", "GV109", 2),
    ("one name, a tie with repeat", "a = 1  # glovec: oneof([1, 2], name='n', repeat=2)\nb = 1  # glovec: oneof([1, 2], name='n', repeat=2)\n", "GV109", 2),
    ("candidates not a list", "x = 1  # glovec: oneof(OPTIONS)\n", "GV110", 1),
    ("k not an integer", "x = [1]  # glovec: manyof(1.5, [1, 2])\n", "GV110", 1),
    ("repeat 0", "x = 1  # glovec: oneof([1, 2], repeat=0)\n", "GV110", 1),
    ("bad name", "x = 1  # glovec: oneof([1, 2], name='a b')\n", "GV110", 1),
    ("intv bound not an int", "x = 1  # glovec: intv(0, 2.5)\n", "GV110", 1),
    ("objective direction", "x = 1  # glovec: objective(minimise)\n", "GV110", 1),
    ("nested in manyof", "x = [1]  # glovec: manyof(1, [oneof([1, 2]), 3])\n", "GV111", 1),
    ("marker nested in a candidate", "x = 1  # glovec: oneof([metric('a'), 1])\n", "GV111", 1),
    ("default not a candidate", "x = 3  # glovec: oneof([1, 2])\n", "GV112", 1),
    ("manyof default of the wrong length", "x = [1]  # glovec: manyof(2, [1, 2, 3])\n", "GV112", 1),
    ("manyof sorted default out of order", "x = [2, 1]  # glovec: manyof(2, [1, 2, 3], sorted=True)\n", "GV112", 1),
    ("permutate default missing a candidate", "x = [1, 1]  # glovec: permutate([1, 2])\n", "GV112", 1),
    ("default out of range", "x = 30  # glovec: intv(1, 20)\n", "GV113", 1),
    ("default off the step grid", "x = 3  # glovec: intv(0, 8, step=2)\n", "GV113", 1),
    ("default not numeric", "x = 'a'  # glovec: floatv(0, 1)\n", "GV114", 1),
    ("intv default a float", "x = 2.5  # glovec: intv(0, 8)\n", "GV114", 1),
    ("duplicate candidate", "x = 1  # glovec: oneof([1, 2, 1])\n", "GV115", 1),
    ("duplicate objective", "a = 1  # glovec: objective\nb = 2  # glovec: objective\n", "GV116", 2),
    ("two unnamed specs", "x = 1  # glovec: oneof([1, 2]), objective\n", "GV117", 1),
    ("marker on its own line", "# glovec: oneof([1, 2])\nx = 1\n", "GV201", 1),
    ("marker on a line without values", "import os  # glovec: oneof([1, 2])\n", "GV201", 1),
    ("marker on else:", "if x:\n    pass\nelse:  # glovec: oneof([1, 2])\n    pass\n", "GV201", 3),
    ("Annotated parameter without a default",
     "from typing import Annotated\nfrom glovec.hints import oneof\ndef f(w: Annotated[int, oneof([1, 2])]):\n    pass\n",
     "GV201", 3),
    ("two numbers on the line", "f(1, 2)  # glovec: intv(0, 5)\n", "GV202", 1),
    ("two candidates on the line", "f(1, 1)  # glovec: oneof([1, 2])\n", "GV202", 1),
    ("objective on a line with two values", "a = 1; b = 2  # glovec: objective\n", "GV202", 1),
    ("a parameter passed twice on the line", "f(a=1) + f(a=2)  # glovec: a=oneof([1, 2])\n", "GV202", 1),
    ("no such argument", "f(units=1)  # glovec: unit=oneof([1, 2])\n", "GV203", 1),
    ("no call on the line", "x = 1  # glovec: units=oneof([1, 2])\n", "GV203", 1),
    ("argN past the arguments", "f(1)  # glovec: arg1=oneof([1, 2])\n", "GV203", 1),
    ("a site inside a manyof value",
     "xs = [\n    1,  # glovec: oneof([1, 4])\n    2,\n]  # glovec: manyof(2, [1, 2, 3])\n", "GV204", 2),
    ("manyof with expression candidates in a class body",
     "class C:\n    a, b = 1, 2\n    xs = [a, b]  # glovec: manyof(2, [a, b, a + b])\n", "GV212", 3),
    ("permutate with expression candidates in a class body",
     "class C:\n    a, b = 1, 2\n    xs = [a, b]  # glovec: permutate([a, b])\n", "GV212", 3),
    ("repeat=N with expression candidates in a class body",
     "class C:\n    a, b = 1, 2\n    x = a  # glovec: oneof([a, b], repeat=2)\n", "GV212", 3),
    ("a nested manyof with expression candidates in a class body",
     "class C:\n    a = 1\n    x = f(a)  # glovec: oneof([f(a), g(manyof(1, [a, 2]))])\n", "GV212", 3),
    ("walrus in a lazy site", "x = (y := f())  # glovec: oneof([(y := f()), g()])\n", "GV205", 1),
    ("yield in a lazy site", "def gen():\n    x = yield f()  # glovec: oneof([(yield f()), g()])\n", "GV205", 2),
    ("site in the module docstring", '"""doc"""  # glovec: oneof(["""doc""", "x"])\n', "GV205", 1),
]


@pytest.mark.parametrize("src, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_convert(src, expected):
    assert convert(src) == expected


@pytest.mark.parametrize("src", [c[1] for c in NOOPS], ids=[c[0] for c in NOOPS])
def test_noop_only_adds_the_header(src):
    assert convert(src) == src


@pytest.mark.parametrize("src, code, line", [c[1:] for c in DIAGNOSTICS], ids=[c[0] for c in DIAGNOSTICS])
def test_diagnostics(src, code, line):
    result = compile_source(src, "model.py")
    assert result.code is None
    assert [(d.code, d.line) for d in result.diagnostics][:1] == [(code, line)], \
        [d.render() for d in result.diagnostics]
    assert all(d.path == "model.py" for d in result.diagnostics)


def test_all_diagnostics_of_a_file_are_reported_in_order():
    src = "a = 1  # glovec: oneof([2, 3])\nb = 1  # glovec: onef([1])\nc = 5  # glovec: intv(0, 3)\n"
    result = compile_source(src, "m.py")
    assert [(d.code, d.line) for d in result.diagnostics] == [("GV112", 1), ("GV102", 2), ("GV113", 3)]
    assert result.diagnostics[1].render() == "m.py:2:18: GV102 unknown primitive 'onef' (did you mean 'oneof'?)"


def test_positions_count_characters_and_tabs():
    result = compile_source("f('é',\t3)  # glovec: arg1=oneof([1, 2])\n", "m.py")
    (d,) = result.diagnostics
    assert (d.code, d.line, d.col) == ("GV112", 1, 8)


@pytest.mark.parametrize("src, line", [
    ("x = 1  # glovec: oneof([1, 2])\n", 1),
    ('"""Doc."""\nx = 1  # glovec: oneof([1, 2])\n', 2),
    ('#!/usr/bin/env python\n# coding: utf-8\nx = 1  # glovec: oneof([1, 2])\n', 3),
    ('"""Doc."""\nfrom __future__ import annotations\nfrom __future__ import division\nx = 1\n', 4),
    ('"""Doc."""', 2),
    ("", 1),
])
def test_header_line_and_its_number(src, line):
    result = compile_source(src, "m.py")
    code = result.code
    # the compiler says where it wrote the header, and the one reader finds it there
    assert result.header_line == header.locate(code) == line
    lines = code.splitlines()
    assert lines[line - 1].startswith("import glovec.runtime as _gv; _gv.program(__name__, __file__, \"m.py\", ")
    assert f'"m.py", {line}, ' in lines[line - 1]
    assert len(lines) == len(src.splitlines()) + 1


def test_space_of_a_conditional_site():
    src = "b = conv(16)  # glovec: oneof([conv(oneof([16, 32])), pool(floatv(0.1, 0.9)), skip])\n"
    result = compile_source(src, "m.py")
    (site,) = result.space_doc["sites"]
    assert site["id"] == "b" and site["default"] == 0
    assert site["candidates"] == ["conv(oneof([16, 32]))", "pool(floatv(0.1, 0.9))", "skip"]
    child0, = site["children"]["0"]
    child1, = site["children"]["1"]
    assert (child0["id"], child0["default"], child0["candidates"]) == ("b[=0].conv.arg0", 0, ["16", "32"])
    assert (child1["id"], child1["kind"], child1["default"]) == ("b[=1].pool.arg0", "floatv", 0.1)
    assert result.size is None


def test_output_is_deterministic():
    src = "a = 1  # glovec: oneof([1, 2])\nb = conv(3)  # glovec: oneof([conv(intv(1, 5)), skip])\n"
    assert len({compile_source(src, "m.py").code for _ in range(3)}) == 1


def test_generated_header_names_the_source_relative_to_the_output(tmp_path):
    result = compile_source("x = 1\n", str(tmp_path / "src" / "model.py"),
                            output_path=str(tmp_path / "out" / "model_search.py"))
    assert '"../src/model.py"' in result.code.splitlines()[0]
    assert compile_source("x = 1\n", "src/model.py").space_doc["source"] == "src/model.py"


def test_rules_hook_adds_sites():
    from glovec.transforms.sites import SpecRequest

    def rules(program):
        import libcst as cst
        value = program.module.body[0].body[0].value
        assert isinstance(value, cst.Integer)
        return [SpecRequest(value, "oneof([16, 32, 64])", origin="rules.toml:3")]

    result = compile_source("width = 32\n", "m.py", rules=rules)
    assert result.space_doc["sites"][0]["id"] == "width"
    assert 'width = _gv.oneof("width", 1, (16, 32, 64))\n' in result.code
    bad = compile_source("width = 32\n", "m.py",
                         rules=lambda p: [SpecRequest(p.module.body[0].body[0].value, "oneof([1, 2])", "r.toml:1")])
    assert bad.diagnostics[0].render() == "m.py:1:9: GV112 r.toml:1: the program's value 32 is not one of the candidates (1, 2)"


MATERIALIZE = [
    ("oneof", "units = 64  # glovec: oneof([32, 64, 128])\n", {"units": 2},
     "units = 128  # glovec: oneof([32, 64, 128])\n"),
    ("floatv", "lr = 1e-3  # glovec: floatv(1e-4, 1e-1)\n", {"lr": 0.01}, "lr = 0.01  # glovec: floatv(1e-4, 1e-1)\n"),
    ("negative number in an operation", "y = x * 2  # glovec: intv(-4, 4)\n", {"y": -3},
     "y = x * (-3)  # glovec: intv(-4, 4)\n"),
    ("callee", "opt = Adam(1e-3)  # glovec: oneof([Adam, SGD])\n", {"opt": 1}, "opt = SGD(1e-3)  # glovec: oneof([Adam, SGD])\n"),
    ("nested", "b = conv(16)  # glovec: oneof([conv(oneof([16, 32])), pool(intv(1, 3))])\n",
     {"b": 1, "b[=1].pool.arg0": 3}, "b = pool(3)  # glovec: oneof([conv(oneof([16, 32])), pool(intv(1, 3))])\n"),
    ("nested in the program's candidate", "b = conv(16)  # glovec: oneof([conv(oneof([16, 32])), skip])\n",
     {"b": 0, "b[=0].conv.arg0": 1}, "b = conv(32)  # glovec: oneof([conv(oneof([16, 32])), skip])\n"),
    ("manyof keeps a tuple a tuple", "t = (1, 2)  # glovec: manyof(2, [1, 2, 3])\n", {"t": [2, 0]},
     "t = (3, 1)  # glovec: manyof(2, [1, 2, 3])\n"),
    ("repeat with equal decisions", "w = 8  # glovec: oneof([4, 8], repeat=2)\n", {"w[0]": 0, "w[1]": 0},
     "w = 4  # glovec: oneof([4, 8], repeat=2)\n"),
    ("class body", "class C:\n    n = 8\n    m = n  # glovec: oneof([n, 2 * n])\n", {"C.m": 1},
     "class C:\n    n = 8\n    m = 2 * n  # glovec: oneof([n, 2 * n])\n"),
    ("a parameter", "def f(x=3):  # glovec: x=intv(1, 5)\n    return x\n", {"f.x": 5},
     "def f(x=5):  # glovec: x=intv(1, 5)\n    return x\n"),
]


@pytest.mark.parametrize("src, decisions, expected", [c[1:] for c in MATERIALIZE], ids=[c[0] for c in MATERIALIZE])
def test_materialize(src, decisions, expected):
    assert materialize_source(src, "m.py", decisions) == expected


@pytest.mark.parametrize("src", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_materialize_defaults_returns_the_input(src):
    assert materialize_source(src, "m.py", {}) == src
