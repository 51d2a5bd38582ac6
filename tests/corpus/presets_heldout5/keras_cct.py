# Declarations from https://keras.io/examples/vision/cct/
# presets: argparse keras
import numpy as np
import tensorflow as tf
import tensorflow_addons as tfa
from tensorflow import keras
from tensorflow.keras import layers

positional_emb = True
conv_layers = 2  # label: config
projection_dim = 128  # label: config

num_heads = 2  # label: config
transformer_units = [
    projection_dim,
    projection_dim,
]
transformer_layers = 2  # label: config
stochastic_depth_rate = 0.1  # label: config

learning_rate = 0.001
weight_decay = 0.0001
batch_size = 128  # label: config
num_epochs = 30
image_size = 32

num_classes = 10
input_shape = (32, 32, 3)


class CCTTokenizer(layers.Layer):
    def __init__(
        self,
        kernel_size=3,
        stride=1,
        padding=1,
        pooling_kernel_size=3,
        pooling_stride=2,
        num_conv_layers=conv_layers,
        num_output_channels=[64, 128],  # label: config
        positional_emb=positional_emb,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.conv_model = keras.Sequential()
        for i in range(num_conv_layers):
            self.conv_model.add(
                layers.Conv2D(num_output_channels[i], kernel_size, stride, padding="valid",
                              use_bias=False, activation="relu", kernel_initializer="he_normal")
            )
            self.conv_model.add(layers.ZeroPadding2D(padding))
            self.conv_model.add(layers.MaxPool2D(pooling_kernel_size, pooling_stride, "same"))
        self.positional_emb = positional_emb

    def call(self, images):
        outputs = self.conv_model(images)
        return tf.reshape(outputs, (-1, tf.shape(outputs)[1] * tf.shape(outputs)[2], tf.shape(outputs)[-1]))


class StochasticDepth(layers.Layer):
    def __init__(self, drop_prop, **kwargs):
        super().__init__(**kwargs)
        self.drop_prob = drop_prop

    def call(self, x, training=None):
        if training:
            keep_prob = 1 - self.drop_prob
            shape = (tf.shape(x)[0],) + (1,) * (len(tf.shape(x)) - 1)
            return (x / keep_prob) * tf.floor(keep_prob + tf.random.uniform(shape, 0, 1))
        return x


def mlp(x, hidden_units, dropout_rate):
    for units in hidden_units:
        x = layers.Dense(units, activation=tf.nn.gelu)(x)
        x = layers.Dropout(dropout_rate)(x)
    return x


def create_cct_model(encoded_patches):
    dpr = [x for x in np.linspace(0, stochastic_depth_rate, transformer_layers)]
    for i in range(transformer_layers):
        x1 = layers.LayerNormalization(epsilon=1e-5)(encoded_patches)
        attention_output = layers.MultiHeadAttention(
            num_heads=num_heads, key_dim=projection_dim, dropout=0.1
        )(x1, x1)  # label: code
        attention_output = StochasticDepth(dpr[i])(attention_output)
        x2 = layers.Add()([attention_output, encoded_patches])
        x3 = layers.LayerNormalization(epsilon=1e-5)(x2)
        x3 = mlp(x3, hidden_units=transformer_units, dropout_rate=0.1)  # label: code
        x3 = StochasticDepth(dpr[i])(x3)
        encoded_patches = layers.Add()([x3, x2])
    representation = layers.LayerNormalization(epsilon=1e-5)(encoded_patches)
    attention_weights = tf.nn.softmax(layers.Dense(1)(representation), axis=1)
    weighted = tf.squeeze(tf.matmul(attention_weights, representation, transpose_a=True), -2)
    return layers.Dense(num_classes)(weighted)


def run_experiment(model, x_train, y_train):
    optimizer = tfa.optimizers.AdamW(learning_rate=0.001, weight_decay=0.0001)  # label: code
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(
            from_logits=True, label_smoothing=0.1
        ),  # label: code
        metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
    )
    return model.fit(x=x_train, y=y_train, batch_size=batch_size, epochs=num_epochs,
                     validation_split=0.1)
