"""docs/internals.md's map names every module of the three packages, and nothing that is gone."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_map_names_every_module_and_no_missing_one():
    text = (ROOT / "docs" / "internals.md").read_text(encoding="utf-8")
    start = text.index("**One line per file**")
    listed = set(re.findall(r"^- `([\w/]+\.py)`: \S", text[start:], flags=re.M))
    present = {str(p.relative_to(ROOT)) for folder in ("runtime", "transforms", "glovec")
               for p in (ROOT / folder).rglob("*.py")
               if not str(p.relative_to(ROOT)).startswith(("glovec/runtime/", "glovec/transforms/"))}
    assert sorted(present - listed) == [], "modules the map does not name"
    assert sorted(listed - present) == [], "the map names modules that are gone"
