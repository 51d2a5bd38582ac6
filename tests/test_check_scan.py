"""The static scan behind GV401: which literals are hyper-parameters, and which are covered."""

from __future__ import annotations

import pytest

from glovec.check import scan as coverage

# (source, sites as (id, line, col), allow, expected [(line, label, text, status)])
CASES = [
    pytest.param(
        "from keras import layers\nlayers.Dense(64)\n", (), (),
        [(2, "Dense.units", "64", "uncovered")], id="keras-positional"),
    pytest.param(
        "import keras\nkeras.layers.Dense(units=64, activation='relu')\n", (), (),
        [(2, "Dense.units", "64", "uncovered")], id="keras-keyword"),
    pytest.param(
        "import tensorflow as tf\ntf.keras.layers.Conv2D(32, (3, 3))\n", (), (),
        [(2, "Conv2D.filters", "32", "uncovered"), (2, "Conv2D.kernel_size", "(3, 3)", "uncovered")],
        id="tf-keras-conv"),
    pytest.param(
        "from keras import layers\nlayers.Dense(64)  # glovec: fixed\n", (), (),
        [(2, "Dense.units", "64", "fixed")], id="fixed-comment"),
    pytest.param(
        "from keras import layers\nlayers.Dense(64)\n", (), ("Dense.units",),
        [(2, "Dense.units", "64", "fixed")], id="allow-qualified-by-class"),
    pytest.param(
        "from keras import layers\nlayers.Dense(64)\n", (), ("units",),
        [(2, "Dense.units", "64", "fixed")], id="allow-by-parameter"),
    pytest.param(
        "from keras import layers\nlayers.Dense(64)\n", (), ("keras.layers.Dense.units",),
        [(2, "Dense.units", "64", "fixed")], id="allow-fully-qualified"),
    pytest.param(
        "from keras import layers\nlayers.Dense(64)  # glovec: units=oneof([32, 64])\n", (), (),
        [(2, "Dense.units", "64", "searched")], id="marker-names-parameter"),
    pytest.param(
        "from keras import layers\n"
        "layers.Dense(64, activation='relu')  # glovec: activation=oneof(['relu', 'gelu'])\n", (), (),
        [(2, "Dense.units", "64", "uncovered")], id="marker-names-another-parameter"),
    pytest.param(
        "from keras import layers\nlayers.Dense(64)  # glovec: objective\n", (), (),
        [(2, "Dense.units", "64", "uncovered")], id="objective-is-not-a-spec"),
    pytest.param(
        "from keras import layers\nlayers.Dense(64)\n", (("build.Dense.units", 2, 14),), (),
        [(2, "Dense.units", "64", "searched")], id="site-at-the-literal"),
    pytest.param(
        "from keras import layers\nm = layers.Dense(\n    64,\n)\n", (("m.Dense.units", 2, 5),), (),
        [(3, "Dense.units", "64", "searched")], id="site-named-after-parameter-on-call-lines"),
    pytest.param(
        "import torch.nn as nn\nnn.Sequential(nn.Linear(784, 128), nn.Dropout(0.2), nn.Linear(128, 10))\n", (), (),
        [(2, "Linear.out_features", "128", "uncovered"), (2, "Dropout.p", "0.2", "uncovered")],
        id="torch-widths-not-input-sizes"),
    pytest.param(
        "from torch import optim\nopt = optim.Adam(model.parameters(), lr=3e-4)\n", (), (),
        [(2, "Adam.lr", "3e-4", "uncovered")], id="torch-optimizer"),
    pytest.param(
        "from keras import layers\nlayers.Dropout(0.5)\n", (), (),
        [(2, "Dropout.rate", "0.5", "uncovered")], id="keras-dropout-rate"),
    pytest.param(
        "from sklearn.ensemble import RandomForestClassifier as RF\nRF(100, max_depth=5, random_state=0)\n",
        (), (),
        [(2, "RandomForestClassifier.n_estimators", "100", "uncovered"),
         (2, "RandomForestClassifier.max_depth", "5", "uncovered")], id="sklearn-alias"),
    pytest.param(
        "model.fit(x, y, epochs=5, batch_size=32, verbose=0)\n", (), (),
        [(1, "fit.epochs", "5", "uncovered"), (1, "fit.batch_size", "32", "uncovered")], id="fit-method"),
    pytest.param(
        "EPOCHS = 10\nlr = 1e-3  # glovec: floatv(1e-4, 1e-1, scale='log')\nname = 'x'\n", (), (),
        [(1, "EPOCHS", "10", "uncovered"), (2, "lr", "1e-3", "searched")], id="assigned-names"),
    pytest.param(
        "def train(model, epochs=10, *, batch_size=-1, verbose=1):\n    pass\n", (), (),
        [(1, "epochs", "10", "uncovered"), (1, "batch_size", "-1", "uncovered")], id="parameter-defaults"),
    pytest.param(
        "x = 'é'; from keras import layers; layers.Dense(8)\n", (), (),
        [(1, "Dense.units", "8", "uncovered")], id="column-counts-characters"),
]

NOOP = [
    pytest.param("class Dense:\n    def __init__(self, n):\n        pass\n\nDense(64)\n", id="own-class"),
    pytest.param("from keras import layers\nwidth = 64\nlayers.Dense(width)\n", id="name-not-literal"),
    pytest.param("from keras import layers\nlayers.Dense(units=True)\n", id="bool-is-not-a-number"),
    pytest.param("from keras import layers\nlayers.Activation('relu')\n", id="not-a-hyper-parameter"),
    pytest.param("import torch.nn as nn\nnn.Linear(in_features=784, out_features=n)\n", id="input-size"),
    pytest.param("print(len([1, 2, 3]))\n", id="plain-code"),
    pytest.param("import keras\nfrom keras import layers\n"
                 "m = keras.Sequential([layers.Dense(n), layers.Dense(10)])\n", id="keras-output-layer"),
    pytest.param("from keras import layers\ny = layers.Dense(3, activation='softmax')(x)\n",
                 id="softmax-layer"),
    pytest.param("from torch import nn\nnet = nn.Sequential(nn.Linear(4, n), nn.Linear(n, 3))\n",
                 id="torch-output-layer"),
    pytest.param("from torch import nn\nself.head = nn.Linear(n, 3)\n", id="head-by-name"),
]


@pytest.mark.parametrize("source, sites, allow, expected", CASES)
def test_scan(source, sites, allow, expected):
    found = [(h.line, h.label, h.text, h.status) for h in coverage.scan(source, sites, allow)]
    assert found == expected


@pytest.mark.parametrize("source", NOOP)
def test_scan_noop(source):
    assert coverage.scan(source) == []


def test_column_is_one_based_character_offset():
    (hit,) = coverage.scan("x = 'é'; from keras import layers; layers.Dense(8)\n")
    line = "x = 'é'; from keras import layers; layers.Dense(8)"
    assert line[hit.col - 1] == "8"


def test_markers_parse_kinds():
    src = ("a = 1  # glovec: oneof([1, 2])\n"
           "b = f(2)  # glovec: units=oneof([1, 2]), rate=floatv(0.1, 0.5)\n"
           "c = 3  # glovec: fixed\n"
           "d = 4  # glovec: metric('acc')\n"
           "e = 5  # glovec: oneof([\n")
    m = coverage.markers(src)
    assert (m[1].spec, m[1].names, m[1].fixed) == (True, frozenset(), False)
    assert m[2].names == {"units", "rate"}
    assert m[3].fixed and not m[3].spec
    assert not m[4].spec
    assert m[5].spec  # a broken spec is the compiler's to report, never a second finding here
