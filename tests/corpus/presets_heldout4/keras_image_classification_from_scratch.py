# Declarations from https://keras.io/examples/vision/image_classification_from_scratch/
# presets: argparse keras
import keras
from keras import layers

image_size = (180, 180)
batch_size = 128  # label: config

data_augmentation_layers = [
    layers.RandomFlip("horizontal"),
    layers.RandomRotation(0.1),  # label: code
]


def data_augmentation(images):
    for layer in data_augmentation_layers:
        images = layer(images)
    return images


def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)

    # Entry block
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(128, 3, strides=2, padding="same")(x)  # label: code
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    previous_block_activation = x

    for size in [256, 512, 728]:  # label: code
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])
        previous_block_activation = x

    x = layers.SeparableConv2D(1024, 3, padding="same")(x)  # label: code
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    x = layers.GlobalAveragePooling2D()(x)
    if num_classes == 2:
        units = 1
    else:
        units = num_classes

    x = layers.Dropout(0.25)(x)  # label: code
    outputs = layers.Dense(units, activation=None)(x)
    return keras.Model(inputs, outputs)


def train(train_ds, val_ds):
    model = make_model(input_shape=image_size + (3,), num_classes=2)
    epochs = 25
    model.compile(
        optimizer=keras.optimizers.Adam(3e-4),  # label: code
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy(name="acc")],
    )
    train_ds = train_ds.map(lambda img, target: (data_augmentation(img), target))
    return model.fit(train_ds, epochs=epochs,
                     callbacks=[keras.callbacks.ModelCheckpoint("save_at_{epoch}.keras")],
                     validation_data=val_ds)
