# Reads ../omegaconf_gpt.yaml with OmegaConf, as minGPT-style trainers do:
#     glovec space programs/omegaconf_gpt.py --rules pytorch --config omegaconf_gpt.yaml
import os

from omegaconf import OmegaConf

cfg = OmegaConf.load(os.path.join(os.path.dirname(__file__), "..", "omegaconf_gpt.yaml"))
tokens_per_iter = cfg.batch_size * cfg.block_size * cfg.gradient_accumulation_steps
print(f"{cfg.model.n_layer} layers, {tokens_per_iter} tokens per iteration, lr {cfg.optim.learning_rate}")
