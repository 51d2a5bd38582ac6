"""The argparse preset and the `option` selector (issue 18): hyper-parameters found where
programs declare them (argparse options, dataclass fields, config attributes, parameter
defaults, TrainingArguments), `glovec space --explain`, and an option given after `--`."""

from __future__ import annotations

import json

import pytest

from conftest import trials_of
from glovec.cli import main
from glovec.compiler import compile_source
from glovec.transforms.rules import given_options, load_rules, match_rules

TRAIN = """\
import argparse
from dataclasses import dataclass, field

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=20, help="initial learning rate")
parser.add_argument("--batchSize", type=int, default=64, help="input batch size")
parser.add_argument("--dropout-p", type=float, default=0.6)
parser.add_argument("--hidden-dim", type=int, default=64)
parser.add_argument("--nlayers", type=int, default=2)
parser.add_argument("--num-heads", type=int, default=8)
parser.add_argument("--l2", type=float, default=5e-4)
parser.add_argument("--k", type=int, default=3, help="number of attention heads")
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--log-interval", type=int, default=10)
parser.add_argument("--test-batch-size", type=int, default=1000)
parser.add_argument("--workers", type=int, default=4)
parser.add_argument("--data", default="./data")
parser.add_argument("--save-model", action="store_true")
parser.add_argument("--dry-run", action="store_true", default=False)
parser.add_argument("--device", default="cpu")
parser.add_argument("--momentum", type=float, default=1.5)
parser.add_argument("--gamma", action="store_true", default=False)


@dataclass
class Config:
    learning_rate: float = 3e-4
    max_seq_length: int = field(default=128, metadata={"help": "sequence length"})
    warmup_ratio: float = field(default=0.1)


class Block:
    def __init__(self, width, dropout=0.4):
        self.width = width
"""


def _sites(text: str, rules: str = "argparse"):
    result = match_rules(rules, text, "train.py")
    assert not result.diagnostics, [d.render() for d in result.diagnostics]
    return result


def _specs(text: str, rules: str = "argparse") -> dict[int, str]:
    return {site.line: site.spec for site in _sites(text, rules).sites}


def test_argparse_options_by_name_help_and_type_with_ranges_from_the_default():
    specs = _specs(TRAIN)
    assert specs[5] == 'floatv(2.0, 200, scale="log", name="lr")'  # SGD's lr of 20: [2, 200] log
    assert specs[6] == 'oneof([32, 64, 128], name="batchSize")'  # camelCase is batch_size
    assert specs[7] == 'oneof([0.0, 0.1, 0.2, 0.3, 0.5, 0.6], name="dropout_p")'
    assert specs[8] == 'oneof([32, 64, 128], name="hidden_dim")'
    assert specs[9] == 'intv(1, 4, name="nlayers")'
    assert specs[10] == 'oneof([4, 8, 16], name="num_heads")'
    assert specs[11] == 'floatv(5e-05, 0.005, scale="log", name="l2")'
    assert specs[12] == 'oneof([1, 3, 6], name="k")'  # found by its help text alone
    # budget and bookkeeping options, flags and paths are no sites
    assert not set(specs) & set(range(13, 26))
    assert specs[28] == 'floatv(3e-05, 0.003, scale="log")'  # a dataclass field
    assert 29 not in specs  # max_seq_length: no family of hyper-parameters
    assert specs[30] == "floatv(0.0, 0.3)"  # field(default=0.1)
    assert specs[34] == "oneof([0.0, 0.1, 0.2, 0.3, 0.4, 0.5])"  # an __init__ default


def test_lr_of_one_and_a_dropout_of_point_six_stay_in_range():
    text = ('import argparse\np = argparse.ArgumentParser()\n'
            'p.add_argument("--lr", type=float, default=1.0, metavar="LR")\n'
            'p.add_argument("--drop", type=float, default=0.6)\n')
    specs = _specs(text)
    assert specs[3] == 'floatv(0.1, 10.0, scale="log", name="lr")'
    assert specs[4] == 'oneof([0.0, 0.1, 0.2, 0.3, 0.5, 0.6], name="drop")'


def test_config_objects_training_arguments_and_nested_config_dict():
    text = """\
import ml_collections
from transformers import TrainingArguments

config = ml_collections.ConfigDict()
config.learning_rate = 0.1
config.model.num_heads = 8
config.num_epochs = 100
args = TrainingArguments(output_dir="out", learning_rate=2e-5, per_device_train_batch_size=16,
                         per_device_eval_batch_size=16, weight_decay=0.01, warmup_ratio=0.1,
                         num_train_epochs=3, seed=42)
"""
    sites = _sites(text).sites
    found = {(s.line, s.target or s.param): s.spec for s in sites}
    assert found == {
        (5, "config.learning_rate"): 'floatv(0.01, 1.0, scale="log")',
        (6, "config.model.num_heads"): "oneof([4, 8, 16])",
        (8, "learning_rate"): 'floatv(2e-06, 0.0002, scale="log")',
        (8, "per_device_train_batch_size"): "oneof([8, 16, 32])",
        (9, "weight_decay"): 'floatv(0.001, 0.1, scale="log")',
        (9, "warmup_ratio"): "floatv(0.0, 0.3)",
    }


def test_pytorch_and_keras_extend_argparse():
    argparse_rules = {r.name for r in load_rules("argparse").rules}
    for preset in ("pytorch", "keras"):
        names = {r.name for r in load_rules(preset).rules}
        assert argparse_rules <= names
        assert _specs(TRAIN, preset)[5] == 'floatv(2.0, 200, scale="log", name="lr")'


def test_refusals_say_which_rule_and_why():
    refusals = {r.line: r for r in _sites(TRAIN).refusals}
    assert refusals[13].rule.name == "budget-option" and "skip = true" in refusals[13].reason
    assert "'*_interval'" in refusals[15].reason
    assert refusals[22].rule.name == "momentum-option"  # 1.5 is no momentum
    assert "where is false for x = 1.5: 0 <= x < 1" in refusals[22].reason
    assert refusals[23].rule.name == "gamma-option" and "it is a flag" in refusals[23].reason


