# Declarations from https://github.com/pytorch/examples/blob/main/dcgan/main.py
# presets: argparse pytorch
import argparse
import random

import torch
import torch.nn as nn
import torch.optim as optim

parser = argparse.ArgumentParser()
parser.add_argument("--dataset", required=True, help="cifar10 | lsun | mnist |imagenet | folder | lfw | fake")
parser.add_argument("--dataroot", required=False, help="path to dataset")
parser.add_argument("--workers", type=int, help="number of data loading workers", default=2)
parser.add_argument("--batchSize", type=int, default=64, help="input batch size")  # label: config
parser.add_argument("--imageSize", type=int, default=64, help="the height / width of the input image to network")
parser.add_argument("--nz", type=int, default=100, help="size of the latent z vector")  # label: config
parser.add_argument("--ngf", type=int, default=64)  # label: config
parser.add_argument("--ndf", type=int, default=64)  # label: config
parser.add_argument("--niter", type=int, default=25, help="number of epochs to train for")
parser.add_argument("--lr", type=float, default=0.0002, help="learning rate, default=0.0002")  # label: config
parser.add_argument("--beta1", type=float, default=0.5, help="beta1 for adam. default=0.5")  # label: config
parser.add_argument("--cuda", action="store_true", default=False, help="enables cuda")
parser.add_argument("--dry-run", action="store_true", help="check a single training cycle works")
parser.add_argument("--ngpu", type=int, default=1, help="number of GPUs to use")
parser.add_argument("--netG", default="", help="path to netG (to continue training)")
parser.add_argument("--netD", default="", help="path to netD (to continue training)")
parser.add_argument("--outf", default=".", help="folder to output images and model checkpoints")
parser.add_argument("--manualSeed", type=int, help="manual seed")
parser.add_argument("--classes", default="bedroom", help="comma separated list of classes for the lsun data set")
opt = parser.parse_args()

if opt.manualSeed is None:
    opt.manualSeed = random.randint(1, 10000)
torch.manual_seed(opt.manualSeed)
nz, ngf, ndf = int(opt.nz), int(opt.ngf), int(opt.ndf)


class Generator(nn.Module):
    def __init__(self, ngpu):
        super().__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, 3, 4, 2, 1, bias=False),
            nn.Tanh(),
        )


netG = Generator(opt.ngpu)
criterion = nn.BCELoss()
optimizerG = optim.Adam(netG.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))
