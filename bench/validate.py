"""Time `promgen validate` cold, as a whole process, beside `python -c pass`.

Usage: python bench/validate.py [SPEC] [--runs N]
Prints the median and spread of N cold runs of each command. Nothing is asserted: read the numbers.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def largest_example() -> Path:
    return max((ROOT / "examples").glob("*/promgen.yaml"), key=lambda p: p.stat().st_size)


def time_runs(command: list[str], runs: int) -> list[float]:
    subprocess.run(command, cwd=ROOT, capture_output=True, check=False)  # warm the OS file cache
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
        samples.append((time.perf_counter() - start) * 1000)
        if done.returncode not in (0,):
            sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout.decode()}{done.stderr.decode()}")
    return samples


def report(label: str, samples: list[float]) -> None:
    print(
        f"{label:<44} median {statistics.median(samples):6.1f} ms   "
        f"min {min(samples):6.1f}   max {max(samples):6.1f}   (n={len(samples)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    spec = args.spec or largest_example()
    promgen = shutil.which("promgen")
    validate = [promgen, "validate", str(spec)] if promgen else [sys.executable, "-m", "promgen", "validate", str(spec)]
    print(f"spec: {spec.relative_to(ROOT) if spec.is_relative_to(ROOT) else spec} ({spec.stat().st_size} bytes)")
    report("python -c pass", time_runs([sys.executable, "-c", "pass"], args.runs))
    report("promgen validate (cold process)", time_runs(validate, args.runs))


if __name__ == "__main__":
    main()
