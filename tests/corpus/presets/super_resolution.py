# Declarations from https://github.com/pytorch/examples/blob/main/super_resolution/main.py
# presets: argparse pytorch
import argparse

import torch
import torch.nn as nn
import torch.optim as optim

parser = argparse.ArgumentParser(description="super resolution on BSD300")
parser.add_argument("--upscale_factor", type=int, required=True, help="super resolution upscale factor")
parser.add_argument("--batchSize", type=int, default=64, help="training batch size")  # label: config
parser.add_argument("--testBatchSize", type=int, default=10, help="testing batch size")
parser.add_argument("--nEpochs", type=int, default=2, help="number of epochs to train for")
parser.add_argument("--lr", type=float, default=0.01, help="Learning Rate. Default=0.01")  # label: config
parser.add_argument("--cuda", action="store_true", help="use cuda?")
parser.add_argument("--mps", action="store_true", default=False, help="enables macOS GPU training")
parser.add_argument("--threads", type=int, default=4, help="number of threads for data loader to use")
parser.add_argument("--seed", type=int, default=123, help="random seed to use. Default=123")
opt = parser.parse_args()

torch.manual_seed(opt.seed)
model = nn.Conv2d(1, opt.upscale_factor ** 2, 3, padding=1)
criterion = nn.MSELoss()
optimizer = optim.Adam(model.parameters(), lr=opt.lr)
