# Declarations from https://keras.io/examples/rl/deep_q_network_breakout/
# presets: argparse keras
import keras
import numpy as np
import tensorflow as tf
from keras import layers

# Configuration paramaters for the whole setup
seed = 42
gamma = 0.99  # Discount factor for past rewards  # label: config
epsilon = 1.0  # Epsilon greedy parameter
epsilon_min = 0.1  # Minimum epsilon greedy parameter  # label: config
epsilon_max = 1.0  # Maximum epsilon greedy parameter  # label: config
epsilon_interval = (
    epsilon_max - epsilon_min
)  # Rate at which to reduce chance of random action being taken
batch_size = 32  # Size of batch taken from replay buffer  # label: config
max_steps_per_episode = 10000
max_episodes = 10  # Limit training episodes, will run until solved if smaller than 1

num_actions = 4


def create_q_model():
    # Network defined by the Deepmind paper
    return keras.Sequential(
        [
            layers.Input(shape=(84, 84, 4)),
            # Convolutions on the frames on the screen
            layers.Conv2D(32, 8, strides=4, activation="relu"),  # label: code
            layers.Conv2D(64, 4, strides=2, activation="relu"),  # label: code
            layers.Conv2D(64, 3, strides=1, activation="relu"),
            layers.Flatten(),
            layers.Dense(512, activation="relu"),  # label: code
            layers.Dense(num_actions, activation="linear"),
        ]
    )


model = create_q_model()
model_target = create_q_model()

# In the Deepmind paper they use RMSProp however then Adam optimizer
# improves training time
optimizer = keras.optimizers.Adam(learning_rate=0.00025, clipnorm=1.0)  # label: code

# Number of frames to take random action and observe output
epsilon_random_frames = 50000  # label: config
# Number of frames for exploration
epsilon_greedy_frames = 1000000.0  # label: config
# Maximum replay length
# Note: The Deepmind paper suggests 1000000 however this causes memory issues
max_memory_length = 100000  # label: config
# Train the model after 4 actions
update_after_actions = 4  # label: config
# How often to update the target network
update_target_network = 10000  # label: config
# Using huber loss for stability
loss_function = keras.losses.Huber()

rng = np.random.default_rng(seed)
states, next_states, rewards, actions, dones = [], [], [], [], []
frame_count = 0
for episode in range(max_episodes):
    for timestep in range(1, 64):
        frame_count += 1
        if frame_count < epsilon_random_frames or epsilon > rng.random():
            action = rng.integers(num_actions)
        else:
            action = int(np.argmax(model(np.zeros((1, 84, 84, 4)), training=False)[0]))
        epsilon = max(epsilon - epsilon_interval / epsilon_greedy_frames, epsilon_min)
        states.append(np.zeros((84, 84, 4), "float32"))
        next_states.append(np.zeros((84, 84, 4), "float32"))
        rewards.append(0.0)
        actions.append(action)
        dones.append(timestep == 63)
        if frame_count % update_after_actions == 0 and len(dones) > batch_size:
            idx = rng.choice(len(dones), size=batch_size)
            future = model_target.predict(np.array([next_states[i] for i in idx]), verbose=0)
            done_sample = tf.convert_to_tensor([float(dones[i]) for i in idx])
            updated_q = np.array([rewards[i] for i in idx]) + gamma * tf.reduce_max(future, axis=1)
            updated_q = updated_q * (1 - done_sample) - done_sample
            masks = tf.one_hot([actions[i] for i in idx], num_actions)
            with tf.GradientTape() as tape:
                q_action = tf.reduce_sum(model(np.array([states[i] for i in idx])) * masks, axis=1)
                loss = loss_function(updated_q, q_action)
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
        if frame_count % update_target_network == 0:
            model_target.set_weights(model.get_weights())
        if len(rewards) > max_memory_length:
            for history in (states, next_states, rewards, actions, dones):
                del history[:1]
