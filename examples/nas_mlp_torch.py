"""A searchable PyTorch MLP on scikit-learn's 8x8 digits: two hidden widths and their activation.

Each hidden layer is 8, 16, 32, 64 or 128 units wide, and the activation after both is one of
ReLU, tanh or GELU, so 5 x 5 x 3 = 75 networks. The same file serves both searches:

    glovec run examples/nas_mlp_torch.py --algorithm evolution --trials 10   # trains every trial
    glovec run examples/nas_mlp_torch.py --one-shot spos --trials 30         # one supernet, then finalists alone

In a one-shot run the widths are shared (docs/oneshot.md, "Width sharing"): each `nn.Linear` and
`nn.LayerNorm` that reads a width is built at 128 units and masked to the active width, and the
activation is a switch. The objective evaluates the model, so a one-shot search can evaluate it
again for each architecture on the shared weights. GLOVEC_SMOKE=1 trains for 2 epochs instead of 12.
"""

import os

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

SEED = 0
EPOCHS = 2 if os.environ.get("GLOVEC_SMOKE") == "1" else 12


def load_data():
    digits = load_digits()
    x = digits.data.astype("float32") / 16.0
    x_train, x_val, y_train, y_val = train_test_split(
        x, digits.target, test_size=0.3, random_state=SEED, stratify=digits.target)
    return (torch.from_numpy(x_train), torch.from_numpy(x_val),
            torch.from_numpy(y_train).long(), torch.from_numpy(y_val).long())


def build_model():
    width_1 = 32  # glovec: oneof([8, 16, 32, 64, 128])
    width_2 = 32  # glovec: oneof([8, 16, 32, 64, 128])
    activation = nn.ReLU()  # glovec: oneof([nn.ReLU(), nn.Tanh(), nn.GELU()], name="activation")
    return nn.Sequential(
        nn.Linear(64, width_1), nn.LayerNorm(width_1), activation,
        nn.Linear(width_1, width_2), activation,
        nn.Linear(width_2, 10),
    )


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    x_train, x_val, y_train, y_val = load_data()
    model = build_model()
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
