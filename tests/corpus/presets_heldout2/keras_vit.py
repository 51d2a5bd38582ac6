# Declarations from https://keras.io/examples/vision/image_classification_with_vision_transformer/
# presets: argparse keras
import keras
from keras import layers

num_classes = 100
input_shape = (32, 32, 3)

learning_rate = 0.001  # label: config
weight_decay = 0.0001  # label: config
batch_size = 256  # label: config
num_epochs = 100
image_size = 72  # label: config
patch_size = 6  # label: config
num_patches = (image_size // patch_size) ** 2
projection_dim = 64  # label: config
num_heads = 4  # label: config
transformer_units = [projection_dim * 2, projection_dim]
transformer_layers = 8  # label: config
mlp_head_units = [2048, 1024]


def mlp(x, hidden_units, dropout_rate):
    for units in hidden_units:
        x = layers.Dense(units, activation="gelu")(x)
        x = layers.Dropout(dropout_rate)(x)
    return x


def create_vit_classifier(encoded_patches):
    inputs = layers.Input(shape=input_shape)
    for _ in range(transformer_layers):
        x1 = layers.LayerNormalization(epsilon=1e-6)(encoded_patches)
        attention_output = layers.MultiHeadAttention(
            num_heads=num_heads, key_dim=projection_dim, dropout=0.1
        )(x1, x1)  # label: code
        x2 = layers.Add()([attention_output, encoded_patches])
        x3 = layers.LayerNormalization(epsilon=1e-6)(x2)
        x3 = mlp(x3, hidden_units=transformer_units, dropout_rate=0.1)  # label: code
        encoded_patches = layers.Add()([x3, x2])
    representation = layers.LayerNormalization(epsilon=1e-6)(encoded_patches)
    representation = layers.Flatten()(representation)
    representation = layers.Dropout(0.5)(representation)  # label: code
    features = mlp(representation, hidden_units=mlp_head_units, dropout_rate=0.5)  # label: code
    logits = layers.Dense(num_classes)(features)
    return keras.Model(inputs=inputs, outputs=logits)


def run_experiment(model, x_train, y_train):
    optimizer = keras.optimizers.AdamW(learning_rate=learning_rate, weight_decay=weight_decay)
    model.compile(optimizer=optimizer,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    return model.fit(x=x_train, y=y_train, batch_size=batch_size, epochs=num_epochs,
                     validation_split=0.1)
