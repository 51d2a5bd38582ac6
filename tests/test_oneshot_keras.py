"""One-shot search on Keras programs (TensorFlow backend): a spos step trains only the active
layer, a history objective is evaluated again on ``validation_data`` and `materialize --best`
writes the pick, darts' architecture weights and enas' policy learn during the program's own
`fit`, what cannot work is refused with a diagnostic naming the site, and a killed search
resumes from the supernet checkpoint without training."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("keras")
pytestmark = pytest.mark.tf

from conftest import completed_trials, kill_after_completed  # noqa: E402
from glovec.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

WATCH = """\
import json, os
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
x = np.random.default_rng(0).normal(size=(48, 4)).astype("float32")
y = x.sum(axis=1, keepdims=True)
block = layers.Identity()  # glovec: oneof([layers.Dense(4), layers.Dense(4, activation="tanh"), layers.Identity()])
model = keras.Sequential([keras.Input((4,)), layers.Dense(4), block, layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
seen = []


class Watch(keras.callbacks.Callback):
    def weights(self):
        return [[w.numpy().copy() for w in o.weights] for o in model.layers[1].options[:2]]

    def on_train_batch_begin(self, batch, logs=None):
        self.before = self.weights()

    def on_train_batch_end(self, batch, logs=None):
        seen.append([any(not np.array_equal(a, b) for a, b in zip(old, new))
                     for old, new in zip(self.before, self.weights())])


model.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[Watch()])
score = -model.evaluate(x, y, verbose=0)  # glovec: objective
with open(os.environ["GRADS_OUT"], "w") as fh:
    json.dump(seen, fh)
"""

HISTORY = """\
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.normal(size=(256, 6)).astype("float32")
y = (x[:, 0] * x[:, 1] > 0).astype("int64")
hidden = layers.Identity()  # glovec: oneof([layers.Identity(), layers.Dense(16, activation="relu"), layers.Dense(16, activation="tanh")])
model = keras.Sequential([keras.Input((6,)), layers.Dense(16, activation="relu"), hidden,
                          layers.Dense(2, activation="softmax")])
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
history = model.fit(x[:192], y[:192], epochs=6, batch_size=32, verbose=0{validation})
val_accuracy = history.history["val_accuracy"][-1]  # glovec: objective
"""


def _run(tmp_path, program: str, *args) -> tuple[int, object, object]:
    """A one-shot run that records estimates only (``--finalists 0``): these tests are about the
    supernet; tests/test_oneshot.py trains finalists, and test_keras_finalists_... here."""
    src, study = tmp_path / "model.py", tmp_path / "model.glovec.db"
    src.write_text(program)
    return main(["run", str(src), "--study", str(study), "--finalists", "0",
                 *map(str, args)]), src, study


def test_keras_spos_single_path_trains_only_the_active_layer(tmp_path, monkeypatch, capsys):
    out = tmp_path / "grads.json"
    monkeypatch.setenv("GRADS_OUT", str(out))
    monkeypatch.setenv("GLOVEC_ONE_SHOT_SPLIT", "0")  # one path per step, not per batch slice
    monkeypatch.setenv("GLOVEC_ONE_SHOT_SANDWICH", "0")  # sampled steps only
    status, _, _ = _run(tmp_path, WATCH, "--one-shot", "spos", "--trials", "3", "--seed", "1")
    assert status == 0, capsys.readouterr().err
    seen = json.loads(out.read_text())
    assert len(seen) == 9  # 3 epochs of 3 batches, seen by the program's own callback
    assert all(sum(step) <= 1 for step in seen), seen  # never two layers in one step
    # Fair paths: each of the 3 candidates is active in 3 of the 9 steps (Identity has no weights).
    assert [sum(step[i] for step in seen) for i in (0, 1)] == [3, 3], seen


@pytest.mark.parametrize("split", ["1", "0"])
def test_keras_sandwich_steps_train_every_layer_on_even_steps(tmp_path, monkeypatch, capsys, split):
    out = tmp_path / "grads.json"
    monkeypatch.setenv("GRADS_OUT", str(out))
    monkeypatch.setenv("GLOVEC_ONE_SHOT_SPLIT", split)
    status, _, _ = _run(tmp_path, WATCH, "--one-shot", "spos", "--trials", "2", "--seed", "1")
    err = capsys.readouterr().err
    assert status == 0, err
    assert "every other step runs all candidates, averaged" in err
    seen = json.loads(out.read_text())
    assert seen[0::2] == [[True, True]] * 5, seen  # averaged: every layer gets a gradient
    if split == "1":  # batch slices: each of the 3 candidates runs on its own slice
        assert seen[1::2] == [[True, True]] * 4, seen
    else:  # one path on the whole batch
        assert all(sum(step) <= 1 for step in seen[1::2]), seen


@pytest.mark.parametrize("sandwich", ["1", "0"])
def test_keras_darts_alternates_its_mixture_with_sampled_paths(tmp_path, monkeypatch, capsys, sandwich):
    """darts in Keras: even steps train every layer (the mixture), odd steps one sampled path
    (here on the whole batch: GLOVEC_ONE_SHOT_SPLIT=0); GLOVEC_ONE_SHOT_SANDWICH=0: the
    mixture on every step."""
    out = tmp_path / "grads.json"
    monkeypatch.setenv("GRADS_OUT", str(out))
    monkeypatch.setenv("GLOVEC_ONE_SHOT_SPLIT", "0")
    monkeypatch.setenv("GLOVEC_ONE_SHOT_SANDWICH", sandwich)
    status, _, _ = _run(tmp_path, WATCH, "--one-shot", "darts", "--seed", "1")
    assert status == 0, capsys.readouterr().err
    seen = json.loads(out.read_text())
    assert seen[0::2] == [[True, True]] * 5, seen
    if sandwich == "1":
        assert all(sum(step) <= 1 for step in seen[1::2]), seen
    else:
        assert seen[1::2] == [[True, True]] * 4, seen


def test_keras_spos_evaluates_a_history_objective_on_validation_data_and_materializes(tmp_path, capsys):
    program = HISTORY.format(validation=", validation_data=(x[192:], y[192:])")
    status, src, study = _run(tmp_path, program, "--one-shot", "spos", "--trials", "3", "--seed", "0")
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "hidden  searched, shared weights (3 candidates, 1 instance(s))" in captured.err
    assert main(["report", str(study), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    done = [t for t in report["trials"] if t["status"] == "completed"]
    assert len(done) == 3 and all(t["estimate"] is True for t in done)
    assert len({t["decisions"]["hidden"] for t in done}) == 3
    assert len({t["objective"] for t in done}) > 1  # each evaluated on its own path
    assert all(0.0 <= t["objective"] <= 1.0 for t in done)
    best = next(t for t in done if t["id"] == report["best"])
    assert best["objective"] == max(t["objective"] for t in done)
    assert main(["materialize", str(src), "--best", "--study", str(study)]) == 0
    code = capsys.readouterr().out
    assert f"hidden = {best['decisions']['hidden']}  # glovec:" in code and "_gv" not in code


REGRESS = """\
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.normal(size=(256, 4)).astype("float32")
y = x.sum(axis=1, keepdims=True)
head = layers.Dense(1, activation="sigmoid")  # glovec: oneof([layers.Dense(1, activation="sigmoid"), layers.Dense(1)])
model = keras.Sequential([keras.Input((4,)), layers.Dense(4), head])
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
model.fit(x, y, epochs=12, batch_size=16, verbose=0)
score = -model.evaluate(x, y, verbose=0)  # glovec: objective
print("model weights", len(model.weights))
"""


def test_keras_darts_weights_move_and_their_argmax_is_materialized(tmp_path, capsys):
    status, src, study = _run(tmp_path, REGRESS, "--one-shot", "darts")
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "head  searched, shared weights (2 candidates, 1 instance(s)): softmax mixture" in captured.err
    # glovec's architecture weights are not the model's: Dense(4) and the two heads, 2 each.
    assert "model weights 6" in captured.out
    assert main(["report", str(study), "--json"]) == 0
    (trial,) = json.loads(capsys.readouterr().out)["trials"]  # darts records its argmax only
    probs = trial["metrics"]["glovec.alpha"]["head"]
    assert probs[1] > 0.53 > probs[0], probs  # moved from uniform, towards the linear head
    assert trial["decisions"]["head"] == "layers.Dense(1)" and trial["estimate"] is True
    assert main(["materialize", str(src), "--best", "--study", str(study)]) == 0
    assert "head = layers.Dense(1)  # glovec:" in capsys.readouterr().out


ZERO = REGRESS.replace("import keras\n", """import keras


class Zero(keras.layers.Layer):
    def call(self, x):
        return x[:, :1] * 0.0

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)
""").replace("y = x.sum(axis=1, keepdims=True)", "y = np.zeros((256, 1), dtype='float32')").replace(
    'oneof([layers.Dense(1, activation="sigmoid"), layers.Dense(1)])',
    'oneof([Zero(), layers.Dense(1, activation="sigmoid"), layers.Dense(1)])')


def test_keras_darts_derives_the_architecture_from_non_zero_candidates(tmp_path, capsys):
    # The target is all zeros: the Zero layer's weight grows strongest, but, as in the DARTS
    # paper (and the PyTorch switch), the architecture is derived from the non-zero candidates.
    status, _, study = _run(tmp_path, ZERO, "--one-shot", "darts")
    assert status == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["report", str(study), "--json"]) == 0
    (trial,) = json.loads(capsys.readouterr().out)["trials"]
    probs = trial["metrics"]["glovec.alpha"]["head"]
    assert probs[0] == max(probs), probs
    assert trial["decisions"]["head"] != "Zero()"


CALIBRATE = """\
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
x = np.random.default_rng(0).uniform(1.0, 2.0, size=(64, 4)).astype("float32")
y = x.sum(axis=1, keepdims=True)
scale = layers.Rescaling(1.0)  # glovec: oneof([layers.Rescaling(1.0), layers.Rescaling(10.0)])
norm = layers.BatchNormalization()
model = keras.Sequential([keras.Input((4,)), scale, norm, layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
model.fit(x, y, epochs=2, batch_size=16, verbose=0)


def moving_mean(layer):
    return float(np.mean(layer.moving_mean.numpy()))


score = moving_mean(norm)  # glovec: objective
print("input mean", float(x.mean()))
"""


def test_keras_batch_norm_statistics_are_recalibrated_per_architecture(tmp_path, capsys):
    # The objective reads the batch-norm layer's moving mean: re-estimated per architecture on
    # fit's training rows, it is the mean of the inputs scaled by that architecture's layer
    # (the supernet's own statistics mix both paths).
    status, _, study = _run(tmp_path, CALIBRATE, "--one-shot", "spos", "--trials", "2")
    captured = capsys.readouterr()
    assert status == 0, captured.err
    mean = float(captured.out.split("input mean")[1].split()[0])
    assert main(["report", str(study), "--json"]) == 0
    trials = json.loads(capsys.readouterr().out)["trials"]
    by_scale = {t["decisions"]["scale"]: t["objective"] for t in trials}
    assert by_scale["layers.Rescaling(1.0)"] == pytest.approx(mean, rel=1e-4)
    assert by_scale["layers.Rescaling(10.0)"] == pytest.approx(10 * mean, rel=1e-4)


RUNS = """\
import numpy as np
import keras
import tensorflow as tf
from keras import layers

COUNTS = []


class Count(layers.Layer):
    \"\"\"Scales its input; counts the rows it sees outside training.\"\"\"

    def __init__(self, scale):
        super().__init__()
        self.scale = scale
        COUNTS.append(self)

    def build(self, shape):
        self.rows = self.add_weight(shape=(), initializer="zeros", trainable=False)

    def call(self, x, training=None):
        if not training:
            self.rows.assign_add(tf.cast(tf.shape(x)[0], "float32"))
        return x * self.scale


def ran(model, x):
    \"\"\"Which candidates computed during one prediction: the sum of 2 ** their index.\"\"\"
    before = [float(c.rows.numpy()) for c in COUNTS]
    model.predict(x, batch_size=32, verbose=0)
    return float(sum(2 ** i for i, (c, b) in enumerate(zip(COUNTS, before)) if float(c.rows.numpy()) > b))


class During(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        print("during fit", ran(self.model, x))


keras.utils.set_random_seed(0)
x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
y = x.sum(axis=1, keepdims=True)
block = Count(1.0)  # glovec: oneof([Count(1.0), Count(0.5), Count(-1.0)])
model = keras.Sequential([keras.Input((4,)), layers.Dense(4), block, layers.Dense(1)])
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[During()])
score = ran(model, x)  # glovec: objective
"""


@pytest.mark.parametrize("method", ["spos", "darts"])
def test_keras_evaluation_runs_only_the_architectures_candidate(tmp_path, capsys, method):
    # Each estimate computes only the evaluated architecture's candidate (not every candidate
    # weighted by 0): the objective says which candidates saw the validation rows.
    status, _, study = _run(tmp_path, RUNS, "--one-shot", method, "--trials", "3", "--seed", "0")
    captured = capsys.readouterr()
    assert status == 0, captured.err
    during = [float(line.split()[-1]) for line in captured.out.splitlines()
              if line.startswith("during fit")]
    # Outside the estimates, inference during fit runs darts' softmax mixture (all three
    # candidates, 1 + 2 + 4) and one candidate for spos.
    assert len(during) == 2, captured.out
    assert all(d == 7.0 if method == "darts" else d in (1.0, 2.0, 4.0) for d in during), during
    assert main(["report", str(study), "--json"]) == 0
    trials = json.loads(capsys.readouterr().out)["trials"]
    assert len(trials) == (1 if method == "darts" else 3)
    texts = ["Count(1.0)", "Count(0.5)", "Count(-1.0)"]
    assert all(t["objective"] == 2.0 ** texts.index(t["decisions"]["block"]) for t in trials)


def test_keras_enas_learns_from_validation_during_fit_then_records_its_policy(tmp_path, capsys):
    program = HISTORY.format(validation=", validation_data=(x[192:], y[192:])").replace(
        "epochs=6", "epochs=8")
    status, _, study = _run(tmp_path, program, "--one-shot", "enas", "--trials", "2", "--seed", "0")
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "paths drawn by a policy-gradient controller" in captured.err
    assert main(["report", str(study), "--json"]) == 0
    trials = json.loads(capsys.readouterr().out)["trials"]
    assert len(trials) == 2 and all(t["estimate"] and t["metrics"]["glovec.one_shot"] == "enas"
                                    for t in trials)
    assert len({t["decisions"]["hidden"] for t in trials}) == 2
    # 6 batches x 8 epochs = 48 steps: rewards at steps 40, 44 and 48 moved the policy.
    probs = trials[0]["metrics"]["glovec.policy"]["hidden"]
    assert len(probs) == 3 and max(probs) - min(probs) > 1e-3, probs


def test_keras_darts_candidates_of_different_shapes_are_named(tmp_path, capsys):
    program = REGRESS.replace('oneof([layers.Dense(1, activation="sigmoid"), layers.Dense(1)])',
                              'oneof([layers.Dense(1, activation="sigmoid"), layers.Dense(2)])')
    status, src, _ = _run(tmp_path, program, "--one-shot", "darts")
    err = capsys.readouterr().err
    assert status == 1
    assert f"{src}:9:8: GV514 the candidates of 'head' give outputs of different shapes" in err
    assert "layers.Dense(2) -> [None, 2]" in err


def test_keras_history_objective_without_validation_data_says_what_to_pass(tmp_path, capsys):
    status, src, _ = _run(tmp_path, HISTORY.format(validation=""), "--one-shot", "spos")
    err = capsys.readouterr().err
    assert status == 1
    assert f"{src}:15:16: GV516 the objective" in err
    assert "fit got no validation_data=(x, y)" in err


SLOW = """\
import os, time
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
y = x.sum(axis=1, keepdims=True)
first = layers.Identity()  # glovec: oneof([layers.Identity(), layers.Dense(8, activation="tanh"), layers.Dense(8, activation="relu"), layers.Dense(8)])
second = layers.Identity()  # glovec: oneof([layers.Identity(), layers.Dense(8, activation="tanh"), layers.Dense(8)])
model = keras.Sequential([keras.Input((4,)), layers.Dense(8), first, second, layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")


class Count(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        with open(os.environ["STEPS_OUT"], "a") as fh:
            fh.write("s")


def evaluate():
    time.sleep(0.4)
    return -model.evaluate(x, y, verbose=0)


model.fit(x, y, epochs=5, batch_size=16, verbose=0, callbacks=[Count()])
with open(os.environ["WEIGHTS_OUT"], "a") as fh:
    fh.write(f"{sum(float(np.abs(w).sum()) for w in model.get_weights()):.6f}\\n")
score = evaluate()  # glovec: objective
"""


def _slow(tmp_path):
    src, study = tmp_path / "model.py", tmp_path / "s.db"
    steps, weights = tmp_path / "steps", tmp_path / "weights"
    src.write_text(SLOW)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STEPS_OUT": str(steps), "WEIGHTS_OUT": str(weights)}
    return src, study, steps, weights, env


@pytest.mark.slow
def test_a_killed_keras_search_resumes_from_the_checkpoint_without_training(tmp_path):
    src, study, steps, weights, env = _slow(tmp_path)
    cmd = [sys.executable, "-m", "glovec.cli", "run", str(src), "--one-shot", "spos",
           "--trials", "8", "--study", str(study), "--seed", "0", "--finalists", "0"]
    kept = kill_after_completed(cmd, env, study, 2)
    assert 2 <= kept < 8
    assert Path(f"{study}.oneshot.pt").exists()
    assert len(steps.read_text()) == 20  # 5 epochs of 4 batches
    again = subprocess.run(cmd + ["--resume"], env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "resuming from" in again.stderr and "(trained for 20 steps); no training" in again.stderr
    # fit ran one batch and stopped; the checkpoint's weights replaced that batch's step, so the
    # model reaches the objective with the weights the killed run had after its training.
    assert len(steps.read_text()) == 21
    after_fit = weights.read_text().split()
    assert len(after_fit) == 2 and after_fit[0] == after_fit[1], after_fit
    assert completed_trials(study) == 8


@pytest.mark.slow
def test_a_keras_checkpoint_of_another_method_is_refused_and_the_run_trains(tmp_path):
    src, study, steps, weights, env = _slow(tmp_path)
    base = [sys.executable, "-m", "glovec.cli", "run", str(src), "--study", str(study), "--seed", "0",
            "--finalists", "0"]
    first = subprocess.run(base + ["--one-shot", "darts"], env=env, capture_output=True, text=True,
                           timeout=300)
    assert first.returncode == 0, first.stderr
    assert Path(f"{study}.oneshot.pt").exists() and len(steps.read_text()) == 20
    again = subprocess.run(base + ["--one-shot", "spos", "--trials", "3", "--resume"], env=env,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"the checkpoint {study}.oneshot.pt does not fit this run" in again.stderr
    assert "training again" in again.stderr and "resuming from" not in again.stderr
    assert len(steps.read_text()) == 40  # trained all over
    assert completed_trials(study) == 3


def test_keras_finalists_are_trained_alone_after_the_search(tmp_path, capsys):
    """After a Keras search, the finalists (here the best estimate and the program's own
    architecture) are trained by the program alone in the same process: its fit is the plain
    one again (2 weights per Dense layer, no switch), and the best trained alone is the pick."""
    program = HISTORY.format(validation=", validation_data=(x[192:], y[192:])") + \
        'print("layers", [type(l).__name__ for l in model.layers])\n'
    src, study = tmp_path / "model.py", tmp_path / "model.glovec.db"
    src.write_text(program)
    status = main(["run", str(src), "--study", str(study), "--one-shot", "spos", "--trials", "3",
                   "--seed", "0", "--finalists", "1"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert main(["report", str(study), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    finals = [t for t in report["trials"] if "glovec.finalist" in t["metrics"]]
    best_estimate = max((t for t in report["trials"] if t["estimate"]),
                        key=lambda t: (t["objective"], -t["id"]))
    assert finals[0]["decisions"] == best_estimate["decisions"]
    assert finals[-1]["decisions"]["hidden"] == "layers.Identity()"  # the program's own
    assert all(t["status"] == "completed" and not t["estimate"] for t in finals)
    assert all(0.0 <= t["objective"] <= 1.0 for t in finals)
    assert report["best"] == max(finals, key=lambda t: t["objective"])["id"]
    # The supernet run printed the switch layer; each finalist's run printed plain layers.
    printed = [line for line in out.splitlines() if line.startswith("layers ")]
    assert len(printed) == 1 + len(finals) and all("Switch" not in p for p in printed[1:]), printed
