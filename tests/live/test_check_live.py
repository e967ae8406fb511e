"""`promgen check --prometheus` against a real Prometheus (both judged releases) on 127.0.0.1,
holding two days of backfilled samples (tests/live/data.py); every count it reports is checked
against what the data was made to hold."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import free_port, process
from tests.live import data as made
from tests.support import RELEASES, ROOT, judge

SPEC = Path(__file__).parent / "shop.promgen.yaml"
SPEC_ARG = str(SPEC.relative_to(ROOT))
INTERVAL_S = 30  # the spec's evaluation_interval


@pytest.fixture(scope="module", params=RELEASES)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, made.Data]]:
    release = request.param
    work = tmp_path_factory.mktemp(f"live-{release}")
    data = made.data_ending(time.time())
    (work / "data.om").write_text(made.openmetrics(data), encoding="utf-8")
    # the backfill tool is the newest promtool; the server under test is the release's
    done = subprocess.run([judge("promtool", "newest"), "tsdb", "create-blocks-from", "openmetrics", str(work / "data.om"),
                           str(work / "tsdb")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (work / "prometheus.yml").write_text("global:\n  scrape_interval: 1m\nscrape_configs: []\n", encoding="utf-8")
    port = free_port()
    with process([judge("prometheus", release), f"--config.file={work / 'prometheus.yml'}",
                  f"--storage.tsdb.path={work / 'tsdb'}", "--storage.tsdb.retention.time=30d",
                  f"--web.listen-address=127.0.0.1:{port}"], work / "prometheus.log", f"http://127.0.0.1:{port}/-/ready"):
        yield f"http://127.0.0.1:{port}", data


def check(url: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "promgen", "check", SPEC_ARG, "--prometheus", url, "--since", "2d",
                           *options], capture_output=True, text=True, timeout=300, cwd=ROOT)


@pytest.fixture(scope="module")
def report(server: tuple[str, made.Data]) -> tuple[dict[str, Any], made.Data, subprocess.CompletedProcess[str]]:
    url, data = server
    done = check(url, "--format", "json")
    assert done.stderr == "", done.stderr
    return json.loads(done.stdout), data, done


def _alert(found: dict[str, Any], name: str, severity: str | None = None) -> dict[str, Any]:
    [alert] = [a for a in found["alerts"] if a["alert"] == name and severity in (None, a["severity"])]
    return alert


def _problems(found: dict[str, Any], level: str) -> list[str]:
    return [f"{p['line']}: {p['message']}" for p in found["problems"] if p["level"] == level]


@pytest.mark.judge
def test_a_dead_selector_and_a_typo_are_errors_with_what_exists(report: Any) -> None:
    found, _data, done = report
    assert done.returncode == 1 and found["ok"] is False
    errors = _problems(found, "error")
    assert len(errors) == 2, errors
    assert errors[0].startswith("41: payment_failures_total (shop: alert PaymentsFailing) matches no series over the "
                                "last 2d: the server has no series of payment_failures_total at all")
    assert errors[1].startswith('46: http_requests_total{route="/chekout",status="500"} (shop: alert CheckoutErrors)')
    assert 'route="/chekout" matches no series of http_requests_total (its route values are "/cart", "/checkout"); ' \
           'did you mean "/checkout"?' in errors[1]


@pytest.mark.judge
def test_a_metric_not_deployed_yet_is_pending_and_one_under_another_job_a_warning(report: Any) -> None:
    found, _data, _done = report
    assert _problems(found, "note") == ["68: refunds_total (shop: panel Shop / Refunds) has no series yet: its metric "
                                        "is declared `deployed: false`"]
    [warning] = _problems(found, "warning")
    assert warning.startswith("67: worker_busy is found under job shop-worker here, but the spec expects it from shop")


@pytest.mark.judge
def test_series_are_counted_now_and_over_the_range(report: Any) -> None:
    found, _data, _done = report
    counts = {s["selector"]: (s["now"], s["since"]) for s in found["selectors"]}
    assert counts == {
        "queue_depth": (1, 1),
        "payment_failures_total": (0, 0),
        'http_requests_total{route="/chekout",status="500"}': (0, 0),
        'http_requests_total{status=~"5.."}': (1, 1),
        "http_requests_total": (3, 3),
        "worker_busy": (1, 1),
        "refunds_total": (0, 0),
    }


@pytest.mark.judge
def test_the_backlog_alert_fires_once_for_its_length_less_its_for(report: Any) -> None:
    found, _data, _done = report
    backlog = _alert(found, "QueueBacklog")
    firing = made.BACKLOG_MINUTES * 60 - 10 * 60  # the queue is deep 40 minutes; the alert waits 10 of them
    assert (backlog["fired"], backlog["firing_seconds"], backlog["longest_seconds"]) == (1, firing, firing)
    assert backlog["evaluated_from_expressions"] == []
    for never in ("QueueStuck", "PaymentsFailing", "CheckoutErrors"):
        assert (_alert(found, never)["fired"], _alert(found, never)["firing_seconds"]) == (0, 0)


@pytest.mark.judge
def test_the_burning_slo_pages_and_tickets_from_when_its_windows_cross(report: Any) -> None:
    found, data, _done = report
    end = found["end"]
    burn_start = data.burn_start
    # page: the 1h and 5m ratios over 14.4x the 1% budget (the 6h/30m pair does not cross in 90 minutes)
    page_at = burn_start + 60 * max(made.crossing_minutes(0.144, 60), made.crossing_minutes(0.144, 5))
    # ticket: the 3d (two days of data) and 6h ratios over 1x (the 1d/2h pair does not cross)
    ticket_at = burn_start + 60 * max(made.crossing_minutes(0.01, 3 * 1440), made.crossing_minutes(0.01, 360))
    for severity, starts in (("critical", page_at), ("warning", ticket_at)):
        alert = _alert(found, "AvailabilityErrorBudgetBurn", severity)
        assert alert["fired"] == 1, alert
        # within two evaluations: one for their alignment, one for rate()'s extrapolation at a window's edges
        assert abs(alert["firing_seconds"] - (end - starts)) <= 2 * INTERVAL_S, (severity, alert, end - starts)
        assert alert["evaluated_from_expressions"], "no rule is deployed: the recorded ratios come from expressions"


@pytest.mark.judge
def test_the_slo_budget_and_burn_rates_now(report: Any) -> None:
    found, data, _done = report
    [slo] = found["slos"]
    minutes_burning = (found["end"] - data.burn_start) / 60
    for window, minutes in (("5m", 5), ("1h", 60), ("2h", 120), ("6h", 360), ("1d", 1440), ("3d", 3 * 1440)):
        expected = made.ratio_after(minutes_burning, minutes) / (1 - made.OBJECTIVE)
        assert slo["burn_rate"][window] == pytest.approx(expected, rel=0.03), window
    spent = made.ratio_after(minutes_burning, 30 * 1440) / (1 - made.OBJECTIVE)
    assert slo["budget_remaining"] == pytest.approx(1 - spent, abs=0.02)
    assert slo["budget_remaining"] < 0  # 90 minutes at 20x over two days spend more than the budget


@pytest.mark.judge
def test_every_rule_group_says_what_it_reads(report: Any) -> None:
    found, _data, _done = report
    groups = {g["group"]: g for g in found["groups"]}
    assert set(groups) == {"shop-alerts", "shop-slo-availability-recording", "shop-slo-availability-alerts"}
    assert groups["shop-alerts"]["samples"] > 0 and groups["shop-slo-availability-recording"]["samples"] > 0
    assert groups["shop-slo-availability-alerts"]["rules_reading_unrecorded_series"] == 2
    assert not any(g["over_budget"] for g in groups.values())


@pytest.mark.judge
def test_the_text_report_has_the_tables_and_one_line_per_problem(server: tuple[str, made.Data]) -> None:
    url, _data = server
    done = check(url, "--sample-budget", "10")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("Backtest:") for line in lines)
    assert any("QueueBacklog" in line and " 30m " in line for line in lines)
    problems = [line for line in lines if line.startswith(f"{SPEC_ARG}:")]
    assert len(problems) == 5 and all(line == line.rstrip() for line in lines)
    assert any("rule group shop-slo-availability-recording reads" in line and "over the budget of 10" in line
               for line in problems)
    assert lines[-1] == "2 errors, 2 warnings"
