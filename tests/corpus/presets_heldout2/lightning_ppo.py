# Declarations from https://github.com/Lightning-AI/pytorch-lightning/blob/master/examples/pytorch/domain_templates/reinforce_learn_ppo.py
# presets: argparse pytorch
import argparse
from typing import Tuple

import torch
from lightning.pytorch import LightningModule
from torch import nn


def create_mlp(input_shape: Tuple[int], n_actions: int, hidden_size: int = 128):  # label: config
    return nn.Sequential(nn.Linear(input_shape[0], hidden_size), nn.ReLU(),
                         nn.Linear(hidden_size, hidden_size), nn.ReLU(),
                         nn.Linear(hidden_size, n_actions))


class PPOLightning(LightningModule):
    def __init__(
        self,
        env: str,
        gamma: float = 0.99,  # label: config
        lam: float = 0.95,  # label: config
        lr_actor: float = 3e-4,  # label: config
        lr_critic: float = 1e-3,  # label: config
        max_episode_len: float = 200,
        batch_size: int = 512,  # label: config
        steps_per_epoch: int = 2048,  # label: config
        nb_optim_iters: int = 4,  # label: config
        clip_ratio: float = 0.2,  # label: config
        **kwargs,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.critic = create_mlp((4,), 1)
        self.actor = create_mlp((4,), 2)

    def configure_optimizers(self):
        optimizer_actor = torch.optim.Adam(self.actor.parameters(), lr=self.hparams.lr_actor)
        optimizer_critic = torch.optim.Adam(self.critic.parameters(), lr=self.hparams.lr_critic)
        return optimizer_actor, optimizer_critic


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--env", type=str, default="CartPole-v0")
    parser.add_argument("--gamma", type=float, default=0.99, help="discount factor")  # label: config
    parser.add_argument("--lam", type=float, default=0.95, help="advantage discount factor")  # label: config
    parser.add_argument("--lr_actor", type=float, default=3e-4, help="learning rate of actor network")  # label: config
    parser.add_argument("--lr_critic", type=float, default=1e-3, help="learning rate of critic network")  # label: config
    parser.add_argument("--max_episode_len", type=int, default=1000, help="capacity of the replay buffer")
    parser.add_argument("--batch_size", type=int, default=512, help="batch_size when training network")  # label: config
    parser.add_argument(
        "--steps_per_epoch",
        type=int,
        default=2048,
        help="how many action-state pairs to rollout for trajectory collection per epoch",
    )  # label: config
    parser.add_argument(
        "--nb_optim_iters", type=int, default=4, help="how many steps of gradient descent to perform on each batch"
    )  # label: config
    parser.add_argument(
        "--clip_ratio", type=float, default=0.2, help="hyperparameter for clipping in the policy objective"
    )  # label: config
    args = parser.parse_args()
    model = PPOLightning(**vars(args))
