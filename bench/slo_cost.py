"""What one SLO's recording rules cost Prometheus per evaluation: exact windows against chained ones.

Usage: python bench/slo_cost.py [--series 2000,20000] [--hours 74] [--runs 3] [--release newest]

For each size, N series of `http_requests_total` (N/2 instances x code 200 and 500, a sample a
minute, --hours of history: 74 h covers the longest raw window, 3d, of a 30-day SLO) are written as
OpenMetrics and backfilled with `promtool tsdb create-blocks-from openmetrics`; the series the rules
read back (the 5m rates and the 5m ratio) are backfilled with `promtool tsdb create-blocks-from
rules` against that data, as a running Prometheus would have recorded them. Then the real Prometheus
(the judge release from .judges/, fetched by tests/judges.py) serves the blocks on 127.0.0.1 and
every recording rule of the SLO, as promgen renders it both ways (`rules: {slo: exact}` and the
chained default), is evaluated at the newest data with the query API's `stats=all`: samples read
(totalQueryableSamples) and the engine's time (execTotalTime), median of --runs, summed over the
rules of one evaluation cycle. The "5m rates" line is the two rules every chained cycle starts with:
the floor a cycle reading raw series cannot go under. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import ROOT, promgen_command  # noqa: E402

from promgen.core import conventions  # noqa: E402
from tests.e2e.harness import free_port, process  # noqa: E402
from tests.support import judge  # noqa: E402

SERVICE, SLO = "checkout", "availability"
METRIC = "http_requests_total"
SCRAPE_S = 60
ERROR_SHARE = 0.0005  # half the budget of a 99.9% SLO: healthy traffic
Rules = list[tuple[str, str, dict[str, str]]]  # (record, expr, labels)


def spec(mode: str) -> dict[str, Any]:
    return {
        "version": 1,
        "service": {"name": SERVICE},
        "scrape": {"interval": "1m", "evaluation_interval": "1m", "targets": [{"job": SERVICE, "static": ["app:8000"]}]},
        "rules": {"slo": mode},
        "metrics": [{"name": METRIC, "type": "counter", "labels": ["code", "instance"]}],
        "slos": [{"name": SLO, "objective": 99.9,
                  "sli": {"errors": f'sum(rate({METRIC}{{code="500"}}[{{{{window}}}}]))',
                          "total": f"sum(rate({METRIC}[{{{{window}}}}]))"}}],
        "severities": [{"name": "critical"}, {"name": "warning"}],
    }


def rendered_rules(work: Path, mode: str) -> Rules:
    """The SLO's recording rules as `promgen render` writes them for `mode`."""
    spec_path = work / f"{mode}.yaml"
    spec_path.write_text(yaml.safe_dump(spec(mode), sort_keys=False), encoding="utf-8")
    out = work / f"out-{mode}"
    subprocess.run([*promgen_command(), "render", str(spec_path), "-o", str(out), "-q"], cwd=ROOT, check=True)
    groups = yaml.safe_load((out / conventions.slo_rules_file(SERVICE, SLO)).read_text(encoding="utf-8"))["groups"]
    return [(r["record"], r["expr"], r.get("labels", {})) for g in groups for r in g["rules"] if "record" in r]


def write_openmetrics(path: Path, series: int, start: int, minutes: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(f"# TYPE {METRIC.removesuffix('_total')} counter\n")
        for instance in range(series // 2):
            for code, per_minute in (("200", 60 * (1 - ERROR_SHARE)), ("500", 60 * ERROR_SHARE)):
                prefix = f'{METRIC}{{code="{code}",instance="i-{instance:05d}"}} '
                out.write("".join(f"{prefix}{round(per_minute * (m + 1), 4):g} {start + m * SCRAPE_S}\n"
                                  for m in range(minutes)))
        out.write("# EOF\n")


def recorded_inputs(exact: Rules, chained: Rules) -> Rules:
    """The series the rules read back: the chained 5m rates, and the 5m ratio (both ways the same
    values) computed from raw series so one backfill pass holds them all."""
    shortest = conventions.slo_error_ratio_series("5m")
    return ([r for r in chained if r[0].startswith(("slo:sli_error:rate", "slo:sli_total:rate"))]
            + [r for r in exact if r[0] == shortest])


def prometheus(binary: str, storage: Path, port: int, log: Path) -> Any:
    config = storage.parent / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1m\nscrape_configs: []\n", encoding="utf-8")
    return process([binary, f"--config.file={config}", f"--storage.tsdb.path={storage}",
                    "--storage.tsdb.retention.time=30d", f"--web.listen-address=127.0.0.1:{port}",
                    "--query.max-samples=2000000000"], log, f"http://127.0.0.1:{port}/-/ready", timeout=600)


def run(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:4])} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return time.perf_counter() - start


