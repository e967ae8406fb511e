from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support import ROOT

# promgen's own records (render digests, the journal key) go to a folder of this run, never the
# user's ~/.cache; subprocesses inherit it.
os.environ.setdefault("PROMGEN_CACHE_DIR", tempfile.mkdtemp(prefix="promgen-test-cache-"))


def run_promgen(*args: str, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: a separate process, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "promgen", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
    )


@pytest.fixture
def promgen_cli():
    return run_promgen
