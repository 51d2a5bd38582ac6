"""Width sharing for PyTorch one-shot runs: a ``oneof`` of plain widths (``oneof([32, 64, 128])``)
read by a layer's constructor builds that layer once at the widest candidate and masks it to the
active width, as TuNAS and once-for-all share channels.

In a one-shot run the site gives the program a ``Width``: an ``int`` equal to the program's own
default, so every other use of the value (a loop bound, a batch size, a print) behaves as the
program does alone. While the run lasts, the constructors of ``nn.Linear``, ``nn.Conv1d/2d/3d``,
``nn.BatchNorm1d/2d/3d`` and ``nn.LayerNorm`` replace a ``Width`` argument with the widest
candidate; a layer whose output size is a ``Width`` gets a forward hook that zeroes the channels
beyond the active width (a layer norm is computed over the active channels only), so the next
layer, built as wide, reads zeros there. ``Width * k`` stays a width (``c * 8 * 8`` features of a
flattened ``c``-channel map); other arithmetic gives a plain ``int``.

Imported by the torch backend only (torch is then already imported by the program).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Width", "WidthLayers", "is_width_site"]

# layer class -> (the constructor's width arguments as (name, position), the masked one, the
# output dimension it is masked on); the masked argument is the layer's output size.
LAYERS = {
    nn.Linear: ((("in_features", 0), ("out_features", 1)), "out_features", -1),
    **{cls: ((("in_channels", 0), ("out_channels", 1)), "out_channels", 1)
       for cls in (nn.Conv1d, nn.Conv2d, nn.Conv3d)},
    **{cls: ((("num_features", 0),), "num_features", 1)
       for cls in (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)},
    nn.LayerNorm: ((("normalized_shape", 0),), "normalized_shape", -1),
}
LAYER_NAMES = "nn.Linear, nn.Conv1d/2d/3d, nn.BatchNorm1d/2d/3d, nn.LayerNorm"


def is_width_site(values) -> bool:
    """True for two or more distinct positive ints (not bools): widths a layer can have."""
    return (len(values) > 1 and len(set(values)) == len(values)
            and all(type(v) is int and v > 0 for v in values))


class Width(int):
    """A width site's value in a one-shot run: the program's default, plus where it came from
    (``site``, the candidate ``values``, and ``scale`` for a multiple such as ``c * 64``)."""

    def __new__(cls, value: int, site: str, values, scale: int = 1):
        self = super().__new__(cls, value)
        self.site, self.values, self.scale = site, tuple(values), scale
        return self

    @property
    def widest(self) -> int:
        return max(self.values) * self.scale

    def __mul__(self, other):
        if type(other) is int and other > 0:
            return Width(int(self) * other, self.site, self.values, self.scale * other)
        return int(self) * other

    __rmul__ = __mul__

    def __reduce__(self):  # pickled (and copied) as the plain int it stands for
        return (int, (int(self),))


class WidthLayers:
    """The patched layer constructors and the masks, for one one-shot session (from its first
    width site until the program's run ends)."""

    def __init__(self, session) -> None:
        self.session = session
        self.users: dict = {}  # site -> layers built with it
        self._saved: dict = {}  # class -> its own __init__ (None: inherited)
        self._masks: dict = {}  # (site, index, channels, scale, dtype, device) -> 0/1 mask
        for cls in LAYERS:
            self._saved[cls] = cls.__dict__.get("__init__")
            cls.__init__ = self._constructor(cls, cls.__init__)

    def close(self) -> None:
        for cls, own in self._saved.items():
            if own is None:
                del cls.__init__
            else:
                cls.__init__ = own
        self._saved = {}

    def _constructor(self, cls, original):
        arguments, masked_name, dim = LAYERS[cls]

        def __init__(module, *args, **kwargs):
            args, mask = list(args), None
            for name, position in arguments:
                inside = position < len(args)
                value = args[position] if inside else kwargs.get(name)
                if not isinstance(value, Width):
                    continue
                if (self.session.kinds.get(value.site) != "width"  # fixed: the program's own
                        or self.session.width_backend(value.site) is None):
                    wide = int(value)
                else:
                    self.users[value.site] = self.users.get(value.site, 0) + 1
                    wide = value.widest
                    if name == masked_name:
                        mask = value
                if inside:
                    args[position] = wide
                else:
                    kwargs[name] = wide
            original(module, *args, **kwargs)
            if mask is not None:
                module._glovec_width = (mask.site, mask.values, mask.scale)
                hook = self._norm_hook if cls is nn.LayerNorm else self._mask_hook(dim)
                module.register_forward_hook(hook)

        __init__.__wrapped__ = original
        return __init__

    # -- which width, while training or evaluating --------------------------------------------

    def _active(self, module, site: str):
        """None (the whole width: a sandwich step's widest network), an index (the active
        candidate), or darts' softmax weights over the candidates (a mixture step)."""
        s = self.session
        backend = s.backend
        if s.mixing and site in backend.alphas:
            return torch.softmax(backend.alphas[site], dim=0)
        if s.averaging(module.training):
            return None
        return s.choice(site)

    def _mask(self, site, values, scale, index, channels, like):
        key = (site, index, channels, scale, like.dtype, like.device)
        mask = self._masks.get(key)
        if mask is None:
            kept = torch.arange(channels, device=like.device) < values[index] * scale
            mask = self._masks[key] = kept.to(like.dtype)
        return mask

    def _mask_hook(self, dim: int):
        def hook(module, args, output):
            site, values, scale = module._glovec_width
            active = self._active(module, site)
            if active is None:
                return output
            channels = output.shape[dim]
            if isinstance(active, int):
                mask = self._mask(site, values, scale, active, channels, output)
            else:  # darts: channel c weighs the probability of the widths that keep it
                mask = sum(p * self._mask(site, values, scale, i, channels, output)
                           for i, p in enumerate(active))
            shape = [1] * output.dim()
            shape[dim] = channels
            return output * mask.view(shape)

        return hook

    def _norm_hook(self, module, args, output):
        """A layer norm over the active channels only (its statistics do not see the zeros)."""
        site, values, scale = module._glovec_width
        active = self._active(module, site)
        if active is None:
            return output
        x, channels = args[0], output.shape[-1]

        def narrow(i):
            w = values[i] * scale
            weight = None if module.weight is None else module.weight[:w]
            bias = None if module.bias is None else module.bias[:w]
            y = F.layer_norm(x[..., :w], (w,), weight, bias, module.eps)
            return F.pad(y, (0, channels - w))

        if isinstance(active, int):
            return narrow(active)
        return sum(p * narrow(i) for i, p in enumerate(active))
