"""Fuzzing the compiler: mutated specs and programs give valid output or diagnostics, never an
uncaught exception.

For every input: either ``code`` is None and there are diagnostics (known codes, positions
inside the file), or the code parses, keeps every line (one header added), carries a space the
runtime accepts, and materializing the defaults gives the input back unchanged.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glovec.compiler import compile_source
from glovec.runtime.geno import DNASpec
from glovec.transforms.diagnostics import CODES
from glovec.transforms.materialize import materialize_source
from glovec.transforms.source import NEWLINE_RE

CASES = Path(__file__).resolve().parent.parent / "fixtures" / "convert"
SEEDS = sorted((p.read_bytes() for p in CASES.glob("*/input.py")), key=len)

VALUES = ["1", "2", "3", "0", "-1", "0.5", "1e-3", "'a'", '"b"', "None", "True", "x", "f(1)",
          "[1, 2]", "(1, 2)", "oneof([1, 2])", "intv(0, 3)", "floatv(0.1, 1.0)", "lambda: 1",
          "x.y", "*a", "", "(y := 1)", "await z", "objective", "f'{x}'", "[]", "64", "128"]
OPTIONS = ["", ", name='n'", ", name=\"n\"", ", repeat=2", ", scale='log'", ", step=2", ", k=1",
           ", sorted=True", ", distinct=False", ", nmae='x'", ", repeat=0", ", scale=3"]
PRIMITIVES = ["oneof", "manyof", "permutate", "floatv", "intv", "oneoff", "objective", "metric",
              "report", "fixed", "units=oneof", "arg0=intv", "x=floatv"]
PROGRAM_LINES = ["x = {v}", "y = f({v}, {v})", "z = g(a={v}, b={v})", "return {v}", "print({v})",
                 "for i in range({v}):", "    w = {v}", "if {v}:", "    pass", "def h(p={v}):",
                 "class C:", "    q = {v}", "m = [", "    {v},", "]", "t = ({v},", "     {v})",
                 "lr: Annotated[float, floatv(0.1, 1.0)] = {v}", "from glovec.hints import floatv",
                 "from typing import Annotated", '"""doc"""', "from __future__ import annotations",
                 "# glovec: oneof([1, 2])", "async def k():", "    u = await {v}"]


@st.composite
def specs(draw) -> str:
    primitive = draw(st.sampled_from(PRIMITIVES))
    args = draw(st.lists(st.sampled_from(VALUES), max_size=3))
    if draw(st.booleans()):
        args = [f"[{', '.join(draw(st.lists(st.sampled_from(VALUES), max_size=4)))}]"] + args
    if primitive.endswith("manyof"):
        args = [draw(st.sampled_from(["1", "2", "3", "0", "'k'"]))] + args
    text = f"{primitive}({', '.join(args)}{draw(st.sampled_from(OPTIONS))})"
    if draw(st.integers(0, 5)) == 0:
        text = text[:-1] if draw(st.booleans()) else text + ", " + draw(st.sampled_from(PRIMITIVES))
    return text


@st.composite
def programs(draw) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        line = draw(st.sampled_from(PROGRAM_LINES)).replace("{v}", draw(st.sampled_from(VALUES)), 1)
        line = line.replace("{v}", draw(st.sampled_from(VALUES)))
        if draw(st.booleans()):
            line += "  # glovec: " + draw(specs())
        lines.append(line)
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines) + draw(st.sampled_from([newline, ""]))


HEADER_RE = re.compile(r"import glovec\.runtime as (_gv(_\d+)?); \1\.program\(")


def check(source: bytes | str) -> None:
    result = compile_source(source, "fuzz.py")
    if result.code is None:
        assert result.diagnostics
        text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
        lines = text.count("\n") + text.count("\r") - text.count("\r\n") + 1
        for d in result.diagnostics:
            assert d.code in CODES, d
            assert 1 <= d.line <= max(lines, 1) and d.col >= 1, d
        return
    assert not result.diagnostics
    ast.parse(result.code)
    text = source.decode("utf-8-sig") if isinstance(source, bytes) else source
    lines = NEWLINE_RE.split(result.code)
    # one header; its alias is _gv, or _gv_N where the program already binds _gv
    assert len([line for line in lines if HEADER_RE.match(line)]) == 1
    grown = len(lines) - len(NEWLINE_RE.split(text))
    # one header line; two line breaks more when it goes after a last line without one
    assert grown == 1 or (grown == 2 and not text.endswith(("\n", "\r"))), grown
    DNASpec.from_space_doc(result.space_doc)
    assert materialize_source(source, "fuzz.py", {}) == text


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(programs())
def test_generated_programs(source):
    check(source)


MUTATIONS = ("insert", "delete", "duplicate", "swap", "marker", "spec", "bytes", "crlf")


@FUZZ
@given(st.data())
def test_mutated_fixtures(data):
    source = data.draw(st.sampled_from(SEEDS))
    for _ in range(data.draw(st.integers(1, 3))):
        source = mutate(source, data)
    check(source)


def mutate(source: bytes, data) -> bytes:
    kind = data.draw(st.sampled_from(MUTATIONS))
    lines = source.split(b"\n")
    if kind == "insert":
        at = data.draw(st.integers(0, len(source)))
        piece = data.draw(st.sampled_from([b"(", b")", b"[", b"]", b",", b"#", b" ", b"\n", b"'", b'"',
                                           b"=", b"\t", b"oneof(", b"# glovec: ", b"\\", b":"]))
        return source[:at] + piece + source[at:]
    if kind == "delete":
        at = data.draw(st.integers(0, len(source)))
        return source[:at] + source[at + data.draw(st.integers(1, 12)):]
    if kind == "duplicate":
        i = data.draw(st.integers(0, len(lines) - 1))
        return b"\n".join(lines[:i + 1] + [lines[i]] + lines[i + 1:])
    if kind == "swap":
        i, j = data.draw(st.integers(0, len(lines) - 1)), data.draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
        return b"\n".join(lines)
    if kind in ("marker", "spec"):
        i = data.draw(st.integers(0, len(lines) - 1))
        line = lines[i].split(b"# glovec:")[0].rstrip() if kind == "spec" else lines[i]
        lines[i] = line + b"  # glovec: " + data.draw(specs()).encode()
        return b"\n".join(lines)
    if kind == "bytes":
        at = data.draw(st.integers(0, len(source)))
        return source[:at] + data.draw(st.sampled_from([b"\xff", b"\xc3", "é".encode(), b"\x00", b"\x0c"])) + source[at:]
    return source.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
