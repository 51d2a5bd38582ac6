"""A PyTorch MLP on scikit-learn's 8x8 digits, with a hand-written training loop.

Each epoch's validation accuracy is reported (`# glovec: report(step=epoch)`), so early stopping
can prune a poor trial; the last epoch's value is the objective.
GLOVEC_SMOKE=1 trains for 3 epochs instead of 20.
"""

import os

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

SEED = 0
EPOCHS = 3 if os.environ.get("GLOVEC_SMOKE") == "1" else 20


def load_data():
    digits = load_digits()
    x = digits.data.astype("float32") / 16.0
    x_train, x_val, y_train, y_val = train_test_split(
        x, digits.target, test_size=0.25, random_state=SEED, stratify=digits.target)
    return (torch.from_numpy(x_train), torch.from_numpy(x_val),
            torch.from_numpy(y_train).long(), torch.from_numpy(y_val).long())


def make_model(hidden):
    return nn.Sequential(
        nn.Linear(64, hidden),
        nn.ReLU(),  # glovec: oneof([nn.ReLU(), nn.Tanh(), nn.GELU()], name="activation")
        nn.Dropout(p=0.1),  # glovec: p=oneof([0.0, 0.1, 0.3])
        nn.Linear(hidden, 10),
    )


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    x_train, x_val, y_train, y_val = load_data()
    hidden = 64  # glovec: oneof([32, 64, 128])
    model = make_model(hidden)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)  # glovec: lr=floatv(0.005, 0.5, scale="log"), momentum=oneof([0.0, 0.5, 0.9])
    batch_size = 64  # glovec: oneof([32, 64, 128])
    loss_fn = nn.CrossEntropyLoss()
    val_accuracy = 0.0
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(x_train))
        for start in range(0, len(x_train), batch_size):
            batch = order[start:start + batch_size]
            loss = loss_fn(model(x_train[batch]), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            correct = (model(x_val).argmax(dim=1) == y_val).float().mean().item()
        val_accuracy = correct  # glovec: report(step=epoch)
    score = val_accuracy  # glovec: objective
    print(f"validation accuracy: {score:.4f}")


if __name__ == "__main__":
    main()
