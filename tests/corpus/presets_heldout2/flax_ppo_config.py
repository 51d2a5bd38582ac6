# Declarations from https://github.com/google/flax/blob/main/examples/ppo/configs/default.py
# presets: argparse pytorch keras
import ml_collections


def get_config():
    """The default hyper-parameters of PPO on Atari (an ml_collections ConfigDict)."""
    config = ml_collections.ConfigDict()
    config.game = "Pong"
    config.total_frames = 40000000
    config.learning_rate = 2.5e-4  # label: config
    config.batch_size = 256  # label: config
    config.num_agents = 8
    config.actor_steps = 128  # label: config
    config.num_epochs = 3  # label: config
    config.gamma = 0.99  # label: config
    config.lambda_ = 0.95  # label: config
    config.clip_param = 0.1  # label: config
    config.vf_coeff = 0.5  # label: config
    config.entropy_coeff = 0.01  # label: config
    config.decaying_lr_and_clip_param = True
    return config
