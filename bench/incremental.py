"""Cold, parallel and incremental render at fleet scale (the figures of the scale issue).

Usage: python bench/incremental.py [--sizes 100,1000] [--services 50] [--runs 3]

On tmpfs (/dev/shm when there is one: creating thousands of files on a journal-less ext4 costs
kernel time that depends on the disk's history), for each N a synthetic spec (bench/synthetic.py) is
rendered into an empty directory with an empty promgen cache: on one process (`-j 1`) and on every
core (the default); then, into that render, again after one SLO's objective changed (the parts whose
inputs did not change are taken from the earlier render). The same for a fleet of --services
synthetic services of 10 SLOs (bench/fleet.py), one service changed. Each figure is the median of
--runs cold processes: wall seconds, CPU seconds (the process and its workers), peak RSS of the
largest process, with `python -c pass` of the same run beside them. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import synthetic  # noqa: E402
from fleet import write_fleet  # noqa: E402
from scale import Run, cpu_run  # noqa: E402
from timing import promgen_command  # noqa: E402


def scratch() -> Path:
    shm = Path("/dev/shm")
    return Path(tempfile.mkdtemp(prefix="promgen-bench-", dir=shm if shm.is_dir() else None))


def render(spec: Path, out: Path, cache: Path, jobs: int | None = None) -> Run:
    os.environ["PROMGEN_CACHE_DIR"] = str(cache)
    command = [*promgen_command(), "render", str(spec), "-o", str(out), "-q"]
    return cpu_run(command + (["-j", str(jobs)] if jobs else []))


def change_one_slo(path: Path) -> None:
    """The first SLO of the spec (or directory's middle service) gets another objective."""
    text = path.read_text(encoding="utf-8")
    at = text.index("objective: ")
    end = text.index("\n", at)
    current = text[at + len("objective: "):end]
    path.write_text(text[:at] + f"objective: {'95' if current != '95' else '96'}" + text[end:], encoding="utf-8")


def figures(label: str, runs: list[Run], baseline: float) -> str:
    wall = statistics.median(r.wall for r in runs)
    cpu = statistics.median(r.cpu for r in runs)
    rss = max(r.rss for r in runs)
    return (f"{label:<34} {wall:7.2f} s wall ({wall / baseline:6.0f}x) {cpu:7.2f} s CPU {rss:6.0f} MB")


def measure(spec: Path, target: Path, runs: int, baseline: float, label: str) -> dict[str, float]:
    """Cold -j 1, cold on every core, and one SLO changed; median wall seconds by kind."""
    results: dict[str, list[Run]] = {"cold -j 1": [], "cold": [], "one SLO changed": []}
    original = target.read_text(encoding="utf-8")
    for _ in range(runs):
        for kind, jobs in (("cold -j 1", 1), ("cold", None)):
            work = scratch()
            results[kind].append(render(spec, work / "out", work / "cache", jobs))
            shutil.rmtree(work)
        work = scratch()
        render(spec, work / "out", work / "cache")
        change_one_slo(target)
        results["one SLO changed"].append(render(spec, work / "out", work / "cache"))
        target.write_text(original, encoding="utf-8")
        shutil.rmtree(work)
    for kind, found in results.items():
        print(figures(f"{label}: {kind}", found, baseline))
    return {kind: statistics.median(r.wall for r in found) for kind, found in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    baseline = statistics.median(cpu_run([sys.executable, "-c", "pass"]).wall for _ in range(max(args.runs, 5)))
    print(f"python -c pass: {baseline * 1000:.0f} ms wall; {os.cpu_count()} cores")
    cold: dict[int, float] = {}
    for size in [int(s) for s in args.sizes.split(",") if s]:
        folder = scratch()
        spec = synthetic.write(size, folder / "spec.yaml")
        cold[size] = measure(spec, spec, args.runs, baseline, f"N={size}")["cold"]
        shutil.rmtree(folder)
    if len(cold) > 1:
        sizes = sorted(cold)
        print(f"growth N={sizes[0]} -> N={sizes[-1]} (cold, every core): x{cold[sizes[-1]] / cold[sizes[0]]:.1f}")
    if args.services:
        folder = scratch()
        fleet = write_fleet(folder / "fleet", args.services, 10)
        middle = sorted(fleet.glob("svc-*.yaml"))[args.services // 2]
        measure(fleet, middle, args.runs, baseline, f"fleet of {args.services}")
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
