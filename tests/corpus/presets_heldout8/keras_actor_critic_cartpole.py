# Declarations from https://keras.io/examples/rl/actor_critic_cartpole/
# presets: argparse keras
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# Configuration parameters for the whole setup
seed = 42
gamma = 0.99  # Discount factor for past rewards  # label: config
max_steps_per_episode = 10000
eps = np.finfo(np.float32).eps.item()  # Smallest number such that 1.0 + eps != 1.0

num_inputs = 4
num_actions = 2
num_hidden = 128  # label: config

inputs = layers.Input(shape=(num_inputs,))
common = layers.Dense(num_hidden, activation="relu")(inputs)
action = layers.Dense(num_actions, activation="softmax")(common)
critic = layers.Dense(1)(common)

model = keras.Model(inputs=inputs, outputs=[action, critic])

optimizer = keras.optimizers.Adam(learning_rate=0.01)  # label: code
huber_loss = keras.losses.Huber()
rng = np.random.default_rng(seed)
running_reward = 0

for episode_count in range(3):
    rewards_history, log_probs, values = [], [], []
    with tf.GradientTape() as tape:
        state = rng.normal(size=num_inputs).astype("float32")
        for timestep in range(1, 20):
            action_probs, critic_value = model(tf.expand_dims(state, 0))
            values.append(critic_value[0, 0])
            choice = rng.choice(num_actions, p=np.squeeze(action_probs))
            log_probs.append(tf.math.log(action_probs[0, choice]))
            state = rng.normal(size=num_inputs).astype("float32")
            rewards_history.append(1.0)
        running_reward = 0.05 * sum(rewards_history) + (1 - 0.05) * running_reward
        returns, discounted_sum = [], 0
        for r in rewards_history[::-1]:
            discounted_sum = r + gamma * discounted_sum
            returns.insert(0, discounted_sum)
        returns = np.array(returns)
        returns = ((returns - np.mean(returns)) / (np.std(returns) + eps)).tolist()
        loss_value = sum(-lp * (ret - v) for lp, v, ret in zip(log_probs, values, returns)) + sum(
            huber_loss(tf.expand_dims(v, 0), tf.expand_dims(ret, 0)) for v, ret in zip(values, returns))
    grads = tape.gradient(loss_value, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
