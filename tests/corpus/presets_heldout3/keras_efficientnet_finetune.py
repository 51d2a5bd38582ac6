# Declarations from https://keras.io/examples/vision/image_classification_efficientnet_fine_tuning/
# presets: argparse keras
import keras
from keras import layers
from keras.applications import EfficientNetB0

IMG_SIZE = 224
BATCH_SIZE = 64  # label: config
NUM_CLASSES = 120

augmentation = [
    layers.RandomRotation(factor=0.15),  # label: code
    layers.RandomTranslation(height_factor=0.1, width_factor=0.1),  # label: code
    layers.RandomFlip(),
    layers.RandomContrast(factor=0.1),  # label: code
]


def augment(images):
    for layer in augmentation:
        images = layer(images)
    return images


def build_model(num_classes):
    inputs = layers.Input(shape=(IMG_SIZE, IMG_SIZE, 3))
    base = EfficientNetB0(include_top=False, input_tensor=inputs, weights="imagenet")
    base.trainable = False
    x = layers.GlobalAveragePooling2D(name="avg_pool")(base.output)
    x = layers.BatchNormalization()(x)
    top_dropout_rate = 0.2  # label: config
    x = layers.Dropout(top_dropout_rate, name="top_dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="pred")(x)
    model = keras.Model(inputs, outputs, name="EfficientNet")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2),  # label: code
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def unfreeze_model(
    model,
    layers_to_unfreeze=20,  # label: config
    learning_rate=1e-5,  # label: config
):
    count = min(layers_to_unfreeze, len(model.layers))
    for layer in model.layers[-count:]:
        if not isinstance(layer, layers.BatchNormalization):
            layer.trainable = True
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def run(train, test):
    model = build_model(NUM_CLASSES)
    model.fit(train, epochs=25, validation_data=test)
    model = unfreeze_model(model)
    return model.fit(train, epochs=4, validation_data=test)
