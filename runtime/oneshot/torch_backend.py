"""PyTorch side of one-shot search: switch modules, the optimizer step hooks, batch-norm
recalibration, and the supernet checkpoint. Imported only when a one-shot run meets a torch
module at a switch site (torch is then already imported by the program).
"""

from __future__ import annotations

import collections
import pickle
import sys

import torch
from torch import nn
from torch.optim.optimizer import (register_optimizer_step_post_hook,
                                   register_optimizer_step_pre_hook)

from .errors import OneShotError

__all__ = ["TorchBackend", "is_module"]

CALIBRATION_BATCHES = 10


def splittable(args, kwargs, groups: int) -> bool:
    """True when a training forward can run ``groups`` paths on slices of one batch."""
    return (not kwargs and bool(args) and isinstance(args[0], torch.Tensor) and args[0].dim() > 0
            and args[0].shape[0] >= groups and torch.is_grad_enabled()
            and not any(isinstance(a, torch.Tensor) for a in args[1:]))


def is_module(value) -> bool:
    return isinstance(value, nn.Module)


class Switch(nn.Module):
    """Every candidate of one site, built once; runs the active one (or, for DARTS, all of them
    weighted by the softmax of the site's architecture weights)."""

    def __init__(self, session, site: str, candidates: list) -> None:
        super().__init__()
        self.options = nn.ModuleList(candidates)
        # Plain attributes (not registered): the session is shared, the site is a string.
        object.__setattr__(self, "_session", session)
        self.site = site
        self._checked = False

    def forward(self, *args, **kwargs):
        s = self._session
        if not self._checked:
            self._checked = True
            s.backend.check_shapes(self, args, kwargs)
        if s.mixing:
            weights = torch.softmax(s.backend.alphas[self.site], dim=0)
            out = None
            for w, option in zip(weights, self.options):
                y = option(*args, **kwargs) * w
                out = y if out is None else out + y
            return out
        if s.averaging(self.training):
            return sum(option(*args, **kwargs) for option in self.options) / len(self.options)
        groups = s.groups(args, kwargs, self.training)
        if groups:
            chunks = torch.tensor_split(args[0], groups)
            return torch.cat([self.options[s.group_choice(self.site, g)](c, *args[1:])
                              for g, c in enumerate(chunks)])
        return self.options[s.choice(self.site)](*args, **kwargs)

    def extra_repr(self) -> str:
        return f"site={self.site!r}"


class CallableSwitch:
    """A switch over plain callables (``F.relu`` / ``F.gelu``): calls the active one."""

    def __init__(self, session, site: str, candidates: list) -> None:
        self.session = session
        self.site = site
        self.candidates = candidates

    def __call__(self, *args, **kwargs):
        s = self.session
        if s.mixing and s.backend is not None:
            weights = torch.softmax(s.backend.alphas[self.site], dim=0)
            return sum(w * f(*args, **kwargs) for w, f in zip(weights, self.candidates))
        if s.averaging(torch.is_grad_enabled()):
            return sum(f(*args, **kwargs) for f in self.candidates) / len(self.candidates)
        groups = s.groups(args, kwargs, True)
        if groups:
            chunks = torch.tensor_split(args[0], groups)
            return torch.cat([self.candidates[s.group_choice(self.site, g)](c, *args[1:])
                              for g, c in enumerate(chunks)])
        return self.candidates[s.choice(self.site)](*args, **kwargs)


