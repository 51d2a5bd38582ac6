"""A searchable Keras MLP on scikit-learn's 8x8 digits: three hidden layers, each one of four.

Each hidden layer is one of: a dense layer with ReLU, with tanh, with GELU, or nothing (an
identity), so 4^3 = 64 networks. The same file serves both searches:

    glovec run examples/nas_mlp_keras.py --algorithm evolution --trials 10   # trains every trial
    glovec run examples/nas_mlp_keras.py --one-shot spos --trials 30         # one supernet, then finalists alone

The objective reads Keras's history; a one-shot search evaluates it again for each architecture
as `model.evaluate` on the `validation_data` given to `fit`. GLOVEC_SMOKE=1 trains for 2 epochs
instead of 15.
"""

import os

import keras
from keras import layers
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 0
EPOCHS = 2 if os.environ.get("GLOVEC_SMOKE") == "1" else 15
WIDTH = 64


def load_data():
    digits = load_digits()
    x = digits.data.astype("float32") / 16.0
    return train_test_split(x, digits.target, test_size=0.3, random_state=SEED, stratify=digits.target)


def build_model():
    first = layers.Dense(WIDTH, activation="relu")  # glovec: oneof([layers.Dense(WIDTH, activation="relu"), layers.Dense(WIDTH, activation="tanh"), layers.Dense(WIDTH, activation="gelu"), layers.Identity()], name="layer_1")
    second = layers.Dense(WIDTH, activation="relu")  # glovec: oneof([layers.Dense(WIDTH, activation="relu"), layers.Dense(WIDTH, activation="tanh"), layers.Dense(WIDTH, activation="gelu"), layers.Identity()], name="layer_2")
    third = layers.Identity()  # glovec: oneof([layers.Dense(WIDTH, activation="relu"), layers.Dense(WIDTH, activation="tanh"), layers.Dense(WIDTH, activation="gelu"), layers.Identity()], name="layer_3")
    model = keras.Sequential([
        keras.Input(shape=(64,)),
        layers.Dense(WIDTH),
        first,
        second,
        third,
        layers.Dense(10, activation="softmax"),
    ])
    optimizer = keras.optimizers.Adam(learning_rate=0.003)  # glovec: fixed
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main():
    keras.utils.set_random_seed(SEED)
    x_train, x_val, y_train, y_val = load_data()
    model = build_model()
    batch_size = 64  # glovec: fixed
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS,
                        batch_size=batch_size, verbose=0)
    val_accuracy = history.history["val_accuracy"][-1]  # glovec: objective
    print(f"validation accuracy: {val_accuracy:.4f}")


if __name__ == "__main__":
    main()
