# Declarations from https://github.com/vwxyzjn/cleanrl/blob/master/cleanrl/sac_continuous_action.py
# presets: argparse pytorch
import os
import random
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import tyro


@dataclass
class Args:
    exp_name: str = os.path.basename(__file__)[: -len(".py")]
    """the name of this experiment"""
    seed: int = 1
    """seed of the experiment"""
    torch_deterministic: bool = True
    """if toggled, `torch.backends.cudnn.deterministic=False`"""
    cuda: bool = True
    """if toggled, cuda will be enabled by default"""
    wandb_entity: str = None
    """the entity (team) of wandb's project"""

    # Algorithm specific arguments
    env_id: str = "Hopper-v4"
    """the environment id of the task"""
    total_timesteps: int = 1000000
    """total timesteps of the experiments"""
    num_envs: int = 1
    """the number of parallel game environments"""
    buffer_size: int = int(1e6)  # label: config
    """the replay memory buffer size"""
    gamma: float = 0.99  # label: config
    """the discount factor gamma"""
    tau: float = 0.005  # label: config
    """target smoothing coefficient (default: 0.005)"""
    batch_size: int = 256  # label: config
    """the batch size of sample from the reply memory"""
    learning_starts: int = 5e3  # label: config
    """timestep to start learning"""
    policy_lr: float = 3e-4  # label: config
    """the learning rate of the policy network optimizer"""
    q_lr: float = 1e-3  # label: config
    """the learning rate of the Q network network optimizer"""
    policy_frequency: int = 2  # label: config
    """the frequency of training policy (delayed)"""
    target_network_frequency: int = 1  # Denis Yarats' implementation delays this by 2.  # label: config
    """the frequency of updates for the target nerworks"""
    alpha: float = 0.2
    """Entropy regularization coefficient."""
    autotune: bool = True
    """automatic tuning of the entropy coefficient"""


class SoftQNetwork(nn.Module):
    def __init__(self, observations, actions):
        super().__init__()
        self.fc1 = nn.Linear(observations + actions, 256)  # label: code
        self.fc2 = nn.Linear(256, 256)
        self.fc3 = nn.Linear(256, 1)

    def forward(self, x, a):
        x = F.relu(self.fc1(torch.cat([x, a], 1)))
        return self.fc3(F.relu(self.fc2(x)))


LOG_STD_MAX = 2
LOG_STD_MIN = -5


class Actor(nn.Module):
    def __init__(self, observations, actions):
        super().__init__()
        self.fc1 = nn.Linear(observations, 256)  # label: code
        self.fc2 = nn.Linear(256, 256)
        self.fc_mean = nn.Linear(256, actions)
        self.fc_logstd = nn.Linear(256, actions)

    def forward(self, x):
        x = F.relu(self.fc2(F.relu(self.fc1(x))))
        log_std = torch.tanh(self.fc_logstd(x))
        return self.fc_mean(x), LOG_STD_MIN + 0.5 * (LOG_STD_MAX - LOG_STD_MIN) * (log_std + 1)


if __name__ == "__main__":
    args = tyro.cli(Args)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    actor, qf1, qf2 = Actor(11, 3), SoftQNetwork(11, 3), SoftQNetwork(11, 3)
    q_optimizer = optim.Adam(list(qf1.parameters()) + list(qf2.parameters()), lr=args.q_lr)
    actor_optimizer = optim.Adam(list(actor.parameters()), lr=args.policy_lr)
    if args.autotune:
        log_alpha = torch.zeros(1, requires_grad=True)
        a_optimizer = optim.Adam([log_alpha], lr=args.q_lr)
    else:
        alpha = args.alpha