def test_an_option_given_on_the_command_line_is_not_searched():
    assert given_options(["--lr", "0.5", "--batchSize=32", "-3", "pos", "--", "--x"]) == {
        "lr", "batch_size"}
    result = match_rules("argparse", TRAIN, "train.py", given=given_options(["--lr", "0.5"]))
    assert 5 not in {s.line for s in result.sites}
    assert any(r.line == 5 and "given after `--`" in r.reason for r in result.refusals)


SHADOWED = """\
import argparse


class Agent:
    def __init__(self, gamma: float = 0.99, lr: float = 1e-3, dropout: float = 0.1):
        self.gamma, self.lr, self.dropout = gamma, lr, dropout


parser = argparse.ArgumentParser()
parser.add_argument("--gamma", type=float, default=0.98, help="discount factor")
parser.add_argument("--learning-rate", dest="lr", type=float, default=3e-4)
args = parser.parse_args()
agent = Agent(**vars(args))
"""


@pytest.mark.parametrize("preset", ["argparse", "pytorch"])
def test_a_parameter_default_that_an_option_of_its_name_overrides_is_left_to_the_option(preset):
    result = _sites(SHADOWED, preset)
    lines = {site.line for site in result.sites}
    # The options are the sites; the defaults they override are not (a dest= counts as a name),
    # and a default no option shadows stays a site.
    assert {10, 11} <= lines and 5 in lines
    assert [s.param for s in result.sites if s.line == 5] == ["dropout"], result.sites
    said = [r.reason for r in result.refusals if r.line == 5]
    assert any("option --gamma has the same name" in r for r in said), said
    assert any("option --learning-rate has the same name" in r for r in said), said


def test_zero_defaults_loss_weights_and_small_latent_sizes():
    """A weight decay or warm-up of 0 is a choice too; loss weights search a log range; a
    latent size of 2 searches 1, 2 and 4 (the width rules start at 4)."""
    text = ('import argparse\np = argparse.ArgumentParser()\n'
            'p.add_argument("--weight_decay", type=float, default=0.0, help="Weight decay to use.")\n'
            'p.add_argument("--num_warmup_steps", type=int, default=0)\n'
            'p.add_argument("--content-weight", type=float, default=1e5)\n'
            'p.add_argument("--kl_coef", type=float, default=0.5)\n'
            'p.add_argument("--num_train_steps", type=int, default=1000)\n'
            'latent_dim = 2\n'
            'warmup_epochs = 0\n')
    specs = _specs(text)
    assert specs[3] == 'oneof([0.0, 1e-05, 0.0001, 0.001, 0.01], name="weight_decay")'
    assert specs[4] == 'oneof([0, 100, 500, 1000, 2000], name="num_warmup_steps")'
    assert specs[5] == 'floatv(10000.0, 1000000.0, scale="log", name="content_weight")'
    assert specs[6] == 'floatv(0.05, 5.0, scale="log", name="kl_coef")'
    assert 7 not in specs  # num_train_steps: the budget
    assert specs[8] == "oneof([1, 2, 4])"
    assert specs[9] == "oneof([0, 1, 2, 5])"


def test_reinforcement_learning_and_transformer_families():
    """Round three's families: GAE lambda, PPO's clip, passes over each rollout, a rollout length
    named by its help text (an epoch budget stays out), LayerDrop declared as a float field with
    default 0 (the program's 0 stays its spelling), *_pdrop, FFN widths, an activation by name,
    a mask ratio, an actor's learning rate, transformer layers and a patch size."""
    text = ('import argparse\nfrom dataclasses import dataclass, field\n'
            'p = argparse.ArgumentParser()\n'
            'p.add_argument("--gae-lambda", type=float, default=0.95, help="the lambda for GAE")\n'
            'p.add_argument("--clip-coef", type=float, default=0.2)\n'
            'p.add_argument("--update-epochs", type=int, default=4, help="the K epochs to update")\n'
            'p.add_argument("--steps", type=int, default=2048, help="pairs to roll out per epoch")\n'
            'p.add_argument("--epochs", type=int, default=10, help="the number of epochs")\n'
            '@dataclass\nclass Config:\n'
            '    layerdrop: float = field(default=0)\n'
            '    attn_pdrop: float = 0.1\n'
            '    ffn_embed_dim: int = 2048\n'
            '    activation_fn: str = "relu"\n'
            '    mask_ratio: float = 0.75\n'
            '    lr_actor: float = 3e-4\n'
            '    transformer_layers: int = 8\n'
            '    patch_size: int = 16\n')
    assert _specs(text) == {
        4: 'oneof([0.9, 0.95, 0.97, 0.99], name="gae_lambda")',
        5: 'oneof([0.1, 0.2, 0.3], name="clip_coef")',
        6: 'oneof([2, 4, 8], name="update_epochs")',
        7: 'oneof([1024, 2048, 4096], name="steps")',
        11: "oneof([0, 0.1, 0.2, 0.3, 0.5])",
        12: "oneof([0.0, 0.1, 0.2, 0.3, 0.5])",
        13: "oneof([1024, 2048, 4096])",
        14: 'oneof(["relu", "gelu", "elu", "tanh"])',
        15: "floatv(0.375, 0.95)",
        16: 'floatv(3e-05, 0.003, scale="log")',
        17: "intv(4, 16)",
        18: "oneof([8, 16, 32])",
    }


