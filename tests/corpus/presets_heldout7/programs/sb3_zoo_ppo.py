# Reads ../sb3_zoo_ppo.yaml as rl-baselines3-zoo's ExperimentManager reads hyperparams/ppo.yml:
# the block of the environment being trained, its keys passed to the PPO constructor.
#     glovec space programs/sb3_zoo_ppo.py --rules pytorch --config sb3_zoo_ppo.yaml
import argparse
import os

import yaml

parser = argparse.ArgumentParser()
parser.add_argument("--env", type=str, default="MountainCarContinuous-v0", help="environment ID")
args = parser.parse_args()

with open(os.path.join(os.path.dirname(__file__), "..", "sb3_zoo_ppo.yaml")) as handle:
    hyperparams = yaml.safe_load(handle)[args.env]
n_timesteps = int(hyperparams.pop("n_timesteps"))
normalize = hyperparams.pop("normalize", False)
n_envs = hyperparams.pop("n_envs", 1)
policy_kwargs = eval(hyperparams.pop("policy_kwargs", "dict()"))
print(f"PPO on {args.env} ({n_envs} envs, normalize={normalize}) for {n_timesteps} steps: "
      f"{hyperparams}, {policy_kwargs}")
