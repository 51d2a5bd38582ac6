"""Keras (TensorFlow backend) side of one-shot search: switch layers, the training steps seen
through a callback added to every ``fit`` call, and evaluation on ``validation_data``. Imported
only when a one-shot run meets a Keras layer at a switch site (keras is then already imported).

Keras compiles its training step once (``tf.function``), so a switch cannot pick its candidate
in Python at each step: every candidate runs, and the switch adds up their outputs weighted per
batch row by ``tf.Variable``s that the callback sets before each batch (one per site, shared by
the site's instances): one-hot per batch slice (the default, as for PyTorch: every candidate
runs on its own slice of every batch), one-hot of a single path, or 1/n each on the averaged
(sandwich) steps. A ``tf.switch_case`` per slice compiled several times slower (72 s against
18 s for the first step of examples/nas_cell_keras.py, 12 switches of 5 candidates). Outside
training, and in batch-norm recalibration, only the active candidate runs: one
``tf.switch_case`` per switch on the site's index variable, so every architecture reuses the
same compiled evaluation and computes its own path only. A candidate weighted 0 gets a zero
gradient, which plain SGD ignores but an optimizer with momentum (Adam) still turns into small
steps. Batch-norm statistics are re-estimated per architecture before each evaluation, on rows
of fit's training inputs, and darts' "zero" candidates are told apart at the first batch, as the
PyTorch backend does.

enas: the slice table comes from the controller (the session draws it); its rewards are the
objective evaluated from the callback, between two training batches (``model.evaluate`` runs
there as fit's own validation does; the model's metric accumulators are put back afterwards, so
the epoch's training logs are not cut short).

darts: each switch adds up all its candidates weighted by the softmax of the site's
architecture weights, on every other step (the steps between run sampled paths per batch
slice, as spos' sampled steps, unless GLOVEC_ONE_SHOT_SANDWICH=0). Those are glovec's own
``tf.Variable``s, not the model's (the program's optimizer, ``model.weights`` and its
checkpoints never see them). Their gradient is taken inside
the compiled training step without Keras knowing: the mixture is a ``tf.custom_gradient`` whose
backward pass adds d(loss)/d(alpha) into a glovec variable; after each training batch the
callback steps them with glovec's own Adam and clears the sum.

Checkpoint: the fitted models' ``get_weights()`` and darts' variables in one ``.npz`` next to the
study. A resumed run loads it after fit's first batch and stops fit there (``stop_training``);
the search then runs at the program's objective, after fit, on the loaded weights.
"""

from __future__ import annotations

import inspect
import json

import keras
import numpy as np
import tensorflow as tf

from .errors import OneShotError

__all__ = ["KerasBackend", "is_layer"]

CALIBRATION_BATCHES = 10  # as the PyTorch backend


def is_layer(value) -> bool:
    return isinstance(value, keras.layers.Layer)


