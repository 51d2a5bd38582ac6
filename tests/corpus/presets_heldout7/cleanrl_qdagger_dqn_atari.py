# Declarations from https://github.com/vwxyzjn/cleanrl/blob/master/cleanrl/qdagger_dqn_atari_impalacnn.py
# presets: argparse pytorch
import os
import random
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
    save_model: bool = False
    """whether to save model into the `runs/{run_name}` folder"""

    # Algorithm specific arguments
    env_id: str = "BreakoutNoFrameskip-v4"
    """the id of the environment"""
    total_timesteps: int = 10000000
    """total timesteps of the experiments"""
    learning_rate: float = 1e-4  # label: config
    """the learning rate of the optimizer"""
    num_envs: int = 1
    """the number of parallel game environments"""
    buffer_size: int = 1000000  # label: config
    """the replay memory buffer size"""
    gamma: float = 0.99  # label: config
    """the discount factor gamma"""
    tau: float = 1.0  # label: config
    """the target network update rate"""
    target_network_frequency: int = 1000  # label: config
    """the timesteps it takes to update the target network"""
    batch_size: int = 32  # label: config
    """the batch size of sample from the reply memory"""
    start_e: float = 1.0  # label: config
    """the starting epsilon for exploration"""
    end_e: float = 0.01  # label: config
    """the ending epsilon for exploration"""
    exploration_fraction: float = 0.10  # label: config
    """the fraction of `total-timesteps` it takes from start-e to go end-e"""
    learning_starts: int = 80000  # label: config
    """timestep to start learning"""
    train_frequency: int = 4  # label: config
    """the frequency of training"""

    # QDagger specific arguments
    teacher_policy_hf_repo: str = None
    """the huggingface repo of the teacher policy"""
    teacher_model_exp_name: str = "dqn_atari"
    """the experiment name of the teacher model"""
    teacher_eval_episodes: int = 10
    """the number of episodes to run the teacher policy evaluate"""
    teacher_steps: int = 500000
    """the number of steps to run the teacher policy to generate the replay buffer"""
    offline_steps: int = 500000
    """the number of steps to run the student policy with the teacher's replay buffer"""
    temperature: float = 1.0  # label: config
    """the temperature parameter for qdagger"""


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv0 = nn.Conv2d(in_channels=channels, out_channels=channels, kernel_size=3, padding=1)
        self.conv1 = nn.Conv2d(in_channels=channels, out_channels=channels, kernel_size=3, padding=1)

    def forward(self, x):
        return x + self.conv1(F.relu(self.conv0(F.relu(x))))


class ConvSequence(nn.Module):
    def __init__(self, input_shape, out_channels):
        super().__init__()
        self._input_shape = input_shape
        self._out_channels = out_channels
        self.conv = nn.Conv2d(in_channels=self._input_shape[0], out_channels=self._out_channels, kernel_size=3, padding=1)
        self.res_block0 = ResidualBlock(self._out_channels)
        self.res_block1 = ResidualBlock(self._out_channels)

    def forward(self, x):
        x = F.max_pool2d(self.conv(x), kernel_size=3, stride=2, padding=1)
        return self.res_block1(self.res_block0(x))

    def get_output_shape(self):
        _c, h, w = self._input_shape
        return (self._out_channels, (h + 1) // 2, (w + 1) // 2)


class QNetwork(nn.Module):
    def __init__(self, observation_shape, n_actions):
        super().__init__()
        shape = observation_shape
        conv_seqs = []
        for out_channels in [16, 32, 32]:  # label: code
            conv_seq = ConvSequence(shape, out_channels)
            shape = conv_seq.get_output_shape()
            conv_seqs.append(conv_seq)
        conv_seqs += [
            nn.Flatten(),
            nn.ReLU(),
            nn.Linear(in_features=shape[0] * shape[1] * shape[2], out_features=256),  # label: code
            nn.ReLU(),
            nn.Linear(in_features=256, out_features=n_actions),
        ]
        self.network = nn.Sequential(*conv_seqs)

    def forward(self, x):
        return self.network(x / 255.0)


def linear_schedule(start_e: float, end_e: float, duration: int, t: int):
    slope = (end_e - start_e) / duration
    return max(slope * t + start_e, end_e)


def kl_divergence_with_logits(target_logits, prediction_logits):
    """Implementation of on-policy distillation loss."""
    out = -F.softmax(target_logits, dim=-1) * (F.log_softmax(prediction_logits, dim=-1) - F.log_softmax(target_logits, dim=-1))
    return torch.sum(out)


def offline_step(args, q_network, target_network, teacher_model, optimizer, data):
    with torch.no_grad():
        target_max, _ = target_network(data["next_observations"]).max(dim=1)
        td_target = data["rewards"] + args.gamma * target_max * (1 - data["dones"])
        teacher_q_values = teacher_model(data["observations"]) / args.temperature
    student_q_values = q_network(data["observations"])
    old_val = student_q_values.gather(1, data["actions"]).squeeze()
    q_loss = F.mse_loss(td_target, old_val)
    distill_loss = torch.mean(kl_divergence_with_logits(teacher_q_values, student_q_values / args.temperature))
    loss = q_loss + 1.0 * distill_loss  # label: code
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss


if __name__ == "__main__":
    args = tyro.cli(Args)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    q_network = QNetwork((4, 84, 84), 4)
    target_network = QNetwork((4, 84, 84), 4)
    teacher_model = QNetwork((4, 84, 84), 4)
    optimizer = optim.Adam(q_network.parameters(), lr=args.learning_rate)
    for global_step in range(args.offline_steps):
        data = {"observations": torch.zeros((args.batch_size, 4, 84, 84)),
                "next_observations": torch.zeros((args.batch_size, 4, 84, 84)),
                "actions": torch.zeros((args.batch_size, 1), dtype=torch.long),
                "rewards": torch.zeros(args.batch_size), "dones": torch.zeros(args.batch_size)}
        offline_step(args, q_network, target_network, teacher_model, optimizer, data)
        if global_step % args.target_network_frequency == 0:
            for target_param, q_param in zip(target_network.parameters(), q_network.parameters()):
                target_param.data.copy_(args.tau * q_param.data + (1.0 - args.tau) * target_param.data)
