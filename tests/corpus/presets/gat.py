# Declarations from https://github.com/pytorch/examples/blob/main/gat/main.py
# presets: argparse pytorch
import argparse

import torch
import torch.nn as nn

parser = argparse.ArgumentParser(description="a graph attention network on Cora")
parser.add_argument("--epochs", type=int, default=300,
                    help="number of epochs to train (default: 300)")
parser.add_argument("--lr", type=float, default=0.005,
                    help="learning rate (default: 0.005)")  # label: config
parser.add_argument("--l2", type=float, default=5e-4,
                    help="weight decay (default: 6e-4)")  # label: config
parser.add_argument("--dropout-p", type=float, default=0.6,
                    help="dropout probability (default: 0.6)")  # label: config
parser.add_argument("--hidden-dim", type=int, default=64,
                    help="dimension of the hidden representation (default: 64)")  # label: config
parser.add_argument("--num-heads", type=int, default=8,
                    help="number of the attention heads (default: 4)")  # label: config
parser.add_argument("--concat-heads", action="store_true", default=False,
                    help="wether to concatinate attention heads, or average over them (default: False)")
parser.add_argument("--val-every", type=int, default=20,
                    help="epochs to wait for print training and validation evaluation (default: 20)")
parser.add_argument("--no-accel", action="store_true", default=False,
                    help="disables accelerator")
parser.add_argument("--dry-run", action="store_true", default=False,
                    help="quickly check a single pass")
parser.add_argument("--seed", type=int, default=13, metavar="S",
                    help="random seed (default: 13)")
args = parser.parse_args()

torch.manual_seed(args.seed)
layer = nn.Linear(1433, args.hidden_dim * args.num_heads)
optimizer = torch.optim.Adam(layer.parameters(), lr=args.lr, weight_decay=args.l2)
criterion = nn.NLLLoss()
