"""A Keras MLP on scikit-learn's 8x8 digits: glovec's main example.

Plain Python: `python digits_keras.py` trains the model once with the values written here.
The `# glovec:` comments mark what a search may change; see examples/README.md for the commands.
GLOVEC_SMOKE=1 trains for 2 epochs instead of 10 (for quick checks).
"""

import os

import keras
from keras import layers
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 0
EPOCHS = 2 if os.environ.get("GLOVEC_SMOKE") == "1" else 10


def load_data():
    digits = load_digits()
    x = digits.data.astype("float32") / 16.0
    return train_test_split(x, digits.target, test_size=0.25, random_state=SEED, stratify=digits.target)


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(64,)),
        layers.Dense(64, activation="relu"),  # glovec: units=oneof([32, 64, 128]), activation=oneof(["relu", "tanh", "gelu"])
        layers.Dropout(rate=0.1),  # glovec: rate=oneof([0.0, 0.1, 0.3])
        layers.Dense(10, activation="softmax"),
    ])
    learning_rate = 0.001  # glovec: floatv(0.0001, 0.03, scale="log")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def main():
    keras.utils.set_random_seed(SEED)
    x_train, x_val, y_train, y_val = load_data()
    model = build_model()
    batch_size = 32  # glovec: oneof([16, 32, 64])
    history = model.fit(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        epochs=EPOCHS,
        batch_size=batch_size,
        verbose=0,
    )
    val_accuracy = history.history["val_accuracy"][-1]  # glovec: objective
    print(f"validation accuracy: {val_accuracy:.4f}")


if __name__ == "__main__":
    main()
