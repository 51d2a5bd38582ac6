"""``--objective NAME``: the Keras callback injection, as text (no TensorFlow imported)."""

from __future__ import annotations

import subprocess
import sys

import libcst as cst
import pytest

from glovec.transforms.keras_objective import inject_objective_callback, objective_direction

R = '_gv.keras_reporter("val_accuracy")'

CASES = [
    ("plain", "model.fit(x, y, epochs=5)\n", f"model.fit(x, y, epochs=5, callbacks=[{R}])\n"),
    ("multiline",
     "model.fit(x, y,\n          epochs=5,\n          validation_split=0.2)  # keep\n",
     f"model.fit(x, y,\n          epochs=5,\n          validation_split=0.2, callbacks=[{R}])  # keep\n"),
    ("trailing-comma",
     "h = model.fit(\n    x,\n    y,\n    epochs=5,\n)\n",
     f"h = model.fit(\n    x,\n    y,\n    epochs=5, callbacks=[{R}],\n)\n"),
    ("existing-list", "model.fit(x, y, epochs=5, callbacks=[es])\n",
     f"model.fit(x, y, epochs=5, callbacks=[es, {R}])\n"),
    ("empty-list", "model.fit(x, y, epochs=5, callbacks=[])\n",
     f"model.fit(x, y, epochs=5, callbacks=[{R}])\n"),
    ("list-over-lines", "model.fit(x, y, epochs=5, callbacks=[\n    es,\n])\n",
     f"model.fit(x, y, epochs=5, callbacks=[\n    es, {R},\n])\n"),
    ("expression", "model.fit(x, y, epochs=5, callbacks=cbs)\n",
     f"model.fit(x, y, epochs=5, callbacks=[*(cbs or ()), {R}])\n"),
    ("positional", "model.fit(x, y, 32, 5, 0, [es])\n", f"model.fit(x, y, 32, 5, 0, [es, {R}])\n"),
    ("kwargs", "model.fit(**kw)\n", f"model.fit(**kw, callbacks=[{R}])\n"),
    ("sklearn-beside-keras", "clf.fit(X, y)\nmodel.fit(x, y, epochs=2)\n",
     f"clf.fit(X, y)\nmodel.fit(x, y, epochs=2, callbacks=[{R}])\n"),
    ("crlf", "model.fit(x, y,\r\n    epochs=5)\r\nprint(1)\r\n",
     f"model.fit(x, y,\r\n    epochs=5, callbacks=[{R}])\r\nprint(1)\r\n"),
    ("in-a-function", "def train(m):\n    if m:\n        return m.fit(x, epochs=1)\n",
     f"def train(m):\n    if m:\n        return m.fit(x, epochs=1, callbacks=[{R}])\n"),
]


@pytest.mark.parametrize("src, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_injection(src, expected):
    src, expected = "import keras\n" + src, "import keras\n" + expected
    result = inject_objective_callback(src, "val_accuracy")
    assert result.result == expected
    assert result.result.count("\n") == src.count("\n")  # line count preserved
    assert result.calls
    # injecting twice changes nothing
    assert inject_objective_callback(result.result, "val_accuracy").result == expected


NOOP = [
    "import keras\nprint('no fit here')\n",
    "import keras\nmodel.fit_generator(gen)\n",
    "import keras\nfit(x, y)\n",
    "from sklearn.svm import SVC\nclf = SVC()\nclf.fit(X, y)\n",  # no Keras in the program
]


@pytest.mark.parametrize("src", NOOP)
def test_nothing_to_patch(src):
    result = inject_objective_callback(src, "val_accuracy")
    assert result.result == src and result.calls == []


def test_positions_and_module_input():
    src = "import keras\n\ndef train(model):\n    return model.fit(x, y, epochs=3)\n"
    module = cst.parse_module(src)
    result = inject_objective_callback(module, "loss")
    assert isinstance(result.result, cst.Module)
    assert result.calls == [(4, 12)]
    assert 'callbacks=[_gv.keras_reporter("loss")]' in result.result.code


@pytest.mark.parametrize("name, direction", [
    ("val_accuracy", "maximize"), ("accuracy", "maximize"), ("val_auc", "maximize"),
    ("loss", "minimize"), ("val_loss", "minimize"), ("val_mae", "minimize"),
    ("sparse_categorical_crossentropy", "minimize"), ("mean_squared_error", "minimize"),
])
def test_direction(name, direction):
    assert objective_direction(name) == direction


def test_runtime_modules_import_only_the_standard_library():
    code = ("import sys, glovec.runtime.executors, glovec.runtime.worker, glovec.runtime.keras_support;"
            "print(sorted(m for m in ('keras', 'tensorflow', 'numpy', 'libcst', 'click', 'ray')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


KERAS_PROGRAM = """\
import keras

lr = 0.01  # glovec: floatv(0.001, 0.1, scale="log")
model = keras.Sequential([keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse")
model.fit(x, y, epochs=3, validation_split=0.2)
"""


def test_compiler_injects_with_objective_and_records_the_direction():
    from glovec.compiler import compile_source

    plain = compile_source(KERAS_PROGRAM, "train.py")
    assert plain.ok and "keras_reporter" not in plain.code and plain.space_doc["objective"] is None
    result = compile_source(KERAS_PROGRAM, "train.py", objective="val_loss")
    assert result.ok, result.diagnostics
    lines = result.code.splitlines()
    assert len(lines) == len(KERAS_PROGRAM.splitlines()) + 1
    assert lines[-1] == ('model.fit(x, y, epochs=3, validation_split=0.2, '
                         'callbacks=[_gv.keras_reporter("val_loss")])')
    assert result.space_doc["objective"] == {"direction": "minimize", "line": 6, "col": 1}
    assert '"direction":"minimize"' in result.code  # the header carries the space


def test_compiler_leaves_a_program_without_keras_alone():
    from glovec.compiler import compile_source

    src = "from sklearn.svm import SVC\nc = 1.0  # glovec: floatv(0.1, 10.0)\nSVC(C=c).fit(X, y)\n"
    assert compile_source(src, "p.py", objective="accuracy").code == compile_source(src, "p.py").code
