# Declarations from https://github.com/pytorch/examples/blob/main/siamese_network/main.py
# presets: argparse pytorch
import argparse

import torch
import torchvision
from torch import nn, optim
from torch.optim.lr_scheduler import StepLR


class PairNet(nn.Module):
    def __init__(self):
        super().__init__()
        backbone = torchvision.models.resnet18(weights=None)
        backbone.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
        features = backbone.fc.in_features
        self.encoder = nn.Sequential(*list(backbone.children())[:-1])
        self.head = nn.Sequential(
            nn.Linear(features * 2, 256),  # label: code
            nn.ReLU(inplace=True),
            nn.Linear(256, 1),
        )

    def forward(self, left, right):
        a = self.encoder(left).flatten(1)
        b = self.encoder(right).flatten(1)
        return torch.sigmoid(self.head(torch.cat((a, b), 1)))


def main():
    parser = argparse.ArgumentParser(description="pairs of digits: same class or not")
    parser.add_argument("--batch-size", type=int, default=64, metavar="N",
                        help="input batch size for training (default: 64)")  # label: config
    parser.add_argument("--test-batch-size", type=int, default=1000, metavar="N",
                        help="input batch size for testing (default: 1000)")
    parser.add_argument("--epochs", type=int, default=14, metavar="N",
                        help="number of epochs to train (default: 14)")
    parser.add_argument("--lr", type=float, default=1.0, metavar="LR",
                        help="learning rate (default: 1.0)")  # label: config
    parser.add_argument("--gamma", type=float, default=0.7, metavar="M",
                        help="Learning rate step gamma (default: 0.7)")  # label: config
    parser.add_argument("--no-cuda", action="store_true", default=False, help="disables CUDA")
    parser.add_argument("--dry-run", action="store_true", default=False, help="one pass only")
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default: 1)")
    parser.add_argument("--log-interval", type=int, default=10, metavar="N",
                        help="how many batches to wait before logging training status")
    parser.add_argument("--save-model", action="store_true", default=False, help="save the model")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    model = PairNet()
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    return model, optimizer, scheduler
