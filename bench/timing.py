"""What the benchmarks share: the spec they time, one timed whole-process run, the report line."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Time promgen as installed promgens run: with their bytecode cached (some sandboxes turn that off).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


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


def parse_args(doc: str) -> tuple[Path, str, int]:
    """The benchmarks' command line: [SPEC] [--runs N] -> (spec, spec as shown, runs)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("spec", nargs="?", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    spec = (args.spec or largest_example()).resolve()
    shown = str(spec.relative_to(ROOT) if spec.is_relative_to(ROOT) else spec)
    return spec, shown, args.runs
