# Declarations from https://keras.io/examples/vision/mlp_image_classification/
# presets: argparse keras
import keras
from keras import layers

num_classes = 100
input_shape = (32, 32, 3)

learning_rate = 0.005  # label: config
weight_decay = 0.0001  # label: config
batch_size = 128  # label: config
num_epochs = 50
dropout_rate = 0.2  # label: config
image_size = 64  # We'll resize input images to this size.
patch_size = 8  # label: config
num_patches = (image_size // patch_size) ** 2  # Size of the data array.
embedding_dim = 256  # label: config
num_blocks = 4  # label: config

data_augmentation = keras.Sequential(
    [
        layers.Normalization(),
        layers.Resizing(image_size, image_size),
        layers.RandomFlip("horizontal"),
        layers.RandomZoom(height_factor=0.2, width_factor=0.2),  # label: code
    ],
    name="data_augmentation",
)


class MLPMixerLayer(layers.Layer):
    def __init__(self, num_patches, hidden_units, dropout_rate, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mlp1 = keras.Sequential([
            layers.Dense(units=num_patches, activation="gelu"),
            layers.Dense(units=num_patches),
            layers.Dropout(rate=dropout_rate),
        ])
        self.mlp2 = keras.Sequential([
            layers.Dense(units=num_patches, activation="gelu"),
            layers.Dense(units=hidden_units),
            layers.Dropout(rate=dropout_rate),
        ])
        self.normalize = layers.LayerNormalization(epsilon=1e-6)

    def call(self, inputs):
        x = self.normalize(inputs)
        x_channels = keras.ops.transpose(x, axes=(0, 2, 1))
        x = keras.ops.transpose(self.mlp1(x_channels), axes=(0, 2, 1)) + inputs
        return x + self.mlp2(self.normalize(x))


def build_classifier(blocks, patches_layer):
    inputs = layers.Input(shape=input_shape)
    patches = patches_layer(data_augmentation(inputs))
    x = layers.Dense(units=embedding_dim)(patches)
    x = blocks(x)
    representation = layers.GlobalAveragePooling1D()(x)
    representation = layers.Dropout(rate=dropout_rate)(representation)
    logits = layers.Dense(num_classes)(representation)
    return keras.Model(inputs=inputs, outputs=logits)


def run_experiment(model, x_train, y_train):
    optimizer = keras.optimizers.AdamW(learning_rate=learning_rate, weight_decay=weight_decay)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )
    reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=5)  # label: code
    early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    return model.fit(x=x_train, y=y_train, batch_size=batch_size, epochs=num_epochs,
                     validation_split=0.1, callbacks=[early_stopping, reduce_lr])


mlpmixer_blocks = keras.Sequential(
    [MLPMixerLayer(num_patches, embedding_dim, dropout_rate) for _ in range(num_blocks)]
)
