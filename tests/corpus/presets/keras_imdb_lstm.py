# Declarations from https://keras.io/examples/nlp/bidirectional_lstm_imdb/
# presets: argparse keras
import keras
from keras import layers

max_features = 20000
maxlen = 200

inputs = keras.Input(shape=(None,), dtype="int32")
x = layers.Embedding(max_features, 128)(inputs)  # label: code
x = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(x)  # label: code
x = layers.Bidirectional(layers.LSTM(64))(x)  # label: code
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])  # label: code
model.fit(None, None, batch_size=32, epochs=2)  # label: code
