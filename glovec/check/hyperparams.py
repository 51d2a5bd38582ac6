"""Which arguments of common ML calls are hyper-parameters (data for ``coverage.py``).

``glovec check`` reports a numeric literal passed to one of these parameters, when no site
searches it and nothing marks it fixed. A table per library: the callee's last name ->
``(positional parameter names, hyper-parameter names)``. The positional names only need to
reach the last hyper-parameter that may be passed by position; the first names are often data
shapes (``nn.Linear(784, 128)``: ``in_features`` follows from the previous layer, so only
``out_features`` is a hyper-parameter).
"""

from __future__ import annotations

_CONV_KERAS = (("filters", "kernel_size"), {"filters", "kernel_size"})
_POOL_KERAS = (("pool_size",), {"pool_size"})
_DROPOUT_KERAS = (("rate",), {"rate"})
_RNN_KERAS = (("units",), {"units", "dropout", "recurrent_dropout"})
_OPT_KERAS = (("learning_rate",), {"learning_rate", "weight_decay", "momentum"})

KERAS: dict[str, tuple[tuple[str, ...], set[str]]] = {
    "Dense": (("units",), {"units"}),
    "EinsumDense": ((), set()),
    **{name: _CONV_KERAS for name in (
        "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
        "SeparableConv1D", "SeparableConv2D", "Convolution2D")},
    "DepthwiseConv2D": (("kernel_size",), {"kernel_size"}),
    "DepthwiseConv1D": (("kernel_size",), {"kernel_size"}),
    **{name: _POOL_KERAS for name in (
        "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
        "AveragePooling3D", "MaxPool2D", "AvgPool2D")},
    **{name: _DROPOUT_KERAS for name in (
        "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "AlphaDropout",
        "GaussianDropout")},
    **{name: _RNN_KERAS for name in ("LSTM", "GRU", "SimpleRNN")},
    "Embedding": (("input_dim", "output_dim"), {"output_dim"}),
    "MultiHeadAttention": (("num_heads", "key_dim"), {"num_heads", "key_dim", "dropout"}),
    **{name: _OPT_KERAS for name in (
        "Adam", "AdamW", "SGD", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion",
        "Adafactor", "Ftrl")},
}

_CONV_TORCH = (("in_channels", "out_channels", "kernel_size"), {"out_channels", "kernel_size"})
_POOL_TORCH = (("kernel_size",), {"kernel_size"})
_DROPOUT_TORCH = (("p",), {"p"})
_RNN_TORCH = (("input_size", "hidden_size", "num_layers"), {"hidden_size", "num_layers", "dropout"})
_OPT_TORCH = (("params", "lr"), {"lr", "momentum", "weight_decay"})

TORCH: dict[str, tuple[tuple[str, ...], set[str]]] = {
    "Linear": (("in_features", "out_features"), {"out_features"}),
    **{name: _CONV_TORCH for name in (
        "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")},
    **{name: _POOL_TORCH for name in (
        "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d")},
    **{name: _DROPOUT_TORCH for name in (
        "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout")},
    **{name: _RNN_TORCH for name in ("LSTM", "GRU", "RNN")},
    "Embedding": (("num_embeddings", "embedding_dim"), {"embedding_dim"}),
    "TransformerEncoderLayer": (("d_model", "nhead", "dim_feedforward", "dropout"),
                                {"nhead", "dim_feedforward", "dropout"}),
    "TransformerDecoderLayer": (("d_model", "nhead", "dim_feedforward", "dropout"),
                                {"nhead", "dim_feedforward", "dropout"}),
    "MultiheadAttention": (("embed_dim", "num_heads", "dropout"), {"num_heads", "dropout"}),
    **{name: _OPT_TORCH for name in (
        "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam")},
    "DataLoader": (("dataset", "batch_size"), {"batch_size"}),
    "StepLR": (("optimizer", "step_size", "gamma"), {"step_size", "gamma"}),
}

_TREES = {"n_estimators", "max_depth", "min_samples_split", "min_samples_leaf", "max_features",
          "learning_rate", "subsample"}
_HIST = {"learning_rate", "max_iter", "max_depth", "max_leaf_nodes", "min_samples_leaf",
         "l2_regularization"}

SKLEARN: dict[str, tuple[tuple[str, ...], set[str]]] = {
    **{name: (("n_estimators",), _TREES) for name in (
        "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier",
        "ExtraTreesRegressor")},
    **{name: ((), _TREES) for name in ("GradientBoostingClassifier", "GradientBoostingRegressor")},
    **{name: ((), _HIST) for name in (
        "HistGradientBoostingClassifier", "HistGradientBoostingRegressor")},
    **{name: ((), {"n_estimators", "learning_rate"}) for name in (
        "AdaBoostClassifier", "AdaBoostRegressor")},
    **{name: ((), {"max_depth", "min_samples_split", "min_samples_leaf"}) for name in (
        "DecisionTreeClassifier", "DecisionTreeRegressor")},
    **{name: (("hidden_layer_sizes",), {"hidden_layer_sizes", "alpha", "learning_rate_init",
                                        "batch_size", "max_iter"}) for name in (
        "MLPClassifier", "MLPRegressor")},
    "LogisticRegression": ((), {"C", "l1_ratio"}),
    **{name: ((), {"C", "gamma", "degree", "epsilon"}) for name in ("SVC", "SVR", "NuSVC")},
    "LinearSVC": ((), {"C"}),
    **{name: (("n_neighbors",), {"n_neighbors"}) for name in (
        "KNeighborsClassifier", "KNeighborsRegressor")},
    **{name: (("alpha",), {"alpha", "l1_ratio"}) for name in ("Ridge", "Lasso", "ElasticNet")},
    "RidgeClassifier": (("alpha",), {"alpha"}),
    "SGDClassifier": ((), {"alpha", "l1_ratio", "eta0"}),
    "PCA": (("n_components",), {"n_components"}),
    "TruncatedSVD": (("n_components",), {"n_components"}),
    "KMeans": (("n_clusters",), {"n_clusters"}),
}

LIBRARIES = {"keras": KERAS, "torch": TORCH, "sklearn": SKLEARN}

# Methods matched on any receiver (``model.fit(x, y, epochs=5)``): keyword arguments only.
METHODS: dict[str, set[str]] = {
    "fit": {"epochs", "batch_size"},
}

# Plain names that hold a hyper-parameter when a numeric literal is assigned to them or used as a
# parameter default (``EPOCHS = 10``, ``def train(lr=1e-3)``); compared lower-cased.
NAMES = frozenset({
    "lr", "learning_rate", "epochs", "num_epochs", "n_epochs", "max_epochs", "batch_size",
    "dropout", "dropout_rate", "hidden_size", "hidden_units", "hidden_dim", "num_layers",
    "n_layers", "weight_decay", "momentum", "kernel_size", "num_filters", "embedding_dim",
    "n_estimators", "max_depth", "units",
})
