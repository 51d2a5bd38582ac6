"""glovec: turn a plain Python ML program into a search space.

Layers (imports point one way only): ``glovec.runtime`` <- ``glovec.transforms`` <- ``glovec``.
``glovec.runtime`` is what generated programs import; ``glovec.transforms`` holds the compiler
passes (libcst); this package holds the command line and the driver that chains the passes.
"""

__version__ = "0.1.0"


def load_ipython_extension(ipython) -> None:
    """``%load_ext glovec``: the ``%glovec`` magics (``glovec.magics``; needs IPython)."""
    from glovec.magics import load_ipython_extension as load

    load(ipython)
