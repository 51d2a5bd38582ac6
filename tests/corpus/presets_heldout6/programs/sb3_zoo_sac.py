# Reads ../sb3_zoo_sac.yaml as rl-baselines3-zoo's ExperimentManager reads hyperparams/sac.yml:
# the block of the environment being trained, its keys passed to the SAC constructor.
#     glovec space programs/sb3_zoo_sac.py --rules pytorch --config sb3_zoo_sac.yaml
import argparse
import os

import yaml

parser = argparse.ArgumentParser()
parser.add_argument("--env", type=str, default="BipedalWalker-v3", help="environment ID")
args = parser.parse_args()

with open(os.path.join(os.path.dirname(__file__), "..", "sb3_zoo_sac.yaml")) as handle:
    hyperparams = yaml.safe_load(handle)[args.env]
n_timesteps = int(hyperparams.pop("n_timesteps"))
policy_kwargs = eval(hyperparams.pop("policy_kwargs", "dict()"))
print(f"SAC on {args.env} for {n_timesteps} steps: {hyperparams}, {policy_kwargs}")
