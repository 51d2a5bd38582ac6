"""The ``__main__`` of a multiprocessing "spawn" (or "forkserver") child of a process trial.

A trial's ``__main__`` names this module as its ``__spec__``, so that such a child imports this
instead of the file at ``__file__`` (the user's original program, which has no sites): it runs
the trial's generated program, whose header gives the child the trial's decisions.
"""

from glovec.runtime.executors.server import exec_as_spawn_main

exec_as_spawn_main(globals())
