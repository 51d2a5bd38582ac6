# Reads ../hydra_lightning_mnist.yaml as the lightning-hydra-template's src/train.py reads its
# composed config: glovec space programs/hydra_lightning_mnist.py --rules pytorch \
#     --config hydra_lightning_mnist.yaml
import hydra
from omegaconf import DictConfig


@hydra.main(version_base="1.3", config_path="..", config_name="hydra_lightning_mnist")
def main(cfg: DictConfig) -> float:
    net = cfg.model.net
    return float(net.lin1_size + net.lin2_size + net.lin3_size) * cfg.model.optimizer.lr


if __name__ == "__main__":
    main()
