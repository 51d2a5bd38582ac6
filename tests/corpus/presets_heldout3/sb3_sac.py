# Declarations from https://github.com/DLR-RM/stable-baselines3/blob/master/stable_baselines3/sac/sac.py
# presets: argparse pytorch
from typing import Any, Dict, Optional, Tuple, Union

import torch
from torch import nn


class SoftActorCritic:
    """Soft actor-critic with a replay buffer (the constructor's defaults are its hyper-parameters)."""

    def __init__(
        self,
        policy: str,
        env: Any,
        learning_rate: float = 3e-4,  # label: config
        buffer_size: int = 1_000_000,  # label: config
        learning_starts: int = 100,  # label: config
        batch_size: int = 256,  # label: config
        tau: float = 0.005,  # label: config
        gamma: float = 0.99,  # label: config
        train_freq: Union[int, Tuple[int, str]] = 1,  # label: config
        gradient_steps: int = 1,  # label: config
        optimize_memory_usage: bool = False,
        ent_coef: Union[str, float] = "auto",
        target_update_interval: int = 1,
        target_entropy: Union[str, float] = "auto",
        use_sde: bool = False,
        sde_sample_freq: int = -1,
        stats_window_size: int = 100,
        tensorboard_log: Optional[str] = None,
        policy_kwargs: Optional[Dict[str, Any]] = None,
        verbose: int = 0,
        seed: Optional[int] = None,
        device: str = "auto",
    ):
        self.policy, self.env = policy, env
        self.learning_rate, self.buffer_size = learning_rate, buffer_size
        self.learning_starts, self.batch_size = learning_starts, batch_size
        self.tau, self.gamma = tau, gamma
        self.train_freq, self.gradient_steps = train_freq, gradient_steps
        self.ent_coef, self.target_entropy = ent_coef, target_entropy
        self.target_update_interval = target_update_interval
        self.seed, self.device, self.verbose = seed, device, verbose

    def soft_update(self, online: nn.Module, target: nn.Module) -> None:
        with torch.no_grad():
            for p, q in zip(online.parameters(), target.parameters()):
                q.mul_(1 - self.tau).add_(self.tau * p)