class TorchBackend:
    """Hooks into every torch optimizer's ``step`` for the duration of a one-shot run."""

    name = "pytorch"

    def __init__(self, session) -> None:
        self.session = session
        self.alphas: dict = {}
        self.alpha_optimizer: torch.optim.Optimizer | None = None
        self.calibration: collections.deque = collections.deque(maxlen=CALIBRATION_BATCHES)
        self.roots: dict = {}  # name -> module holding switches (found from the frames)
        self.zeros: dict = {}  # site -> indices of candidates that output only zeros
        self._recording = True
        self._handles = [register_optimizer_step_pre_hook(self._pre_step),
                         register_optimizer_step_post_hook(self._post_step)]
        self._root_handles: list = []

    def close(self) -> None:
        for h in self._handles + self._root_handles:
            h.remove()
        self._handles, self._root_handles = [], []

    # -- switches -----------------------------------------------------------------------------

    @staticmethod
    def owns(values) -> bool:
        """Modules, or plain callables (``F.relu``) that are neither modules nor classes."""
        return bool(values) and (all(is_module(v) for v in values) or (
            all(callable(v) and not isinstance(v, type) for v in values)
            and not any(is_module(v) for v in values)))

    def make_switch(self, site: str, values: list):
        if all(isinstance(v, nn.Module) for v in values):
            return Switch(self.session, site, values)
        return CallableSwitch(self.session, site, values)

    def add_alpha(self, site: str, n: int) -> None:
        if site not in self.alphas:
            self.alphas[site] = torch.zeros(n, requires_grad=True)
            self.alpha_optimizer = None  # rebuilt with every alpha at the next step

    def check_shapes(self, switch: Switch, args, kwargs) -> None:
        shapes = []
        nonzero_input = bool(args) and isinstance(args[0], torch.Tensor) and bool(torch.any(args[0]))
        with torch.no_grad():
            for i, option in enumerate(switch.options):
                y = option(*args, **kwargs)
                shapes.append(tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__)
                if nonzero_input and isinstance(y, torch.Tensor) and not bool(torch.any(y)):
                    self.zeros.setdefault(switch.site, set()).add(i)  # a "zero" operation
        if len(set(shapes)) > 1:
            s = self.session
            texts = s.candidate_texts(switch.site)
            listing = ", ".join(f"{t} -> {list(sh) if isinstance(sh, tuple) else sh}"
                                for t, sh in zip(texts, shapes))
            line, col = s.where(switch.site)
            raise OneShotError("GV514", f"the candidates of {switch.site!r} give outputs of "
                               f"different shapes on the same input ({listing}); a switch needs "
                               f"interchangeable candidates", s.source_path, line, col)

    # -- steps --------------------------------------------------------------------------------

    def _pre_step(self, optimizer, args, kwargs) -> None:
        if optimizer is self.alpha_optimizer:
            return
        s = self.session
        if s.steps == 0 and not s.started:
            s.started = True
            self.find_roots(sys._getframe(1))
            s.on_first_step(sys._getframe(1))

    def _post_step(self, optimizer, args, kwargs) -> None:
        if optimizer is self.alpha_optimizer:
            return
        s = self.session
        if s.mixing and self.alphas:
            opt = self.alpha_optimizer
            if opt is None:
                opt = self.alpha_optimizer = torch.optim.Adam(
                    list(self.alphas.values()), lr=s.darts_lr, betas=(0.5, 0.999), weight_decay=1e-3)
            if any(a.grad is not None for a in self.alphas.values()):
                opt.step()
            opt.zero_grad(set_to_none=True)
        s.after_step()

    # -- roots: the user's models that hold switches ------------------------------------------

    def find_roots(self, frame) -> None:
        switches = {id(m) for m in self.session.switches}
        while frame is not None and not self.roots:
            for scope in (frame.f_locals, frame.f_globals):
                for name, value in list(scope.items()):
                    if isinstance(value, nn.Module) and name not in self.roots and any(
                            id(m) in switches or hasattr(m, "_glovec_width")
                            for m in value.modules()):
                        self.roots[name] = value
            frame = frame.f_back
        # Drop roots that are parts of another root.
        inner = {id(m) for r in self.roots.values() for m in list(r.modules())[1:]}
        self.roots = {k: v for k, v in self.roots.items() if id(v) not in inner}
        for root in self.roots.values():
            self._root_handles.append(root.register_forward_pre_hook(self._record, with_kwargs=True))

    def _record(self, module, args, kwargs):
        if self._recording and module.training and torch.is_grad_enabled():
            detach = lambda v: v.detach() if isinstance(v, torch.Tensor) else v  # noqa: E731
            self.calibration.append((module, tuple(detach(a) for a in args),
                                     {k: detach(v) for k, v in kwargs.items()}))

    # -- evaluation ---------------------------------------------------------------------------

    def evaluate(self, run):
        """``run()`` (the objective expression) with batch-norm statistics recalibrated for the
        active architecture; every module's train/eval mode is restored afterwards."""
        modules = [m for r in self.roots.values() for m in r.modules()]
        modes = [(m, m.training) for m in modules]
        self._recording = False
        try:
            self.recalibrate(modules)
            return run()
        finally:
            self._recording = True
            for m, mode in modes:
                m.training = mode

    def recalibrate(self, modules) -> None:
        norms = [m for m in modules if isinstance(m, nn.modules.batchnorm._BatchNorm)
                 and m.track_running_stats]
        if not norms or not self.calibration:
            return
        momenta = [m.momentum for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # a plain average over the calibration batches
        for m in modules:
            m.training = True
        with torch.no_grad():
            for root, args, kwargs in self.calibration:
                root(*args, **kwargs)
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum

    # -- checkpoint ---------------------------------------------------------------------------

    def save(self, fh, extra: dict) -> None:
        """The checkpoint into the binary file ``fh``: the roots' state, darts' weights, the
        batch-norm calibration batches and ``extra``."""
        names = {id(r): n for n, r in self.roots.items()}
        state = {
            "roots": {n: r.state_dict() for n, r in self.roots.items()},
            "alphas": {k: v.detach().clone() for k, v in self.alphas.items()},
            "calibration": [(names.get(id(root)), args, kwargs)
                            for root, args, kwargs in self.calibration],
            **extra,
        }
        torch.save(state, fh)

    @staticmethod
    def read(path: str) -> dict:
        """The checkpoint; {} for a file torch cannot read (a Keras run's, a torn write)."""
        try:
            return torch.load(path, weights_only=False)
        except (RuntimeError, OSError, EOFError, ValueError, pickle.UnpicklingError):
            return {}

    def load(self, state: dict) -> bool:
        """Put the checkpoint's weights into the roots found; False when they do not match."""
        if not self.roots or set(state["roots"]) != set(self.roots):
            return False
        try:
            for name, root in self.roots.items():
                root.load_state_dict(state["roots"][name])
        except RuntimeError:
            return False
        with torch.no_grad():
            for k, v in state["alphas"].items():
                if k in self.alphas:
                    self.alphas[k].copy_(v)
        self.calibration.clear()
        for name, args, kwargs in state["calibration"]:
            if name in self.roots:
                self.calibration.append((self.roots[name], args, kwargs))
        return True

    def alpha_probs(self) -> dict:
        return {k: [round(float(p), 4) for p in torch.softmax(v.detach(), dim=0)]
                for k, v in self.alphas.items()}
