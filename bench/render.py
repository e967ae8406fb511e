"""Time `promgen render` cold, as a whole process, on the largest example (or SPEC).

Usage: python bench/render.py [SPEC] [--runs N]
Three cases, N cold runs each: a render into an empty directory, a render into an up-to-date
directory (nothing to write), and `render --check` of an up-to-date directory. Prints median and
spread; nothing is asserted: read the numbers.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
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
    promgen = promgen_command()
    shown = spec.relative_to(ROOT) if spec.is_relative_to(ROOT) else spec
    with tempfile.TemporaryDirectory(prefix="promgen-bench-") as scratch:
        work = Path(scratch)
        current = work / "current"
        run([*promgen, "render", str(spec), "-o", str(current), "-q"])  # warms the OS file cache too
        files = sum(1 for p in current.rglob("*") if p.is_file())
        print(f"spec: {shown} ({spec.stat().st_size} bytes) -> {files} files")
        report("python -c pass", [run([sys.executable, "-c", "pass"]) for _ in range(args.runs)])
        fresh = [run([*promgen, "render", str(spec), "-o", str(work / f"fresh-{i}"), "-q"]) for i in range(args.runs)]
        report("promgen render (empty directory)", fresh)
        report("promgen render (up to date)", [run([*promgen, "render", str(spec), "-o", str(current), "-q"]) for _ in range(args.runs)])
        report("promgen render --check (up to date)", [run([*promgen, "render", str(spec), "-o", str(current), "--check", "-q"]) for _ in range(args.runs)])


if __name__ == "__main__":
    main()
