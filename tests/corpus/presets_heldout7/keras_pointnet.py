# Declarations from https://keras.io/examples/vision/pointnet/
# presets: argparse keras
import glob

import numpy as np
import tensorflow as tf
import trimesh
from tensorflow import keras
from tensorflow.keras import layers


def parse_dataset(n_pts=2048):
    train_pts, train_labels, test_pts, test_labels = [], [], [], []
    for i, folder in enumerate(glob.glob("ModelNet10/[!README]*")):
        for f in glob.glob(folder + "/train/*"):
            train_pts.append(trimesh.load(f).sample(n_pts))
            train_labels.append(i)
        for f in glob.glob(folder + "/test/*"):
            test_pts.append(trimesh.load(f).sample(n_pts))
            test_labels.append(i)
    return np.array(train_pts), np.array(test_pts), np.array(train_labels), np.array(test_labels)


N_PTS = 2048
NUM_CLASSES = 10
BATCH_SIZE = 32  # label: config

X_train, X_test, y_train, y_test = parse_dataset(N_PTS)


def augment(pts, label):
    # jitter points
    pts += tf.random.uniform(pts.shape, -0.005, 0.005, dtype=tf.float64)  # label: code
    # shuffle points
    pts = tf.random.shuffle(pts)
    # random rotation about the z axis
    theta = np.random.uniform(-np.pi, np.pi)
    c, s = np.cos(theta), np.sin(theta)
    R = tf.constant([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]], tf.float64)
    pts = tf.einsum("...ij,...kj->...ki", R, pts)
    return pts, label


train_dataset = tf.data.Dataset.from_tensor_slices((X_train, y_train))
test_dataset = tf.data.Dataset.from_tensor_slices((X_test, y_test))
train_dataset = train_dataset.shuffle(len(X_train)).map(augment).batch(BATCH_SIZE)
test_dataset = test_dataset.shuffle(len(X_test)).batch(BATCH_SIZE)


class ConvBN(layers.Layer):
    def __init__(self, filters):
        super(ConvBN, self).__init__()
        self.conv = layers.Conv1D(filters, kernel_size=1, padding="valid")
        self.bn = layers.BatchNormalization(momentum=0.0)
        self.activation = tf.nn.relu

    def call(self, inputs):
        return self.activation(self.bn(self.conv(inputs)))


class DenseBN(layers.Layer):
    def __init__(self, filters):
        super(DenseBN, self).__init__()
        self.dense = layers.Dense(filters)
        self.bn = layers.BatchNormalization(momentum=0.0)
        self.activation = tf.nn.relu

    def call(self, inputs):
        return self.activation(self.bn(self.dense(inputs)))


inputs = keras.Input(shape=(N_PTS, 3))

x = ConvBN(64)(inputs)  # label: code
x = ConvBN(64)(x)
x = ConvBN(64)(x)
x = ConvBN(128)(x)  # label: code
x = ConvBN(1024)(x)  # label: code

x = layers.GlobalMaxPooling1D()(x)

x = DenseBN(512)(x)  # label: code
x = layers.Dropout(0.3)(x)  # label: code

x = DenseBN(256)(x)  # label: code
x = layers.Dropout(0.3)(x)  # label: code

outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)

model = keras.Model(inputs=inputs, outputs=outputs, name="pointnet")

model.compile(
    loss="sparse_categorical_crossentropy",
    optimizer=keras.optimizers.Adam(learning_rate=0.001),  # label: code
    metrics=["sparse_categorical_accuracy"],
)

model.fit(train_dataset, epochs=10, validation_data=test_dataset)
