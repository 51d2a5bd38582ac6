# Declarations from https://github.com/pytorch/examples/blob/main/time_sequence_prediction/train.py
# presets: argparse pytorch
import argparse

import torch
import torch.nn as nn
import torch.optim as optim


class Sequence(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm1 = nn.LSTMCell(1, 51)  # label: code
        self.lstm2 = nn.LSTMCell(51, 51)
        self.linear = nn.Linear(51, 1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=15, help="steps to run")
    opt = parser.parse_args()
    torch.manual_seed(0)
    seq = Sequence()
    criterion = nn.MSELoss()
    optimizer = optim.LBFGS(seq.parameters(), lr=0.8)  # label: code
    for i in range(opt.steps):
        print("STEP: ", i)