def cost(url: str, expr: str, at: int, runs: int) -> tuple[int, float]:
    """(samples read, median engine seconds) of one rule's expression evaluated at `at`."""
    query = urllib.parse.urlencode({"query": expr, "time": at, "stats": "all"})
    samples, seconds = 0, []
    for _ in range(runs):
        with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=1800) as response:  # noqa: S310 - loopback
            stats = json.loads(response.read())["data"]["stats"]
        samples = int(stats["samples"]["totalQueryableSamples"])
        seconds.append(float(stats["timings"]["execTotalTime"]))
    return samples, statistics.median(seconds)


def measure(series: int, hours: int, runs: int, release: str, work: Path) -> dict[str, tuple[int, float]]:
    exact, chained = rendered_rules(work, "exact"), rendered_rules(work, "chained")
    minutes = hours * 60
    start = (int(time.time()) - minutes * SCRAPE_S - 3600) // 3600 * 3600
    end = start + (minutes - 1) * SCRAPE_S
    promtool, server = judge("promtool", "newest"), judge("prometheus", release)
    storage, data = work / "tsdb", work / "data.om"
    began = time.perf_counter()
    write_openmetrics(data, series, start, minutes)
    written = time.perf_counter() - began
    loaded = run([promtool, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=24h", str(data), str(storage)])
    data.unlink()
    base = {"groups": [{"name": "inputs", "interval": f"{SCRAPE_S}s", "rules": [
        {"record": record, "expr": expr, "labels": labels} for record, expr, labels in recorded_inputs(exact, chained)]}]}
    (work / "inputs.yml").write_text(yaml.safe_dump(base), encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    blocks = work / "recorded"
    with prometheus(server, storage, port, work / "prometheus-1.log"):
        recorded = run([promtool, "tsdb", "create-blocks-from", "rules", f"--start={start}", f"--end={end + 1}",
                        f"--url={url}", f"--eval-interval={SCRAPE_S}s", f"--output-dir={blocks}", str(work / "inputs.yml")])
    for block in blocks.iterdir():
        if block.is_dir():
            shutil.move(str(block), storage / block.name)
    print(f"  backfill: {series * minutes / 1e6:.1f} M samples written in {written:.0f} s, "
          f"loaded in {loaded:.0f} s; recorded inputs in {recorded:.0f} s", flush=True)
    found: dict[str, tuple[int, float]] = {}
    with prometheus(server, storage, port, work / "prometheus-2.log"):
        for mode, rules in (("exact", exact), ("chained", chained)):
            per_rule = [cost(url, expr, end, runs) for _record, expr, _labels in rules]
            found[mode] = (sum(s for s, _ in per_rule), sum(t for _, t in per_rule))
        rates = [r for r in chained if r[0].startswith(("slo:sli_error:rate", "slo:sli_total:rate"))]
        per_rule = [cost(url, expr, end, runs) for _record, expr, _labels in rates]
        found["5m rates"] = (sum(s for s, _ in per_rule), sum(t for _, t in per_rule))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", default="2000,20000")
    parser.add_argument("--hours", type=int, default=74)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--release", default="newest", choices=("oldest", "newest"))
    args = parser.parse_args()
    print(f"Prometheus ({args.release} judge): one 99.9% SLO over 30 days, samples read and engine seconds "
          f"per evaluation cycle of its recording rules, at the newest of {args.hours} h of data")
    print(f"{'series':>7} {'exact samples':>14} {'exact s':>8} {'chained samples':>16} {'chained s':>10} "
          f"{'5m rates':>9} {'samples x':>10} {'time x':>7}")
    previous: dict[str, tuple[int, float]] | None = None
    for series in [int(s) for s in args.series.split(",") if s]:
        with tempfile.TemporaryDirectory(prefix="promgen-slo-cost-") as scratch:
            found = measure(series, args.hours, args.runs, args.release, Path(scratch))
        (es, et), (cs, ct), (rs, _rt) = found["exact"], found["chained"], found["5m rates"]
        print(f"{series:>7} {es / 1e6:>12.2f} M {et:>8.3f} {cs / 1e6:>14.3f} M {ct:>10.4f} {rs / 1e6:>7.3f} M "
              f"{es / cs:>9.1f}x {et / ct:>6.1f}x", flush=True)
        if previous:
            growth = {mode: found[mode][0] / previous[mode][0] for mode in found}
            print(f"{'':>7} growth in samples: exact x{growth['exact']:.1f}, chained x{growth['chained']:.1f}, "
                  f"5m rates x{growth['5m rates']:.1f}")
        previous = found


if __name__ == "__main__":
    main()
