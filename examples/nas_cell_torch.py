"""A NAS-Bench-201-style cell on scikit-learn's 8x8 digits, in PyTorch.

The cell has four nodes; node j sums one operation applied to each earlier node, so six edges,
each one of zero / skip / conv 1x1 / conv 3x3 / avg-pool 3x3 (5^6 = 15,625 cells). Two cells are
stacked and share the choice (each builds its own weights). The same file serves both searches:

    glovec run examples/nas_cell_torch.py --algorithm evolution --trials 20   # trains every trial
    glovec run examples/nas_cell_torch.py --one-shot spos --trials 100        # one supernet, then finalists alone

The objective is an expression that evaluates the model (`accuracy(model, x_val, y_val)`), so a
one-shot search can evaluate it again for each architecture on the shared weights.
GLOVEC_SMOKE=1 trains for 1 epoch instead of 8.
"""

import os

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

SEED = 0
EPOCHS = 1 if os.environ.get("GLOVEC_SMOKE") == "1" else 8
CHANNELS = 16


class Zero(nn.Module):
    def forward(self, x):
        return x * 0.0


def zero(c):
    return Zero()


def skip(c):
    return nn.Identity()


def conv1(c):
    return nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c))  # glovec: fixed


def conv3(c):
    return nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))  # glovec: fixed


def pool(c):
    return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)  # glovec: fixed


class Cell(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.e10 = conv3(c)  # glovec: oneof([zero(c), skip(c), conv1(c), conv3(c), pool(c)], name="edge_1_0")
        self.e20 = skip(c)  # glovec: oneof([zero(c), skip(c), conv1(c), conv3(c), pool(c)], name="edge_2_0")
        self.e21 = conv3(c)  # glovec: oneof([zero(c), skip(c), conv1(c), conv3(c), pool(c)], name="edge_2_1")
        self.e30 = skip(c)  # glovec: oneof([zero(c), skip(c), conv1(c), conv3(c), pool(c)], name="edge_3_0")
        self.e31 = zero(c)  # glovec: oneof([zero(c), skip(c), conv1(c), conv3(c), pool(c)], name="edge_3_1")
        self.e32 = conv1(c)  # glovec: oneof([zero(c), skip(c), conv1(c), conv3(c), pool(c)], name="edge_3_2")

    def forward(self, x0):
        x1 = self.e10(x0)
        x2 = self.e20(x0) + self.e21(x1)
        return self.e30(x0) + self.e31(x1) + self.e32(x2)


class Net(nn.Module):
    def __init__(self, c=CHANNELS):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))  # glovec: fixed
        self.cells = nn.Sequential(Cell(c), Cell(c))
        self.head = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                                  nn.Flatten(), nn.Linear(c, 10))

    def forward(self, x):
        return self.head(self.cells(self.stem(x)))


def load_data():
    digits = load_digits()
    x = (digits.data.astype("float32") / 16.0).reshape(-1, 1, 8, 8)
    x_train, x_val, y_train, y_val = train_test_split(
        x, digits.target, test_size=0.3, random_state=SEED, stratify=digits.target)
    return (torch.from_numpy(x_train), torch.from_numpy(x_val),
            torch.from_numpy(y_train).long(), torch.from_numpy(y_val).long())


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    x_train, x_val, y_train, y_val = load_data()
    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)  # glovec: fixed
    loss_fn = nn.CrossEntropyLoss()
    batch_size = 64  # glovec: fixed
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(x_train))
        for start in range(0, len(x_train), batch_size):
            batch = order[start:start + batch_size]
            loss = loss_fn(model(x_train[batch]), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    score = accuracy(model, x_val, y_val)  # glovec: objective
    print(f"validation accuracy: {score:.4f}")


if __name__ == "__main__":
    main()
