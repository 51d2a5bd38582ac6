"""The package as static tools and installers see it.

``glovec/runtime`` and ``glovec/transforms`` are in-tree links to the top-level ``runtime/`` and
``transforms/`` folders: the package is an ordinary one, so mypy (and editors) resolve
``glovec.runtime`` from the repository root, and a wheel carries real files, not links.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_resolves_the_runtime_and_the_compiler_from_the_repository_root(tmp_path):
    pytest.importorskip("mypy")
    probe = tmp_path / "probe.py"
    probe.write_text("from glovec.runtime.hyper import oneof\n"
                     "from glovec.transforms.diagnostics import Diagnostic\n"
                     "reveal_type(oneof)\nreveal_type(Diagnostic)\n")
    done = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--follow-imports=silent",
                           "--cache-dir", str(tmp_path / "cache"), str(probe)],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, "MYPYPATH": ""})
    out = done.stdout + done.stderr
    assert "import-not-found" not in out and "Cannot find implementation" not in out, out
    assert 'probe.py:3: note: Revealed type is "def (candidates: Any' in out, out  # not plain "Any"
    assert '-> glovec.transforms.diagnostics.Diagnostic"' in out, out
    assert "Success: no issues found" in out, out


@pytest.mark.slow
def test_the_wheel_carries_real_files_and_the_marker(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path),
                           str(ROOT)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"pip could not build a wheel here: {done.stderr[-300:]}")
    wheel = next(tmp_path.glob("glovec-*.whl"))
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        runtime_hyper = whl.read("glovec/runtime/hyper.py")
    assert {"glovec/py.typed", "glovec/runtime/__init__.py", "glovec/transforms/__init__.py",
            "glovec/transforms/presets/keras.toml"} <= names
    assert runtime_hyper == (ROOT / "runtime" / "hyper.py").read_bytes()
    assert not any(n.startswith(("runtime/", "transforms/", "tests/")) for n in names)
