"""Time `promgen validate` cold, as a whole process, beside `python -c pass`.

Usage: python bench/validate.py [SPEC] [--runs N]
Prints the median and spread of N cold runs of each command. Nothing is asserted: read the numbers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from timing import ROOT, largest_example, promgen_command, report, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    spec = (args.spec or largest_example()).resolve()
    validate = [*promgen_command(), "validate", str(spec)]
    shown = spec.relative_to(ROOT) if spec.is_relative_to(ROOT) else spec
    print(f"spec: {shown} ({spec.stat().st_size} bytes)")
    run(validate)  # warms the OS file cache
    report("python -c pass", [run([sys.executable, "-c", "pass"]) for _ in range(args.runs)])
    report("promgen validate (cold process)", [run(validate) for _ in range(args.runs)])


if __name__ == "__main__":
    main()
