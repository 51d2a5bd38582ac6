"""One-shot (weight-sharing) architecture search over an unmodified marked program.

``glovec run SRC --one-shot spos|enas|darts`` (or ``GLOVEC_ONE_SHOT=METHOD python gen.py``) runs
the program once, in this process, with three changes (docs/oneshot.md):

- a ``oneof`` site whose candidates are modules (or plain callables such as ``F.relu``) becomes a
  *switch*: every candidate is built once, and the switch runs the active one (``spos``: a path
  drawn per training step, every candidate equally often; ``enas``: a path drawn from a
  policy-gradient controller that learns from the objective during training; ``darts``: all of
  them, weighted by the softmax of architecture weights learned alongside the model's, on every
  other step, and sampled paths as spos' between). Every other site keeps its default;
- the program's own training steps drive the sampling (torch's global optimizer step hooks, or a
  callback added to each Keras ``fit``);
- when the program reaches its objective marker, the expression there is evaluated again for
  each architecture on the trained shared weights (batch-norm statistics recalibrated per
  architecture), and each evaluation is recorded in the study as a trial whose objective is the
  supernet's estimate (metric ``glovec.one_shot`` = the method);
- then the ``--finalists`` best estimates and the program's own architecture are trained alone
  by the program, as ordinary trials (``finalists.py``): the best of them is the pick.

The supernet is checkpointed next to the study (``<study>.oneshot.pt``; a torch file, or an
``.npz`` of arrays for Keras) before the search phase, so a run killed there resumes
(``--resume``) without training again.

This package is imported only when a one-shot run starts: ``import glovec.runtime`` stays
standard-library only. Frameworks load when the program has built a candidate of theirs.
"""

from __future__ import annotations

import os
import random
import sys
import time
from typing import Any

from .. import hyper
from ..study.rows import ESTIMATE_METRIC
from .errors import OneShotError
from .finalists import arch_key as _arch_key

__all__ = ["METHODS", "OneShotError", "run_one_shot", "ESTIMATE_METRIC"]

METHODS = ("spos", "enas", "darts")
ENAS_WARMUP_STEPS = 40
ENAS_EVERY = 4
REPEATS_BEFORE_STOP = 100  # spos' search: proposals in a row already estimated, then it ends


class _Finished(SystemExit):
    """Ends the program early once a resumed search is done (the inline executor's clean exit)."""

    def __init__(self) -> None:
        super().__init__(0)


def checkpoint_path(study_path: str) -> str:
    return study_path + ".oneshot.pt"


def run_one_shot(prog, space: dict, settings, out=None, err=None, table=None) -> int:
    """Run a one-shot search of ``prog`` (an executors.ProgramRef); returns the exit status.
    ``table(trials, study, direction)`` renders the best trials (the driver's ``format_table``;
    passed in, so this package never imports the driver that imports it)."""
    from ..study import Study, StudyError
    from .objective import locate

    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    method = settings.one_shot
    if method not in METHODS:
        print(f"glovec: unknown one-shot method {method!r} (spos, enas, darts)", file=err)
        return 2
    if (settings.finalists or 0) < 0:
        print("glovec: --finalists must be at least 0", file=err)
        return 2
    if settings.executor not in (None, "inline"):
        print(f"glovec: --one-shot trains one shared model in this process; --executor "
              f"{settings.executor} does not apply (a one-shot run is always inline)", file=err)
    for flag in ("only", "fix_from", "nest", "warm_start"):
        if getattr(settings, flag, None):
            print(f"glovec: --{flag.replace('_', '-')} does not go with --one-shot: a one-shot run "
                  "searches every switched site on one supernet (--enqueue does: its points are "
                  "estimated first)", file=err)
            return 2
    try:
        evaluator = locate(prog.source_path, space)
    except OneShotError as exc:
        print(exc.render(), file=err)
        return 1
    from ..flow import FlowError

    try:  # before training: a point that does not fit the space is refused now, not after it
        points = first_points(space, settings.enqueue)
    except FlowError as exc:
        print(f"{prog.source_path or settings.study}:1:1: {exc.code} {exc.message}", file=err)
        return 1
    try:
        study = Study.open(settings.study, space, resume=settings.resume, migrate=settings.migrate)
    except StudyError as exc:
        print(exc.render(), file=err)
        return 1
    try:
        session = Session(method, space, evaluator, study, settings, prog.source_path, err)
        session.table, session.points = table, points
        return session.run(prog, out)
    finally:
        study.close()


def first_points(space: dict, enqueue: str | None) -> list[dict]:
    """``--enqueue``'s points as whole-space decisions (site id -> decision; sites a point leaves
    out take their default); ``flow.FlowError`` (GV703/GV704) for one that does not fit."""
    if not enqueue:
        return []
    from ..flow import enqueued, fit_point
    from ..geno import DNASpec

    spec = DNASpec.from_space_doc(space)
    return [fit_point(spec, p, what=f"enqueued point {i + 1}")
            for i, p in enumerate(enqueued(enqueue, space))]


