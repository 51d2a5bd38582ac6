# Declarations from https://keras.io/examples/generative/vae/
# presets: argparse keras
import keras
from keras import layers

latent_dim = 2  # label: config

encoder_inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(encoder_inputs)  # label: code
x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)  # label: code
x = layers.Flatten()(x)
x = layers.Dense(16, activation="relu")(x)  # label: code
z_mean = layers.Dense(latent_dim, name="z_mean")(x)
z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
encoder = keras.Model(encoder_inputs, [z_mean, z_log_var], name="encoder")

latent_inputs = keras.Input(shape=(latent_dim,))
x = layers.Dense(7 * 7 * 64, activation="relu")(latent_inputs)
x = layers.Reshape((7, 7, 64))(x)
x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)
x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
decoder_outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
decoder = keras.Model(latent_inputs, decoder_outputs, name="decoder")
encoder.compile(optimizer=keras.optimizers.Adam())
encoder.fit(None, epochs=30, batch_size=128)  # label: code
