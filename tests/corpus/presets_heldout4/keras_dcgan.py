# Declarations from https://keras.io/examples/generative/dcgan_overriding_train_step/
# presets: argparse keras
import tensorflow as tf
import keras
from keras import layers

batch_size = 64  # label: config

discriminator = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(64, (3, 3), strides=(2, 2), padding="same"),  # label: code
        layers.LeakyReLU(negative_slope=0.2),  # label: code
        layers.Conv2D(128, (3, 3), strides=(2, 2), padding="same"),  # label: code
        layers.LeakyReLU(negative_slope=0.2),
        layers.GlobalMaxPooling2D(),
        layers.Dense(1),
    ],
    name="discriminator",
)

latent_dim = 128  # label: config

generator = keras.Sequential(
    [
        keras.Input(shape=(latent_dim,)),
        layers.Dense(7 * 7 * 128),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Reshape((7, 7, 128)),
        layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),  # label: code
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),  # label: code
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(1, (7, 7), padding="same", activation="sigmoid"),
    ],
    name="generator",
)


class GAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def discriminator_labels(self, batch):
        labels = tf.concat([tf.ones((batch, 1)), tf.zeros((batch, 1))], axis=0)
        return labels + 0.05 * tf.random.uniform(tf.shape(labels))  # label: code


def train(dataset):
    epochs = 30
    gan = GAN(discriminator=discriminator, generator=generator, latent_dim=latent_dim)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate=0.0003),  # label: code
        g_optimizer=keras.optimizers.Adam(learning_rate=0.0003),  # label: code
        loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    return gan.fit(dataset.batch(batch_size), epochs=epochs)
