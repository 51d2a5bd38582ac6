# Modelled on the TensorFlow script-mode training scripts of
# https://github.com/aws/amazon-sagemaker-examples (epochs, batch-size, learning-rate, model_dir,
# the SM_* channel options); beta_1/beta_2/units are options of our own in the same style
# presets: argparse keras
import argparse
import os

import tensorflow as tf


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=100)  # label: config
    parser.add_argument("--learning-rate", type=float, default=0.1)  # label: config
    parser.add_argument("--beta_1", type=float, default=0.9)  # label: config
    parser.add_argument("--beta_2", type=float, default=0.999)  # label: config
    parser.add_argument("--units", type=int, default=128)  # label: config
    parser.add_argument("--model_dir", type=str)
    parser.add_argument("--sm-model-dir", type=str, default=os.environ.get("SM_MODEL_DIR"))
    parser.add_argument("--train", type=str, default=os.environ.get("SM_CHANNEL_TRAINING"))
    parser.add_argument("--hosts", type=list, default=["algo-1"])
    parser.add_argument("--current-host", type=str, default="algo-1")
    return parser.parse_known_args()


args, _ = parse_args()
model = tf.keras.Sequential([
    tf.keras.layers.Flatten(input_shape=(28, 28)),
    tf.keras.layers.Dense(args.units, activation="relu"),
    tf.keras.layers.Dense(10, activation="softmax"),
])
optimizer = tf.keras.optimizers.Adam(learning_rate=args.learning_rate, beta_1=args.beta_1,
                                     beta_2=args.beta_2)
model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(None, None, batch_size=args.batch_size, epochs=args.epochs)
