"""Every recorded SLO error ratio lies in [0, 1], judged by promtool on the rules promgen writes.

The chained windows' correction overshot when a burst of errors entered or left a window (measured:
-0.24 at 35m on the 28m window with the traffic of `test_the_burst_that_went_negative`, 1.022 when
all-ok traffic turned all-errors); the recorded ratios are now held to [0, 1]. A ratio clamped to
[0, 1] is compared with thresholds inside (0, 1), so every alert decision is the one before
(the slow tier's tests/derive/prometheus/test_slo_chained.py measures the decisions against exact
rules in the real Prometheus).

Property: random step and burst traffic (healthy, partial and total outages, bursts that start and
stop inside the windows), at a 30s scrape and evaluation interval, as promtool unit-test input; at
every 2.5 minutes no recorded ratio is below 0 or above 1.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promgen.core import burn_rates, conventions
from promgen.load.units import Duration
from tests.support import in_ci, judge, plan_spec, write_tree

SERVICE = "bounds"
STEP_S = 30
SLO_WINDOW = "14d"  # its burn windows are short (28m, 56m, ...): bursts enter and leave them within the test
WINDOWS = burn_rates.recorded_windows(Duration(SLO_WINDOW).ms)
MINUTES = 200


def spec() -> dict[str, Any]:
    return {
        "version": 1,
        "service": {"name": SERVICE},
        "scrape": {"interval": "30s", "targets": [{"job": SERVICE, "static": ["app:8000"]}]},
        "metrics": [{"name": "http_requests_total", "type": "counter", "labels": ["code"]}],
        "slos": [{"name": "availability", "objective": 99, "window": SLO_WINDOW,
                  "sli": {"errors": 'sum(rate(http_requests_total{code="500"}[{{window}}]))',
                          "total": "sum(rate(http_requests_total[{{window}}]))"}}],
        "severities": [{"name": "critical"}, {"name": "warning"}],
    }


def counter(rates: list[float]) -> str:
    """A counter sampled every 30s from per-sample increments, as promtool expanding notation."""
    value, parts = 0.0, []
    for increment in rates:
        parts.append(repr(value))
        value += increment
    return " ".join(parts)


def out_of_bounds_tests(ok: list[float], errors: list[float]) -> dict[str, Any]:
    """A promtool test group asserting, every 2.5 minutes, that no ratio series leaves [0, 1]."""
    outside = " or ".join(f"({name} < 0 or {name} > 1)"
                          for name in (conventions.slo_error_ratio_series(w) for w in WINDOWS))
    return {
        "interval": f"{STEP_S}s",
        "input_series": [
            {"series": 'http_requests_total{code="200"}', "values": counter(ok)},
            {"series": 'http_requests_total{code="500"}', "values": counter(errors)},
        ],
        "promql_expr_test": [{"expr": outside, "eval_time": f"{t * 150}s", "exp_samples": []}
                             for t in range(1, len(ok) * STEP_S // 150)],
    }


def judge_bounds(tmp_path: Path, groups: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    (tmp_path / "spec").mkdir(exist_ok=True)
    files = plan_spec(spec(), tmp_path / "spec", ["prometheus"])
    tree = write_tree(files, tmp_path / "out")
    rules = tree / conventions.slo_rules_file(SERVICE, "availability")
    test = rules.with_name("bounds.test.yml")
    test.write_text(yaml.safe_dump({"rule_files": [rules.name], "evaluation_interval": f"{STEP_S}s",
                                    "tests": groups}, sort_keys=False))
    return subprocess.run([judge("promtool"), "test", "rules", str(test)], capture_output=True, text=True,
                          timeout=600)


def test_the_burst_that_went_negative(tmp_path: Path) -> None:
    """ok traffic 0+600x200, errors 0+5400x10 then flat: the 28m window read -0.24 at 35m."""
    samples = 200
    ok = [600.0] * samples
    errors = [5400.0] * 10 + [0.0] * (samples - 10)
    result = judge_bounds(tmp_path, [out_of_bounds_tests(ok, errors)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_all_ok_turning_all_errors(tmp_path: Path) -> None:
    """All-ok traffic that fails entirely from 10 minutes on: the ratio read 1.022 at 40m."""
    samples = 200
    ok = [600.0] * 20 + [0.0] * (samples - 20)
    errors = [0.0] * 20 + [600.0] * (samples - 20)
    result = judge_bounds(tmp_path, [out_of_bounds_tests(ok, errors)])
    assert result.returncode == 0, result.stdout + result.stderr


@st.composite
def traffic(draw: st.DrawFn) -> tuple[list[float], list[float]]:
    """Per-sample increments of the ok and error counters: steps of steady traffic, some of them
    bursts of errors that start and stop inside the burn windows."""
    ok: list[float] = []
    errors: list[float] = []
    while len(ok) < MINUTES * 2:
        length = draw(st.integers(2, 60))
        rate = draw(st.sampled_from([0.0, 10.0, 600.0, 5000.0]))
        share = draw(st.sampled_from([0.0, 0.001, 0.05, 0.5, 1.0]))
        ok += [rate * (1 - share)] * length
        errors += [rate * share] * length
    return ok[:MINUTES * 2], errors[:MINUTES * 2]


def test_random_step_and_burst_traffic_stays_in_bounds(tmp_path: Path) -> None:
    """Each drawn traffic is one promtool test group; the groups of all examples run in one promtool."""
    groups: list[dict[str, Any]] = []

    @settings(max_examples=40 if in_ci() else 6, derandomize=True, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(traffic())
    def collect(drawn: tuple[list[float], list[float]]) -> None:
        groups.append(out_of_bounds_tests(*drawn))

    collect()
    result = judge_bounds(tmp_path, groups)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
