# Declarations from https://github.com/vwxyzjn/cleanrl/blob/master/cleanrl/ppo_rnd_envpool.py
# presets: argparse pytorch
import argparse
import os
from distutils.util import strtobool

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.distributions.categorical import Categorical


def parse_args():
    # fmt: off
    parser = argparse.ArgumentParser()
    parser.add_argument("--exp-name", type=str, default=os.path.basename(__file__).rstrip(".py"),
        help="the name of this experiment")
    parser.add_argument("--seed", type=int, default=1,
        help="seed of the experiment")
    parser.add_argument("--torch-deterministic", type=lambda x: bool(strtobool(x)), default=True, nargs="?", const=True,
        help="if toggled, `torch.backends.cudnn.deterministic=False`")

    # Algorithm specific arguments
    parser.add_argument("--env-id", type=str, default="MontezumaRevenge-v5",
        help="the id of the environment")
    parser.add_argument("--total-timesteps", type=int, default=2000000000,
        help="total timesteps of the experiments")
    parser.add_argument("--learning-rate", type=float, default=1e-4,
        help="the learning rate of the optimizer")  # label: config
    parser.add_argument("--num-envs", type=int, default=128,
        help="the number of parallel game environments")
    parser.add_argument("--num-steps", type=int, default=128,
        help="the number of steps to run in each environment per policy rollout")  # label: config
    parser.add_argument("--anneal-lr", type=lambda x: bool(strtobool(x)), default=True, nargs="?", const=True,
        help="Toggle learning rate annealing for policy and value networks")
    parser.add_argument("--gae", type=lambda x: bool(strtobool(x)), default=True, nargs="?", const=True,
        help="Use GAE for advantage computation")
    parser.add_argument("--gamma", type=float, default=0.999,
        help="the discount factor gamma")  # label: config
    parser.add_argument("--gae-lambda", type=float, default=0.95,
        help="the lambda for the general advantage estimation")  # label: config
    parser.add_argument("--num-minibatches", type=int, default=4,
        help="the number of mini-batches")  # label: config
    parser.add_argument("--update-epochs", type=int, default=4,
        help="the K epochs to update the policy")  # label: config
    parser.add_argument("--norm-adv", type=lambda x: bool(strtobool(x)), default=True, nargs="?", const=True,
        help="Toggles advantages normalization")
    parser.add_argument("--clip-coef", type=float, default=0.1,
        help="the surrogate clipping coefficient")  # label: config
    parser.add_argument("--clip-vloss", type=lambda x: bool(strtobool(x)), default=True, nargs="?", const=True,
        help="Toggles whether or not to use a clipped loss for the value function, as per the paper.")
    parser.add_argument("--ent-coef", type=float, default=0.001,
        help="coefficient of the entropy")  # label: config
    parser.add_argument("--vf-coef", type=float, default=0.5,
        help="coefficient of the value function")  # label: config
    parser.add_argument("--max-grad-norm", type=float, default=0.5,
        help="the maximum norm for the gradient clipping")  # label: config
    parser.add_argument("--target-kl", type=float, default=None,
        help="the target KL divergence threshold")
    parser.add_argument("--sticky-action", type=lambda x: bool(strtobool(x)), default=True, nargs="?", const=True,
        help="if toggled, sticky action will be used")

    # RND arguments
    parser.add_argument("--update-proportion", type=float, default=0.25,
        help="proportion of exp used for predictor update")  # label: config
    parser.add_argument("--int-coef", type=float, default=1.0,
        help="coefficient of extrinsic reward")  # label: config
    parser.add_argument("--ext-coef", type=float, default=2.0,
        help="coefficient of intrinsic reward")  # label: config
    parser.add_argument("--int-gamma", type=float, default=0.99,
        help="Intrinsic reward discount rate")  # label: config
    parser.add_argument("--num-iterations-obs-norm-init", type=int, default=50,
        help="number of iterations to initialize the observations normalization parameters")

    args = parser.parse_args()
    args.batch_size = int(args.num_envs * args.num_steps)
    args.minibatch_size = int(args.batch_size // args.num_minibatches)
    # fmt: on
    return args


def layer_init(layer, std=np.sqrt(2), bias_const=0.0):
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


class Agent(nn.Module):
    def __init__(self, n_actions):
        super().__init__()
        self.network = nn.Sequential(
            layer_init(nn.Conv2d(4, 32, 8, stride=4)),  # label: code
            nn.ReLU(),
            layer_init(nn.Conv2d(32, 64, 4, stride=2)),  # label: code
            nn.ReLU(),
            layer_init(nn.Conv2d(64, 64, 3, stride=1)),
            nn.ReLU(),
            nn.Flatten(),
            layer_init(nn.Linear(64 * 7 * 7, 256)),  # label: code
            nn.ReLU(),
            layer_init(nn.Linear(256, 448)),  # label: code
            nn.ReLU(),
        )
        self.extra_layer = nn.Sequential(layer_init(nn.Linear(448, 448), std=0.1), nn.ReLU())
        self.actor = nn.Sequential(
            layer_init(nn.Linear(448, 448), std=0.01),
            nn.ReLU(),
            layer_init(nn.Linear(448, n_actions), std=0.01),
        )
        self.critic_ext = layer_init(nn.Linear(448, 1), std=0.01)
        self.critic_int = layer_init(nn.Linear(448, 1), std=0.01)

    def get_action_and_value(self, x):
        hidden = self.network(x / 255.0)
        probs = Categorical(logits=self.actor(hidden))
        features = self.extra_layer(hidden)
        action = probs.sample()
        return action, probs.log_prob(action), probs.entropy(), self.critic_ext(features + hidden), \
            self.critic_int(features + hidden)


class RNDModel(nn.Module):
    def __init__(self):
        super().__init__()
        feature_output = 7 * 7 * 64
        self.predictor = nn.Sequential(
            layer_init(nn.Conv2d(in_channels=1, out_channels=32, kernel_size=8, stride=4)),  # label: code
            nn.LeakyReLU(),
            layer_init(nn.Conv2d(in_channels=32, out_channels=64, kernel_size=4, stride=2)),  # label: code
            nn.LeakyReLU(),
            layer_init(nn.Conv2d(in_channels=64, out_channels=64, kernel_size=3, stride=1)),
            nn.LeakyReLU(),
            nn.Flatten(),
            layer_init(nn.Linear(feature_output, 512)),  # label: code
            nn.ReLU(),
            layer_init(nn.Linear(512, 512)),
            nn.ReLU(),
            layer_init(nn.Linear(512, 512)),
        )
        self.target = nn.Sequential(
            layer_init(nn.Conv2d(in_channels=1, out_channels=32, kernel_size=8, stride=4)),  # label: code
            nn.LeakyReLU(),
            layer_init(nn.Conv2d(in_channels=32, out_channels=64, kernel_size=4, stride=2)),  # label: code
            nn.LeakyReLU(),
            layer_init(nn.Conv2d(in_channels=64, out_channels=64, kernel_size=3, stride=1)),
            nn.LeakyReLU(),
            nn.Flatten(),
            layer_init(nn.Linear(feature_output, 512)),
        )
        for param in self.target.parameters():
            param.requires_grad = False

    def forward(self, next_obs):
        return self.predictor(next_obs), self.target(next_obs)


if __name__ == "__main__":
    args = parse_args()
    torch.manual_seed(args.seed)
    agent = Agent(n_actions=18)
    rnd_model = RNDModel()
    combined_parameters = list(agent.parameters()) + list(rnd_model.predictor.parameters())
    optimizer = optim.Adam(combined_parameters, lr=args.learning_rate, eps=1e-5)
    for epoch in range(args.update_epochs):
        obs = torch.zeros((args.minibatch_size, 4, 84, 84))
        _, _, entropy, ext_value, int_value = agent.get_action_and_value(obs)
        predict, target = rnd_model(obs[:, 3:4])
        forward_loss = ((target.detach() - predict) ** 2).mean(-1)
        mask = (torch.rand(len(forward_loss)) < args.update_proportion).float()
        forward_loss = (forward_loss * mask).sum() / torch.clamp(mask.sum(), min=1.0)
        v_loss = 0.5 * (ext_value ** 2).mean() + 0.5 * (int_value ** 2).mean()
        loss = -args.ent_coef * entropy.mean() + v_loss * args.vf_coef + forward_loss
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(combined_parameters, args.max_grad_norm)
        optimizer.step()
    print(args.int_coef, args.ext_coef, args.int_gamma, args.gamma)
