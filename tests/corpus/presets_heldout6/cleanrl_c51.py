# Declarations from https://github.com/vwxyzjn/cleanrl/blob/master/cleanrl/c51.py
# presets: argparse pytorch
import argparse
import os
import random
from distutils.util import strtobool

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim


def as_bool(text):
    return bool(strtobool(text))


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--exp-name", type=str, default=os.path.basename(__file__).rstrip(".py"),
        help="the name of this experiment")
    parser.add_argument("--gym-id", type=str, default="CartPole-v1",
        help="the id of the gym environment")
    parser.add_argument("--learning-rate", type=float, default=2.5e-4,
        help="the learning rate of the optimizer")  # label: config
    parser.add_argument("--seed", type=int, default=1,
        help="seed of the experiment")
    parser.add_argument("--total-timesteps", type=int, default=50000,
        help="total timesteps of the experiments")
    parser.add_argument("--torch-deterministic", type=as_bool, default=True, nargs="?", const=True,
        help="if toggled, `torch.backends.cudnn.deterministic=False`")
    parser.add_argument("--cuda", type=as_bool, default=True, nargs="?", const=True,
        help="if toggled, cuda will be enabled by default")
    parser.add_argument("--wandb-entity", type=str, default=None,
        help="the entity (team) of wandb's project")

    # Algorithm specific arguments
    parser.add_argument("--n-atoms", type=int, default=101,
        help="the number of atoms")  # label: config
    parser.add_argument("--v-min", type=float, default=-100,
        help="the number of atoms")  # label: config
    parser.add_argument("--v-max", type=float, default=100,
        help="the number of atoms")  # label: config
    parser.add_argument("--buffer-size", type=int, default=10000,
        help="the replay memory buffer size")  # label: config
    parser.add_argument("--gamma", type=float, default=0.99,
        help="the discount factor gamma")  # label: config
    parser.add_argument("--target-network-frequency", type=int, default=1000,
        help="the timesteps it takes to update the target network")  # label: config
    parser.add_argument("--max-grad-norm", type=float, default=0.5,
        help="the maximum norm for the gradient clipping")  # label: config
    parser.add_argument("--batch-size", type=int, default=32,
        help="the batch size of sample from the reply memory")  # label: config
    parser.add_argument("--start-e", type=float, default=1,
        help="the starting epsilon for exploration")  # label: config
    parser.add_argument("--end-e", type=float, default=0.02,
        help="the ending epsilon for exploration")  # label: config
    parser.add_argument("--exploration-fraction", type=float, default=0.5,
        help="the fraction of `total-timesteps` it takes from start-e to go end-e")  # label: config
    parser.add_argument("--learning-starts", type=int, default=10000,
        help="timestep to start learning")  # label: config
    parser.add_argument("--train-frequency", type=int, default=1,
        help="the frequency of training")  # label: config
    return parser.parse_args()


class QNetwork(nn.Module):
    def __init__(self, observations, actions, n_atoms=101, v_min=-100, v_max=100):
        super().__init__()
        self.n, self.n_atoms = actions, n_atoms
        self.register_buffer("atoms", torch.linspace(v_min, v_max, steps=n_atoms))
        self.network = nn.Sequential(
            nn.Linear(observations, 120),  # label: code
            nn.ReLU(),
            nn.Linear(120, 84),  # label: code
            nn.ReLU(),
            nn.Linear(84, actions * n_atoms),
        )

    def get_action(self, x, action=None):
        pmfs = torch.softmax(self.network(x).view(len(x), self.n, self.n_atoms), dim=2)
        q_values = (pmfs * self.atoms).sum(2)
        if action is None:
            action = torch.argmax(q_values, 1)
        return action, pmfs[torch.arange(len(x)), action]


def linear_schedule(start_e, end_e, duration, t):
    return max((end_e - start_e) / duration * t + start_e, end_e)


def update(args, q_network, optimizer, loss):
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(list(q_network.parameters()), args.max_grad_norm)
    optimizer.step()


if __name__ == "__main__":
    args = parse_args()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    q_network = QNetwork(4, 2, n_atoms=args.n_atoms, v_min=args.v_min, v_max=args.v_max)
    optimizer = optim.Adam(q_network.parameters(), lr=args.learning_rate, eps=0.01 / args.batch_size)
    epsilon = linear_schedule(args.start_e, args.end_e, args.exploration_fraction * args.total_timesteps, 0)
