"""Time `promgen validate` cold, as a whole process, beside `python -c pass`.

Usage: python bench/validate.py [SPEC] [--runs N]
Prints the median and spread of N cold runs of each command. Nothing is asserted: read the numbers.
"""

from __future__ import annotations

import sys

from timing import parse_args, promgen_command, report, run


def main() -> None:
    spec, shown, runs = parse_args(__doc__ or "")
    validate = [*promgen_command(), "validate", str(spec)]
    print(f"spec: {shown} ({spec.stat().st_size} bytes)")
    run(validate)  # warms the OS file cache
    report("python -c pass", [run([sys.executable, "-c", "pass"]) for _ in range(runs)])
    report("promgen validate (cold process)", [run(validate) for _ in range(runs)])


if __name__ == "__main__":
    main()
