# Declarations from https://github.com/google/flax/blob/main/examples/wmt/configs/default.py
# presets: argparse pytorch keras
import ml_collections


def get_config():
    """A Transformer for WMT translation."""
    config = ml_collections.ConfigDict()
    config.vocab_path = None
    config.vocab_size = 32_000
    config.max_corpus_chars = 10**7
    config.dataset_name = "wmt17_translate/de-en"
    config.eval_dataset_name = "wmt14_translate/de-en:test"
    config.reverse_translation = False
    config.per_device_batch_size = 32  # label: config
    config.beam_size = 4
    config.num_train_steps = 500_000
    config.num_eval_steps = 20
    config.num_predict_steps = -1
    config.learning_rate = 0.0625  # label: config
    config.warmup_steps = 1000  # label: config
    config.label_smoothing = 0.1  # label: config
    config.weight_decay = 0.0  # label: config
    config.max_target_length = 256
    config.max_eval_target_length = 256
    config.max_predict_length = 256
    config.share_embeddings = True
    config.logits_via_embedding = True
    config.num_layers = 6  # label: config
    config.qkv_dim = 1024  # label: config
    config.emb_dim = 1024  # label: config
    config.mlp_dim = 4096  # label: config
    config.num_heads = 16  # label: config
    config.dropout_rate = 0.1  # label: config
    config.attention_dropout_rate = 0.1  # label: config
    config.save_checkpoints = True
    config.restore_checkpoints = True
    config.checkpoint_every_steps = 10_000
    config.eval_every_steps = 1_000
    config.use_bfloat16 = True
    config.seed = 0
    return config
