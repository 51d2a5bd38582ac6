# Reads ../hydra_imagenet_resnet.yaml with Hydra's compose API:
#     glovec space programs/hydra_imagenet_resnet.py --rules pytorch --config hydra_imagenet_resnet.yaml
from hydra import compose, initialize

with initialize(version_base="1.3", config_path=".."):
    cfg = compose(config_name="hydra_imagenet_resnet")
print(cfg.model.name, cfg.optimizer.lr, cfg.training.batch_size)
