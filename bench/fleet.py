"""How a stack of many services renders: N synthetic services extending one base, into one stack.

Usage: python bench/fleet.py [--services 10,20,30,40,50] [--size 10] [--runs 3]

The base holds the severity ladder, the channels, the SMTP server and the business hours; each
service is a synthetic spec (bench/synthetic.py) of --size metrics, --size SLOs and 5 x --size
alerts, with its own metric names, minus what the base holds. For each N the directory is validated
and rendered into an empty directory as a cold process, `--runs` times: median CPU seconds, peak
RSS, files written, and the growth per service against the previous N (linear growth keeps the
per-service figure flat). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import synthetic  # noqa: E402
from scale import cpu_run, median_cpu, peak_rss  # noqa: E402
from timing import promgen_command  # noqa: E402

SHARED = ("severities", "channels")


def base() -> dict[str, Any]:
    template = synthetic.spec(1)
    return {
        "version": 1,
        "severities": template["severities"],
        "channels": template["channels"],
        "time_intervals": {"business-hours": {"weekdays": ["monday:friday"], "times": ["09:00-17:00"]}},
        "alertmanager": {"smtp": {"smarthost": "smtp.example.com:587", "from": "alerts@example.com"}},
    }


def write_fleet(folder: Path, services: int, size: int) -> Path:
    folder.mkdir(parents=True)
    (folder / "base.yaml").write_text(yaml.safe_dump(base(), sort_keys=False), encoding="utf-8")
    for index in range(services):
        name = f"svc-{index:03d}"
        spec = synthetic.spec(size, service=name, prefix=f"s{index:03d}x")
        spec = {"version": 1, "extends": "base.yaml", **{k: v for k, v in spec.items() if k not in (*SHARED, "version")}}
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", default="10,20,30,40,50")
    parser.add_argument("--size", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    promgen = promgen_command()
    baseline = median_cpu([sys.executable, "-c", "pass"], max(args.runs, 5))
    print(f"python -c pass: {baseline * 1000:.0f} ms CPU; each service: {args.size} metrics, {args.size} SLOs, "
          f"{5 * args.size} alerts")
    print(f"{'services':>8} {'validate s':>11} {'render s':>9} {'s/service':>10} {'peak MB':>8} {'files':>6}  growth")
    previous: tuple[int, float] | None = None
    with tempfile.TemporaryDirectory(prefix="promgen-fleet-") as scratch:
        work = Path(scratch)
        for count in (int(s) for s in args.services.split(",") if s):
            folder = write_fleet(work / f"fleet-{count}", count, args.size)
            validate = median_cpu([*promgen, "validate", str(folder)], args.runs)
            renders = [cpu_run([*promgen, "render", str(folder), "-o", str(work / f"out-{count}-{run}"), "-q"]).cpu
                       for run in range(args.runs)]
            render = statistics.median(renders)
            rss = peak_rss([*promgen, "render", str(folder), "-o", str(work / f"rss-{count}"), "-q"])
            files = sum(1 for p in (work / f"out-{count}-0").rglob("*") if p.is_file())
            growth = ""
            if previous:
                growth = f"x{render / previous[1]:.2f} for x{count / previous[0]:.2f} services"
            print(f"{count:>8} {validate:>11.2f} {render:>9.2f} {render / count:>10.3f} {rss:>8.0f} {files:>6}  {growth}"
                  f"  (render = {render / baseline:.0f}x python -c pass)")
            previous = (count, render)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    main()
