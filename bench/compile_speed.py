"""Compile speed: `glovec convert` on a 5,000-line program with 500 sites, against a bare libcst
parse + regenerate of the same text in the same run.

glovec's whole convert (decode, Python's syntax check, libcst parse, node spans, site finding,
space, rewrite, and the final parse of the generated code) is timed through
``glovec.compiler.compile_source``; the peer is ``libcst.parse_module(src).code``. Best of N
runs each, interleaved. Goal (issue 2): convert <= 2x the bare round trip.

    python bench/compile_speed.py [--quick] [--profile] [--no-save]
"""

from __future__ import annotations

import cProfile
import pstats
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import machine, parse_args, save, versions  # noqa: E402

HEADER = '''"""A generated training script: 5,000 lines, 500 marked sites."""
import keras
from keras import layers

'''

# Site lines, one of each kind a real program has (named arguments, values, callees, nested
# specs, ranges, manyof); each is one line of a block function.
SITE_LINES = [
    "    x = layers.Dense({n}, activation=\"relu\")(x)  # glovec: units=oneof([32, 64, 128])",
    "    x = layers.Conv2D({n}, 3, padding=\"same\")(x)  # glovec: kernel_size=oneof([3, 5])",
    "    rate = 0.{d}  # glovec: floatv(0.0, 0.9)",
    "    lr = 1e-3  # glovec: floatv(1e-4, 1e-1, scale=\"log\")",
    "    act = \"relu\"  # glovec: oneof([\"relu\", \"gelu\", \"tanh\"])",
    "    x = layers.Dropout(0.{d})(x)  # glovec: floatv(0.0, 0.9)",
    "    pool = layers.MaxPooling2D(2)  # glovec: oneof([layers.MaxPooling2D(2), layers.AveragePooling2D(2)])",
    "    opt = keras.optimizers.Adam(lr)  # glovec: oneof([keras.optimizers.Adam, keras.optimizers.SGD])",
    "    block = conv({n})  # glovec: oneof([conv(oneof([32, 64, 128])), identity, pool_op(intv(2, 4))])",
    "    depth = {d}  # glovec: intv(1, 9)",
    "    augment = [\"flip\", \"crop\"]  # glovec: manyof(2, [\"flip\", \"crop\", \"noise\"])",
]
PLAIN_LINES = [
    "    x = layers.Dense({n}, activation=\"relu\")(x)",
    "    x = layers.BatchNormalization()(x)",
    "    y = x + {d}  # a plain comment",
    "    values = [{d}, {n}, {d} * 2]",
    "    if y > {d}: x = layers.Activation(\"relu\")(x)",
    "    name = f\"block_{d}\"",
]


def program(lines: int = 5000, sites: int = 500, seed: int = 0) -> str:
    """A program of exactly ``lines`` lines holding exactly ``sites`` sites."""
    rnd = random.Random(seed)
    out = HEADER.splitlines()
    body_lines = lines - len(out) - 1
    per_block = 10  # def line + 9 body lines (the last is the return)
    blocks = body_lines // per_block
    site_slots = sorted(rnd.sample(range(blocks * 8), sites))
    slot = 0
    for b in range(blocks):
        out.append(f"def block_{b}(x):")
        for i in range(8):
            choose_site = slot < len(site_slots) and site_slots[slot] == b * 8 + i
            template = rnd.choice(SITE_LINES if choose_site else PLAIN_LINES)
            if choose_site:
                slot += 1
            out.append(template.format(n=rnd.choice([32, 64, 128]), d=rnd.randint(1, 8)))
        out.append("    return x")
    while len(out) < lines - 1:
        out.append("")
    out.append("print(block_0)  # glovec: objective")
    return "\n".join(out) + "\n"


def best(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    args = parse_args(__doc__, lambda p: p.add_argument(
        "--profile", action="store_true", help="also print where convert spends its time"))
    import libcst

    from glovec.compiler import compile_source

    source = program()
    lines = source.count("\n")
    result = compile_source(source, "model.py")
    assert result.ok, result.diagnostics[:3]
    site_count = len(result.space_doc["sites"])
    runs = 2 if args.quick else 5

    glovec_s = libcst_s = float("inf")
    for _ in range(runs):  # interleaved, best of each
        glovec_s = min(glovec_s, best(lambda: compile_source(source, "model.py"), 1))
        libcst_s = min(libcst_s, best(lambda: libcst.parse_module(source).code, 1))

    ratio = glovec_s / libcst_s
    rows = [("glovec convert (compile_source)", glovec_s), ("libcst parse + regenerate", libcst_s)]
    print(f"program: {lines:,} lines, {site_count} sites (+ objective marker); best of {runs}")
    print(f"{'':34}{'seconds':>10}{'lines/s':>12}")
    for name, seconds in rows:
        print(f"{name:34}{seconds:10.3f}{lines / seconds:12,.0f}")
    print(f"ratio convert / round trip: {ratio:.2f}x (goal <= 2x)")

    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        compile_source(source, "model.py")
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)

    save("compile_speed", {
        "machine": machine(),
        "versions": versions("libcst"),
        "lines": lines,
        "sites": site_count,
        "runs": runs,
        "glovec_convert_s": glovec_s,
        "libcst_round_trip_s": libcst_s,
        "glovec_lines_per_s": lines / glovec_s,
        "libcst_lines_per_s": lines / libcst_s,
        "ratio": ratio,
    }, args)


if __name__ == "__main__":
    main()
