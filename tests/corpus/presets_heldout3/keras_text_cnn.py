# Declarations from https://keras.io/examples/nlp/text_classification_from_scratch/
# presets: argparse keras
import keras
import tensorflow as tf
from keras import layers

batch_size = 32  # label: config
validation_split = 0.2

max_features = 20000
embedding_dim = 128  # label: config
sequence_length = 500


def load(folder):
    train = keras.utils.text_dataset_from_directory(folder, batch_size=batch_size,
                                                    validation_split=validation_split,
                                                    subset="training", seed=1337)
    return train.prefetch(buffer_size=10)


def build():
    inputs = keras.Input(shape=(None,), dtype="int64")
    x = layers.Embedding(max_features, embedding_dim)(inputs)
    x = layers.Dropout(0.5)(x)  # label: code
    x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)  # label: code
    x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)  # label: code
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(128, activation="relu")(x)  # label: code
    x = layers.Dropout(0.5)(x)  # label: code
    predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
    model = keras.Model(inputs, predictions)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


epochs = 3


def train(folder):
    data = load(folder)
    model = build()
    model.fit(data, epochs=epochs)
    return tf.reduce_mean(model.predict(data))
