"""``glovec check``: CI's gate on a program's search space, one file per job.

- ``command.py``: the click command (options, exit status, output);
- ``inputs.py``: which files to read, and ``[tool.glovec.check]`` settings;
- ``checker.py``: one file's analysis (compile, scan, objective, baseline, dynamic runs);
- ``scan.py``: the static scan, hyper-parameter literals no site searches (GV401);
- ``hyperparams.py``: the scan's tables, hyper-parameters of Keras, PyTorch and scikit-learn;
- ``dynamic.py``: the plan of dynamic runs (a covering design over the space) and its report;
- ``runner.py``: one dynamic run of the generated program, in a fresh interpreter;
- ``findings.py``: what a check reports (``Finding``, ``FileCheck``, ``CheckReport``);
- ``report.py``: the report as text, JSON, JUnit XML or GitHub annotations.
"""
