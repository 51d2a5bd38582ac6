"""Keras (TensorFlow backend) side of one-shot search: switch layers, the training steps seen
through a callback added to every ``fit`` call, and evaluation on ``validation_data``. Imported
only when a one-shot run meets a Keras layer at a switch site (keras is then already imported).

Keras compiles its training step once (``tf.function``), so a switch cannot pick its candidate
in Python at each step: it runs ``tf.switch_case`` on an integer ``tf.Variable`` that the callback
sets before each batch (one variable per site, shared by the site's instances). Only the active
candidate runs and gets a gradient; TensorFlow gives the others a zero gradient, which plain SGD
ignores but an optimizer with momentum (Adam) still turns into small steps. With batch slices
(the default, as for PyTorch) every candidate runs on its own slice of every batch.

spos only: enas rewards a controller by evaluating the model in the middle of ``fit`` and darts
needs architecture weights inside the compiled step; both are refused for Keras (GV516).
"""

from __future__ import annotations

import inspect

import keras
import tensorflow as tf

from .errors import OneShotError

__all__ = ["KerasBackend", "is_layer"]


def is_layer(value) -> bool:
    return isinstance(value, keras.layers.Layer)


class Switch(keras.layers.Layer):
    """Every candidate layer of one site, built once; runs the one the site's variable names
    (in training with batch slices: one candidate per slice, from the site's slice table)."""

    def __init__(self, backend, site: str, candidates: list, **kwargs) -> None:
        super().__init__(**kwargs)
        self.options = list(candidates)
        self._glovec = (backend, site)  # a tuple: not tracked by Keras

    @property
    def site(self) -> str:
        return self._glovec[1]

    def build(self, input_shape) -> None:
        for option in self.options:
            if not option.built:
                option.build(input_shape)
        self._glovec[0].check_shapes(self, input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        return self.options[0].compute_output_shape(input_shape)

    def compute_output_spec(self, inputs, training=None):
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.compute_dtype)

    def call(self, inputs, training=None):
        backend, site = self._glovec
        groups = backend.groups if training else 0
        if not groups:
            return self._run(backend.index[site], inputs, training)
        n = tf.shape(inputs)[0]
        table = backend.table[site]
        outputs = [self._run(table[g], inputs[(n * g) // groups:(n * (g + 1)) // groups], training)
                   for g in range(groups)]
        return tf.concat(outputs, axis=0)

    def _run(self, index, x, training):
        return tf.switch_case(tf.convert_to_tensor(index), [lambda o=o: o(x, training=training) for o in self.options])


class StepHook(keras.callbacks.Callback):
    """Added to each ``fit`` call of the run: draws the path before every training batch and
    counts the step after it."""

    def __init__(self, backend) -> None:
        super().__init__()
        self.backend = backend

    def on_train_batch_begin(self, batch, logs=None):
        self.backend.before_step()

    def on_train_batch_end(self, batch, logs=None):
        self.backend.session.after_step()


class KerasBackend:
    """Switch variables, the ``fit`` patch and evaluation for one one-shot run."""

    name = "keras"

    def __init__(self, session) -> None:
        self.session = session
        self.index: dict = {}  # site -> tf.Variable: the active candidate (evaluation, no slices)
        self.table: dict = {}  # site -> tf.Variable: the candidate of each batch slice
        self.groups = 0  # batch slices per training step (0: one path per step)
        self.roots: dict = {}  # name -> model whose fit ran (the models holding switches)
        self.validation = None  # the validation_data of the last fit
        self._fit = keras.Model.fit
        backend = self

        def fit(model, *args, **kwargs):
            bound = inspect.signature(backend._fit).bind(model, *args, **kwargs)
            given = bound.arguments.get("callbacks") or []
            bound.arguments["callbacks"] = [*given, StepHook(backend)]
            if bound.arguments.get("validation_data") is not None:
                backend.validation = bound.arguments["validation_data"]
            elif backend.session.evaluator.history_metric:
                backend.session.history_error("fit got no validation_data=(x, y)")
            backend.roots.setdefault(f"model{len(backend.roots)}", model)
            return backend._fit(*bound.args, **bound.kwargs)

        keras.Model.fit = fit

    def close(self) -> None:
        keras.Model.fit = self._fit

    # -- switches -----------------------------------------------------------------------------

    @staticmethod
    def owns(values) -> bool:
        return bool(values) and all(is_layer(v) for v in values)

    def make_switch(self, site: str, values: list):
        if not all(is_layer(v) for v in values):
            return None
        if site not in self.index:
            self.index[site] = tf.Variable(0, dtype=tf.int32, trainable=False)
        return Switch(self, site, values, name=f"glovec_switch_{len(self.session.switches)}")

    def add_alpha(self, site: str, n: int) -> None:  # darts is refused for Keras before this
        raise AssertionError("darts is not available for Keras")

    def check_shapes(self, switch: Switch, input_shape) -> None:
        shapes = []
        for option in switch.options:
            try:
                shapes.append(tuple(option.compute_output_shape(input_shape)))
            except Exception as exc:  # noqa: BLE001 - a layer that cannot take this input
                shapes.append(f"{type(exc).__name__}")
        if len(set(shapes)) > 1:
            s = self.session
            listing = ", ".join(f"{t} -> {list(sh) if isinstance(sh, tuple) else sh}"
                                for t, sh in zip(s.candidate_texts(switch.site), shapes))
            line, col = s.where(switch.site)
            s._fail(OneShotError("GV514", f"the candidates of {switch.site!r} give outputs of "
                                 f"different shapes on the same input ({listing}); a switch needs "
                                 f"interchangeable candidates", s.source_path, line, col))

    # -- steps --------------------------------------------------------------------------------

    def before_step(self) -> None:
        s = self.session
        if not s.started:
            s.started = True
            if s.split_batches and max(s.sizes.values(), default=1) > 1:
                self.groups = max(s.sizes.values())
                for site in self.index:
                    self.table[site] = tf.Variable([0] * self.groups, dtype=tf.int32, trainable=False)
            s.on_first_step(None)
        for site, var in self.index.items():
            if self.groups:
                self.table[site].assign([s.group_choice(site, g) for g in range(self.groups)])
            else:
                var.assign(s.choice(site))

    def find_roots(self, frame) -> None:
        """The models are the ones whose ``fit`` ran (recorded by the patch)."""

    # -- evaluation ---------------------------------------------------------------------------

    def evaluate(self, run):
        """``run()`` with the session's architecture active in every switch."""
        s = self.session
        for site, var in self.index.items():
            var.assign(s.choice(site))
        return run()

    def evaluate_history_metric(self, metric: str) -> float:
        """A ``history.history["val_NAME"]`` objective: NAME from ``model.evaluate`` on the
        ``validation_data`` given to ``fit`` (the last model that was fitted)."""
        if self.validation is None or not self.roots:
            raise LookupError("validation_data")
        model = list(self.roots.values())[-1]
        data = self.validation
        if isinstance(data, tuple):
            logs = model.evaluate(*data[:3], verbose=0, return_dict=True)
        else:  # a dataset or generator
            logs = model.evaluate(data, verbose=0, return_dict=True)
        name = metric[len("val_"):]
        if name not in logs:
            raise KeyError(f"{metric!r} (model.evaluate returned {', '.join(sorted(logs))})")
        return float(logs[name])

    # -- checkpoint: not for Keras (a resumed Keras run trains again) ---------------------------

    def save(self, path: str, extra: dict) -> None:
        return None

    def read(self, path: str) -> dict:
        return {}

    def load(self, state: dict) -> bool:
        return False
