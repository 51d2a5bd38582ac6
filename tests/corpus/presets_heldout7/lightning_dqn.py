# Declarations from https://github.com/Lightning-AI/pytorch-lightning/blob/master/examples/pytorch/domain_templates/reinforce_learn_Qnet.py
# presets: argparse pytorch
import argparse
import random
from collections import deque, namedtuple

import gym
import torch
import torch.nn as nn
import torch.optim as optim
from lightning.pytorch import LightningModule, Trainer, seed_everything
from torch.utils.data import DataLoader, IterableDataset


class DQN(nn.Module):
    """Simple MLP network."""

    def __init__(self, obs_size: int, n_actions: int, hidden_size: int = 128):  # label: config
        super().__init__()
        self.net = nn.Sequential(nn.Linear(obs_size, hidden_size), nn.ReLU(), nn.Linear(hidden_size, n_actions))

    def forward(self, x):
        return self.net(x.float())


Experience = namedtuple("Experience", field_names=["state", "action", "reward", "done", "new_state"])


class RLDataset(IterableDataset):
    def __init__(self, buffer: deque, sample_size: int = 200) -> None:
        self.buffer = buffer
        self.sample_size = sample_size

    def __iter__(self):
        for experience in random.sample(list(self.buffer), min(self.sample_size, len(self.buffer))):
            yield experience


class DQNLightning(LightningModule):
    """Basic DQN Model."""

    def __init__(
        self,
        env: str,
        replay_size: int = 200,
        warm_start_steps: int = 200,
        gamma: float = 0.99,
        eps_start: float = 1.0,
        eps_end: float = 0.01,
        eps_last_frame: int = 200,
        sync_rate: int = 10,
        lr: float = 1e-2,
        episode_length: int = 50,
        batch_size: int = 4,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.replay_size = replay_size
        self.warm_start_steps = warm_start_steps
        self.gamma = gamma
        self.eps_start = eps_start
        self.eps_end = eps_end
        self.eps_last_frame = eps_last_frame
        self.sync_rate = sync_rate
        self.lr = lr
        self.episode_length = episode_length
        self.batch_size = batch_size
        self.env = gym.make(env)
        obs_size = self.env.observation_space.shape[0]
        n_actions = self.env.action_space.n
        self.net = DQN(obs_size, n_actions)
        self.target_net = DQN(obs_size, n_actions)
        self.buffer = deque(maxlen=self.replay_size)

    def dqn_mse_loss(self, batch):
        states, actions, rewards, dones, next_states = batch
        state_action_values = self.net(states).gather(1, actions.unsqueeze(-1)).squeeze(-1)
        with torch.no_grad():
            next_state_values = self.target_net(next_states).max(1)[0]
            next_state_values[dones] = 0.0
        expected = next_state_values.detach() * self.gamma + rewards
        return nn.MSELoss()(state_action_values, expected)

    def training_step(self, batch, nb_batch):
        epsilon = max(self.eps_end, self.eps_start - (self.global_step + 1) / self.eps_last_frame)
        self.log("epsilon", epsilon)
        if self.global_step % self.sync_rate == 0:
            self.target_net.load_state_dict(self.net.state_dict())
        return self.dqn_mse_loss(batch)

    def configure_optimizers(self):
        return [optim.Adam(self.net.parameters(), lr=self.lr)]

    def train_dataloader(self):
        return DataLoader(RLDataset(self.buffer, self.episode_length), batch_size=self.batch_size)


def main(args) -> None:
    model = DQNLightning(**vars(args))
    trainer = Trainer(accelerator="cpu", devices=1, val_check_interval=100)
    trainer.fit(model)


if __name__ == "__main__":
    seed_everything(0)

    parser = argparse.ArgumentParser()
    parser.add_argument("--batch_size", type=int, default=16, help="size of the batches")  # label: config
    parser.add_argument("--lr", type=float, default=1e-2, help="learning rate")  # label: config
    parser.add_argument("--env", type=str, default="CartPole-v1", help="gym environment tag")
    parser.add_argument("--gamma", type=float, default=0.99, help="discount factor")  # label: config
    parser.add_argument("--sync_rate", type=int, default=10, help="how many frames do we update the target network")  # label: config
    parser.add_argument("--replay_size", type=int, default=1000, help="capacity of the replay buffer")  # label: config
    parser.add_argument(
        "--warm_start_steps",
        type=int,
        default=1000,
        help="how many samples do we use to fill our buffer at the start of training",
    )  # label: config
    parser.add_argument("--eps_last_frame", type=int, default=1000, help="what frame should epsilon stop decaying")  # label: config
    parser.add_argument("--eps_start", type=float, default=1.0, help="starting value of epsilon")  # label: config
    parser.add_argument("--eps_end", type=float, default=0.01, help="final value of epsilon")  # label: config
    parser.add_argument("--episode_length", type=int, default=200, help="max length of an episode")
    args = parser.parse_args()

    main(args)
