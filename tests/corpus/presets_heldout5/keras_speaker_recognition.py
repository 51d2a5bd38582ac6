# Declarations from https://keras.io/examples/audio/speaker_recognition_using_cnn/
# presets: argparse keras
import os

import tensorflow as tf
from tensorflow import keras

DATASET_ROOT = os.path.join(os.path.expanduser("~"), "Downloads/16000_pcm_speeches")

# Percentage of samples to use for validation
VALID_SPLIT = 0.1

# Seed to use when shuffling the dataset and the noise
SHUFFLE_SEED = 43

# The sampling rate to use.
SAMPLING_RATE = 16000

# The factor to multiply the noise with according to:
#   noisy_sample = sample + noise * prop * scale
SCALE = 0.5  # label: config

BATCH_SIZE = 128  # label: config
EPOCHS = 100


def add_noise(audio, noises=None, scale=0.5):
    if noises is not None:
        tf_rnd = tf.random.uniform((tf.shape(audio)[0],), 0, noises.shape[0], dtype=tf.int32)
        noise = tf.gather(noises, tf_rnd, axis=0)
        prop = tf.math.reduce_max(audio, axis=1) / tf.math.reduce_max(noise, axis=1)
        prop = tf.repeat(tf.expand_dims(prop, axis=1), tf.shape(audio)[1], axis=1)
        audio = audio + noise * prop * scale
    return audio


def residual_block(x, filters, conv_num=3, activation="relu"):
    s = keras.layers.Conv1D(filters, 1, padding="same")(x)
    for i in range(conv_num - 1):
        x = keras.layers.Conv1D(filters, 3, padding="same")(x)
        x = keras.layers.Activation(activation)(x)
    x = keras.layers.Conv1D(filters, 3, padding="same")(x)
    x = keras.layers.Add()([x, s])
    x = keras.layers.Activation(activation)(x)
    return keras.layers.MaxPool1D(pool_size=2, strides=2)(x)


def build_model(input_shape, num_classes):
    inputs = keras.layers.Input(shape=input_shape, name="input")

    x = residual_block(inputs, 16, 2)  # label: code
    x = residual_block(x, 32, 2)  # label: code
    x = residual_block(x, 64, 3)  # label: code
    x = residual_block(x, 128, 3)  # label: code
    x = residual_block(x, 128, 3)  # label: code

    x = keras.layers.AveragePooling1D(pool_size=3, strides=3)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(256, activation="relu")(x)  # label: code
    x = keras.layers.Dense(128, activation="relu")(x)  # label: code

    outputs = keras.layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.models.Model(inputs=inputs, outputs=outputs)


def train(train_ds, valid_ds, noises, num_classes):
    train_ds = train_ds.shuffle(buffer_size=BATCH_SIZE * 8, seed=SHUFFLE_SEED).batch(BATCH_SIZE)
    train_ds = train_ds.map(lambda x, y: (add_noise(x, noises, scale=SCALE), y),
                            num_parallel_calls=tf.data.AUTOTUNE)
    model = build_model((SAMPLING_RATE // 2, 1), num_classes)
    model.compile(optimizer="Adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    earlystopping_cb = keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)
    mdlcheckpoint_cb = keras.callbacks.ModelCheckpoint("model.h5", monitor="val_accuracy", save_best_only=True)
    return model.fit(train_ds, epochs=EPOCHS, validation_data=valid_ds,
                     callbacks=[earlystopping_cb, mdlcheckpoint_cb])
