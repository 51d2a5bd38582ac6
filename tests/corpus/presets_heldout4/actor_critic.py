# Declarations from https://github.com/pytorch/examples/blob/main/reinforcement_learning/actor_critic.py
# presets: argparse pytorch
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

parser = argparse.ArgumentParser(description='PyTorch actor-critic example')
parser.add_argument('--gamma', type=float, default=0.99, metavar='G',
                    help='discount factor (default: 0.99)')  # label: config
parser.add_argument('--seed', type=int, default=543, metavar='N',
                    help='random seed (default: 543)')
parser.add_argument('--render', action='store_true',
                    help='render the environment')
parser.add_argument('--log-interval', type=int, default=10, metavar='N',
                    help='interval between training status logs (default: 10)')
args = parser.parse_args()
torch.manual_seed(args.seed)


class Policy(nn.Module):
    """One shared hidden layer, an action head and a value head."""

    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(4, 128)  # label: code
        self.action_head = nn.Linear(128, 2)
        self.value_head = nn.Linear(128, 1)
        self.saved_actions = []
        self.rewards = []

    def forward(self, x):
        hidden = F.relu(self.affine1(x))
        return F.softmax(self.action_head(hidden), dim=-1), self.value_head(hidden)


model = Policy()
optimizer = optim.Adam(model.parameters(), lr=3e-2)  # label: code


def discounted_returns(rewards):
    total, returns = 0.0, []
    for reward in reversed(rewards):
        total = reward + args.gamma * total
        returns.insert(0, total)
    returns = torch.tensor(returns)
    return (returns - returns.mean()) / (returns.std() + 1e-8)
