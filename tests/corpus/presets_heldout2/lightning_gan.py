# Declarations from https://github.com/Lightning-AI/pytorch-lightning/blob/master/examples/pytorch/domain_templates/generative_adversarial_net.py
# presets: argparse pytorch
import math
from argparse import ArgumentParser

import torch
import torch.nn as nn
from lightning.pytorch.core import LightningModule


class Generator(nn.Module):
    def __init__(self, latent_dim: int = 100, img_shape: tuple = (1, 28, 28)):  # label: config
        super().__init__()

        def block(in_feat, out_feat, normalize=True):
            layers = [nn.Linear(in_feat, out_feat)]
            if normalize:
                layers.append(nn.BatchNorm1d(out_feat, 0.8))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            return layers

        self.model = nn.Sequential(*block(latent_dim, 128, normalize=False), *block(128, 256),
                                   nn.Linear(256, int(math.prod(img_shape))), nn.Tanh())


class GAN(LightningModule):
    def __init__(
        self,
        img_shape: tuple = (1, 28, 28),
        lr: float = 0.0002,  # label: config
        b1: float = 0.5,  # label: config
        b2: float = 0.999,  # label: config
        latent_dim: int = 100,  # label: config
    ):
        super().__init__()
        self.save_hyperparameters()
        self.generator = Generator(latent_dim=self.hparams.latent_dim, img_shape=img_shape)

    def configure_optimizers(self):
        lr, b1, b2 = self.hparams.lr, self.hparams.b1, self.hparams.b2
        return torch.optim.Adam(self.generator.parameters(), lr=lr, betas=(b1, b2))


if __name__ == "__main__":
    parser = ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.0002, help="adam: learning rate")  # label: config
    parser.add_argument("--b1", type=float, default=0.5,
                        help="adam: decay of first order momentum of gradient")  # label: config
    parser.add_argument("--b2", type=float, default=0.999,
                        help="adam: decay of second order momentum of gradient")  # label: config
    parser.add_argument("--latent_dim", type=int, default=100,
                        help="dimensionality of the latent space")  # label: config
    args = parser.parse_args()
    model = GAN(lr=args.lr, b1=args.b1, b2=args.b2, latent_dim=args.latent_dim)
