"""The preset corpora as a regression check: recall and precision of each preset on the
labelled public-style training scripts (tests/corpus/presets/, and the held-out sets
presets_heldout/ to presets_heldout7/) stay at least what
was last measured (bench/presets_recall.py prints the figures)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from glovec.transforms.rules import load_rules, match_rules

ROOT = Path(__file__).resolve().parent.parent
PRESETS = ("argparse", "keras", "pytorch")
FLOORS = {  # measured (bench/results/presets_recall.json), rounded down
    "argparse": {"recall": 0.95, "precision": 0.95},  # round six: an unread batch_size, fallbacks;
    # 0.96 before a parameter default shadowed by an option of its name was left to the option
    # round four: mixup/cutmix alphas in the YAML; ties: 0.90 before layer widths were tied (this
    # corpus leaves nn.Linear / nn.Conv2d widths unlabelled: mnist_cnn, reinforce, vae)
    "pytorch": {"recall": 0.95, "precision": 0.86},  # 0.97 before the shadowed defaults
    "keras": {"recall": 0.98, "precision": 0.96},  # round six: an unread batch_size constant
}
HELDOUT_FLOORS = {  # tests/corpus/presets_heldout/: scripts the presets were not tuned on
    "argparse": {"recall": 1.0, "precision": 1.0},  # until round two: 0.45; round six: 0.91
    "pytorch": {"recall": 0.92, "precision": 0.92},  # 0.5 (a label added in round four); six: 0.84
    "keras": {"recall": 1.0, "precision": 0.78},  # 0.46; round five: the VAE's Conv2DTranspose
}
HELDOUT2_FLOORS = {  # tests/corpus/presets_heldout2/: not looked at in round two; round three's dev set
    # before round two: 0.62, round two: 0.67; 0.94 until a parameter default that an option of
    # its name overrides was left to the option: this corpus labels both (lightning_ppo's and
    # lightning_gan's __init__ defaults and their options); from heldout4 on only the option is
    "argparse": {"recall": 0.77, "precision": 0.98},
    "pytorch": {"recall": 0.77, "precision": 0.92},  # 0.63, 0.68; 0.96 / 0.93 (shadowed defaults)
    "keras": {"recall": 0.9, "precision": 0.93},  # 0.57, 0.73; six: 0.93 before an unread constant
}
HELDOUT3_FLOORS = {  # tests/corpus/presets_heldout3/: unseen in round three; round four's dev set
    "argparse": {"recall": 0.91, "precision": 0.95},  # before round three: 0.71, round three: 0.73;
    # seven: 1.0 before CleanRL's layer_init(..., std=1.0) keywords (the own-call fallback)
    "pytorch": {"recall": 0.97, "precision": 0.9},  # 0.67, 0.70; 0.93 before ties and std=
    "keras": {"recall": 0.93, "precision": 0.95},  # 0.73, 0.73; six: 1.0 before an unread constant
}
HELDOUT4_FLOORS = {  # tests/corpus/presets_heldout4/: unseen in round four; round five's dev set
    "argparse": {"recall": 0.96, "precision": 0.98},  # before round four: 0.47, round four: 0.75
    "pytorch": {"recall": 0.94, "precision": 0.92},  # 0.38, 0.68; 0.89 before ties and int(1e6)
    "keras": {"recall": 0.94, "precision": 0.76},  # 0.71, 0.76; seven: 0.82 before LeakyReLU
    # slopes (DCGAN's stack of five is labelled on its first only)
}
HELDOUT5_FLOORS = {  # tests/corpus/presets_heldout5/: unseen in round five; round six's dev set
    "argparse": {"recall": 0.89, "precision": 0.91},  # round five: 0.63 / 0.88; seven: std=
    "pytorch": {"recall": 0.91, "precision": 0.84},  # 0.57 / 0.82; 0.86 before ties
    "keras": {"recall": 0.73, "precision": 0.64},  # 0.70 / 0.57
}
HELDOUT6_FLOORS = {  # tests/corpus/presets_heldout6/: written before round six, scored after it
    "argparse": {"recall": 0.94, "precision": 0.95},  # round six (0.88 / 0.94); round seven's
    "pytorch": {"recall": 0.96, "precision": 0.82},  # and the ties' development set (0.76 / 0.78)
    "keras": {"recall": 0.94, "precision": 0.76},  # (0.72 / 0.72)
}


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        spec = importlib.util.spec_from_file_location("presets_recall",
                                                      ROOT / "bench" / "presets_recall.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return module


def test_the_corpus_is_labelled(bench):
    files = bench.read_corpus()
    assert len(files) >= 12
    files += bench.read_corpus(bench.HELDOUT) + bench.read_corpus(bench.HELDOUT2)
    files += bench.read_corpus(bench.HELDOUT3) + bench.read_corpus(bench.HELDOUT4)
    files += bench.read_corpus(bench.HELDOUT5) + bench.read_corpus(bench.HELDOUT6)
    files += bench.read_corpus(bench.HELDOUT7) + bench.read_corpus(bench.HELDOUT8)
    for entry in files:
        assert entry["labels"], entry["name"]
        assert set(entry["presets"]) <= set(bench.PRESETS), entry["name"]
        assert "label:" not in entry["text"], entry["name"]


def test_labels_cannot_influence_matching(bench):
    """The presets see the blanked text; every position stays where it was, and the label
    comments would not change a match anyway."""
    for _key, folder in bench.CORPORA:
        _same_matches(bench, folder)


def _same_matches(bench, folder):
    for entry in bench.read_corpus(folder):
        raw = (folder / entry["name"]).read_text(encoding="utf-8")
        assert [len(line) for line in raw.split("\n")] == [
            len(line) for line in entry["text"].split("\n")]
        for preset in entry["presets"]:
            if entry["yaml"]:  # a config file: the config-file pass (bench._sites)
                rules = load_rules(preset)
                assert bench._sites(rules, entry) == bench._sites(rules, dict(entry, text=raw))
                continue
            blanked = [(s.line, s.col, s.spec) for s in match_rules(preset, entry["text"]).sites]
            assert blanked == [(s.line, s.col, s.spec) for s in match_rules(preset, raw).sites]


@pytest.mark.parametrize("preset", sorted(FLOORS))
def test_recall_and_precision_stay_at_the_measured_floors(bench, preset):
    result = bench.score(preset, bench.read_corpus())
    assert result["recall"] >= FLOORS[preset]["recall"], result["missed"]
    assert result["precision"] >= FLOORS[preset]["precision"], result["unlabelled_sites"]


@pytest.mark.parametrize("preset", ["argparse", "pytorch"])
def test_the_presets_read_the_hydra_and_omegaconf_configs(bench, preset):
    """The YAML configs of the corpus (their programs in programs/), scored alone: measured
    0.89 recall and 0.89 precision (lin*_size widths are missed; since round five the
    torchvision recipe's warmup_decay and ema_decay are searched, which this corpus leaves
    unlabelled and presets_heldout4/ labels in the same recipe; since round six the float
    fallback searches the Lightning config's ReduceLROnPlateau factor, unlabelled here and
    labelled by presets_heldout4/ and presets_heldout5/'s policy)."""
    files = [f for f in bench.read_corpus() if f["yaml"]]
    assert len(files) >= 3
    result = bench.score(preset, files)
    assert result["recall"] >= 0.8, result["missed"]
    assert result["precision"] >= 0.89, result["unlabelled_sites"]
    for entry in files:  # each config's program is there and reads it by name
        program = bench.CORPUS / "programs" / entry["name"].replace(".yaml", ".py")
        assert entry["name"].removesuffix(".yaml") in program.read_text(encoding="utf-8")


HELDOUT7_FLOORS = {  # tests/corpus/presets_heldout7/: written before round seven, scored blind
    # after it (0.88 / 0.77, 0.83 / 0.68, 0.91 / 0.68); then the shadowed-defaults development set
    "argparse": {"recall": 0.87, "precision": 0.84},
    "pytorch": {"recall": 0.82, "precision": 0.76},
    "keras": {"recall": 0.9, "precision": 0.67},
}
HELD_OUT_FLOORS = {"heldout": HELDOUT_FLOORS, "heldout2": HELDOUT2_FLOORS,
                   "heldout3": HELDOUT3_FLOORS, "heldout4": HELDOUT4_FLOORS,
                   "heldout5": HELDOUT5_FLOORS, "heldout6": HELDOUT6_FLOORS,
                   "heldout7": HELDOUT7_FLOORS}


@pytest.mark.parametrize("corpus,preset", [(c, p) for c in HELD_OUT_FLOORS for p in PRESETS])
def test_held_out_scripts_stay_at_the_measured_floors(bench, corpus, preset):
    floors = HELD_OUT_FLOORS[corpus][preset]
    result = bench.score(preset, bench.read_corpus(dict(bench.CORPORA)[corpus]))
    assert result["recall"] >= floors["recall"], result["missed"]
    assert result["precision"] >= floors["precision"], result["unlabelled_sites"]


def test_the_sixth_held_out_corpus_is_labelled_by_its_policy(bench):
    """presets_heldout6/: eleven files from sources no other corpus has, one block of the SB3
    YAML, and the README's exclusions hold (budget, throughput, None defaults, strings and a
    value read only under a non-default switch carry no label)."""
    files = bench.read_corpus(bench.HELDOUT6)
    assert len(files) == 11
    sources = {}
    for _key, folder in bench.CORPORA:
        for path in sorted([*folder.glob("*.py"), *folder.glob("*.yaml")]):
            first = path.read_text(encoding="utf-8").split("\n", 1)[0]
            sources.setdefault(first, []).append(f"{folder.name}/{path.name}")
    for entry in files:
        first = (bench.HELDOUT6 / entry["name"]).read_text(encoding="utf-8").split("\n", 1)[0]
        assert first.startswith("# Declarations from "), entry["name"]
        assert sources[first] == [f"presets_heldout6/{entry['name']}"], sources[first]
    unlabelled = ("total_timesteps", "num_train_epochs", "epochs = ", "--epochs", "seed",
                  "gradient_accumulation_steps", "max_source_length", "num_envs", "num_beams",
                  "n_timesteps", "ent_coef", "use_sde", "alpha: float", "train_val_split",
                  "--workers", "num_samples", "lr_scheduler_type")
    for entry in files:
        raw = (bench.HELDOUT6 / entry["name"]).read_text(encoding="utf-8").split("\n")
        blanked = entry["text"].split("\n")
        for start, end, _kind in entry["labels"].values():
            statement = "\n".join(raw[start - 1:end])
            assert not any(word in statement for word in unlabelled), (entry["name"], statement)
            assert "default=None" not in statement, (entry["name"], statement)
        assert len(raw) == len(blanked)
    yaml_files = [f for f in files if f["yaml"]]
    assert [f["name"] for f in yaml_files] == ["sb3_zoo_sac.yaml"]
    blocks = [line for line in yaml_files[0]["text"].split("\n")
              if line and not line.startswith((" ", "#"))]
    assert blocks == ["BipedalWalker-v3:"]


@pytest.mark.parametrize("key", ["HELDOUT4", "HELDOUT5", "HELDOUT6", "HELDOUT7", "HELDOUT8"])
def test_the_later_held_out_configs_have_their_programs(bench, key):
    """A YAML config of presets_heldout4/ to presets_heldout8/ is read by its program in
    programs/, by name."""
    folder = getattr(bench, key)
    files = [f for f in bench.read_corpus(folder) if f["yaml"]]
    assert files
    for entry in files:
        program = folder / "programs" / entry["name"].replace(".yaml", ".py")
        assert entry["name"] in program.read_text(encoding="utf-8")


def test_the_main_presets_before_issue_18_fall_short(bench, tmp_path):
    """The scorer can fail: main's pytorch preset (without argparse) misses most labels."""
    old = tmp_path / "old.toml"
    old.write_text('[[rule]]\ncall = "torch.optim.*"\narg = "lr"\n'
                   'values = \'floatv(x / 10, x * 10, scale="log")\'\nwhere = "x > 0"\n')
    files = [dict(f, presets=["pytorch"]) for f in bench.read_corpus()
             if "pytorch" in f["presets"]]
    result = bench.score(str(old), files)
    assert result["recall"] < 0.1


def test_a_tie_counts_once(bench):
    """A tie (a layer's width and the input sizes it flows into: one decision) is one site, at
    its first value: its other values neither add recall nor cost precision."""
    from test_ties import DDPG

    entry = {"name": "ddpg.py", "presets": ["pytorch"], "text": DDPG, "yaml": False,
             "labels": {9: (9, 9, "code"), 22: (22, 22, "code"), 24: (24, 24, "code")}}
    result = bench.score("pytorch", [entry])
    assert result["found"] == 3
    # the tied input sizes on lines 10, 11, 24 and 26 are no extra sites
    assert [s for s in result["unlabelled_sites"] if "width-tie" in s] == []
