# Reads ../sb3_zoo_dqn.yaml as rl-baselines3-zoo's ExperimentManager reads hyperparams/dqn.yml:
# the block of the environment being trained, its keys passed to the DQN constructor.
#     glovec space programs/sb3_zoo_dqn.py --rules pytorch --config sb3_zoo_dqn.yaml
import argparse
import os

import yaml

parser = argparse.ArgumentParser()
parser.add_argument("--env", type=str, default="CartPole-v1", help="environment ID")
args = parser.parse_args()

with open(os.path.join(os.path.dirname(__file__), "..", "sb3_zoo_dqn.yaml")) as handle:
    hyperparams = yaml.safe_load(handle)[args.env]
n_timesteps = int(hyperparams.pop("n_timesteps"))
policy_kwargs = eval(hyperparams.pop("policy_kwargs", "dict()"))
print(f"DQN on {args.env} for {n_timesteps} steps: {hyperparams}, {policy_kwargs}")
