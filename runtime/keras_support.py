"""Keras support for generated programs: the callback that ``--objective NAME`` injects.

``keras_reporter(name)`` returns a ``keras.callbacks.Callback`` that, at the end of every epoch,
records ``logs[name]`` as the metric ``name`` and as the trial's objective (so the last epoch's value
is the result) and reports it with the epoch as step, which lets early stopping prune the trial.
Outside a trial it does nothing. Keras is imported on first use only.
"""

from __future__ import annotations

from . import hyper

__all__ = ["keras_reporter", "MissingMetric"]

_callback_class = None


class MissingMetric(KeyError):
    """The metric asked for with ``--objective`` is not in Keras's epoch logs."""

    def __str__(self) -> str:
        return self.args[0]


def _make_class():
    import keras

    class GlovecReporter(keras.callbacks.Callback):
        """Reports one Keras metric to glovec at each epoch's end."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

        def on_epoch_end(self, epoch, logs=None):
            if hyper.current() is None:
                return
            logs = logs or {}
            if self.name not in logs:
                hint = (" (validation metrics need validation_data= or validation_split= in fit())"
                        if self.name.startswith("val_") else "")
                raise MissingMetric(
                    f"--objective {self.name}: Keras logged no {self.name!r} this epoch; it logged "
                    f"{', '.join(sorted(logs)) or 'nothing'}{hint}")
            value = float(logs[self.name])
            hyper.metric(self.name, value)
            hyper.objective(value)
            hyper.report(value, step=epoch)  # may raise TrialPruned: fit() stops, the trial is pruned

    return GlovecReporter


def keras_reporter(name: str):
    """A Keras callback reporting ``logs[name]`` each epoch to the running glovec trial."""
    global _callback_class
    if _callback_class is None:
        _callback_class = _make_class()
    return _callback_class(name)
