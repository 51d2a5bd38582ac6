# Declarations from https://github.com/vwxyzjn/cleanrl/blob/master/cleanrl/ddpg_continuous_action.py
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
    capture_video: bool = False
    """whether to capture videos of the agent performances (check out `videos` folder)"""

    # Algorithm specific arguments
    env_id: str = "Hopper-v4"
    """the environment id of the Atari game"""
    total_timesteps: int = 1000000
    """total timesteps of the experiments"""
    learning_rate: float = 3e-4  # label: config
    """the learning rate of the optimizer"""
    buffer_size: int = int(1e6)  # label: config
    """the replay memory buffer size"""
    gamma: float = 0.99  # label: config
    """the discount factor gamma"""
    tau: float = 0.005  # label: config
    """target smoothing coefficient (default: 0.005)"""
    batch_size: int = 256  # label: config
    """the batch size of sample from the reply memory"""
    exploration_noise: float = 0.1  # label: config
    """the scale of exploration noise"""
    learning_starts: int = 25e3  # label: config
    """timestep to start learning"""
    policy_frequency: int = 2  # label: config
    """the frequency of training policy (delayed)"""


class QNetwork(nn.Module):
    def __init__(self, observations, actions):
        super().__init__()
        self.fc1 = nn.Linear(observations + actions, 256)  # label: code
        self.fc2 = nn.Linear(256, 256)
        self.fc3 = nn.Linear(256, 1)

    def forward(self, x, a):
        x = F.relu(self.fc1(torch.cat([x, a], 1)))
        return self.fc3(F.relu(self.fc2(x)))


class Actor(nn.Module):
    def __init__(self, observations, actions):
        super().__init__()
        self.fc1 = nn.Linear(observations, 256)  # label: code
        self.fc2 = nn.Linear(256, 256)
        self.fc_mu = nn.Linear(256, actions)

    def forward(self, x):
        return torch.tanh(self.fc_mu(F.relu(self.fc2(F.relu(self.fc1(x))))))


def explore(args, actor, obs):
    with torch.no_grad():
        actions = actor(torch.Tensor(obs))
        return actions + torch.normal(0, torch.ones_like(actions) * args.exploration_noise)


def soft_update(args, source, target):
    for param, target_param in zip(source.parameters(), target.parameters()):
        target_param.data.copy_(args.tau * param.data + (1 - args.tau) * target_param.data)


if __name__ == "__main__":
    args = tyro.cli(Args)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    actor, qf1 = Actor(11, 3), QNetwork(11, 3)
    q_optimizer = optim.Adam(list(qf1.parameters()), lr=args.learning_rate)
    actor_optimizer = optim.Adam(list(actor.parameters()), lr=args.learning_rate)
    for global_step in range(args.total_timesteps):
        if global_step > args.learning_starts and global_step % args.policy_frequency == 0:
            soft_update(args, actor, actor)
