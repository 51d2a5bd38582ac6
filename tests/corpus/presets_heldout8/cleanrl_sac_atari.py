# Declarations from https://github.com/vwxyzjn/cleanrl/blob/master/cleanrl/sac_atari.py
# presets: argparse pytorch
import os
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import tyro
from torch.distributions.categorical import Categorical


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

    # Algorithm specific arguments
    env_id: str = "BeamRiderNoFrameskip-v4"
    """the id of the environment"""
    total_timesteps: int = 5000000
    """total timesteps of the experiments"""
    buffer_size: int = int(1e6)  # label: config
    """the replay memory buffer size"""  # smaller than in original paper but evaluation is done only for 100k steps anyway
    gamma: float = 0.99  # label: config
    """the discount factor gamma"""
    tau: float = 1.0  # label: config
    """target smoothing coefficient (default: 1)"""
    batch_size: int = 64  # label: config
    """the batch size of sample from the reply memory"""
    learning_starts: int = 2e4  # label: config
    """timestep to start learning"""
    policy_lr: float = 3e-4  # label: config
    """the learning rate of the policy network optimizer"""
    q_lr: float = 3e-4  # label: config
    """the learning rate of the Q network network optimizer"""
    update_frequency: int = 4  # label: config
    """the frequency of training updates"""
    target_network_frequency: int = 8000  # label: config
    """the frequency of updates for the target networks"""
    alpha: float = 0.2
    """Entropy regularization coefficient."""
    autotune: bool = True
    """automatic tuning of the entropy coefficient"""
    target_entropy_scale: float = 0.89  # label: config
    """coefficient for scaling the autotune entropy target"""


def layer_init(layer, bias_const=0.0):
    nn.init.kaiming_normal_(layer.weight)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


class SoftQNetwork(nn.Module):
    def __init__(self, obs_shape, n_actions):
        super().__init__()
        self.conv = nn.Sequential(
            layer_init(nn.Conv2d(obs_shape[0], 32, kernel_size=8, stride=4)),  # label: code
            nn.ReLU(),
            layer_init(nn.Conv2d(32, 64, kernel_size=4, stride=2)),  # label: code
            nn.ReLU(),
            layer_init(nn.Conv2d(64, 64, kernel_size=3, stride=1)),
            nn.Flatten(),
        )
        with torch.inference_mode():
            output_dim = self.conv(torch.zeros(1, *obs_shape)).shape[1]
        self.fc1 = layer_init(nn.Linear(output_dim, 512))  # label: code
        self.fc_q = layer_init(nn.Linear(512, n_actions))

    def forward(self, x):
        x = F.relu(self.conv(x / 255.0))
        return self.fc_q(F.relu(self.fc1(x)))


class Actor(nn.Module):
    def __init__(self, obs_shape, n_actions):
        super().__init__()
        self.conv = nn.Sequential(
            layer_init(nn.Conv2d(obs_shape[0], 32, kernel_size=8, stride=4)),  # label: code
            nn.ReLU(),
            layer_init(nn.Conv2d(32, 64, kernel_size=4, stride=2)),  # label: code
            nn.ReLU(),
            layer_init(nn.Conv2d(64, 64, kernel_size=3, stride=1)),
            nn.Flatten(),
        )
        with torch.inference_mode():
            output_dim = self.conv(torch.zeros(1, *obs_shape)).shape[1]
        self.fc1 = layer_init(nn.Linear(output_dim, 512))  # label: code
        self.fc_logits = layer_init(nn.Linear(512, n_actions))

    def get_action(self, x):
        logits = self.fc_logits(F.relu(self.fc1(F.relu(self.conv(x / 255.0)))))
        dist = Categorical(logits=logits)
        return dist.sample(), F.log_softmax(logits, dim=1), dist.probs


if __name__ == "__main__":
    args = tyro.cli(Args)
    torch.manual_seed(args.seed)
    obs_shape, n_actions = (4, 84, 84), 6
    actor = Actor(obs_shape, n_actions)
    qf1, qf2 = SoftQNetwork(obs_shape, n_actions), SoftQNetwork(obs_shape, n_actions)
    q_optimizer = optim.Adam(list(qf1.parameters()) + list(qf2.parameters()), lr=args.q_lr, eps=1e-4)
    actor_optimizer = optim.Adam(list(actor.parameters()), lr=args.policy_lr, eps=1e-4)
    if args.autotune:
        target_entropy = -args.target_entropy_scale * torch.log(1 / torch.tensor(n_actions))
        log_alpha = torch.zeros(1, requires_grad=True)
        alpha = log_alpha.exp().item()
        a_optimizer = optim.Adam([log_alpha], lr=args.q_lr, eps=1e-4)
    else:
        alpha = args.alpha
    for global_step in range(int(args.learning_starts) + 1, int(args.learning_starts) + 9):
        if global_step % args.update_frequency != 0:
            continue
        obs = torch.zeros((args.batch_size,) + obs_shape)
        _, log_pi, probs = actor.get_action(obs)
        with torch.no_grad():
            min_q = torch.min(qf1(obs), qf2(obs))
        actor_loss = (probs * ((alpha * log_pi) - min_q)).mean()
        actor_optimizer.zero_grad()
        actor_loss.backward()
        actor_optimizer.step()
        if global_step % args.target_network_frequency == 0:
            print("target update", args.tau, args.gamma, args.buffer_size)
