"""Time `promgen check --prometheus` on a spec against a real Prometheus holding DAYS of samples
15s apart for every series the spec reads (made up: counters climbing, gauges waving), at several
--since, beside how long the backfill took.

Usage: python bench/check_live.py [SPEC] [--days 7] [--release newest] [--since 1d,3d,7d] [--concurrency 4]
Needs the judges (python -m tests.judges fetch). Nothing is asserted: read the numbers.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import ROOT, largest_example, promgen_command

sys.path.insert(0, str(ROOT))

from promgen.check.promql.catalogue import Catalogue  # noqa: E402
from promgen.cli.render import source_name  # noqa: E402
from promgen.core.model import build_model  # noqa: E402
from promgen.live.plan import plan  # noqa: E402
from promgen.load.inputs import load_all  # noqa: E402
from tests.e2e.harness import free_port, process  # noqa: E402
from tests.support import judge  # noqa: E402

SCRAPE_S = 15
BUCKETS = ("0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf")
CANDIDATES = ("500", "200", "503", "404", "GET", "POST", "/api", "error", "failed", "success", "true", "running")


def _regex_value(pattern: str) -> str | None:
    for candidate in CANDIDATES:
        try:
            if re.fullmatch(pattern, candidate):
                return candidate
        except re.error:
            return None
    return None


def series_of(spec_paths: list[Path]) -> dict[tuple[tuple[str, str], ...], str]:
    """Every series to make (labels with __name__) and its kind (counter or gauge)."""
    specs, _warnings = load_all(spec_paths)
    services = [(build_model(loaded.spec, source_name(path)), loaded) for path, loaded in specs]
    catalogues = {loaded.spec.service.name: Catalogue.of(loaded.spec) for _model, loaded in specs}
    found: dict[tuple[tuple[str, str], ...], str] = {}
    for selector in plan(services).selectors:
        labels = {"instance": "bench:9100", "job": selector.jobs[0] if selector.jobs else "bench"}
        for name, op, value in selector.matchers:
            chosen = {"=": value, "=~": _regex_value(value), "!=": "bench" if value != "bench" else "other",
                      "!~": "bench" if not re.fullmatch(value, "bench") else None}[op]
            if chosen is None:
                break
            labels[name] = chosen
        else:
            metric = selector.metric
            base = metric.removesuffix("_bucket").removesuffix("_count").removesuffix("_sum")
            known = [c.get(base) or c.get(metric) for c in catalogues.values()]
            histogram = any(k is not None and k.type == "histogram" for k in known) or metric.endswith("_bucket")
            if histogram:
                for le in BUCKETS:
                    found[tuple(sorted({**labels, "__name__": f"{base}_bucket", "le": labels.get("le", le)}.items()))] = "counter"
                for suffix in ("_count", "_sum"):
                    found[tuple(sorted({**labels, "__name__": base + suffix}.items()))] = "counter"
            else:
                kind = "counter" if metric.endswith(("_total", "_count", "_sum")) else "gauge"
                found[tuple(sorted({**labels, "__name__": metric}.items()))] = kind
    return found


def openmetrics(series: dict[tuple[tuple[str, str], ...], str], start: int, steps: int, out: Path) -> int:
    """Writes the samples; returns how many."""
    families: dict[str, list[tuple[tuple[str, str], ...]]] = {}
    for labels in series:
        name = dict(labels)["__name__"]
        family = re.sub(r"_(total|bucket|count|sum)$", "", name) if series[labels] == "counter" else name
        families.setdefault(family, []).append(labels)
    written = 0
    with out.open("w", encoding="utf-8") as handle:
        for family, members in sorted(families.items()):
            kind = "counter" if all(series[m] == "counter" for m in members) else "unknown"
            if kind == "counter" and any(dict(m)["__name__"].endswith(("_bucket", "_count", "_sum")) for m in members):
                kind = "unknown"  # a histogram's parts, written as plain series
            handle.write(f"# TYPE {family} {kind}\n")
            for offset, labels in enumerate(members):
                text = ",".join(f'{k}="{v}"' for k, v in labels if k != "__name__")
                name = dict(labels)["__name__"]
                total = 0.0
                lines = []
                for step in range(steps):
                    t = start + step * SCRAPE_S
                    if series[labels] == "counter":
                        total += 1 + (step * 7 + offset) % 5
                        value = total
                    else:
                        value = round(50 + 40 * math.sin((step + offset * 97) / 240), 3)
                    lines.append(f"{name}{{{text}}} {value} {t}\n")
                handle.writelines(lines)
                written += steps
        handle.write("# EOF\n")
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("specs", nargs="*", type=Path)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--release", default="newest")
    parser.add_argument("--since", default="1d,3d,7d")
    parser.add_argument("--concurrency", default="4")
    args = parser.parse_args()
    specs = args.specs or [largest_example()]
    series = series_of(specs)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        steps = args.days * 86400 // SCRAPE_S
        start = (int(time.time()) - steps * SCRAPE_S) // SCRAPE_S * SCRAPE_S
        began = time.perf_counter()
        samples = openmetrics(series, start, steps, work / "data.om")
        made = time.perf_counter() - began
        began = time.perf_counter()
        done = subprocess.run([judge("promtool"), "tsdb", "create-blocks-from", "openmetrics", str(work / "data.om"),
                               str(work / "tsdb")], capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(done.stderr)
        backfill = time.perf_counter() - began
        print(f"specs: {', '.join(str(p.resolve().relative_to(ROOT)) if p.resolve().is_relative_to(ROOT) else str(p) for p in specs)}")
        print(f"data: {len(series)} series x {steps} samples = {samples:,} samples over {args.days}d "
              f"(written in {made:.1f}s, backfilled in {backfill:.1f}s)")
        (work / "prometheus.yml").write_text("global:\n  scrape_interval: 1m\nscrape_configs: []\n", encoding="utf-8")
        port = free_port()
        with process([judge("prometheus", args.release), f"--config.file={work / 'prometheus.yml'}",
                      f"--storage.tsdb.path={work / 'tsdb'}", "--storage.tsdb.retention.time=30d",
                      f"--web.listen-address=127.0.0.1:{port}"], work / "prometheus.log",
                     f"http://127.0.0.1:{port}/-/ready", timeout=300):
            for concurrency in args.concurrency.split(","):
                for since in args.since.split(","):
                    command = [*promgen_command(), "check", *map(str, specs), "--prometheus",
                               f"http://127.0.0.1:{port}", "--since", since, "--concurrency", concurrency,
                               "--format", "json"]
                    began = time.perf_counter()
                    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
                    took = time.perf_counter() - began
                    if done.returncode not in (0, 1) or not done.stdout:
                        sys.exit(done.stderr)
                    report = json.loads(done.stdout)
                    errors = [p["message"] for p in report["problems"] if p["level"] == "error"]
                    print(f"check --since {since:<4} --concurrency {concurrency}: {took:6.1f} s: {len(report['selectors'])} "
                          f"selectors, {len(report['alerts'])} alerts backtested, {len(errors)} dead selectors")
                    for message in errors[:3]:
                        print(f"  {message[:160]}")


if __name__ == "__main__":
    main()
