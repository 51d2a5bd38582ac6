# Declarations from https://keras.io/examples/timeseries/timeseries_anomaly_detection/
# presets: argparse keras
import numpy as np
import keras
from keras import layers

TIME_STEPS = 288


def create_sequences(values, time_steps=TIME_STEPS):
    windows = [values[i : (i + time_steps)] for i in range(len(values) - time_steps + 1)]
    return np.stack(windows)


def build_autoencoder(sequence_length, features):
    model = keras.Sequential(
        [
            layers.Input(shape=(sequence_length, features)),
            layers.Conv1D(filters=32, kernel_size=7, padding="same", strides=2, activation="relu"),  # label: code
            layers.Dropout(rate=0.2),  # label: code
            layers.Conv1D(filters=16, kernel_size=7, padding="same", strides=2, activation="relu"),  # label: code
            layers.Conv1DTranspose(filters=16, kernel_size=7, padding="same", strides=2, activation="relu"),  # label: code
            layers.Dropout(rate=0.2),  # label: code
            layers.Conv1DTranspose(filters=32, kernel_size=7, padding="same", strides=2, activation="relu"),  # label: code
            layers.Conv1DTranspose(filters=1, kernel_size=7, padding="same"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")  # label: code
    return model


def train(values):
    x_train = create_sequences(values)
    model = build_autoencoder(x_train.shape[1], x_train.shape[2])
    history = model.fit(
        x_train,
        x_train,
        epochs=50,
        batch_size=128,  # label: code
        validation_split=0.1,
        callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, mode="min")],
    )
    reconstruction = model.predict(x_train)
    threshold = np.max(np.mean(np.abs(reconstruction - x_train), axis=1))
    return history, threshold