class Session:
    """One one-shot run: the switches, the active path, the step count and the search."""

    def __init__(self, method, space, evaluator, study, settings, source_path, err) -> None:
        from ..geno import DNASpec

        self.method = method
        self.space = space
        self.evaluator = evaluator
        self.study = study
        self.settings = settings
        self.source_path = source_path
        self.err = err
        self.spec = DNASpec.from_space_doc(space)
        self.rng = random.Random(settings.seed)
        self.sites = {}  # site id -> site dict (ids of repeat=N executions map to the site)
        for site in space.get("sites", ()):
            for point in DNASpec.from_space_doc([site]).points:
                self.sites[point.id] = site
        self.kinds: dict = {}  # decision id -> "module" | "callable" | "fixed"
        self.reasons: dict = {}  # decision id -> why it is fixed
        self.sizes: dict = {}  # decision id -> number of candidates (switches)
        self.switches: list = []  # module switch instances
        self.arch: dict = {}  # the active path; missing ids are drawn when first needed
        self.mixing = method == "darts"
        self.backend: Any = None  # torch_backend.TorchBackend once a torch candidate is met
        self.steps = 0
        self.started = False
        self.searched = False
        self.controller: Any = None  # algorithms.controller.Controller over the switches (enas)
        self.darts_lr = 3e-3
        self.ckpt = checkpoint_path(settings.study)
        self.resume_state: str | None = None  # the checkpoint to resume from, until tried
        self.resumed: dict | None = None  # the checkpoint loaded (a resumed run)
        self.seconds = {"train": 0.0, "search": 0.0, "finalists": 0.0}
        self._t0 = time.perf_counter()
        self._fair: dict = {}
        self.group_arch: dict = {}  # site -> candidate per batch slice, this step
        self._group_draws: list = []  # enas: the policy's paths for this step's slices
        self.split_batches = os.environ.get("GLOVEC_ONE_SHOT_SPLIT", "1") != "0"
        # spos/enas: every other training step runs every candidate (the sandwich rule's widest
        # network), so the weights of deep paths train on whole batches, not only on the 1/G
        # slices where a sampled path reaches them. darts, the other way round: every other
        # step runs sampled paths in batch slices (as spos' sampled steps), so the weights also
        # train as the single paths that its estimates and its pick run alone.
        self.sandwich = os.environ.get("GLOVEC_ONE_SHOT_SANDWICH", "1") != "0"
        # Sites of plain widths read by PyTorch layers: built at the widest, masked (widths.py).
        self.share_widths = os.environ.get("GLOVEC_ONE_SHOT_WIDTHS", "1") != "0"
        self.width_layers: Any = None  # widths.WidthLayers, from the first width site on
        self.plain: set = set()  # plain-value sites that are not widths: their default from then on
        self.evaluating = False
        self.error: OneShotError | None = None
        self.table: Any = None  # how the summary renders the best trials
        self.note = None
        self.points: list = []  # --enqueue's points (whole-space decisions), estimated first
        self.finalists = set(study.finalist_ids() or [])  # trials trained alone (finalists.py)

    # -- the program run ----------------------------------------------------------------------

    def run(self, prog, out) -> int:
        import glovec.runtime as gv

        from ..executors import InlineExecutor

        if self.settings.resume and os.path.exists(self.ckpt):
            self.resume_state = self.ckpt
        # Trials proposed into the study (a killed run's, or added by hand) are evaluated on a
        # resumed supernet even when the target is reached.
        if (len(self._estimates(("completed", "failed"))) >= self._target()
                and self.study.resumed and not self._estimates(("proposed",))):
            return self._finish(prog, out)
        saved = gv.oneof, gv.oneof_lazy, gv.objective
        gv.oneof, gv.oneof_lazy, gv.objective = self.oneof, self.oneof_lazy, self.objective
        try:
            result = InlineExecutor(prog).run(0, {})
        finally:
            gv.oneof, gv.oneof_lazy, gv.objective = saved
            if self.backend is not None:
                self.backend.close()
            if self.width_layers is not None:
                self.width_layers.close()
        if self.error is not None:
            print(self.error.render(), file=self.err)
            return 1
        if result.status != "completed":
            print(f"glovec: the one-shot run failed:\n{(result.error or '').rstrip()}", file=self.err)
            widths = [k for k, kind in self.kinds.items() if kind == "width"]
            if widths:  # the likely cause of a shape error: say where, and how to go without
                from .widths import LAYER_NAMES

                print(OneShotError(
                    "GV516", f"width sharing built the {LAYER_NAMES} layers that read "
                    f"{', '.join(repr(w) for w in widths)} at the widest candidate, and every "
                    f"other use of the value sees the program's default, so the error above may "
                    f"come from code that sizes a tensor or another kind of layer by it; "
                    f"GLOVEC_ONE_SHOT_WIDTHS=0 keeps plain widths at their defaults",
                    self.source_path, *self.where(widths[0])).render(), file=self.err)
            return 1
        if not self.searched:
            print(f"{self.evaluator.source_path}:{self.evaluator.line}:{self.evaluator.col}: "
                  f"GV516 the program ended without reaching its objective after training, so no "
                  f"architecture was evaluated", file=self.err)
            return 1
        return self._finish(prog, out)

    def _finish(self, prog, out) -> int:
        """Train the finalists alone (``--finalists``), then print the summary."""
        from . import finalists

        self.seconds["finalists"] = finalists.train(
            prog, self.study, self.spec, self.settings.finalists or 0, self.method, self.err,
            timeout=self.settings.timeout)
        self._summary(out)
        verdict = finalists.verdict(self.study, self.spec)
        if verdict:
            print(verdict, file=out)
        return 0

    def _estimates(self, statuses) -> list:
        """The study's trials in ``statuses`` that are estimates, not finalists trained alone."""
        return [t for t in self.study.trials(statuses) if t.id not in self.finalists]

    def _fail(self, exc: OneShotError) -> OneShotError:
        """Remember the diagnostic (the program may catch exceptions) and raise it."""
        self.error = exc
        raise exc

    # -- sites --------------------------------------------------------------------------------

    def where(self, pid: str) -> tuple:
        site = self.sites.get(pid) or {}
        return site.get("line", 1), site.get("col", 1)

    def candidate_texts(self, pid: str) -> list:
        return list((self.sites.get(pid) or {}).get("candidates", ()))

    def _fix(self, pid: str, reason: str) -> None:
        self.kinds[pid] = "fixed"
        self.reasons.setdefault(pid, reason)

    def oneof(self, *args, **kwargs):
        """The one-shot stand-in for ``glovec.runtime.oneof`` (generated code calls
        ``oneof(site, default_index, candidates)``): a site of plain widths read by PyTorch layers
        is shared (``widths.py``); any other site keeps its default."""
        if kwargs or len(args) != 3 or not isinstance(args[0], str):
            return hyper.oneof(*args, **kwargs)  # a hand-written space's oneof([...])
        site, default, values = args
        if site in self.plain:  # classified at its first execution
            return hyper.oneof(site, default, values)
        kind = self.kinds.get(site)
        if kind == "width":  # executed again (a loop, a second model)
            from .widths import Width

            return Width(values[default], site, values)
        if (kind is not None or self.searched or "[=" in site or not self.share_widths
                or sys.modules.get("torch") is None):
            return hyper.oneof(site, default, values)
        from .widths import Width, WidthLayers, is_width_site

        if not is_width_site(values):
            self.plain.add(site)
            return hyper.oneof(site, default, values)
        if self.steps > 0:
            self._fix(site, "first executed after training began: kept at its default")
            return hyper.oneof(site, default, values)
        if self.width_layers is None:  # layer constructors patched while the run lasts
            self.width_layers = WidthLayers(self)
        self.kinds[site] = "width"
        self.sizes[site] = len(values)
        return Width(values[default], site, values)

    def width_backend(self, site: str):
        """The torch backend for a PyTorch layer built with ``site``'s width (made on first
        use: a program may share widths only); None when the run switches Keras layers."""
        from .torch_backend import TorchBackend

        if self.backend is None:
            self.backend = TorchBackend(self)
        if not isinstance(self.backend, TorchBackend):
            return None
        if self.method == "darts":
            self.backend.add_alpha(site, self.sizes[site])
        return self.backend

    def oneof_lazy(self, site, default, thunks):
        """The one-shot stand-in for ``glovec.runtime.oneof_lazy`` (generated code calls it)."""
        kind = self.kinds.get(site)
        if kind == "fixed" or self.searched and kind is None:
            return thunks[default]()
        if "[=" in site:
            self._fix(site, "nested in a candidate: kept at its default")
            return thunks[default]()
        values = [t() for t in thunks]
        backend = self._backend_for(site, values)
        if backend is None:
            self._fix(site, "candidates are not all modules or callables: kept at its default")
            return values[default]
        switch = backend.make_switch(site, values)
        if hasattr(switch, "options"):  # a module switch: its weights must exist before training
            if self.steps > 0 and not self.searched:
                line, col = self.where(site)
                self._fail(OneShotError(
                    "GV515", f"the switch {site!r} was built again inside a training step (after "
                    f"{self.steps} optimizer step(s)), so each step would run fresh, untrained "
                    f"candidates that the optimizer does not hold; build the modules once, before "
                    f"training (e.g. in __init__, not in forward)", self.source_path, line, col))
            self.switches.append(switch)
            self.kinds[site] = "module"
        else:
            self.kinds[site] = "callable"
        self.sizes[site] = len(values)
        if self.method == "darts":
            backend.add_alpha(site, len(values))
        return switch

    def _backend_for(self, site, values):
        """The framework backend that switches these candidates (made on first use), or None."""
        if self.backend is not None:
            return self.backend if self.backend.owns(values) else None
        keras_mod = sys.modules.get("keras")
        if keras_mod is not None and values and all(
                isinstance(v, keras_mod.layers.Layer) for v in values):
            from .keras_backend import KerasBackend

            self.backend = KerasBackend(self)
            return self.backend
        if sys.modules.get("torch") is not None:
            from .torch_backend import TorchBackend

            if TorchBackend.owns(values):
                self.backend = TorchBackend(self)
                return self.backend
        return None

    # -- paths --------------------------------------------------------------------------------

    def choice(self, site: str) -> int:
        """The active candidate of a switch; drawn on first use in each training step."""
        i = self.arch.get(site)
        if i is None:
            n = self.sizes[site]
            if self.method == "enas" and self.controller is not None:
                self.arch = {**self._draw(), **self.arch}  # one path per step, from the policy
                i = self.arch.get(site, 0)
            else:  # spos: fair paths, every candidate once per n steps, in a random order
                queue = self._fair.get(site)
                if not queue:
                    queue = self._fair[site] = self.rng.sample(range(n), n)
                i = queue.pop()
            self.arch[site] = i
        return i

    def _draw(self) -> dict:
        """A path drawn from the enas controller's policy (decision id -> candidate index)."""
        decisions, _ = self.controller.sample()
        return decisions

    def averaging(self, training: bool) -> bool:
        """True when this training forward runs every candidate of every switch, averaged.

        With the sandwich rule (spos and enas, as BigNAS trains its largest network next to
        sampled ones at each step), even-numbered training steps run the whole supernet: each
        switch outputs the mean of all its candidates on the whole batch. Odd-numbered steps run
        sampled paths (batch slices). Single paths alone leave the weights of a deep chain of
        candidates trained only where every edge of the chain was drawn at once, so the supernet
        rated shallow cells above deep ones that train better alone; the averaged steps train
        every weight on every batch's whole input distribution."""
        return (self.sandwich and self.method != "darts" and training and not self.searched
                and not self.evaluating and self.steps % 2 == 0)

    def groups(self, args, kwargs, training: bool) -> int:
        """How many paths a training forward runs, one per slice of the batch (0: one path).

        spos and enas split each training batch into G slices (G = the most candidates of any
        switch) and run a different path on each: with spos every candidate of every switch
        gets 1/n of each batch (strict fairness, as FairNAS, at the cost of one step); with
        enas each slice has its own path drawn from the controller."""
        if not training or self.searched or self.evaluating or not self.split_batches:
            return 0
        from .torch_backend import splittable

        g = self._slices()
        return g if g > 1 and splittable(args, kwargs, g) else 0

    def _slices(self) -> int:
        """The batch slices of a sampled step: the most candidates of any switch (a width
        site's layers take one width per step, so the batch-norm layers they share see one
        width at a time)."""
        return max((n for k, n in self.sizes.items() if self.kinds.get(k) != "width"), default=0)

    def group_choice(self, site: str, g: int) -> int:
        table = self.group_arch.get(site)
        if table is None:
            n, width = self.sizes[site], self._slices()
            if self.method == "enas" and self.controller is not None:
                if len(self._group_draws) < width:  # one policy draw per slice, all switches
                    self._group_draws = [self._draw() for _ in range(width)]
                table = [d.get(site, 0) for d in self._group_draws]
            else:
                table = self.rng.sample([i % n for i in range(width)], width)
            self.group_arch[site] = table
        return table[g]

    def on_first_step(self, frame) -> None:
        for pid in [k for k, kind in self.kinds.items() if kind == "width"]:
            if not self.width_layers.users.get(pid):
                from .widths import LAYER_NAMES

                self.kinds[pid] = "fixed"
                self.reasons[pid] = (f"plain values that no {LAYER_NAMES} layer read before "
                                     "training: kept at its default")
                del self.sizes[pid]  # (darts adds a width's weights only when a layer reads it)
        if not self.sizes:
            self._fail(OneShotError(
                "GV516", "no oneof site of this program built modules or callables (or PyTorch "
                "layers of a searched width) before the first optimizer step, so there is nothing "
                "to share weights between; one-shot search switches sites such as "
                "`# glovec: oneof([nn.ReLU(), nn.GELU()])`",
                self.source_path, *self.where(next(iter(self.sites), ""))))
        if self.method == "enas":
            from ..algorithms.controller import Controller, Reinforce

            # The search algorithms' policy-gradient controller over the switches' decisions,
            # plain REINFORCE (one step per reward) with its tuned defaults.
            self.controller = Controller(self._searched_spec(), seed=self.settings.seed,
                                         method="reinforce", **Reinforce.defaults)
        if self.evaluator.history_metric and self.backend.name != "keras":
            self._fail(OneShotError(
                "GV513", f"the objective `{self.evaluator.text}` reads a Keras history, which "
                f"one-shot search re-evaluates only for a Keras model fitted with validation_data; "
                f"mark an expression that evaluates the model on validation data instead",
                self.source_path, self.evaluator.line, self.evaluator.col))
        self._print_sites()
        # Keras loads the checkpoint after fit's first batch instead (resume_after_step).
        if self.resume_state is not None and self.backend.name != "keras":
            self._resume(frame)

    def after_step(self) -> None:
        self.steps += 1
        if self.method == "darts" and self.sandwich and not self.searched:
            self.mixing = self.steps % 2 == 0  # even steps: the mixture; odd: sampled paths
        if (self.method == "enas" and self.steps >= ENAS_WARMUP_STEPS
                and self.steps % ENAS_EVERY == 0):
            self._enas_update()
        self.arch = {}
        self.group_arch = {}
        self._group_draws = []

    def _enas_update(self) -> None:
        frame = self.evaluator.frame_in_stack()
        # A Keras history objective is evaluated on fit's validation_data: it needs no frame.
        if frame is None and not self.evaluator.history_metric:
            steps = "Keras fit's steps" if self.backend.name == "keras" else "the optimizer steps"
            self._fail(OneShotError(
                "GV516", f"enas rewards its controller with the objective `{self.evaluator.text}` "
                f"during training, but {steps} run outside the function that holds "
                f"it; use spos or darts, or evaluate in the training function",
                self.source_path, self.evaluator.line, self.evaluator.col))
        arch = self._draw()
        value = self._estimate(arch, frame, during_training=True)
        self.controller.update([(arch, self.study.reward(value))])

    # -- evaluation ---------------------------------------------------------------------------

    def _estimate(self, arch: dict, frame, during_training: bool = False) -> float:
        saved_arch, saved_mixing = self.arch, self.mixing
        self.arch, self.mixing, self.evaluating = dict(arch), False, True
        metric = self.evaluator.history_metric
        try:
            if metric:
                value = self.backend.evaluate(lambda: self.backend.evaluate_history_metric(metric))
            else:
                value = self.backend.evaluate(lambda: self.evaluator(frame))
        except LookupError as exc:
            if not metric:
                raise
            self.history_error("fit got no validation_data=(x, y)" if "validation_data" in str(exc)
                               else f"the model has no metric {exc}")
        except NameError as exc:
            when = "during training (enas rewards)" if during_training else "after training"
            self._fail(OneShotError(
                "GV516", f"the objective `{self.evaluator.text}` cannot be evaluated {when}: "
                f"{exc}", self.source_path, self.evaluator.line, self.evaluator.col))
        finally:
            self.arch, self.mixing, self.evaluating = saved_arch, saved_mixing, False
        try:
            return float(value)
        except (TypeError, ValueError):
            raise self._fail(OneShotError(
                "GV516", f"the objective `{self.evaluator.text}` gave {value!r}, not a number",
                self.source_path, self.evaluator.line, self.evaluator.col))

    def history_error(self, why: str):
        """GV516 for a Keras history objective that cannot be evaluated again (``why``)."""
        self._fail(OneShotError(
            "GV516", f"the objective `{self.evaluator.text}` reads a Keras history; one-shot "
            f"search evaluates {self.evaluator.history_metric!r} again per architecture on the "
            f"validation_data given to fit, and {why}; pass validation_data=(x_val, y_val) to fit, "
            f"or mark an expression that evaluates the model", self.source_path,
            self.evaluator.line, self.evaluator.col))

    def objective(self, value):
        """The one-shot stand-in for ``glovec.runtime.objective``: the search happens here."""
        if self.searched or hyper.current() is None:
            return hyper.objective(value)
        frame = sys._getframe(1)
        if self.steps == 0 or self.backend is None:
            self._fail(OneShotError(
                "GV516", "the program reached its objective without a training step; one-shot "
                "search trains the shared weights through the program's own steps (a torch.optim "
                "optimizer's step, or a Keras model's fit)", self.source_path,
                self.evaluator.line, self.evaluator.col))
        if not self.backend.roots:
            self.backend.find_roots(frame)
        if not self.backend.roots:
            print("glovec: no model holding the switches was found among the names of the "
                  "function that trains or of the objective's; batch-norm statistics are not "
                  "recalibrated per architecture and the checkpoint cannot be resumed", file=self.err)
        if self.resumed is None:  # a resumed supernet is the checkpoint already
            self._save()
        best = self._search(frame)
        return hyper.objective(value if best is None else best)

    def _save(self) -> None:
        extra = {"method": self.method, "steps": self.steps,
                 "fingerprint": self.spec.fingerprint,
                 "controller": self.controller.state() if self.controller else None,
                 "train_seconds": time.perf_counter() - self._t0}
        # Written whole to a temporary file, then renamed over the checkpoint: a run killed
        # while saving leaves the previous one (or none), never a torn file.
        tmp = f"{self.ckpt}.tmp-{os.getpid()}"
        try:
            with open(tmp, "wb") as fh:
                self.backend.save(fh, extra)
            os.replace(tmp, self.ckpt)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def _resume(self, frame) -> None:
        """At the first step of a resumed PyTorch run: load the trained supernet and search at
        once, from inside the training function (where the objective's names are)."""
        target = self.evaluator.frame_in_stack(frame)
        if not self._load_checkpoint(target is not None):
            return
        self._search(target)
        raise _Finished()

    def resume_after_step(self) -> bool:
        """After each Keras training batch: True when fit must stop because this run resumed
        from a checkpoint. After fit's first batch the checkpoint's weights replace that batch's
        step; the program then reaches its objective after fit, where the search runs. A later
        fit of the resumed program gets the checkpoint's weights back after its one batch."""
        if self.resumed is not None:
            self.backend.load(self.resumed)
            self.steps = self.resumed.get("steps", 0)
            return True
        return self.resume_state is not None and self._load_checkpoint(True)

    def _load_checkpoint(self, fits: bool) -> bool:
        """Load the checkpoint into the supernet (and enas' controller); False, with a message,
        when it does not fit this run (``fits``: what the backend alone cannot tell)."""
        state = self.backend.read(self.resume_state)
        ok = (fits and state.get("method") == self.method
              and state.get("fingerprint") == self.spec.fingerprint and self.backend.load(state))
        self.resume_state = None
        if not ok:
            print(f"glovec: the checkpoint {self.ckpt} does not fit this run (another method, "
                  f"program or model, or the objective is not evaluated where the program trains); "
                  f"training again", file=self.err)
            return False
        if self.controller is not None and state.get("controller"):
            self.controller.load_state(state["controller"])
        self.steps = state.get("steps", 0)
        self.resumed = state
        print(f"glovec: resuming from {self.ckpt} (trained for {self.steps} steps); no training",
              file=self.err)
        return True

    def _search(self, frame):
        """Evaluate architectures on the shared weights and record them; the best estimate."""
        from ..geno import DNA

        self.searched = True
        self.mixing = False
        self.seconds["train"] = time.perf_counter() - self._t0
        t0 = time.perf_counter()
        study, spec = self.study, self.spec
        sub_spec = self._searched_spec()
        ids = [p.id for p in sub_spec]
        defaults = spec.default_dna().decisions
        done_archs = {_arch_key({k: t.decisions.get(k) for k in ids})
                      for t in self._estimates(("completed", "failed"))}
        metrics = {ESTIMATE_METRIC: self.method}
        record_extra = {}
        if self.method == "darts":
            record_extra["glovec.alpha"] = self.backend.alpha_probs()
        elif self.method == "enas":  # the trained policy: each switch's probabilities
            record_extra["glovec.policy"] = {
                k: [round(p, 4) for p in self.controller.probabilities(k)]
                for k in ids if k in self.controller.slots}

        def record(arch: dict, extra=None):
            decisions = {**defaults, **{k: arch[k] for k in ids}}
            tid = study.add_trial(DNA(spec, decisions, validate=False), status="running")
            try:
                value = self._estimate(arch, frame)
            except BaseException as exc:
                study.fail(tid, f"{type(exc).__name__}: {exc}", metrics)
                raise
            study.complete(tid, value, {**metrics, **record_extra, **(extra or {})})
            print(f"glovec: {self.method} estimate {value:.4g} for trial {tid}", file=self.err)
            return value

        for t in self._estimates(("proposed",)):  # in flight when a previous run was killed
            study.start(t.id)
            value = self._estimate({k: t.decisions[k] for k in ids}, frame)
            study.complete(t.id, value, {**metrics, **record_extra})
            done_archs.add(_arch_key({k: t.decisions.get(k) for k in ids}))
        target = self._target()
        first = self._first_archs(ids)

        def record_new(archs) -> None:
            for arch in archs:
                if _arch_key(arch) not in done_archs:
                    done_archs.add(_arch_key(arch))
                    record(arch)

        if self.method == "darts":  # its argmax, then the points asked for
            record_new([self._alpha_argmax(), *first])
        elif self.method == "enas":
            # The program's own architecture and the points asked for, then as the ENAS paper
            # derives its cell: architectures drawn from the trained policy (its argmax first),
            # each evaluated on the shared weights; the best estimate among them is the pick.
            print("glovec: enas search: its first estimate is the program's own architecture, "
                  "then the policy's most likely one and draws from it", file=self.err)
            record_new(first)
            for arch in self._policy_archs(target - len(done_archs), done_archs):
                record(arch)
        else:
            self._search_with_algorithm(sub_spec, record, first)
        self.seconds["search"] = time.perf_counter() - t0
        best = study.best(1)
        return best[0].objective if best else None

    def _alpha_argmax(self) -> dict:
        """darts' architecture: each switch's strongest candidate, leaving out candidates whose
        output was all zeros on a non-zero input (the backends' ``zeros``), unless all are: as
        the DARTS paper derives its cell from the non-zero operations only (the zero
        operation's weight says how much an edge matters, not what it should be)."""
        out = {}
        for k, probs in self.backend.alpha_probs().items():
            zeros = self.backend.zeros.get(k, set())
            allowed = [i for i in range(len(probs)) if i not in zeros] or range(len(probs))
            out[k] = max(allowed, key=lambda i: probs[i])
        return out

    def _policy_archs(self, n: int, skip: set) -> list:
        """``n`` distinct architectures for enas' search phase, none in ``skip``: the policy's
        most likely one, then draws from the policy (its next most likely ones where draws
        keep repeating: a policy sharper than ``n`` distinct draws)."""
        if n <= 0:
            return []
        seen = set(skip)
        out = self.controller.most_likely(1, skip=seen)
        seen.update(_arch_key(a) for a in out)
        for _ in range(50 * n):
            if len(out) >= n:
                break
            arch = self._draw()
            if _arch_key(arch) not in seen:
                seen.add(_arch_key(arch))
                out.append(arch)
        if len(out) < n:
            out += self.controller.most_likely(n - len(out), skip=seen)
        return out

    def _searched_spec(self):
        """The DNA spec of the switched sites only (what the search phase and enas decide)."""
        spec = self.spec
        searched = [s for s in self.space.get("sites", ())
                    if all(self.kinds.get(p.id) in ("module", "callable", "width")
                           for p in type(spec).from_space_doc([s]).points)]
        return type(spec).from_space_doc({"glovec_space": 1, "sites": searched})

    def _target(self) -> int:
        return 1 if self.method == "darts" else self.settings.trials

    def _first_archs(self, ids) -> list[dict]:
        """What the search phase estimates first (switched sites only, no repeats): for spos and
        enas the program's own architecture, so the pick is never estimated below it (darts'
        pick is its argmax), then ``--enqueue``'s points. A point's value for a site one-shot
        keeps at its default is not used, and stderr says so."""
        defaults = self.spec.default_dna().decisions
        out = [{k: defaults[k] for k in ids}] if self.method != "darts" else []
        asked: list = []
        for i, point in enumerate(self.points):
            unused = [k for k, v in point.items() if k not in ids and v != defaults.get(k)]
            if unused:
                print(f"glovec: enqueued point {i + 1}: {', '.join(unused)} keep(s) the default "
                      "in one-shot mode; the point's value there is not used", file=self.err)
            arch = {k: point[k] for k in ids}
            if arch not in out and arch not in asked:
                asked.append(arch)
        if asked:
            when = ("after its argmax" if self.method == "darts" else
                    "first, after the program's own architecture")
            print(f"glovec: {self.method} search: {len(asked)} enqueued architecture(s) estimated "
                  f"{when}", file=self.err)
        return out + asked

    def _search_with_algorithm(self, sub_spec, record, first) -> None:
        """``--algorithm`` over the estimates, after ``first`` (a ``flow.Flow`` proposes them and
        gives the algorithm their estimates, as for per-trial ``--enqueue``)."""
        from ..algorithms import get_algorithm
        from ..flow import Flow
        from ..geno import DNA

        study = self.study
        print(f"glovec: {self.method} search: {self.settings.algorithm}; its first estimate is "
              "the program's own architecture", file=self.err)
        algorithm = Flow(get_algorithm(self.settings.algorithm, seed=self.settings.seed),
                         enqueue=first, literal=False)
        algorithm.setup(sub_spec)
        ids = [p.id for p in sub_spec]
        history = [(DNA(sub_spec, {k: d.decisions[k] for k in ids}, validate=False), r)
                   for d, r in study.history(exclude=self.finalists)]
        if history:
            algorithm.recover(history)
        estimated = {_arch_key(d.decisions): r for d, r in history}
        done = len(self._estimates(("completed", "failed")))
        from ..algorithms.base import SearchExhausted

        repeats = 0
        while done < self.settings.trials:
            try:
                dna = algorithm.propose()
            except (SearchExhausted, StopIteration):
                break
            arch = dict(dna.decisions)
            if _arch_key(arch) in estimated:  # the same cell, the same estimate: no new trial
                algorithm.feedback(dna, estimated[_arch_key(arch)])
                repeats += 1
                if repeats >= REPEATS_BEFORE_STOP:
                    print(f"glovec: {self.method} search: stopped after {done} estimates: the "
                          f"last {repeats} proposals had all been estimated", file=self.err)
                    break
                continue
            repeats = 0
            reward = study.reward(record(arch))
            estimated[_arch_key(arch)] = reward
            algorithm.feedback(dna, reward)
            done += 1

    # -- output -------------------------------------------------------------------------------

    def _print_sites(self) -> None:
        sandwich = ("; every other step runs all candidates, averaged"
                    if self.sandwich else "")
        sampled = ("; every other step runs one path per batch slice, every candidate equally "
                   "often" if self.sandwich else "")
        how = {"spos": "one path per step, every candidate equally often" + sandwich,
               "enas": "paths drawn by a policy-gradient controller" + sandwich,
               "darts": "softmax mixture, architecture weights learned" + sampled}[self.method]
        widths = {"spos": "one width per step, every width equally often" + (
                      "; every other step the widest" if self.sandwich else ""),
                  "enas": "widths drawn by the controller" + (
                      "; every other step the widest" if self.sandwich else ""),
                  "darts": "softmax mixture of the widths' channel masks, architecture weights "
                           "learned" + ("; every other step one width" if self.sandwich else "")}
        rows = []
        counts: dict = {}
        for s in self.switches:
            counts[s.site] = counts.get(s.site, 0) + 1
        users = self.width_layers
        for pid, site in self.sites.items():
            kind = self.kinds.get(pid)
            if kind in ("module", "callable"):
                what = (f"searched, shared weights ({self.sizes[pid]} candidates, "
                        f"{counts.get(pid, 0)} instance(s)): {how}" if kind == "module" else
                        f"searched ({self.sizes[pid]} callables): {how}")
            elif kind == "width":
                what = (f"searched, width sharing ({self.sizes[pid]} widths; "
                        f"{users.users[pid]} layer(s) built at the widest, masked to the active "
                        f"width): {widths[self.method]}")
            elif kind == "fixed":
                what = f"fixed: {self.reasons[pid]}"
            elif site.get("kind") == "oneof" and site.get("candidates"):
                what = "fixed at its default (plain values are not shared)" if self._literal(site) \
                    else "fixed at its default (not executed before training)"
            else:
                what = f"fixed at its default ({site.get('kind')}: plain values are not shared)"
            rows.append((pid, what))
        width = max((len(r[0]) for r in rows), default=0)
        print(f"glovec: one-shot {self.method}: {sum(1 for r in rows if r[1].startswith('searched'))}"
              f" site(s) searched, {sum(1 for r in rows if r[1].startswith('fixed'))} fixed",
              file=self.err)
        for pid, what in rows:
            print(f"  {pid:<{width}}  {what}", file=self.err)
        self.err.flush()

    @staticmethod
    def _literal(site) -> bool:
        import ast

        try:
            for c in site["candidates"]:
                ast.literal_eval(c)
        except (ValueError, SyntaxError):
            return False
        return True

    def _summary(self, out) -> None:
        study = self.study
        top = study.best(self.settings.top)
        train, search = self.seconds["train"], self.seconds["search"]
        done = study.trials("completed")
        alone = [t for t in done if ESTIMATE_METRIC not in t.metrics]
        estimates = len(done) - len(alone)
        finals = f", finalists {self.seconds['finalists']:.1f} s" if alone else ""
        times = (f"training {train:.1f} s, search {search:.1f} s" if self.searched
                 else "resumed: no training and no search in this run")
        print(f"\none-shot {self.method}: {estimates} architecture(s) evaluated on shared "
              f"weights (objective = the supernet's estimate), {len(alone)} trained alone; "
              f"{times}{finals}", file=out)
        if top and self.table is not None:
            print(self.table(top, study, direction=study.directions[0]), file=out)
        print(f"study: {study.path}", file=out)
        if os.path.exists(self.ckpt):
            print(f"checkpoint: {self.ckpt}", file=out)
        if alone:
            print("the best trial is the best trained alone; `glovec materialize SRC --best "
                  "--study STUDY` writes it", file=out)
        else:
            print("materialize the pick with `glovec materialize SRC --best --study STUDY` and "
                  "train it alone for its real accuracy", file=out)
