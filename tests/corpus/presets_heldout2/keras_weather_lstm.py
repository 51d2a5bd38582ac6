# Declarations from https://keras.io/examples/timeseries/timeseries_weather_forecasting/
# presets: argparse keras
import keras

split_fraction = 0.715
step = 6
past = 720
future = 72
learning_rate = 0.001  # label: config
batch_size = 256  # label: config
epochs = 10

inputs = keras.layers.Input(shape=(120, 7))
lstm_out = keras.layers.LSTM(32)(inputs)  # label: code
outputs = keras.layers.Dense(1)(lstm_out)

model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
es_callback = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=5)
history = model.fit(None, epochs=epochs, validation_data=None, callbacks=[es_callback])
