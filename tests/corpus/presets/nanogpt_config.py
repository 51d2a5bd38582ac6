# Declarations from https://github.com/karpathy/nanoGPT/blob/master/model.py (GPTConfig) and
# the training defaults of https://github.com/karpathy/nanoGPT/blob/master/train.py, here as a
# dataclass as many projects write them
# presets: argparse pytorch
from dataclasses import dataclass

import torch


@dataclass
class GPTConfig:
    block_size: int = 1024
    vocab_size: int = 50304
    n_layer: int = 12  # label: config
    n_head: int = 12  # label: config
    n_embd: int = 768  # label: config
    dropout: float = 0.0  # label: config
    bias: bool = True


@dataclass
class TrainConfig:
    out_dir: str = "out"
    eval_interval: int = 2000
    log_interval: int = 1
    eval_iters: int = 200
    gradient_accumulation_steps: int = 40
    batch_size: int = 12  # label: config
    learning_rate: float = 6e-4  # label: config
    max_iters: int = 600000
    weight_decay: float = 1e-1  # label: config
    beta1: float = 0.9  # label: config
    beta2: float = 0.95  # label: config
    grad_clip: float = 1.0  # label: config
    decay_lr: bool = True
    warmup_iters: int = 2000  # label: config
    lr_decay_iters: int = 600000
    min_lr: float = 6e-5
    device: str = "cuda"
    compile: bool = True


def configure(config: TrainConfig, model: torch.nn.Module):
    return torch.optim.AdamW(model.parameters(), lr=config.learning_rate,
                             betas=(config.beta1, config.beta2), weight_decay=config.weight_decay)
