# Declarations from https://github.com/vwxyzjn/cleanrl/blob/master/cleanrl/td3_continuous_action.py
# presets: argparse pytorch
import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import tyro


@dataclass
class Args:
    exp_name: str = os.path.basename(__file__)[: -len(".py")]
    """the name of this experiment"""
    seed: int = 1
    """seed of the experiment"""
    torch_deterministic: bool = True
    """if toggled, `torch.backends.cudnn.deterministic=False`"""
    cuda: bool = True
    """if toggled, cuda will be enabled by default"""
    track: bool = False
    """if toggled, this experiment will be tracked with Weights and Biases"""
    wandb_project_name: str = "cleanRL"
    """the wandb's project name"""
    capture_video: bool = False
    """whether to capture videos of the agent performances (check out `videos` folder)"""
    save_model: bool = False
    """whether to save model into the `runs/{run_name}` folder"""

    # Algorithm specific arguments
    env_id: str = "Hopper-v4"
    """the id of the environment"""
    total_timesteps: int = 1000000
    """total timesteps of the experiments"""
    learning_rate: float = 3e-4  # label: config
    """the learning rate of the optimizer"""
    num_envs: int = 1
    """the number of parallel game environments"""
    buffer_size: int = int(1e6)  # label: config
    """the replay memory buffer size"""
    gamma: float = 0.99  # label: config
    """the discount factor gamma"""
    tau: float = 0.005  # label: config
    """target smoothing coefficient (default: 0.005)"""
    batch_size: int = 256  # label: config
    """the batch size of sample from the reply memory"""
    policy_noise: float = 0.2  # label: config
    """the scale of policy noise"""
    exploration_noise: float = 0.1  # label: config
    """the scale of exploration noise"""
    learning_starts: int = 25e3  # label: config
    """timestep to start learning"""
    policy_frequency: int = 2  # label: config
    """the frequency of training policy (delayed)"""
    noise_clip: float = 0.5  # label: config
    """noise clip parameter of the Target Policy Smoothing Regularization"""


class QNetwork(nn.Module):
    def __init__(self, observations, actions):
        super().__init__()
        self.fc1 = nn.Linear(observations + actions, 256)  # label: code
        self.fc2 = nn.Linear(256, 256)
        self.fc3 = nn.Linear(256, 1)

    def forward(self, x, a):
        x = F.relu(self.fc1(torch.cat([x, a], 1)))
        return self.fc3(F.relu(self.fc2(x)))


class Actor(nn.Module):
    def __init__(self, observations, actions):
        super().__init__()
        self.fc1 = nn.Linear(observations, 256)  # label: code
        self.fc2 = nn.Linear(256, 256)
        self.fc_mu = nn.Linear(256, actions)

    def forward(self, x):
        return torch.tanh(self.fc_mu(F.relu(self.fc2(F.relu(self.fc1(x))))))


def smoothed_target_actions(args, target_actor, next_obs, action_shape):
    noise = (torch.randn(action_shape) * args.policy_noise).clamp(-args.noise_clip, args.noise_clip)
    return (target_actor(next_obs) + noise).clamp(-1.0, 1.0)


if __name__ == "__main__":
    args = tyro.cli(Args)
    np.random.seed(args.seed)
    actor, critic = Actor(11, 3), QNetwork(11, 3)
    q_optimizer = optim.Adam(critic.parameters(), lr=args.learning_rate)
    actor_optimizer = optim.Adam(actor.parameters(), lr=args.learning_rate)
