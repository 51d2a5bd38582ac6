"""Compile speed of the rules path: a 5,000-line program with the keras preset.

The program carries no `# glovec:` marker; the keras preset selects 500 values in it (one Dense
width per 10-line block). Measured in the same run, on the same text:

- the bare libcst round trip (parse + regenerate the code): the compiler issue's yardstick;
- `compile_source` without rules (the same program, no sites);
- `compile_source` with the keras preset (500 sites from rules);
- `compile_source` of the same program with those 500 sites written as `# glovec:` markers;
- the rules pass alone (`match_rules`: ast parse + walk + templates), for where the time goes.

Goal (compiler issue): the whole convert costs at most 2x the bare round trip. Nothing asserts a
time; figures and ratios are printed and written to bench/results/rules_speed.json.
"""

from __future__ import annotations

import time

from _common import machine, parse_args, save, versions

BLOCK = '''def block_{i}(x, scale=2):
    h = layers.Dense(64)(x)
    h = layers.Dense(10, activation="softmax")(h)
    y = h * scale + {i}
    values = [y for _ in range(3)]
    if values:
        print("block", {i}, len(values))
    label = f"block {i}"
    return h, label

'''


def program(blocks: int) -> str:
    head = "import keras\nfrom keras import layers\n\n\n"
    return head + "".join(BLOCK.format(i=i) for i in range(blocks))


def best_of(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    args = parse_args(__doc__)
    import libcst as cst

    from glovec.compiler import compile_source
    from glovec.transforms.rules import load_rules, match_rules

    blocks = 100 if args.quick else 500
    repeats = 2 if args.quick else 5
    text = program(blocks)
    # the same 500 sites written as `# glovec:` comments, for the cost of rules vs markers
    marked = text.replace("h = layers.Dense(64)(x)",
                          "h = layers.Dense(64)(x)  # glovec: units=oneof([32, 64, 128])")
    lines = text.count("\n")
    preset = load_rules("keras")  # loaded once, as the CLI does per run

    with_rules = compile_source(text, "big.py", rules="keras")
    assert not with_rules.diagnostics and len(with_rules.sites) == blocks, with_rules.diagnostics
    assert compile_source(text, "big.py").sites == []

    rows = {
        "libcst parse + regenerate": best_of(repeats, lambda: cst.parse_module(text).code),
        "compile_source, no rules": best_of(repeats, lambda: compile_source(text, "big.py")),
        "compile_source, keras preset": best_of(
            repeats, lambda: compile_source(text, "big.py", rules="keras")),
        "compile_source, same sites as markers": best_of(
            repeats, lambda: compile_source(marked, "big.py")),
        "rules pass alone (match_rules)": best_of(repeats, lambda: match_rules(preset, text)),
    }
    base = rows["libcst parse + regenerate"]
    print(f"{lines} lines, {len(with_rules.sites)} sites from the keras preset; best of {repeats}")
    print(f"{'what':38} {'seconds':>8} {'lines/s':>10} {'x round trip':>13}")
    for name, seconds in rows.items():
        print(f"{name:38} {seconds:8.3f} {lines / seconds:10,.0f} {seconds / base:13.2f}")
    ratio = rows["compile_source, keras preset"] / base
    print(f"\nconvert with the keras preset costs {ratio:.2f}x the bare libcst round trip "
          f"(goal: at most 2x); the rules add {rows['compile_source, keras preset'] / rows['compile_source, no rules']:.2f}x "
          "over compiling the same file without rules")
    save("rules_speed", {
        "lines": lines, "sites": len(with_rules.sites), "repeats": repeats,
        "seconds": rows, "lines_per_second": {k: lines / v for k, v in rows.items()},
        "ratio_to_round_trip": {k: v / base for k, v in rows.items()},
        "machine": machine(), "versions": versions("libcst"),
    }, args)


if __name__ == "__main__":
    main()
