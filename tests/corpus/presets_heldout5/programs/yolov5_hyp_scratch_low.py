# Reads ../yolov5_hyp_scratch_low.yaml as YOLOv5's train.py reads its --hyp file
# (data/hyps/hyp.scratch-low.yaml): a flat mapping of optimizer, loss-gain and augmentation settings.
#     glovec space programs/yolov5_hyp_scratch_low.py --rules pytorch --config yolov5_hyp_scratch_low.yaml
import argparse
import os

import yaml

parser = argparse.ArgumentParser()
parser.add_argument("--hyp", type=str,
                    default=os.path.join(os.path.dirname(__file__), "..", "yolov5_hyp_scratch_low.yaml"),
                    help="hyperparameters path")
opt = parser.parse_args()

with open(opt.hyp, errors="ignore") as handle:
    hyp = yaml.safe_load(handle)
optimizer_settings = {k: hyp[k] for k in ("lr0", "momentum", "weight_decay")}
loss_gains = {k: hyp[k] for k in ("box", "cls", "obj")}
print(f"SGD {optimizer_settings}, final lr {hyp['lr0'] * hyp['lrf']}, loss gains {loss_gains}")
