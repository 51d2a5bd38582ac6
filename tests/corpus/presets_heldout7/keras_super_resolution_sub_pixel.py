# Declarations from https://keras.io/examples/vision/super_resolution_sub_pixel/
# presets: argparse keras
import os

import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from keras.preprocessing import image_dataset_from_directory

root_dir = os.path.join("BSR", "BSDS500/data")

crop_size = 300
upscale_factor = 3
batch_size = 4  # label: config

train_ds = image_dataset_from_directory(
    root_dir,
    batch_size=batch_size,
    image_size=(crop_size, crop_size),
    validation_split=0.2,
    subset="training",
    seed=1337,
    label_mode=None,
)
valid_ds = image_dataset_from_directory(
    root_dir,
    batch_size=batch_size,
    image_size=(crop_size, crop_size),
    validation_split=0.2,
    subset="validation",
    seed=1337,
    label_mode=None,
)


def scaling(input_image):
    return input_image / 255.0


def process_input(input, crop_size, upscale_factor):
    y, u, v = tf.split(tf.image.rgb_to_yuv(input), 3, axis=len(input.shape) - 1)
    crop_size = crop_size // upscale_factor
    return tf.image.resize(y, [crop_size, crop_size], method="area")


def process_target(input):
    y, u, v = tf.split(tf.image.rgb_to_yuv(input), 3, axis=len(input.shape) - 1)
    return y


train_ds = train_ds.map(scaling).map(lambda x: (process_input(x, crop_size, upscale_factor), process_target(x)))
valid_ds = valid_ds.map(scaling).map(lambda x: (process_input(x, crop_size, upscale_factor), process_target(x)))

input_img_size = (crop_size // upscale_factor, crop_size // upscale_factor)
channels = 1


def get_model(upscale_factor=3, channels=1):
    conv_args = {
        "activation": "relu",
        "kernel_initializer": "Orthogonal",
        "padding": "same",
    }
    inputs = keras.Input(shape=input_img_size + (channels,))
    x = layers.Conv2D(64, 5, **conv_args)(inputs)  # label: code
    x = layers.Conv2D(64, 3, **conv_args)(x)
    x = layers.Conv2D(32, 3, **conv_args)(x)  # label: code
    x = layers.Conv2D(channels * (upscale_factor ** 2), 3, **conv_args)(x)
    outputs = tf.nn.depth_to_space(x, upscale_factor)
    return keras.Model(inputs, outputs)


early_stopping_callback = keras.callbacks.EarlyStopping(monitor="loss", patience=10)

checkpoint_filepath = "/tmp/checkpoint"
model_checkpoint_callback = keras.callbacks.ModelCheckpoint(
    filepath=checkpoint_filepath,
    save_weights_only=True,
    monitor="loss",
    mode="min",
    save_best_only=True,
)

model = get_model(upscale_factor=upscale_factor, channels=channels)
callbacks = [early_stopping_callback, model_checkpoint_callback]
loss_fn = keras.losses.MeanSquaredError()
optimizer = keras.optimizers.Adam(learning_rate=0.001)  # label: code

epochs = 50

model.compile(
    optimizer=optimizer, loss=loss_fn,
)
model.fit(
    train_ds, epochs=epochs, callbacks=callbacks, validation_data=valid_ds, verbose=2
)
