"""The package type-checks: mypy, configured by [tool.mypy] in pyproject.toml, finds nothing."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from tests.support import ROOT, in_ci


def test_mypy_passes() -> None:
    if importlib.util.find_spec("mypy") is None:
        message = "mypy is not installed (pip install '.[test]')"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    done = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"mypy failed:\n{done.stdout}{done.stderr}"
