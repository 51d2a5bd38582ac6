# Declarations from https://github.com/Lightning-AI/pytorch-lightning/blob/master/examples/pytorch/basics/backbone_image_classifier.py
# and the argparse pattern of Lightning's "hyperparameters" guide
# presets: argparse pytorch
from argparse import ArgumentParser

import lightning as L
import torch
from torch import nn
from torch.nn import functional as F


class Backbone(nn.Module):
    def __init__(self, hidden_dim=128):  # label: config
        super().__init__()
        self.l1 = nn.Linear(28 * 28, hidden_dim)
        self.l2 = nn.Linear(hidden_dim, 10)

    def forward(self, x):
        return F.relu(self.l2(torch.relu(self.l1(x.view(x.size(0), -1)))))


class LitClassifier(L.LightningModule):
    def __init__(self, backbone, learning_rate: float = 0.0001):  # label: config
        super().__init__()
        self.save_hyperparameters(ignore=["backbone"])
        self.backbone = backbone

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.learning_rate)


def cli_main():
    parser = ArgumentParser()
    parser.add_argument("--batch_size", default=32, type=int)  # label: config
    parser.add_argument("--hidden_dim", type=int, default=128)  # label: config
    parser.add_argument("--learning_rate", type=float, default=0.0001)  # label: config
    parser.add_argument("--max_epochs", type=int, default=20)
    parser.add_argument("--num_workers", type=int, default=4)
    parser.add_argument("--accelerator", default="auto")
    args = parser.parse_args()
    model = LitClassifier(Backbone(hidden_dim=args.hidden_dim), args.learning_rate)
    trainer = L.Trainer(max_epochs=args.max_epochs, accelerator=args.accelerator)
    trainer.fit(model)


if __name__ == "__main__":
    cli_main()
