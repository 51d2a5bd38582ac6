"""glovec: turn a plain Python ML program into a search space.

Layers (imports point one way only): ``glovec.runtime`` <- ``glovec.transforms`` <- ``glovec``.
``glovec.runtime`` is what generated programs import; ``glovec.transforms`` holds the compiler
passes (libcst); this package holds the command line and the driver that chains the passes.
"""

__version__ = "0.1.0"