def test_off_policy_rl_fine_tuning_and_augmentation_families():
    """Round four's families: an off-policy learner's update period (named like a *_freq budget,
    tried first), gradient steps, replay buffer (smaller only), learning starts, soft-update tau,
    exploration noise; a minibatch count; a rollout length named num_steps whose help says
    "rollout" (a plain --num-steps stays a budget); scheduler choices whatever the declared type;
    layers to unfreeze; mixup alpha (0, off, searches switching it on: round five). A module-level
    BUFFER_SIZE (tf.data's shuffle buffer) and a logging --log-freq stay out."""
    text = ('import argparse\n'
            'p = argparse.ArgumentParser()\n'
            'p.add_argument("--train-freq", type=int, default=4, help="the frequency of training")\n'
            'p.add_argument("--num-minibatches", type=int, default=4)\n'
            'p.add_argument("--num-steps", type=int, default=128, help="steps per policy rollout")\n'
            'p.add_argument("--max-steps", type=int, default=1000, help="steps to train")\n'
            'p.add_argument("--lr_scheduler_type", type=SchedulerType, default="linear",\n'
            '               choices=["linear", "cosine"])\n'
            'p.add_argument("--log-freq", type=int, default=10)\n'
            'p.add_argument("--mixup", type=float, default=0.0)\n'
            'BUFFER_SIZE = 10000\n'
            'class SAC:\n'
            '    def __init__(self, buffer_size: int = 1_000_000, learning_starts=100, tau=0.005,\n'
            '                 gradient_steps=1, policy_noise=0.2, layers_to_unfreeze=20,\n'
            '                 mixup_alpha=0.2):\n'
            '        self.buffer_size = buffer_size\n')
    result = _sites(text)
    by_line: dict[int, list[str]] = {}
    for site in result.sites:
        by_line.setdefault(site.line, []).append(site.spec)
    assert by_line == {
        3: ['oneof([1, 2, 4, 8, 16], name="train_freq")'],
        4: ['oneof([2, 4, 8], name="num_minibatches")'],
        5: ['oneof([64, 128, 256], name="num_steps")'],
        7: ['oneof(["linear", "cosine"], name="lr_scheduler_type")'],
        10: ['oneof([0.0, 0.2, 0.4, 0.8, 1.0], name="mixup")'],
        13: ["oneof([10000, 100000, 1000000])", "oneof([0, 50, 100, 200])",
             'floatv(0.0005, 0.05, scale="log")'],
        14: ["oneof([1, 2, 4, 8])", "floatv(0.1, 0.4)", "oneof([10, 20, 40])"],
        15: ["oneof([0.1, 0.2, 0.4, 0.8, 1.0])"],
    }
    left = {r.line: r.rule.name for r in result.refusals}
    assert left[6] == "budget-option" and left[9] == "budget-option"


def test_schedule_target_network_and_averaging_families():
    """Round five's families: a DQN's hard target-update period (named like a logging interval;
    1, every step, stays), a warm-up's length as lr_warmup_* and its start factor, a step
    schedule's period (1 stays), an EMA decay, settings switched off at 0 (random erasing,
    learning starts) searched from 0; the same names as YAML keys, gamma, loss coefficients and
    a weight decay of 0 among them."""
    text = ('import argparse\n'
            'from dataclasses import dataclass\n'
            'p = argparse.ArgumentParser()\n'
            'p.add_argument("--lr-warmup-epochs", default=0, type=int)\n'
            'p.add_argument("--lr_warmup_steps", type=int, default=500)\n'
            'p.add_argument("--lr-warmup-decay", default=0.01, type=float)\n'
            'p.add_argument("--lr-step-size", default=30, type=int)\n'
            'p.add_argument("--random-erase", default=0.0, type=float)\n'
            'p.add_argument("--model-ema-decay", type=float, default=0.99998)\n'
            'p.add_argument("--log-interval", type=int, default=100)\n'
            '@dataclass\n'
            'class Args:\n'
            '    target_network_frequency: int = 500\n'
            '    learning_starts: int = 0\n'
            '    target_update_interval: int = 1\n'
            '    step_size: int = 1\n')
    assert _specs(text) == {
        4: 'oneof([0, 1, 2, 5], name="lr_warmup_epochs")',
        5: 'oneof([0, 250, 500, 1000], name="lr_warmup_steps")',
        6: 'floatv(0.001, 0.1, scale="log", name="lr_warmup_decay")',
        7: 'oneof([15, 30, 60], name="lr_step_size")',
        8: 'oneof([0.0, 0.1, 0.25, 0.5], name="random_erase")',
        9: 'oneof([0.99, 0.999, 0.9999, 0.99998], name="model_ema_decay")',
        13: "oneof([125, 250, 500, 1000, 2000])",
        14: "oneof([0, 100, 1000, 10000])",
    }
    torch_text = ('import torch\n'
                  'sched = torch.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)\n'
                  'every = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)\n'
                  'plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5)\n')
    specs = [(s.line, s.spec) for s in _sites(torch_text, "pytorch").sites]
    assert (2, "oneof([15, 30, 60])") in specs and (4, "oneof([0.1, 0.2, 0.5])") in specs
    assert [line for line, _spec in specs].count(3) == 1  # gamma 0.7 only; step_size 1 stays
    keras_text = ('import keras\nfrom keras import layers\n'
                  'up = layers.Conv2DTranspose(128, (4, 4), strides=2)\n'
                  'cb = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=5)\n')
    assert _specs(keras_text, "keras") == {3: "oneof([64, 128, 256])",
                                          4: "oneof([0.1, 0.2, 0.5])"}
    from glovec.transforms.configs import compile_configs

    yaml = ("agent:\n  gamma: 0.99\n  target_update_interval: 10000\n  learning_starts: 0\n"
            "  ema_decay: 0.999\n  log_interval: 100\n  ent_coef: 0.01\n  weight_decay: 0.0\n")
    result = compile_configs([("dqn.yaml", yaml)], load_rules("argparse"), [], "dqn.yaml")
    chosen = {s.line: rule.name for config in result.files for s in config.sites
              for rule in [config.chosen[id(s)][0]]}
    assert chosen == {2: "gamma-key", 3: "target-update-period-key",
                      4: "learning-starts-zero-key", 5: "ema-decay-key", 7: "loss-weight-key",
                      8: "weight-decay-zero-key"}


