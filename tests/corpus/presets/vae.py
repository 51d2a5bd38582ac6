# Declarations from https://github.com/pytorch/examples/blob/main/vae/main.py
# presets: argparse pytorch
import argparse

import torch
import torch.nn.functional as F
from torch import nn, optim

parser = argparse.ArgumentParser(description="a variational autoencoder on MNIST")
parser.add_argument("--batch-size", type=int, default=128, metavar="N",
                    help="input batch size for training (default: 128)")  # label: config
parser.add_argument("--epochs", type=int, default=10, metavar="N",
                    help="number of epochs to train (default: 10)")
parser.add_argument("--no-accel", action="store_true", help="disables accelerator")
parser.add_argument("--seed", type=int, default=1, metavar="S",
                    help="random seed (default: 1)")
parser.add_argument("--log-interval", type=int, default=10, metavar="N",
                    help="how many batches to wait before logging training status")
args = parser.parse_args()
torch.manual_seed(args.seed)


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)


model = VAE()
optimizer = optim.Adam(model.parameters(), lr=1e-3)  # label: code
for epoch in range(1, args.epochs + 1):
    optimizer.zero_grad()
