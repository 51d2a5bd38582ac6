# Declarations from https://github.com/pytorch/examples/blob/main/mnist_forward_forward/main.py
# presets: argparse pytorch
import argparse

import torch
import torch.nn as nn
from torch.optim import Adam

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=1000, metavar="N",
                    help="number of epochs to train (default: 1000)")
parser.add_argument("--lr", type=float, default=0.03, metavar="LR",
                    help="learning rate (default: 0.03)")  # label: config
parser.add_argument("--no_accel", action="store_true", default=False, help="disables accelerator")
parser.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default: 1)")
parser.add_argument("--save_model", action="store_true", default=False,
                    help="For saving the current Model")
parser.add_argument("--train_size", type=int, default=50000, help="size of training set")
parser.add_argument("--threshold", type=float, default=2, help="threshold for training")  # label: config
parser.add_argument("--test_size", type=int, default=10000, help="size of test set")
parser.add_argument("--log-interval", type=int, default=10, metavar="N",
                    help="how many batches to wait before logging training status")
args = parser.parse_args()


class Layer(nn.Linear):
    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__(in_features, out_features, bias, device, dtype)
        self.relu = torch.nn.ReLU()
        self.opt = Adam(self.parameters(), lr=args.lr)
        self.threshold = args.threshold
        self.num_epochs = args.epochs


layers = [Layer(784, 500), Layer(500, 500)]
