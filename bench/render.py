"""Time `promgen render` cold, as a whole process, on the largest example (or SPEC).

Usage: python bench/render.py [SPEC] [--runs N]
Three cases, N cold runs each: a render into an empty directory, a render into an up-to-date
directory (nothing to write), and `render --check` of an up-to-date directory. Prints median and
spread; nothing is asserted: read the numbers.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from timing import parse_args, promgen_command, report, run


def main() -> None:
    spec, shown, runs = parse_args(__doc__ or "")
    promgen = promgen_command()
    with tempfile.TemporaryDirectory(prefix="promgen-bench-") as scratch:
        work = Path(scratch)
        current = work / "current"
        run([*promgen, "render", str(spec), "-o", str(current), "-q"])  # warms the OS file cache too
        files = sum(1 for p in current.rglob("*") if p.is_file())
        print(f"spec: {shown} ({spec.stat().st_size} bytes) -> {files} files")
        report("python -c pass", [run([sys.executable, "-c", "pass"]) for _ in range(runs)])
        fresh = [run([*promgen, "render", str(spec), "-o", str(work / f"fresh-{i}"), "-q"]) for i in range(runs)]
        report("promgen render (empty directory)", fresh)
        report("promgen render (up to date)", [run([*promgen, "render", str(spec), "-o", str(current), "-q"]) for _ in range(runs)])
        report("promgen render --check (up to date)", [run([*promgen, "render", str(spec), "-o", str(current), "--check", "-q"]) for _ in range(runs)])


if __name__ == "__main__":
    main()
