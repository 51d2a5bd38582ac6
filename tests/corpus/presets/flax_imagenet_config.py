# Declarations from https://github.com/google/flax/blob/main/examples/imagenet/configs/default.py
# presets: argparse pytorch keras
import ml_collections


def get_config():
    """The hyper-parameters of a ResNet-50 on ImageNet."""
    config = ml_collections.ConfigDict()
    config.model = "ResNet50"
    config.dataset = "imagenet2012:5.*.*"
    config.learning_rate = 0.1  # label: config
    config.warmup_epochs = 5.0  # label: config
    config.momentum = 0.9  # label: config
    config.batch_size = 128  # label: config
    config.shuffle_buffer_size = 16 * 128
    config.prefetch = 10
    config.num_epochs = 100.0
    config.log_every_steps = 100
    config.cache = False
    config.half_precision = False
    config.num_train_steps = -1
    config.steps_per_eval = -1
    config.seed = 42
    return config
