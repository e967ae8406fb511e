"""How render, render --check, validate and the generated promtool tests grow with the spec.

Usage: python bench/scale.py [--sizes 10,100,1000] [--runs 3] [--promtool-sizes 10,30,100]

For each N, a synthetic spec (bench/synthetic.py: N metrics, N SLOs, 5N alerts) is validated,
rendered into an empty directory and checked with `render --check`, each as a cold process,
`--runs` times; the report gives the median CPU seconds (user + system of the process), its peak
RSS, and each figure beside `python -c pass`. The render's kernel share is printed on its own: creating
thousands of files costs little on most file systems but seconds on ext4 without a journal, which
passes over every inode freed in the last minutes before it takes one (a machine that rendered and
deleted a large output recently pays that again). For the sizes in --promtool-sizes the generated unit
tests run in the newest promtool (fetched into .judges/ by tests/judges.py), also in CPU seconds,
per alert. Growth is printed as the ratio to the previous size. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import synthetic  # noqa: E402
from timing import ROOT, promgen_command  # noqa: E402


class Run(NamedTuple):
    cpu: float  # seconds, user + kernel
    kernel: float  # seconds of it in the kernel
    wall: float
    rss: float  # MB: the peak RSS of the largest process of this run (the command or a worker it forked)


def cpu_run(command: list[str]) -> Run:
    """What one child process of `command` cost, with the processes it waited for (its workers):
    the rusage that wait4 gives for that child alone (RUSAGE_CHILDREN's peak RSS is the largest of
    every child this process ever had)."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr)
        _pid, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1) or (code == 1 and "--check" not in command):
            stderr.seek(0)
            sys.exit(f"{' '.join(command)} exited {code}:\n{stderr.read().decode()[-3000:]}")
    return Run(usage.ru_utime + usage.ru_stime, usage.ru_stime, wall, usage.ru_maxrss / 1024)  # kB on Linux


def peak_rss(command: list[str]) -> float:
    """Peak RSS (MB) of one run, measured alone with /usr/bin/time when it is there."""
    if not Path("/usr/bin/time").exists():
        return float("nan")
    done = subprocess.run(["/usr/bin/time", "-f", "%M", *command], cwd=ROOT, capture_output=True, text=True)
    return int(done.stderr.strip().splitlines()[-1]) / 1024


def median_cpu(command: list[str], runs: int) -> float:
    return statistics.median(cpu_run(command).cpu for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--promtool-sizes", default="10,30,100")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    promtool_sizes = [int(s) for s in args.promtool_sizes.split(",") if s]
    promgen = promgen_command()
    baseline = median_cpu([sys.executable, "-c", "pass"], max(args.runs, 5))
    print(f"python -c pass: {baseline * 1000:.0f} ms CPU")
    print(f"{'N':>6} {'spec KB':>8} {'validate s':>11} {'render s':>9} {'(kernel)':>9} {'--check s':>10} "
          f"{'peak MB':>8} {'files':>6}  growth (render vs previous N)")
    previous: float | None = None
    with tempfile.TemporaryDirectory(prefix="promgen-scale-") as scratch:
        work = Path(scratch)
        for n in sizes:
            spec = synthetic.write(n, work / f"n{n}.yaml")
            validate = median_cpu([*promgen, "validate", str(spec)], args.runs)
            renders = []
            for run in range(args.runs):
                out = work / f"out-{n}-{run}"
                renders.append(cpu_run([*promgen, "render", str(spec), "-o", str(out), "-q"]))
            middle = statistics.median_low(renders)  # one run's figures, both from the same run
            render, kernel = middle.cpu, middle.kernel
            check = median_cpu([*promgen, "render", str(spec), "-o", str(work / f"out-{n}-0"), "--check", "-q"], args.runs)
            rss = peak_rss([*promgen, "render", str(spec), "-o", str(work / f"rss-{n}"), "-q"])
            files = sum(1 for p in (work / f"out-{n}-0").rglob("*") if p.is_file())
            growth = f"x{render / previous:.1f}" if previous else ""
            print(f"{n:>6} {spec.stat().st_size / 1024:>8.0f} {validate:>11.2f} {render:>9.2f} {kernel:>9.2f} {check:>10.2f} "
                  f"{rss:>8.0f} {files:>6}  {growth}  (render = {render / baseline:.0f}x python -c pass)")
            previous = render
        promtool = ROOT / ".judges" / "newest" / "usr" / "bin" / "promtool"
        if promtool_sizes and not promtool.exists():
            print(f"no promtool at {promtool}: run `python -m tests.judges fetch newest`")
            return
        for n in promtool_sizes:
            spec = synthetic.write(n, work / f"p{n}.yaml")
            out = work / f"promtool-{n}"
            cpu_run([*promgen, "render", str(spec), "-o", str(out), "-q", "--only", "prometheus"])
            tests = sorted(str(p) for p in (out / "prometheus" / "tests").rglob("*.test.yml"))
            cpu, _kernel, wall, _rss = cpu_run([str(promtool), "test", "rules", *tests])
            alerts = 5 * n + 2 * n  # explicit/template alerts + page and ticket per SLO
            print(f"promtool test rules, N={n}: {cpu:.1f} s CPU ({wall:.1f} s wall), {len(tests)} test files, "
                  f"{cpu / alerts:.3f} s CPU per alert")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    # Time promgen as installed promgens run: with their bytecode cached (some sandboxes turn that off).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    main()
