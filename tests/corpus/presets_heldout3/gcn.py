# Declarations from https://github.com/pytorch/examples/blob/main/gcn/main.py
# presets: argparse pytorch
import argparse

import torch
from torch import nn
from torch.optim import Adam


class GraphConv(nn.Module):
    def __init__(self, in_features, out_features, use_bias=False):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        self.bias = nn.Parameter(torch.zeros(out_features)) if use_bias else None
        nn.init.xavier_uniform_(self.weight)

    def forward(self, x, adjacency):
        out = torch.sparse.mm(adjacency, x @ self.weight)
        return out if self.bias is None else out + self.bias


class GCN(nn.Module):
    def __init__(self, in_features, hidden, classes, use_bias, dropout_p):
        super().__init__()
        self.first = GraphConv(in_features, hidden, use_bias)
        self.second = GraphConv(hidden, classes, use_bias)
        self.drop = nn.Dropout(dropout_p)

    def forward(self, x, adjacency):
        x = self.drop(torch.relu(self.first(x, adjacency)))
        return torch.log_softmax(self.second(x, adjacency), dim=1)


def options():
    parser = argparse.ArgumentParser(description="graph convolutions on a citation graph")
    parser.add_argument("--epochs", type=int, default=200, help="epochs to train (default: 200)")
    parser.add_argument("--lr", type=float, default=0.01, help="learning rate (default: 0.01)")  # label: config
    parser.add_argument("--l2", type=float, default=5e-4, help="weight decay (default: 5e-4)")  # label: config
    parser.add_argument("--dropout-p", type=float, default=0.5,
                        help="dropout probability (default: 0.5)")  # label: config
    parser.add_argument("--hidden-dim", type=int, default=16,
                        help="dimension of the hidden representation (default: 16)")  # label: config
    parser.add_argument("--val-every", type=int, default=20,
                        help="epochs between two validation reports (default: 20)")
    parser.add_argument("--include-bias", action="store_true", default=False,
                        help="add a bias term to the convolutions")
    parser.add_argument("--device", type=str, default="cpu", help="backend device")
    parser.add_argument("--dry-run", action="store_true", default=False, help="one pass only")
    parser.add_argument("--seed", type=int, default=42, metavar="S", help="random seed (default: 42)")
    return parser.parse_args()


def fit(args, features, adjacency, labels, train_idx):
    torch.manual_seed(args.seed)
    model = GCN(features.shape[1], args.hidden_dim, int(labels.max()) + 1, args.include_bias,
                args.dropout_p)
    optimizer = Adam(model.parameters(), lr=args.lr, weight_decay=args.l2)
    loss_fn = nn.NLLLoss()
    for _epoch in range(args.epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(features, adjacency)[train_idx], labels[train_idx])
        loss.backward()
        optimizer.step()
        if args.dry_run:
            break
    return model
