# Declarations from https://github.com/pytorch/examples/blob/main/distributed/minGPT-ddp/mingpt/model.py
# and mingpt/trainer.py (the dataclass configs; the run's values come from a YAML file)
# presets: argparse pytorch
from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn as nn


@dataclass
class GPTConfig:
    model_type: str = "gpt2"
    n_layer: int = None
    n_head: int = None
    n_embd: int = None
    vocab_size: int = 50257
    block_size: int = 1024
    embd_pdrop: float = 0.1  # label: config
    resid_pdrop: float = 0.1  # label: config
    attn_pdrop: float = 0.1  # label: config


@dataclass
class OptimizerConfig:
    learning_rate: float = 3e-4  # label: config
    weight_decay: float = 0.1  # label: config


@dataclass
class TrainerConfig:
    max_epochs: int = None
    batch_size: int = None
    data_loader_workers: int = None
    grad_norm_clip: float = None
    snapshot_path: Optional[str] = None
    save_every: int = None
    use_amp: bool = None


class Block(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(config.n_embd)
        self.mlp = nn.Sequential(nn.Linear(config.n_embd, 4 * config.n_embd), nn.GELU(),
                                 nn.Linear(4 * config.n_embd, config.n_embd),
                                 nn.Dropout(config.resid_pdrop))


def create_optimizer(model: nn.Module, opt_config: OptimizerConfig):
    groups = [{"params": list(model.parameters()), "weight_decay": opt_config.weight_decay}]
    return torch.optim.AdamW(groups, lr=opt_config.learning_rate, betas=(0.9, 0.95))
