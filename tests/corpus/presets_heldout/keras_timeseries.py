# Declarations from https://keras.io/examples/timeseries/timeseries_classification_transformer/
# presets: argparse keras
import keras
from keras import layers


def transformer_encoder(inputs, head_size, num_heads, ff_dim, dropout=0):
    x = layers.MultiHeadAttention(key_dim=head_size, num_heads=num_heads, dropout=dropout)(inputs, inputs)
    x = layers.Dropout(dropout)(x)
    x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(x)
    return x + inputs


def build_model(input_shape, head_size, num_heads, ff_dim, num_transformer_blocks, mlp_units,
                dropout=0, mlp_dropout=0):
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for _ in range(num_transformer_blocks):
        x = transformer_encoder(x, head_size, num_heads, ff_dim, dropout)
    x = layers.GlobalAveragePooling1D(data_format="channels_last")(x)
    for dim in mlp_units:
        x = layers.Dense(dim, activation="relu")(x)
        x = layers.Dropout(mlp_dropout)(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    return keras.Model(inputs, outputs)


model = build_model(
    (500, 1),
    head_size=256,  # label: code
    num_heads=4,  # label: code
    ff_dim=4,  # label: code
    num_transformer_blocks=4,  # label: code
    mlp_units=[128],
    mlp_dropout=0.4,  # label: code
    dropout=0.25,  # label: code
)
model.compile(loss="sparse_categorical_crossentropy",
              optimizer=keras.optimizers.Adam(learning_rate=1e-4),  # label: code
              metrics=["sparse_categorical_accuracy"])
model.fit(None, None, validation_split=0.2, epochs=150, batch_size=64)  # label: code