def test_keras_augmentation_factors():
    """A single augmentation factor, by keyword or position (RandomBrightness's signature is in
    the table); a (low, high) tuple and RandomFlip stay as they are."""
    text = ('import keras\nfrom keras import layers\n'
            'aug = keras.Sequential([\n'
            '    layers.RandomRotation(0.1),\n'
            '    layers.RandomZoom(height_factor=0.2, width_factor=(-0.1, 0.1)),\n'
            '    layers.RandomContrast(factor=0.15),\n'
            '    layers.RandomBrightness(0.2),\n'
            '    layers.RandomFlip("horizontal"),\n'
            '])\n')
    assert _specs(text, "keras") == {
        4: "oneof([0.05, 0.1, 0.2, 0.3])",
        5: "oneof([0.05, 0.1, 0.2, 0.3])",
        6: "oneof([0.05, 0.1, 0.15, 0.2, 0.3])",
        7: "oneof([0.05, 0.1, 0.2, 0.3])",
    }


def test_pytorch_literals_that_keep_shapes_and_training_loop_literals():
    """A Transformer layer's feed-forward width and a stack's depth (no tensor shape changes),
    gradient clipping, label smoothing, OneCycleLR's max_lr, Lightning's gradient_clip_val, timm's
    drop rates and torchvision augmentation strengths (v2 read as v1); an nn.Linear width and an
    LSTM's hidden_size stay as they are (the next layer's input size)."""
    text = ('import torch, timm, lightning as L\nfrom torch import nn\n'
            'from torchvision.transforms import v2 as T\n'
            'layer = nn.TransformerEncoderLayer(64, 4, dim_feedforward=256)\n'
            'rnn = nn.LSTM(28, 64, 2)\n'
            'head = nn.Linear(64, 32)\n'
            'torch.nn.utils.clip_grad_norm_(params, 1.0)\n'
            'loss = nn.CrossEntropyLoss(label_smoothing=0.1)\n'
            'sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.01, total_steps=1000)\n'
            'trainer = L.Trainer(max_epochs=10, gradient_clip_val=0.5)\n'
            'model = timm.create_model("resnet50", drop_rate=0.2, drop_path_rate=0.05)\n'
            'aug = T.Compose([T.RandomRotation(15), T.ColorJitter(0.4, 0.4), T.RandomErasing(p=0.25)])\n')
    assert _specs(text, "pytorch") == {
        4: "oneof([128, 256, 512])",
        5: "intv(1, 4)",
        7: 'floatv(0.1, 10.0, scale="log")',
        8: "oneof([0.0, 0.05, 0.1, 0.2])",
        9: 'floatv(0.001, 0.1, scale="log")',
        10: 'floatv(0.05, 5.0, scale="log")',
        11: "oneof([0.0, 0.05, 0.1, 0.2, 0.3, 0.5])",
        12: "oneof([0.1, 0.25, 0.5])",
    }
    by_rule = [site.rule.name for site in _sites(text, "pytorch").sites]
    assert by_rule[-5:] == ["timm-drop-path-rate", "rotation-degrees", "color-jitter-brightness",
                            "color-jitter-contrast", "random-erasing-p"]


def test_keras_schedules_regularizers_and_recurrent_dropout():
    text = ('import keras\nfrom keras import layers, regularizers\n'
            'sched = keras.optimizers.schedules.ExponentialDecay(1e-3, decay_steps=1000, decay_rate=0.9)\n'
            'opt = keras.optimizers.AdamW(learning_rate=sched, weight_decay=0.004)\n'
            'dense = layers.Dense(8, kernel_regularizer=regularizers.l2(1e-4))\n'
            'rnn = layers.LSTM(4, recurrent_dropout=0.2)\n'
            'sgd = keras.optimizers.SGD(0.01, momentum=0.9)\n')
    sites = _sites(text, "keras").sites
    assert [(s.line, s.rule.name) for s in sites] == [
        (3, "schedule-initial-learning-rate"), (3, "schedule-decay-rate"), (4, "weight-decay"),
        (5, "l2-regularizer"), (6, "recurrent-state-dropout"), (7, "learning-rate"),
        (7, "momentum")]


def test_literals_passed_to_the_programs_own_functions():
    """`build_model(num_heads=4)`: a param rule selects the value passed for the parameter (by
    keyword, or positionally), as it selects the parameter's default; calls to names the
    program imports are left to call rules."""
    text = """\
from somewhere import build_remote


def build_model(shape, head_size, num_heads, *blocks, dropout=0):
    return shape


class Block:
    def __init__(self, hidden_size, rate=0.1):
        self.hidden_size = hidden_size


model = build_model((500, 1), 256, 4, 7, dropout=0.25)
block = Block(64)
other = build_remote(num_heads=4, dropout=0.25)
"""
    result = _sites(text)
    found = {(s.line, s.param): s.spec for s in result.sites}
    assert found == {
        (9, "rate"): "oneof([0.0, 0.1, 0.2, 0.3, 0.5])",
        (13, "head_size"): "oneof([128, 256, 512])",
        (13, "num_heads"): "oneof([2, 4, 8])",
        (13, "dropout"): "oneof([0.0, 0.1, 0.2, 0.25, 0.3, 0.5])",
        (14, "hidden_size"): "oneof([32, 64, 128])",
    }
    why = next(s.why for s in result.sites if s.line == 13 and s.param == "num_heads")
    assert why.startswith("passed for parameter num_heads of build_model(), defined in this program")


