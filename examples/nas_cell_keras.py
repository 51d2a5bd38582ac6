"""A NAS-Bench-201-style cell on scikit-learn's 8x8 digits, in Keras (TensorFlow backend).

The Keras counterpart of nas_cell_torch.py. The cell has four nodes; node j sums one operation
applied to each earlier node, so six edges, each one of zero / skip / conv 1x1 / conv 3x3 /
avg-pool 3x3 (5^6 = 15,625 cells). Two cells are stacked and share the choice (each builds its
own weights). The same file serves both searches:

    glovec run examples/nas_cell_keras.py --algorithm evolution --trials 20   # trains every trial
    glovec run examples/nas_cell_keras.py --one-shot spos --trials 100        # one supernet, then finalists alone

The objective is an expression that evaluates the model (`accuracy(model, x_val, y_val)`), so a
one-shot search can evaluate it again for each architecture on the shared weights. Batch
normalization uses momentum 0.9, PyTorch's default (0.1 in its convention): with Keras's 0.99 the
moving statistics stay near their initial values after the 160 steps of 8 epochs.
GLOVEC_SMOKE=1 trains for 1 epoch instead of 8.
"""

import os

import keras
from keras import layers
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 0
EPOCHS = 1 if os.environ.get("GLOVEC_SMOKE") == "1" else 8
CHANNELS = 16


class Zero(layers.Layer):
    def call(self, x):
        return x * 0.0

    def compute_output_shape(self, input_shape):
        return input_shape


def zero(c):
    return Zero()


def skip(c):
    return layers.Identity()


def conv1(c):
    return keras.Sequential([layers.ReLU(), layers.Conv2D(c, 1, use_bias=False), layers.BatchNormalization(momentum=0.9)])  # glovec: fixed


def conv3(c):
    return keras.Sequential([layers.ReLU(), layers.Conv2D(c, 3, padding="same", use_bias=False), layers.BatchNormalization(momentum=0.9)])  # glovec: fixed


def pool(c):
    return layers.AveragePooling2D(3, strides=1, padding="same")  # glovec: fixed


class Cell(layers.Layer):
    def __init__(self, c, **kwargs):
        super().__init__(**kwargs)
        self.e10 = conv3(c)  # glovec: oneof([zero(c), skip(c), conv1(c), conv3(c), pool(c)], name="edge_1_0")
        self.e20 = skip(c)  # glovec: oneof([zero(c), skip(c), conv1(c), conv3(c), pool(c)], name="edge_2_0")
        self.e21 = conv3(c)  # glovec: oneof([zero(c), skip(c), conv1(c), conv3(c), pool(c)], name="edge_2_1")
        self.e30 = skip(c)  # glovec: oneof([zero(c), skip(c), conv1(c), conv3(c), pool(c)], name="edge_3_0")
        self.e31 = zero(c)  # glovec: oneof([zero(c), skip(c), conv1(c), conv3(c), pool(c)], name="edge_3_1")
        self.e32 = conv1(c)  # glovec: oneof([zero(c), skip(c), conv1(c), conv3(c), pool(c)], name="edge_3_2")

    def call(self, x0, training=None):
        x1 = self.e10(x0, training=training)
        x2 = self.e20(x0, training=training) + self.e21(x1, training=training)
        return (self.e30(x0, training=training) + self.e31(x1, training=training)
                + self.e32(x2, training=training))

    def compute_output_shape(self, input_shape):
        return input_shape


def build_model(c=CHANNELS):
    model = keras.Sequential([
        keras.Input(shape=(8, 8, 1)),
        layers.Conv2D(c, 3, padding="same", use_bias=False),  # glovec: fixed
        layers.BatchNormalization(momentum=0.9),
        Cell(c),
        Cell(c),
        layers.BatchNormalization(momentum=0.9),
        layers.ReLU(),
        layers.GlobalAveragePooling2D(),
        layers.Dense(10, activation="softmax"),
    ])
    optimizer = keras.optimizers.Adam(learning_rate=3e-3)  # glovec: fixed
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def load_data():
    digits = load_digits()
    x = (digits.data.astype("float32") / 16.0).reshape(-1, 8, 8, 1)
    return train_test_split(x, digits.target, test_size=0.3, random_state=SEED, stratify=digits.target)


def accuracy(model, x, y):
    return model.evaluate(x, y, batch_size=256, verbose=0, return_dict=True)["accuracy"]


def main():
    keras.utils.set_random_seed(SEED)
    x_train, x_val, y_train, y_val = load_data()
    model = build_model()
    batch_size = 64  # glovec: fixed
    model.fit(x_train, y_train, epochs=EPOCHS, batch_size=batch_size, verbose=0)
    score = accuracy(model, x_val, y_val)  # glovec: objective
    print(f"validation accuracy: {score:.4f}")


if __name__ == "__main__":
    main()
