# Reads ../sb3_zoo_a2c.yaml as rl-baselines3-zoo's ExperimentManager reads hyperparams/a2c.yml:
# the block of the environment being trained, a "lin_" learning rate turned into a linear
# schedule, its keys passed to the A2C constructor.
#     glovec space programs/sb3_zoo_a2c.py --rules pytorch --config sb3_zoo_a2c.yaml
import argparse
import os

import yaml

parser = argparse.ArgumentParser()
parser.add_argument("--env", type=str, default="BipedalWalker-v3", help="environment ID")
args = parser.parse_args()

with open(os.path.join(os.path.dirname(__file__), "..", "sb3_zoo_a2c.yaml")) as handle:
    hyperparams = yaml.safe_load(handle)[args.env]
n_timesteps = int(hyperparams.pop("n_timesteps"))
normalize = hyperparams.pop("normalize", False)
n_envs = hyperparams.pop("n_envs", 1)
policy_kwargs = eval(hyperparams.pop("policy_kwargs", "dict()"))
learning_rate = hyperparams.pop("learning_rate", 7e-4)
if isinstance(learning_rate, str) and learning_rate.startswith("lin_"):
    initial = float(learning_rate.split("_")[1])
    learning_rate = lambda progress_remaining: progress_remaining * initial  # noqa: E731
print(f"A2C on {args.env} ({n_envs} envs, normalize={normalize}) for {n_timesteps} steps: "
      f"{hyperparams}, {policy_kwargs}, lr at start {learning_rate(1.0) if callable(learning_rate) else learning_rate}")