def test_an_optimizer_option_searches_its_own_choices(tmp_path, capsys):
    program = tmp_path / "train.py"
    program.write_text(
        'import argparse\np = argparse.ArgumentParser()\n'
        'p.add_argument("--optimizer", default="adam", choices=["sgd", "adam", "adamw"])\n'
        'p.add_argument("--activation", default="relu")\n'
        'p.add_argument("--dataset", default="mnist", choices=["mnist", "cifar10"])\n'
        'args = p.parse_args()\n')
    assert main(["space", str(program), "--rules", "argparse", "--explain"]) == 0
    out = capsys.readouterr().out
    assert '"sgd" | "adam" | "adamw"' in out
    assert "--activation: the name matches 'activation', but the option declares no literal " \
           "choices= list" in out
    assert "mnist" not in out.split("why each site")[0]  # a data set is no hyper-parameter


def test_choices_template_goes_with_option(tmp_path, capsys):
    rules = _rules(tmp_path, '[[rule]]\nassign = "opt"\nvalues = "choices"\n')
    program = tmp_path / "train.py"
    program.write_text('opt = "adam"\n')
    assert main(["space", str(program), "--rules", rules]) == 1
    err = capsys.readouterr().err
    assert 'rules.toml:3:10: GV305 values = "choices" searches an argparse option' in err


# ---- the option selector in a rules file of one's own ------------------------------------


def _rules(tmp_path, text: str) -> str:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    return str(path)


def test_option_selector_with_help_and_type(tmp_path):
    rules = _rules(tmp_path, """\
[[rule]]
option = "--hidden-size"      # any spelling: matched as hidden_size
type = "int"
values = "[x // 2, x, x * 2]"

[[rule]]
option = "*"
help = "*temperature*"
values = "[x / 2, x, x * 2]"
""")
    text = ('import argparse\np = argparse.ArgumentParser()\n'
            'p.add_argument("--hiddenSize", type=int, default=32)\n'
            'p.add_argument("--hidden_size2", type=int, default=32)\n'
            'p.add_argument("--tau", type=float, default=1.0, help="Softmax Temperature")\n')
    result = compile_source(text, "train.py", rules=rules)
    assert not result.diagnostics and not result.warnings
    assert [(s["line"], s["kind"]) for s in result.space_doc["sites"]] == [(3, "oneof"), (5, "oneof")]


@pytest.mark.parametrize("rules_text, said", [
    ('[[rule]]\nassign = "lr"\nhelp = "*rate*"\nvalues = "[x, x * 2]"\n',
     "rules.toml:3:8: GV306 help goes with option"),
    ('[[rule]]\noption = "lr"\ntype = "double"\nvalues = "[x, x * 2]"\n',
     "rules.toml:3:8: GV306 type 'double' is not one glovec reads"),
    ('[[rule]]\noption = "lr"\nassign = "lr"\nvalues = "[x, x * 2]"\n',
     "GV304 a rule has exactly one selector: call (with arg), assign, param, option, key or factor"),
])
def test_bad_option_rules_are_diagnostics_in_the_rules_file(tmp_path, capsys, rules_text, said):
    rules = _rules(tmp_path, rules_text)
    program = tmp_path / "train.py"
    program.write_text("lr = 0.1\n")
    assert main(["space", str(program), "--rules", rules]) == 1
    err = capsys.readouterr().err
    assert said in err and err.startswith(rules)


def test_an_option_rule_that_matches_nothing_warns_with_a_guess(tmp_path, capsys):
    rules = _rules(tmp_path, '[[rule]]\noption = "--learning-rat"\nvalues = "[x, x * 2]"\n')
    program = tmp_path / "train.py"
    program.write_text('import argparse\np = argparse.ArgumentParser()\n'
                       'p.add_argument("--learning-rate", type=float, default=0.1)\n')
    assert main(["space", str(program), "--rules", rules]) == 0
    err = capsys.readouterr().err
    assert "GV312" in err and "no option learning_rat (did you mean 'learning_rate'?)" in err


# ---- the command line --------------------------------------------------------------------


