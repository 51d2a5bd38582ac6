# Declarations from https://github.com/vwxyzjn/cleanrl/blob/master/cleanrl/dqn.py
# presets: argparse pytorch
import argparse
import os
import random
from distutils.util import strtobool

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


def flag(text):
    return bool(strtobool(text))


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--exp-name", type=str, default=os.path.basename(__file__).rstrip(".py"),
        help="the name of this experiment")
    parser.add_argument("--seed", type=int, default=1,
        help="seed of the experiment")
    parser.add_argument("--torch-deterministic", type=flag, default=True, nargs="?", const=True,
        help="if toggled, `torch.backends.cudnn.deterministic=False`")
    parser.add_argument("--cuda", type=flag, default=True, nargs="?", const=True,
        help="if toggled, cuda will be enabled by default")
    parser.add_argument("--wandb-entity", type=str, default=None,
        help="the entity (team) of wandb's project")
    parser.add_argument("--capture-video", type=flag, default=False, nargs="?", const=True,
        help="whether to capture videos of the agent performances (check out `videos` folder)")

    # Algorithm specific arguments
    parser.add_argument("--env-id", type=str, default="CartPole-v1",
        help="the id of the environment")
    parser.add_argument("--total-timesteps", type=int, default=500000,
        help="total timesteps of the experiments")
    parser.add_argument("--learning-rate", type=float, default=2.5e-4,
        help="the learning rate of the optimizer")  # label: config
    parser.add_argument("--buffer-size", type=int, default=10000,
        help="the replay memory buffer size")  # label: config
    parser.add_argument("--gamma", type=float, default=0.99,
        help="the discount factor gamma")  # label: config
    parser.add_argument("--tau", type=float, default=1.,
        help="the target network update rate")  # label: config
    parser.add_argument("--target-network-frequency", type=int, default=500,
        help="the timesteps it takes to update the target network")  # label: config
    parser.add_argument("--batch-size", type=int, default=128,
        help="the batch size of sample from the reply memory")  # label: config
    parser.add_argument("--start-e", type=float, default=1,
        help="the starting epsilon for exploration")  # label: config
    parser.add_argument("--end-e", type=float, default=0.05,
        help="the ending epsilon for exploration")  # label: config
    parser.add_argument("--exploration-fraction", type=float, default=0.5,
        help="the fraction of `total-timesteps` it takes from start-e to go end-e")  # label: config
    parser.add_argument("--learning-starts", type=int, default=10000,
        help="timestep to start learning")  # label: config
    parser.add_argument("--train-frequency", type=int, default=10,
        help="the frequency of training")  # label: config
    return parser.parse_args()


class QNetwork(nn.Module):
    def __init__(self, observations, actions):
        super().__init__()
        self.network = nn.Sequential(
            nn.Linear(observations, 120),  # label: code
            nn.ReLU(),
            nn.Linear(120, 84),  # label: code
            nn.ReLU(),
            nn.Linear(84, actions),
        )

    def forward(self, x):
        return self.network(x)


def epsilon_at(args, step):
    duration = args.exploration_fraction * args.total_timesteps
    return max(args.start_e + (args.end_e - args.start_e) * step / duration, args.end_e)


def td_step(args, q_network, target_network, optimizer, batch):
    observations, actions, rewards, next_observations, dones = batch
    with torch.no_grad():
        target_max, _ = target_network(next_observations).max(dim=1)
        td_target = rewards + args.gamma * target_max * (1 - dones)
    old_val = q_network(observations).gather(1, actions).squeeze()
    loss = F.mse_loss(td_target, old_val)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def soft_update(args, target_network, q_network):
    for target_param, param in zip(target_network.parameters(), q_network.parameters()):
        target_param.data.copy_(args.tau * param.data + (1.0 - args.tau) * target_param.data)


if __name__ == "__main__":
    args = parse_args()
    random.seed(args.seed)
    np.random.seed(args.seed)
    q_network, target_network = QNetwork(4, 2), QNetwork(4, 2)
    optimizer = optim.Adam(q_network.parameters(), lr=args.learning_rate)