class Switch(keras.layers.Layer):
    """Every candidate layer of one site, built once. A training call runs every candidate and
    adds up their outputs weighted per batch row: row r of a batch of N takes the weights of
    slice ``r * G // N`` from the site's slice table (one-hot: that slice's candidate; 1/n each
    on an averaged step; darts: the softmax of its architecture weights). The weights are
    ``tf.Variable``s set from Python before each batch, so Keras's compiled step never retraces,
    and plain arithmetic compiles far faster than a ``tf.switch_case`` per slice. Outside
    training only the active candidate runs (``single_path``)."""

    def __init__(self, backend, site: str, candidates: list, **kwargs) -> None:
        super().__init__(**kwargs)
        self.options = list(candidates)
        self._glovec = (backend, site)  # a tuple: not tracked by Keras
        self.input_shape_seen = None

    @property
    def site(self) -> str:
        return self._glovec[1]

    def build(self, input_shape) -> None:
        for option in self.options:
            if not option.built:
                option.build(input_shape)
        self._glovec[0].check_shapes(self, input_shape)
        self.input_shape_seen = tuple(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        return self.options[0].compute_output_shape(input_shape)

    def compute_output_spec(self, inputs, training=None):
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.compute_dtype)

    def call(self, inputs, training=None):
        backend, site = self._glovec
        if not training or backend.calibrating:
            return self.single_path(inputs, training)
        outputs = [o(inputs, training=training) for o in self.options]
        rows = backend.rows[site]  # (G, n): the candidates' weights in each batch slice
        n = tf.shape(inputs)[0]
        groups = tf.shape(rows)[0]
        weights = tf.gather(rows, (tf.range(n) * groups) // n)  # (N, n): per batch row
        rank = len(outputs[0].shape)
        sampled = tf.add_n([tf.reshape(tf.cast(weights[:, i], o.dtype), [-1] + [1] * (rank - 1))
                            * o for i, o in enumerate(outputs)])
        if site not in backend.alphas:
            return sampled
        # darts: the mixture on its steps, the sampled paths on the others (mix_step 1 or 0;
        # arithmetic rather than tf.cond, so the mixture's gradient for alpha is 0 off its steps).
        mixed = mixture(backend.alphas[site], backend.alpha_grads[site], outputs)
        m = tf.cast(backend.mix_step, mixed.dtype)
        return m * mixed + (1.0 - m) * sampled

    def single_path(self, inputs, training):
        """Outside training (evaluation, prediction) and in batch-norm recalibration: only the
        site's active candidate runs (a ``tf.switch_case`` on its index variable, so the compiled
        function is traced once for every architecture); darts' mixing flag selects one more
        branch, the softmax-weighted sum of every candidate."""
        backend, site = self._glovec
        branches = [lambda o=o: o(inputs, training=training) for o in self.options]
        index = tf.convert_to_tensor(backend.index[site])
        if site in backend.alphas:
            alpha = backend.alphas[site]

            def mixed():
                w = tf.nn.softmax(alpha)
                outputs = [o(inputs, training=training) for o in self.options]
                return tf.add_n([tf.cast(w[i], y.dtype) * y for i, y in enumerate(outputs)])

            branches.append(mixed)
            index = tf.where(backend.mixing, len(self.options), index)
        return tf.switch_case(index, branches)


def mixture(alpha: tf.Variable, sink: tf.Variable, outputs: list):
    """sum_i softmax(alpha)_i * outputs[i]; its gradient for ``alpha`` is added into ``sink``
    (the training step's tape asks only for the model's weights, so alpha's gradient has to be
    taken on the way through)."""

    @tf.custom_gradient
    def mix(a, *outs):
        w = tf.nn.softmax(a)
        wo = tf.cast(w, outs[0].dtype)
        y = tf.add_n([wo[i] * o for i, o in enumerate(outs)])

        def grad(dy):
            # d(loss)/d(w_i) = <dy, out_i>; through the softmax: w * (g - <w, g>).
            g = tf.stack([tf.reduce_sum(tf.cast(dy * o, tf.float32)) for o in outs])
            added = sink.assign_add(w * (g - tf.reduce_sum(w * g)))
            with tf.control_dependencies([added]):
                return [tf.zeros_like(a)] + [tf.identity(wo[i] * dy) for i in range(len(outs))]

        return y, grad

    return mix(tf.convert_to_tensor(alpha), *outputs)


class StepHook(keras.callbacks.Callback):
    """Added to each ``fit`` call of the run: draws the path before every training batch and
    counts the step after it."""

    def __init__(self, backend) -> None:
        super().__init__()
        self.backend = backend

    def on_train_batch_begin(self, batch, logs=None):
        self.backend.before_step()

    def on_train_batch_end(self, batch, logs=None):
        self.backend.after_step()
        # A resumed run: the checkpoint's weights replace this batch's step, and fit stops here
        # (Keras checks ``stop_training`` after each batch), so the program goes on to its
        # objective, where the search runs on the loaded supernet.
        if self.backend.session.resume_after_step():
            self.model.stop_training = True


class KerasBackend:
    """Switch variables, the ``fit`` patch and evaluation for one one-shot run."""

    name = "keras"

    def __init__(self, session) -> None:
        self.session = session
        self.index: dict = {}  # site -> tf.Variable: the active candidate (outside training)
        self.rows: dict = {}  # site -> tf.Variable (G, n): candidate weights per batch slice
        self.groups = 0  # batch slices per training step (0: one path per step)
        self.zeros: dict = {}  # site -> indices of candidates that output only zeros
        self.calibration = None  # training inputs that re-estimate batch-norm statistics
        self.calibrating = False  # a training-mode call that runs the active path
        self._calibrate: dict = {}  # model name -> its compiled calibration call
        self.roots: dict = {}  # name -> model whose fit ran (the models holding switches)
        self.validation = None  # the validation_data of the last fit
        self.alphas: dict = {}  # site -> tf.Variable: darts' architecture weights (glovec's own)
        self.alpha_grads: dict = {}  # site -> tf.Variable: their gradient, summed in the step
        self.alpha_optimizer = None  # keras Adam over the alphas, made at the first step
        self.mixing = tf.Variable(session.mixing, trainable=False)  # darts outside training
        self.mix_step = tf.Variable(1.0, trainable=False)  # darts: 1 on a mixture step, else 0
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
            backend.keep_calibration(bound.arguments.get("x"), bound.arguments.get("batch_size"))
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
            self.rows[site] = tf.Variable(tf.one_hot([0], len(values)), shape=[None, len(values)],
                                          trainable=False)
        return Switch(self, site, values, name=f"glovec_switch_{len(self.session.switches)}")

    def add_alpha(self, site: str, n: int) -> None:
        if site not in self.alphas:
            self.alphas[site] = tf.Variable(tf.zeros(n), trainable=False, name=f"glovec_alpha_{len(self.alphas)}")
            self.alpha_grads[site] = tf.Variable(tf.zeros(n), trainable=False)

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
        """Before each training batch: each switch's candidate weights per batch slice (the
        session's slice table, its single path, or 1/n each on an averaged step)."""
        s = self.session
        if not s.started:
            s.started = True
            if (s.split_batches and max(s.sizes.values(), default=1) > 1
                    and (not self.alphas or s.sandwich)):
                self.groups = max(s.sizes.values())
            self.find_zeros()
            s.on_first_step(None)
        if self.alphas:  # darts: the softmax-weighted mixture, or sampled paths every other step
            self.mix_step.assign(1.0 if s.mixing else 0.0)
            if s.mixing:
                return
        averaging = s.averaging(True)
        for site, rows in self.rows.items():
            n = s.sizes[site]
            if averaging:
                rows.assign(np.full((1, n), 1.0 / n, dtype="float32"))
            elif self.groups:
                rows.assign(np.eye(n, dtype="float32")[[s.group_choice(site, g)
                                                         for g in range(self.groups)]])
            else:
                rows.assign(np.eye(n, dtype="float32")[[s.choice(site)]])

    def find_zeros(self) -> None:
        """The "zero" candidates of each switch: those whose output is all zeros on a non-zero
        input (run once, eagerly, on a random input of the shape the switch was built for), so
        darts can derive its architecture from the others, as the PyTorch switch tells them on
        the first batch."""
        rng = np.random.default_rng(0)
        for switch in self.session.switches:
            shape = switch.input_shape_seen
            if shape is None or any(d is None for d in shape[1:]):
                continue
            x = tf.constant(rng.uniform(0.5, 1.5, (2, *shape[1:])).astype(switch.compute_dtype))
            for i, option in enumerate(switch.options):
                if not bool(tf.reduce_any(tf.not_equal(option(x, training=False), 0))):
                    self.zeros.setdefault(switch.site, set()).add(i)

    def after_step(self) -> None:
        """After the program's optimizer stepped: darts' architecture weights take their step
        (from the gradient the mixtures summed during this batch), then the session counts it."""
        if self.alphas and self.session.mixing:
            if self.alpha_optimizer is None:
                # As for PyTorch: Adam, lr 3e-3, betas (0.5, 0.999), weight decay 1e-3
                # (Keras decouples it from the gradient).
                self.alpha_optimizer = keras.optimizers.Adam(
                    learning_rate=self.session.darts_lr, beta_1=0.5, beta_2=0.999, weight_decay=1e-3)
            pairs = [(self.alpha_grads[k].read_value(), v) for k, v in self.alphas.items()]
            if any(bool(tf.reduce_any(g != 0.0)) for g, _ in pairs):
                self.alpha_optimizer.apply_gradients(pairs)
            for g in self.alpha_grads.values():
                g.assign(tf.zeros_like(g))
        self.session.after_step()

    def find_roots(self, frame) -> None:
        """The models are the ones whose ``fit`` ran (recorded by the patch)."""

    def keep_calibration(self, x, batch_size) -> None:
        """Keep CALIBRATION_BATCHES batches' worth of rows of fit's training inputs (drawn at
        random, as the PyTorch backend keeps the last training batches) to re-estimate the
        batch-norm statistics per architecture. Only array inputs (a NumPy array or tensor); a
        dataset or generator is not read twice, and then nothing is recalibrated."""
        if x is None or not hasattr(x, "shape") or isinstance(x, (dict, list, tuple)):
            return
        x = np.asarray(x)
        if x.ndim == 0 or len(x) == 0:
            return
        rows = min(len(x), CALIBRATION_BATCHES * (batch_size or 32))
        picked = np.random.default_rng(0).choice(len(x), rows, replace=False)
        self.calibration = x[np.sort(picked)]

    # -- evaluation ---------------------------------------------------------------------------

    def evaluate(self, run):
        """``run()`` with the session's architecture active in every switch, its batch-norm
        statistics re-estimated first (``recalibrate``). Called between two training batches
        (enas' rewards), it leaves the fitted models' metric accumulators as it found them
        (``model.evaluate`` resets them, and fit logs the epoch from them)."""
        s = self.session
        for site, var in self.index.items():
            var.assign(s.choice(site))
        was_mixing = bool(self.mixing.numpy())
        self.mixing.assign(s.mixing)
        during_fit = s.steps > 0 and not s.searched
        kept = ([(v, v.numpy()) for m in self.roots.values() for v in m.metrics_variables]
                if during_fit else [])
        try:
            if not s.mixing:
                self.recalibrate()
            return run()
        finally:
            self.mixing.assign(was_mixing)
            for v, value in kept:
                v.assign(value)

    def recalibrate(self) -> None:
        """Re-estimate every batch-norm layer's moving statistics for the active architecture
        (the supernet's mix those of every path), as the PyTorch backend does: one
        training-mode call of each fitted model on the kept calibration rows, with each
        layer's momentum at 0 for that call, so its statistics become those rows' plain
        statistics. The switches run the active path (``calibrating``); no weight changes. The
        call is a ``tf.function`` traced once per model under those settings (the switches
        read the active path from their variables), so an architecture costs one compiled call."""
        if self.calibration is None:
            return
        for name, model in self.roots.items():
            norms = [layer for layer in model._flatten_layers(include_self=False)
                     if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable]
            if not norms:
                continue
            momenta = [layer.momentum for layer in norms]
            self.calibrating = True
            try:
                for layer in norms:
                    layer.momentum = 0.0
                if name not in self._calibrate:
                    self._calibrate[name] = tf.function(lambda x, m=model: m(x, training=True))
                self._calibrate[name](self.calibration)
            finally:
                self.calibrating = False
                for layer, momentum in zip(norms, momenta):
                    layer.momentum = momentum

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

    # -- darts' result -------------------------------------------------------------------------

    def alpha_probs(self) -> dict:
        return {k: [round(float(p), 4) for p in tf.nn.softmax(v).numpy()] for k, v in self.alphas.items()}

    # -- checkpoint ---------------------------------------------------------------------------

    def save(self, fh, extra: dict) -> None:
        """The fitted models' weights (``get_weights``: every candidate of every switch, batch-norm
        statistics included) and darts' architecture weights as arrays of one ``.npz``, with
        ``extra`` (method, steps, fingerprint, controller state) as JSON inside it, into the binary
        file ``fh`` (the session writes it atomically). Plain arrays need no pickle, so reading a
        checkpoint runs no code, and need no serializable model (a switch has no Keras config)."""
        arrays = {"extra": np.array(json.dumps(extra))}
        for name, model in self.roots.items():
            for i, w in enumerate(model.get_weights()):
                arrays[f"root/{name}/{i}"] = np.asarray(w)
        for i, (site, var) in enumerate(self.alphas.items()):
            arrays[f"alpha/{i}"] = var.numpy()
            arrays[f"alpha_site/{i}"] = np.array(site)
        np.savez(fh, **arrays)

    @staticmethod
    def read(path: str) -> dict:
        """The checkpoint as ``{**extra, "roots": {name: [arrays]}, "alphas": {site: array}}``;
        {} for a file that is not a Keras checkpoint (a PyTorch run's, a torn write)."""
        try:
            with np.load(path, allow_pickle=False) as data:
                files = {k: data[k] for k in data.files}
        except (OSError, ValueError, EOFError):
            return {}
        state = json.loads(str(files.pop("extra", "{}")))
        roots: dict = {}
        alphas: dict = {}
        for key in sorted(files, key=lambda k: [int(p) if p.isdigit() else p for p in k.split("/")]):
            kind, *rest = key.split("/")
            if kind == "root":
                roots.setdefault(rest[0], []).append(files[key])
            elif kind == "alpha":
                alphas[str(files[f"alpha_site/{rest[0]}"])] = files[key]
        return {**state, "roots": roots, "alphas": alphas}

    def load(self, state: dict) -> bool:
        """Put the checkpoint's weights into the fitted models and darts' architecture weights;
        False (nothing changed) when they do not match (other models, layers or shapes)."""
        roots, alphas = state.get("roots"), state.get("alphas", {})
        if not self.roots or not isinstance(roots, dict) or set(roots) != set(self.roots):
            return False
        for name, model in self.roots.items():
            mine = model.get_weights()
            if len(mine) != len(roots[name]) or any(
                    a.shape != b.shape for a, b in zip(mine, roots[name])):
                return False
        if set(alphas) != set(self.alphas) or any(
                tuple(alphas[k].shape) != tuple(v.shape) for k, v in self.alphas.items()):
            return False
        for name, model in self.roots.items():
            model.set_weights(roots[name])
        for k, v in self.alphas.items():
            v.assign(alphas[k])
        return True
