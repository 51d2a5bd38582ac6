# Declarations from https://github.com/vwxyzjn/cleanrl/blob/master/cleanrl/ppo.py
# presets: argparse pytorch
import argparse
import os
from distutils.util import strtobool

import numpy as np
import torch
from torch import nn, optim


def flag(text):
    return bool(strtobool(text))


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--exp-name", type=str, default=os.path.basename(__file__)[:-3],
                        help="the name of this experiment")
    parser.add_argument("--seed", type=int, default=1, help="seed of the experiment")
    parser.add_argument("--cuda", type=flag, default=True, nargs="?", const=True,
                        help="if toggled, cuda will be enabled by default")
    parser.add_argument("--env-id", type=str, default="CartPole-v1", help="the id of the environment")
    parser.add_argument("--total-timesteps", type=int, default=500000,
                        help="total timesteps of the experiments")
    parser.add_argument("--learning-rate", type=float, default=2.5e-4,
                        help="the learning rate of the optimizer")  # label: config
    parser.add_argument("--num-envs", type=int, default=4,
                        help="the number of parallel game environments")
    parser.add_argument("--num-steps", type=int, default=128,
                        help="the number of steps to run in each environment per policy rollout")  # label: config
    parser.add_argument("--anneal-lr", type=flag, default=True, nargs="?", const=True,
                        help="Toggle learning rate annealing for policy and value networks")
    parser.add_argument("--gamma", type=float, default=0.99, help="the discount factor gamma")  # label: config
    parser.add_argument("--gae-lambda", type=float, default=0.95,
                        help="the lambda for the general advantage estimation")  # label: config
    parser.add_argument("--num-minibatches", type=int, default=4, help="the number of mini-batches")  # label: config
    parser.add_argument("--update-epochs", type=int, default=4,
                        help="the K epochs to update the policy")  # label: config
    parser.add_argument("--norm-adv", type=flag, default=True, nargs="?", const=True,
                        help="Toggles advantages normalization")
    parser.add_argument("--clip-coef", type=float, default=0.2,
                        help="the surrogate clipping coefficient")  # label: config
    parser.add_argument("--ent-coef", type=float, default=0.01, help="coefficient of the entropy")  # label: config
    parser.add_argument("--vf-coef", type=float, default=0.5,
                        help="coefficient of the value function")  # label: config
    parser.add_argument("--max-grad-norm", type=float, default=0.5,
                        help="the maximum norm for the gradient clipping")  # label: config
    parser.add_argument("--target-kl", type=float, default=None,
                        help="the target KL divergence threshold")
    args = parser.parse_args()
    args.batch_size = args.num_envs * args.num_steps
    args.minibatch_size = args.batch_size // args.num_minibatches
    return args


def init_layer(layer, std=np.sqrt(2), bias=0.0):
    nn.init.orthogonal_(layer.weight, std)
    nn.init.constant_(layer.bias, bias)
    return layer


class Agent(nn.Module):
    def __init__(self, observations, actions):
        super().__init__()
        self.critic = nn.Sequential(
            init_layer(nn.Linear(observations, 64)), nn.Tanh(),  # label: code
            init_layer(nn.Linear(64, 64)), nn.Tanh(),
            init_layer(nn.Linear(64, 1), std=1.0),
        )
        self.actor = nn.Sequential(
            init_layer(nn.Linear(observations, 64)), nn.Tanh(),  # label: code
            init_layer(nn.Linear(64, 64)), nn.Tanh(),
            init_layer(nn.Linear(64, actions), std=0.01),
        )


def make_optimizer(args, agent):
    torch.manual_seed(args.seed)
    return optim.Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)
