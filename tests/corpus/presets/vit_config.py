# Declarations from https://github.com/google-research/vision_transformer/blob/main/vit_jax/configs/models.py
# and vit_jax/configs/common.py (nested ConfigDict attributes)
# presets: argparse pytorch keras
import ml_collections


def get_b16_config():
    """ViT-B/16."""
    config = ml_collections.ConfigDict()
    config.name = "ViT-B_16"
    config.patches = ml_collections.ConfigDict({"size": (16, 16)})
    config.hidden_size = 768  # label: config
    config.transformer = ml_collections.ConfigDict()
    config.transformer.mlp_dim = 3072  # label: config
    config.transformer.num_heads = 12  # label: config
    config.transformer.num_layers = 12  # label: config
    config.transformer.attention_dropout_rate = 0.0  # label: config
    config.transformer.dropout_rate = 0.0  # label: config
    config.classifier = "token"
    config.representation_size = None
    return config


def with_dataset(config):
    config.total_steps = 10_000
    config.warmup_steps = 500  # label: config
    config.decay_type = "cosine"
    config.grad_norm_clip = 1.0  # label: config
    config.accum_steps = 8
    config.batch = 512  # label: config
    config.batch_eval = 512
    config.base_lr = 0.03  # label: config
    config.shuffle_buffer = 50_000
    config.eval_every = 100
    config.progress_every = 10
    config.checkpoint_every = 1_000
    config.prefetch = 2
    config.seed = 0
    return config
