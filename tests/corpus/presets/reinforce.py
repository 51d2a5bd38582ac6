# Declarations from https://github.com/pytorch/examples/blob/main/reinforcement_learning/reinforce.py
# presets: argparse pytorch
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

parser = argparse.ArgumentParser(description="REINFORCE on a cart-pole")
parser.add_argument("--gamma", type=float, default=0.99, metavar="G",
                    help="discount factor (default: 0.99)")  # label: config
parser.add_argument("--seed", type=int, default=543, metavar="N",
                    help="random seed (default: 543)")
parser.add_argument("--render", action="store_true",
                    help="render the environment")
parser.add_argument("--log-interval", type=int, default=10, metavar="N",
                    help="interval between training status logs (default: 10)")
args = parser.parse_args()


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(4, 128)
        self.dropout = nn.Dropout(p=0.6)  # label: code
        self.affine2 = nn.Linear(128, 2)

    def forward(self, x):
        x = F.relu(self.dropout(self.affine1(x)))
        return F.softmax(self.affine2(x), dim=1)


policy = Policy()
optimizer = optim.Adam(policy.parameters(), lr=1e-2)  # label: code
eps = 1e-7
