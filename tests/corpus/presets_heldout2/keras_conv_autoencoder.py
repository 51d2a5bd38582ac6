# Declarations from https://keras.io/examples/vision/autoencoder/
# presets: argparse keras
import numpy as np
from keras.layers import Conv2D, Input, MaxPooling2D, UpSampling2D
from keras.models import Model


def noise(dataset):
    noise_factor = 0.4
    noisy = dataset + noise_factor * np.random.normal(loc=0.0, scale=1.0, size=dataset.shape)
    return np.clip(noisy, 0.0, 1.0)


input = Input(shape=(28, 28, 1))
x = Conv2D(32, (3, 3), activation="relu", padding="same")(input)  # label: code
x = MaxPooling2D((2, 2), padding="same")(x)
x = Conv2D(32, (3, 3), activation="relu", padding="same")(x)  # label: code
x = MaxPooling2D((2, 2), padding="same")(x)
x = Conv2D(32, (3, 3), activation="relu", padding="same")(x)  # label: code
x = UpSampling2D((2, 2))(x)
x = Conv2D(32, (3, 3), activation="relu", padding="same")(x)  # label: code
x = UpSampling2D((2, 2))(x)
x = Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)

autoencoder = Model(input, x)
autoencoder.compile(optimizer="adam", loss="binary_crossentropy")  # label: code
train_dataset = np.zeros((8, 28, 28, 1))
autoencoder.fit(
    x=train_dataset,
    y=train_dataset,
    epochs=50,
    batch_size=128,  # label: code
    shuffle=True,
)