def test_space_explain_says_which_rule_chose_and_refused(tmp_path, capsys):
    program = tmp_path / "train.py"
    program.write_text(TRAIN)
    assert main(["space", str(program), "--rules", "pytorch", "--explain"]) == 0
    out = capsys.readouterr().out
    assert (f"  lr  {program}:5:49  preset argparse:") in out
    assert ("(learning-rate-option): option --lr: the name matches 'lr'; where holds: x > 0; "
            "x = 20 -> floatv(2.0, 200, scale=\"log\", name=\"lr\")") in out
    assert "option --k: the help 'number of attention heads' " \
        "matches '*number of*heads*'" in out
    assert f"{program}:13:51  x = 10  preset argparse:" in out  # --epochs
    assert "(budget-option): option --epochs: the name matches 'epochs': kept out" in out
    assert "argparse defaults: lr, batchSize," in out and "a value given after `--` wins" in out

    assert main(["space", str(program), "--rules", "pytorch", "--explain", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    lr = next(s for s in doc["explain"]["sites"] if s["id"] == "lr")
    assert lr["options"] == ["--lr"] and lr["rule"].startswith("preset argparse:")
    assert any(r["line"] == 13 and "budget" in r["rule"] for r in doc["explain"]["left_alone"])


def test_space_explain_needs_rules(tmp_path, capsys):
    program = tmp_path / "train.py"
    program.write_text(TRAIN)
    assert main(["space", str(program), "--explain"]) == 2
    assert "give --rules" in capsys.readouterr().err


def test_space_with_program_arguments_shows_what_run_searches(tmp_path, capsys):
    program = tmp_path / "train.py"
    program.write_text(TRAIN)
    assert main(["space", str(program), "--rules", "argparse", "--json", "--", "--lr", "0.5"]) == 0
    ids = [s["id"] for s in json.loads(capsys.readouterr().out)["sites"]]
    assert "lr" not in ids and "batchSize" in ids


PROGRAM = """\
import argparse
parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.01, help="learning rate")
parser.add_argument("--hidden-size", type=int, default=64)
args = parser.parse_args()
score = args.lr + args.hidden_size / 1000
glovec_objective = score
print("lr", args.lr)
"""


@pytest.mark.parametrize("given", [False, True])
def test_run_uses_the_searched_default_and_a_value_after_dashes_wins(tmp_path, capsys, given):
    program = tmp_path / "train.py"
    program.write_text(PROGRAM)
    rules = _rules(tmp_path, 'extends = "argparse"\n\n[[rule]]\nassign = "glovec_objective"\n'
                             'values = "objective"\n')
    db = tmp_path / "study.db"
    extra = ["--", "--lr", "0.5"] if given else []
    status = main(["run", str(program), "--rules", rules, "--trials", "4", "--seed", "2",
                   "--study", str(db), *extra])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    trials = trials_of(db)
    assert [t[1] for t in trials] == ["completed"] * 4
    for _, _, dna, objective in trials:
        decisions = json.loads(dna)
        width = (32, 64, 128)[decisions["hidden_size"]]
        if given:  # not searched; the program used 0.5 in every trial
            assert "lr" not in decisions
            assert objective == pytest.approx(0.5 + width / 1000)
        else:  # the trial's lr is what argparse gave the program
            assert objective == pytest.approx(decisions["lr"] + width / 1000)
    assert ("given after `--` on the command line" in captured.err) == given
    assert program.read_text() == PROGRAM


def test_float_options_no_family_names_fall_back_to_a_range_around_the_default():
    """Round six: a float option no rule names is a continuous knob (log range, at most 1 where
    the default is at most 1); zeros, budgets written as floats, Adam's epsilon and a value a
    named rule refuses (a momentum of 1.5) stay; a probability's help bounds it to [0, 1]."""
    text = ('import argparse\np = argparse.ArgumentParser()\n'
            'p.add_argument("--temperature", type=float, default=0.7)\n'
            'p.add_argument("--margin", type=float, default=2.0)\n'
            'p.add_argument("--total", type=float, default=1e6)\n'
            'p.add_argument("--adam-eps", type=float, default=1e-8)\n'
            'p.add_argument("--momentum", type=float, default=1.5)\n'
            'p.add_argument("--mix", type=float, default=0.0, help="Probability of mixing")\n'
            'p.add_argument("--shift", type=float, default=0.0)\n'
            'p.add_argument("--ent-coef", type=float, default=0.0)\n')
    result = _sites(text)
    assert {s.line: s.spec for s in result.sites} == {
        3: 'floatv(0.07, 1.0, scale="log", name="temperature")',
        4: 'floatv(0.5, 8.0, scale="log", name="margin")',
        8: 'floatv(0.0, 1.0, name="mix")',
        10: 'oneof([0.0, 0.001, 0.01, 0.1], name="ent_coef")'}
    refused = {r.line: r.rule.name for r in result.refusals}
    assert refused == {6: "epsilon-option", 7: "momentum-option"}


def test_space_explain_names_the_float_fallback(tmp_path, capsys):
    program = tmp_path / "train.py"
    program.write_text('import argparse\np = argparse.ArgumentParser()\n'
                       'p.add_argument("--temperature", type=float, default=0.7)\n'
                       'args = p.parse_args()\n')
    assert main(["space", str(program), "--rules", "pytorch", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "(float-option-fallback): option --temperature: any option" in out
    assert 'floatv(0.07, 1.0, scale="log", name="temperature")' in out


def test_a_yaml_values_trailing_comment_is_its_help_text():
    from glovec.transforms.configs import compile_configs

    yaml = ("mosaic: 1.0  # image mosaic (probability)\nbox: 0.05  # box loss gain\n"
            "fl_gamma: 0.0  # focal loss gamma\ndegrees: 0.0  # image rotation (+/- deg)\n"
            "anchor_t: 4.0  # anchor-multiple threshold\nn_timesteps: !!float 1e7\n"
            "hsv_h: 0.015  # hue augmentation (fraction)\n"
            "lrf: 0.01  # final learning rate  # glovec: fixed\n"
            "flow: {a: 0.5}  # a probability (of the line, not of a)\n")
    result = compile_configs([("hyp.yaml", yaml)], load_rules("argparse"), [], "hyp.yaml")
    assert not result.diagnostics
    chosen = {s.line: (config.chosen[id(s)][0].name, config.chosen[id(s)][2])
              for config in result.files for s in config.sites}
    assert chosen == {
        1: ("probability-comment-key", "floatv(0.0, 1.0)"),
        2: ("gain-comment-key", 'floatv(0.0125, 0.2, scale="log")'),
        3: ("gain-zero-comment-key", "oneof([0.0, 0.5, 1.0, 2.0])"),  # gamma-key refuses 0
        5: ("float-key-fallback-large", 'floatv(1.0, 16.0, scale="log")'),
        7: ("fraction-comment-key", 'floatv(0.00375, 0.06, scale="log")'),
        9: ("float-key-fallback", 'floatv(0.05, 1.0, scale="log")')}
    why = {s.line: config.chosen[id(s)][1] for config in result.files for s in config.sites}
    assert why[1] == ("key mosaic matches '*'; the comment 'image mosaic (probability)' "
                      "matches '*probability*'")
    refused = {(r.line, r.rule.name) for config in result.files for r in config.refusals}
    assert (6, "budget-key") in refused and (8, "learning-rate-comment-key") in refused


def test_a_module_level_name_the_program_never_reads_is_no_hyper_parameter(tmp_path):
    """keras.io's ConvMixer declares learning_rate but builds its optimizer with a literal: the
    literal is searched, the constant is not; a config module (it reads none of its own
    constants: other files import them) and a rule the user wrote keep theirs."""
    program = ("import keras\nlearning_rate = 0.001\nnum_classes = 10\n"
               "model = keras.Sequential([keras.layers.Dense(num_classes)])\n"
               "model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001))\n")
    result = _sites(program, "keras")
    assert [s.line for s in result.sites] == [5]
    reason = next(r.reason for r in result.refusals if r.line == 2)
    assert reason.endswith("but the program never reads learning_rate, so it is no "
                           "hyper-parameter of it")
    assert _specs("learning_rate = 0.001\nbatch_size = 32\n") == {
        1: 'floatv(0.0001, 0.01, scale="log")', 2: "oneof([16, 32, 64])"}
    rules = tmp_path / "mine.toml"
    rules.write_text('extends = ["keras"]\n[[rule]]\nassign = "learning_rate"\n'
                     'values = "[x, x * 10]"\n')
    assert {s.line for s in match_rules(str(rules), program, "train.py").sites} == {2, 5}


def test_an_optimizer_parameter_groups_literals_are_left_alone_and_explained(tmp_path, capsys):
    """The no-decay group of a Hugging Face-style optimizer keeps its 0.0 (searching it would
    put weight decay on biases and norms); a plain hyper-parameter dict is still read."""
    program = tmp_path / "train.py"
    program.write_text(
        'import torch\n\n'
        'def build(model, args):\n'
        '    groups = [{"params": [], "weight_decay": args.weight_decay},\n'
        '              {"params": [], "weight_decay": 0.0}]\n'
        '    config = {"lr": 0.01, "weight_decay": 0.0}\n'
        '    return torch.optim.AdamW(groups, lr=config["lr"])\n')
    specs = _specs(program.read_text(), "pytorch")
    assert 5 not in specs
    assert specs[6].startswith("oneof([0.0, 1e-05")
    assert main(["space", str(program), "--rules", "pytorch", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "train.py:5:46  x = 0.0" in out and "an optimizer's parameter group" in out


def test_a_users_own_rule_still_takes_a_parameter_groups_value(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\nassign = ["weight_decay"]\nvalues = "[0.0, 0.01]"\n')
    text = 'groups = [{"params": [], "weight_decay": 0.0}]\n'
    assert {s.spec for s in match_rules(str(rules), text, "train.py").sites} == \
        {'oneof([0.0, 0.01])'}


def test_a_setting_written_as_a_constant_expression_is_the_number_it_evaluates_to(capsys,
                                                                                   tmp_path):
    """Round seven: CleanRL's ``buffer_size: int = int(1e6)``, ``2 ** 8``, ``1e-3 * 3`` and
    ``-(-0.005)`` are searched as 1000000, 256, 0.003 and 0.005; the converted program differs
    only inside each expression (the default candidate keeps its text), materialize writes a
    chosen value over the whole expression and the default back byte for byte; a call's
    computed argument (``Dense(7 * 7 * 64)``, a shape a Reshape repeats) stays, explained."""
    from glovec.transforms.materialize import materialize_source

    text = ("from dataclasses import dataclass\n\n\n@dataclass\nclass Args:\n"
            "    buffer_size: int = int(1e6)  # replay\n"
            "    learning_rate: float = 1e-3 * 3\n"
            "    batch_size: int = 2 ** 8\n"
            "    tau: float = -(-0.005)\n"
            "    total_timesteps: int = 1_000_000\n")
    assert _specs(text) == {6: "oneof([10000, 100000, 1000000])",
                            7: 'floatv(0.0003, 0.03, scale="log")',
                            8: "oneof([128, 256, 512])",
                            9: 'floatv(0.0005, 0.05, scale="log")'}
    result = compile_source(text, "train.py", rules="argparse")
    assert not result.diagnostics
    body = result.code.split("\n", 1)[1]
    assert body == text.replace(
        "int(1e6)", '_gv.oneof("Args.buffer_size", 2, (10000, 100000, int(1e6)))').replace(
        "1e-3 * 3", '_gv.floatv("Args.learning_rate", 1e-3 * 3)').replace(
        "2 ** 8", '_gv.oneof("Args.batch_size", 1, (128, 2 ** 8, 512))').replace(
        "-(-0.005)", '_gv.floatv("Args.tau", -(-0.005))')
    assert materialize_source(text, "train.py", {}, rules="argparse") == text
    chosen = materialize_source(text, "train.py", {"Args.buffer_size": 0}, rules="argparse")
    assert chosen == text.replace("int(1e6)", "10000")
    program = tmp_path / "train.py"
    program.write_text(text)
    assert main(["space", str(program), "--rules", "argparse", "--explain"]) == 0
    assert "x = int(1e6) (= 1000000) -> oneof([10000, 100000, 1000000])" in \
        capsys.readouterr().out
    keras = ("import keras\nmodel = keras.Sequential([keras.layers.Dense(7 * 7 * 64),\n"
             "    keras.layers.Reshape((7, 7, 64)), keras.layers.Dense(128)])\n")
    result = _sites(keras, "keras")
    assert [s.line for s in result.sites] == [3]
    assert any(r.line == 2 and "the argument is computed (7 * 7 * 64)" in r.reason
               for r in result.refusals)


def test_an_int_setting_no_rule_names_is_a_count_unless_its_name_says_data_or_bookkeeping():
    """Round seven's int fallback: C51's ``--n-atoms 101`` is searched around its value; sizes
    and lengths of the data, classes, environments, budgets, seeds and evaluation settings
    stay (each kept out by the word its name holds), and so do 0, 1 and values over 512."""
    text = ('import argparse\np = argparse.ArgumentParser()\n'
            'p.add_argument("--n-atoms", type=int, default=101, help="the number of atoms")\n'
            'p.add_argument("--num-envs", type=int, default=4)\n'
            'p.add_argument("--image-size", type=int, default=224)\n'
            'p.add_argument("--num-train-epochs", type=int, default=100)\n'
            'p.add_argument("--n-support", type=int, default=1)\n'
            'p.add_argument("--k", type=int, default=4096)\n'
            'args = p.parse_args()\n'
            'num_classes = 10\nbatch_eval = 512\nn_quantiles = 32\n'
            'print(num_classes, batch_eval, n_quantiles)\n')
    result = _sites(text)
    assert {s.line: (s.rule.name, s.spec) for s in result.sites} == {
        3: ("int-option-fallback", 'oneof([50, 101, 202], name="n_atoms")'),
        12: ("int-name-fallback", "oneof([16, 32, 64])")}
    refused = {r.line: r.rule.name for r in result.refusals}
    assert refused == {4: "int-data-option", 5: "int-data-option", 6: "int-data-option",
                       10: "int-data-name", 11: "int-data-name"}


def test_schedule_power_and_leaky_relu_slope():
    torch_text = ("import torch\nfrom torch.optim.lr_scheduler import PolynomialLR\n"
                  "def build(optimizer, n):\n"
                  "    return PolynomialLR(optimizer, total_iters=n, power=0.9)\n")
    assert _specs(torch_text, "pytorch") == {4: "oneof([0.5, 0.9, 1.0, 2.0])"}
    keras_text = ("import keras\nfrom keras import layers\n"
                  "model = keras.Sequential([layers.Dense(64), layers.LeakyReLU(negative_slope=0.2),"
                  "\n    layers.LeakyReLU(alpha=0.05), layers.LeakyReLU(negative_slope=1.5)])\n")
    specs = {(s.line, s.col): s.spec for s in _sites(keras_text, "keras").sites}
    assert specs[(3, 77)] == "oneof([0.01, 0.1, 0.2, 0.3])"
    assert specs[(4, 28)] == "oneof([0.01, 0.05, 0.1, 0.2, 0.3])"
    assert len(specs) == 3  # Dense(64) and the two slopes; a slope over 1 stays


def test_a_literal_that_scales_a_learning_rate_or_weights_a_loss_term_is_a_site(tmp_path):
    """The factor selector: torchvision's segmentation reference weights its auxiliary loss
    by 0.5 and gives the auxiliary head lr * 10; a formula's constant (a cosine schedule's
    0.5, inside a product) and a weight of an unnamed value stay."""
    text = ("def criterion(losses, kl):\n"
            "    return losses['out'] + 0.5 * losses['aux'] + 0.1 * kl_loss(kl)\n\n"
            "def groups(args, params, head):\n"
            "    return [{'params': params}, {'params': head, 'lr': args.lr * 10}]\n\n"
            "def cosine(base_lr, t, mean):\n"
            "    return base_lr * 0.5 * (1 + t) + 0.5 * (mean + 1)\n")
    result = _sites(text, "pytorch")
    assert {(s.line, s.rule.name, s.spec) for s in result.sites} == {
        (2, "loss-weight-factor", 'floatv(0.05, 5.0, scale="log")'),
        (2, "loss-weight-factor", 'floatv(0.01, 1.0, scale="log")'),
        (5, "learning-rate-factor", "oneof([1, 5, 10, 20])")}
    assert next(s.why for s in result.sites if s.line == 5) == \
        "the literal multiplies args.lr: the name matches 'lr'; where holds: x >= 2"
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\nfactor = "temperature"\nvalues = "[x / 2, x, x * 2]"\n')
    loaded = match_rules(str(rules), "def f(temperature):\n    return temperature * 2.0\n", "m.py")
    assert [s.spec for s in loaded.sites] == ["oneof([1.0, 2.0, 4.0])"]
    nothing = match_rules(str(rules), "def f(tau):\n    return tau * 2.0\n", "m.py")
    assert not nothing.sites and [w.message for w in nothing.warnings] == [
        "this rule matched nothing in m.py: no literal multiplies a value named temperature"]


def test_keywords_passed_to_the_programs_own_method_and_negative_floats():
    """keras.io's knowledge distillation overrides ``compile(..., alpha=0.1, temperature=3)``
    and calls it with ``alpha=0.1, temperature=10``: the call's values are searched by the
    fallbacks (the defaults and positional shapes are not); C51's ``--v-min -100.0`` is the
    mirror of a positive float."""
    text = ("import keras\n\nclass Distiller(keras.Model):\n"
            "    def compile(self, optimizer, alpha=0.1, temperature=3, head=64):\n"
            "        super().compile(optimizer=optimizer)\n\n"
            "def network(obs, act, width=64):\n    return obs, act, width\n\n"
            "def train(distiller):\n"
            "    distiller.compile(optimizer='adam', alpha=0.1, temperature=10, num_classes=10)\n"
            "    network(11, 3, width=8)\n"
            "    distiller.fit(epochs=3, verbose=2)\n")
    result = _sites(text, "keras")
    assert {(s.line, s.col): s.rule.name for s in result.sites} == {
        (7, 29): "width-param", (11, 33): "optimizer-name", (11, 47): "float-param-fallback",
        (11, 64): "int-param-fallback", (12, 26): "width-param"}
    specs = {(s.line, s.col): s.spec for s in result.sites}
    assert specs[(11, 47)] == 'floatv(0.01, 1.0, scale="log")'
    assert specs[(11, 64)] == "oneof([5, 10, 20])"
    why = next(s.why for s in result.sites if s.col == 47)
    assert why.startswith("passed for parameter alpha of Distiller.compile(), defined in this "
                          "program: the name matches '*'")
    options = ('import argparse\np = argparse.ArgumentParser()\n'
               'p.add_argument("--v-min", type=float, default=-100)\n')
    assert _specs(options) == {3: 'floatv(-400, -25.0, name="v_min")'}


def test_a_marker_matches_a_constant_expression_by_its_number():
    result = compile_source("width = 2 ** 10  # glovec: oneof([512.0, 1024.0])\n", "m.py")
    assert [d.code for d in result.diagnostics] == ["GV112"]  # 2 ** 10 is 1024, not 1024.0
    result = compile_source("width = 2 ** 10  # glovec: oneof([512, 1024])\n", "m.py")
    assert not result.diagnostics
    assert [s["default"] for s in result.space_doc["sites"]] == [1]
