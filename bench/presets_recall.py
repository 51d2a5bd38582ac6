"""Recall and precision of the presets on a labelled corpus of public-style training scripts.

The corpus is tests/corpus/presets/ (its README says how files are labelled). Each file is
read, its `# label: ...` comments are blanked to spaces (same length, so every position stays
where it was and the presets cannot see a label), and the preset's rules are matched against
it (`match_rules`: the rule pass the compiler runs). A site counts for the labelled line it
starts on; a tie (one decision at several values: a layer's width and the input sizes it flows
into) is one site, at its first value.

Per preset:
- recall: labelled lines with at least one site / labelled lines (the `argparse` preset is
  scored on `config` labels, the declared hyper-parameters; `pytorch` and `keras` on all);
- precision: sites on a labelled line / sites.

A YAML config file of the corpus (`*.yaml`: Hydra/OmegaConf configs; the program that reads it is
in programs/) is labelled the same way, on the value's line, and scored with the config-file
pass the compiler runs for `--config` (`compile_configs`: the presets' `key` rules).

tests/corpus/presets_heldout/ (scripts written after the presets, never used to tune them) and
tests/corpus/presets_heldout2/ (written before the second round of preset changes and not
looked at during it), tests/corpus/presets_heldout3/ (the same for the third round) and
tests/corpus/presets_heldout4/ (the same for the fourth round), tests/corpus/presets_heldout5/
(the same for the fifth round), tests/corpus/presets_heldout6/ (the same for the sixth round),
tests/corpus/presets_heldout7/ (the same for the seventh round) and
tests/corpus/presets_heldout8/ (the same for the eighth round) are scored the same way, each in
its own table.

`--before` records the figures of the tree it runs in as bench/results/presets_recall_before.json,
for each corpus that file does not hold yet (a corpus's before figures are those of the presets
it was first scored with: run it on main's presets, before a preset change); a normal run
writes bench/results/presets_recall.json and prints the before figures beside the new ones.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

from _common import RESULTS, machine, parse_args, save, table

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus" / "presets"
HELDOUT = ROOT / "tests" / "corpus" / "presets_heldout"  # written after the presets, not tuned on
HELDOUT2 = ROOT / "tests" / "corpus" / "presets_heldout2"  # written before round two, not looked at
HELDOUT3 = ROOT / "tests" / "corpus" / "presets_heldout3"  # written before round three, not looked at
HELDOUT4 = ROOT / "tests" / "corpus" / "presets_heldout4"  # written before round four, not looked at
HELDOUT5 = ROOT / "tests" / "corpus" / "presets_heldout5"  # written before round five, not looked at
HELDOUT6 = ROOT / "tests" / "corpus" / "presets_heldout6"  # written before round six, not looked at
HELDOUT7 = ROOT / "tests" / "corpus" / "presets_heldout7"  # written before round seven, not looked at
HELDOUT8 = ROOT / "tests" / "corpus" / "presets_heldout8"  # written before round eight, not looked at
CORPORA = (("presets", CORPUS), ("heldout", HELDOUT), ("heldout2", HELDOUT2),
           ("heldout3", HELDOUT3), ("heldout4", HELDOUT4), ("heldout5", HELDOUT5),
           ("heldout6", HELDOUT6), ("heldout7", HELDOUT7), ("heldout8", HELDOUT8))
PRESETS = ("argparse", "pytorch", "keras")
_LABEL = re.compile(r"#\s*label:\s*(config|code)\s*$")
_PRESETS_LINE = re.compile(r"^#\s*presets:\s*(.+)$", re.M)


def read_corpus(folder: Path = CORPUS) -> list[dict]:
    """Each corpus file: its name, the presets it is scored under, its labels
    (line -> kind) and its text with the labels blanked."""
    files = []
    for path in sorted([*folder.glob("*.py"), *folder.glob("*.yaml")]):
        text = path.read_text(encoding="utf-8")
        header = _PRESETS_LINE.search(text)
        presets = header.group(1).split() if header else list(PRESETS)
        labels, lines = {}, []
        for number, line in enumerate(text.split("\n"), 1):
            match = _LABEL.search(line)
            if match:
                labels[number] = match.group(1)
                line = line[:match.start()] + " " * (len(line) - match.start())
            lines.append(line)
        blanked = "\n".join(lines)
        yaml = path.suffix == ".yaml"
        files.append({"name": path.name, "presets": presets, "text": blanked, "yaml": yaml,
                      "labels": {n: (n, n, kind) for n, kind in labels.items()} if yaml
                      else _spans(blanked, labels)})
    return files


_COMPOUND = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.For, ast.AsyncFor,
             ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try)


def _spans(text: str, labels: dict[int, str]) -> dict[int, tuple[int, int, str]]:
    """A label on the last line of a statement or keyword argument written over several lines
    (``add_argument(...,\n help="...")  # label``) covers all its lines: label line ->
    (first line, last line, kind)."""
    tree = ast.parse(text)
    first = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.stmt, ast.keyword)) and not isinstance(node, _COMPOUND) \
                and node.end_lineno in labels:
            first[node.end_lineno] = min(first.get(node.end_lineno, node.lineno), node.lineno)
    return {line: (first.get(line, line), line, kind) for line, kind in labels.items()}


def _label_of(labels: dict, line: int) -> int | None:
    for key, (start, end, _kind) in labels.items():
        if start <= line <= end:
            return key
    return None


def score(preset: str, files: list[dict]) -> dict:
    """Recall and precision of one preset (a name, a rules path or a RuleSet) on the files
    scored under ``name`` (the preset's name when a path is given, through ``as_name``)."""
    from glovec.transforms.rules import load_rules

    name = preset if isinstance(preset, str) and preset in PRESETS else None
    try:
        ruleset = load_rules(preset)
    except Exception as exc:  # a preset the tree does not have yet (before the change)
        return {"error": f"{type(exc).__name__}: {exc}".splitlines()[0]}
    labelled = found = sites = on_label = 0
    per_file, misses, extras = {}, [], []
    for entry in files:
        if name is not None and name not in entry["presets"]:
            continue
        labels = entry["labels"]
        wanted = {n for n, (_a, _b, kind) in labels.items()
                  if name != "argparse" or kind == "config"}
        found_sites = _sites(ruleset, entry)
        site_labels = [_label_of(labels, line) for line, _rule in found_sites]
        site_lines = [line for line, _rule in found_sites]
        hit = wanted & set(site_labels)
        good = sum(1 for label in site_labels if label is not None)
        labelled += len(wanted)
        found += len(hit)
        sites += len(site_lines)
        on_label += good
        per_file[entry["name"]] = {"labelled": len(wanted), "found": len(hit),
                                   "sites": len(site_lines), "sites_on_labels": good}
        misses += [f"{entry['name']}:{n}" for n in sorted(wanted - hit)]
        extras += [f"{entry['name']}:{line} ({rule})"
                   for (line, rule), label in zip(found_sites, site_labels) if label is None]
    return {"labelled": labelled, "found": found, "sites": sites, "sites_on_labels": on_label,
            "recall": found / labelled if labelled else None,
            "precision": on_label / sites if sites else None,
            "files": per_file, "missed": misses, "unlabelled_sites": extras}


def _sites(ruleset, entry: dict) -> list[tuple[int, str]]:
    """(line, rule name) of each site the rules choose in a corpus file: a program's by the rule
    pass, a YAML file's by the config-file pass (its sites are all key rules' here)."""
    if not entry["yaml"]:
        from glovec.transforms.rules import match_rules

        seen: set = set()  # a tie (one decision at several values) counts at its first value
        sites = match_rules(ruleset, entry["text"], entry["name"]).sites
        return [(s.line, s.rule.name) for s in sites
                if s.tie is None or not (s.tie in seen or seen.add(s.tie))]
    from glovec.transforms.configs import compile_configs

    result = compile_configs([(entry["name"], entry["text"])], ruleset, [], entry["name"])
    return [(s.line, config.chosen[id(s)][0].name) for config in result.files for s in config.sites]


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def main() -> None:
    args = parse_args(__doc__, lambda p: p.add_argument(
        "--before", action="store_true",
        help="record this tree's figures as the before figures (run on main's presets)"))
    sys.path.insert(0, str(ROOT))
    before_path = RESULTS / "presets_recall_before.json"
    recorded = json.loads(before_path.read_text()) if before_path.exists() else {}
    payload = {"machine": machine()}
    for key, folder in CORPORA:
        if not folder.is_dir():
            continue
        files = read_corpus(folder)
        results = {preset: score(preset, files) for preset in PRESETS}
        before = {} if args.before else recorded.get(key, {})
        _report(folder, files, results, before, args.quick)
        payload[key] = results
        payload[f"{key}_files"] = len(files)
    payload["corpus"] = str(CORPUS.relative_to(ROOT))
    if args.before:
        new = [key for key, _folder in CORPORA if key in payload and key not in recorded]
        kept = [key for key, _folder in CORPORA if key in recorded]
        merged = dict(recorded)
        for key in new:
            merged[key] = payload[key]
            merged[f"{key}_files"] = payload[f"{key}_files"]
            merged[f"{key}_machine"] = payload["machine"]
        if kept:
            print(f"kept the recorded before figures of {', '.join(kept)}")
        if new and not args.no_save:
            RESULTS.mkdir(exist_ok=True)
            before_path.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")
            print(f"wrote the before figures of {', '.join(new)} to "
                  f"{before_path.relative_to(ROOT)}")
        return
    payload["before"] = {key: {p: {k: recorded.get(key, {}).get(p, {}).get(k)
                                   for k in ("recall", "precision")} for p in PRESETS}
                         for key, _folder in CORPORA}
    save("presets_recall", payload, args)


def _report(folder: Path, files: list[dict], results: dict, before: dict, quick: bool) -> None:
    rows = []
    for preset in PRESETS:
        now, was = results[preset], before.get(preset, {})
        rows.append([preset, now.get("labelled", "-"),
                     _fmt(was.get("recall")), _fmt(now.get("recall")),
                     _fmt(was.get("precision")), _fmt(now.get("precision")),
                     now.get("sites", "-")])
    print(f"\n{len(files)} corpus files in {folder.relative_to(ROOT)}")
    print(table(rows, ["preset", "labels", "recall before", "recall", "precision before",
                       "precision", "sites"]))
    for preset in PRESETS:
        if results[preset].get("error"):
            print(f"{preset}: {results[preset]['error']}")
        elif not quick:
            missed = results[preset]["missed"]
            extra = results[preset]["unlabelled_sites"]
            print(f"{preset}: missed {len(missed)}: {', '.join(missed) or '-'}")
            print(f"{preset}: unlabelled sites {len(extra)}: {', '.join(extra) or '-'}")


if __name__ == "__main__":
    main()
