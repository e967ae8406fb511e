"""What the benchmarks share: the spec they time, one timed whole-process run, the report line."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def largest_example() -> Path:
    return max((ROOT / "examples").glob("*/promgen.yaml"), key=lambda p: p.stat().st_size)


def promgen_command() -> list[str]:
    # `python -m promgen` run in ROOT times this checkout, whichever promgen is installed
    return [sys.executable, "-m", "promgen"]


def run(command: list[str]) -> float:
    """Milliseconds one cold process of `command` takes; exits with its output if it fails."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
    elapsed = (time.perf_counter() - start) * 1000
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout.decode()}{done.stderr.decode()}")
    return elapsed


def report(label: str, samples: list[float]) -> None:
    print(
        f"{label:<44} median {statistics.median(samples):6.1f} ms   "
        f"min {min(samples):6.1f}   max {max(samples):6.1f}   (n={len(samples)})"
    )
