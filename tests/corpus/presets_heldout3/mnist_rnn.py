# Declarations from https://github.com/pytorch/examples/blob/main/mnist_rnn/main.py
# presets: argparse pytorch
import argparse

import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.optim.lr_scheduler import StepLR


class RowReader(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(input_size=28, hidden_size=64, batch_first=True)  # label: code
        self.norm = nn.BatchNorm1d(64)
        self.drop_a = nn.Dropout2d(0.25)  # label: code
        self.drop_b = nn.Dropout2d(0.5)  # label: code
        self.fc1 = nn.Linear(64, 32)  # label: code
        self.fc2 = nn.Linear(32, 10)

    def forward(self, images):
        rows, _state = self.rnn(images.reshape(-1, 28, 28))
        x = self.drop_a(self.norm(rows[:, -1, :]))
        x = self.drop_b(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


def main():
    parser = argparse.ArgumentParser(description="digits read row by row with an LSTM")
    parser.add_argument("--batch-size", type=int, default=64, metavar="N",
                        help="input batch size for training (default: 64)")  # label: config
    parser.add_argument("--test-batch-size", type=int, default=1000, metavar="N",
                        help="input batch size for testing (default: 1000)")
    parser.add_argument("--epochs", type=int, default=14, metavar="N",
                        help="number of epochs to train (default: 14)")
    parser.add_argument("--lr", type=float, default=0.1, metavar="LR",
                        help="learning rate (default: 0.1)")  # label: config
    parser.add_argument("--gamma", type=float, default=0.7, metavar="M",
                        help="learning rate step gamma (default: 0.7)")  # label: config
    parser.add_argument("--cuda", action="store_true", default=False, help="enables CUDA")
    parser.add_argument("--dry-run", action="store_true", help="one pass only")
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default: 1)")
    parser.add_argument("--log-interval", type=int, default=10, metavar="N",
                        help="how many batches to wait before logging training status")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    model = RowReader()
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    return model, optimizer, scheduler
