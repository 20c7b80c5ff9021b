"""`libs/` is shared by every service and depends on none of them (unit)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

LIBS = Path(__file__).resolve().parents[1]
OUTSIDE = ("services", "seeds", "devstack", "benchmarks", "tests")


def test_libs_imports_nothing_outside_libs() -> None:
    offending = []
    for path in LIBS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offending += [f"{path.relative_to(LIBS.parent)}: {name}" for name in names
                          if name.split(".")[0] in OUTSIDE]
    assert offending == []


@pytest.mark.parametrize("module", ["libs.events.schemas.orders", "libs.events.registry",
                                    "libs.events.envelope", "libs.events.catalogue"])
def test_each_event_module_imports_first_without_a_circle(module: str) -> None:
    """Imported first in a fresh interpreter, each module loads (a circle would fail some)."""
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                          text=True, cwd=LIBS.parent, check=False)
    assert done.returncode == 0, done.stderr
