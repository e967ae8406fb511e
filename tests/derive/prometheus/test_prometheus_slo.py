"""SLO rules: error budgets and burn thresholds as exact decimals, windows scaled to the SLO window
and the render's time scale, the error-ratio queries of each SLI kind, the page and ticket alerts,
and the validate checks on generated SLO alerts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from promgen.core import conventions
from promgen.core.model import Model, RenderOptions, build_model
from promgen.derive.prometheus import slo
from promgen.load.models import Spec
from promgen.testgen.selectors import matcher_ok


def model_of(slos: list[dict[str, Any]], options: RenderOptions | None = None, **extra: Any) -> Model:
    data: dict[str, Any] = {
        "version": 1,
        "service": {"name": "shop", "labels": {"team": "web"}},
        "metrics": [
            {"name": "http_requests_total", "type": "counter", "labels": ["code"]},
            {"name": "http_request_duration_seconds", "type": "histogram"},
            {"name": "request_duration_ms", "type": "histogram", "buckets": [100, 250, 500]},
        ],
        "severities": [{"name": "critical", "aliases": ["P0"]}, {"name": "warning", "aliases": ["P1"]}, {"name": "info"}],
        "slos": slos,
    }
    data.update(extra)
    return build_model(Spec.model_validate(data), "promgen.yaml", options)


RATIO = {
    "errors": 'sum(rate(http_requests_total{code=~"5.."}[{{window}}]))',
    "total": "sum(rate(http_requests_total[{{window}}]))",
}


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("objective", "budget"),
    [(99.9, "0.001"), (99.95, "0.0005"), (99, "0.01"), (95, "0.05"), (99.99, "0.0001"), (60, "0.4")],
)
def test_error_budget_is_exact(objective: float, budget: str) -> None:
    assert slo.error_budget(objective) == Decimal(budget)


@pytest.mark.parametrize(
    ("objective", "factor", "threshold"),
    [(99.9, 14.4, "0.0144"), (99.9, 6, "0.006"), (99.9, 3, "0.003"), (99.9, 1, "0.001"),
     (99, 14.4, "0.144"), (95, 6, "0.3"), (99.5, 3, "0.015")],
)
def test_burn_thresholds_are_factor_times_budget(objective: float, factor: float, threshold: str) -> None:
    assert slo.decimal_text(slo.burn_threshold(factor, slo.error_budget(objective))) == threshold


def test_decimal_text_never_uses_exponents() -> None:
    assert [slo.decimal_text(Decimal(t)) for t in ("1E+1", "0.00010", "99.900", "100")] == ["10", "0.0001", "99.9", "100"]


def test_windows_and_factors_for_thirty_days() -> None:
    plan = slo.plan(model_of([{"name": "availability", "objective": 99.9, "sli": RATIO}]), 0)
    assert plan.window == "30d"
    assert plan.windows == ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
    assert [(c.long, c.short, c.factor, slo.decimal_text(c.threshold)) for c in plan.page] == [
        ("1h", "5m", 14.4, "0.0144"), ("6h", "30m", 6.0, "0.006")]
    assert [(c.long, c.short, c.factor, slo.decimal_text(c.threshold)) for c in plan.ticket] == [
        ("1d", "2h", 3.0, "0.003"), ("3d", "6h", 1.0, "0.001")]
    assert plan.labels == {"service": "shop", "slo": "availability"}


def test_windows_scale_with_the_slo_window() -> None:
    plan = slo.plan(model_of([{"name": "backups", "objective": 99, "window": "28d", "sli": RATIO}]), 0)
    assert plan.window == "28d"
    assert [(c.long, c.short) for c in plan.page] == [("56m", "4m40s"), ("5h36m", "28m")]
    assert [(c.long, c.short) for c in plan.ticket] == [("22h24m", "1h52m"), ("2d19h12m", "5h36m")]
    assert [float(c.threshold) for c in plan.page + plan.ticket] == [0.144, 0.06, 0.03, 0.01]


def test_time_scale_shrinks_every_window_but_not_the_thresholds() -> None:
    """1/720 turns 30 days into an hour (the end-to-end tests' compressed SLOs)."""
    model = model_of([{"name": "availability", "objective": 99.9, "sli": RATIO}], RenderOptions(slo_time_scale=1 / 720))
    plan = slo.plan(model, 0)
    assert plan.window == "1h"
    assert plan.windows == ("1s", "2s", "5s", "10s", "30s", "2m", "6m")
    assert [(c.long, c.short, slo.decimal_text(c.threshold)) for c in plan.page] == [("5s", "1s", "0.0144"), ("30s", "2s", "0.006")]
    groups = {g["name"]: g["rules"] for g in _groups(model)}
    period = next(r for r in groups["shop-slo-availability-recording"] if r["record"] == "slo:sli_error:ratio_rate1h")
    assert period["expr"] == 'avg_over_time(slo:sli_error:ratio_rate1s{service="shop", slo="availability"}[1h])'


def _groups(model: Model) -> list[dict[str, Any]]:
    from promgen.derive.prometheus.config import rule_groups

    return rule_groups(model)


# --- error ratio queries ----------------------------------------------------------------------


def test_ratio_slis() -> None:
    model = model_of([
        {"name": "a", "objective": 99, "sli": RATIO},
        {"name": "b", "objective": 99, "sli": {"good": 'sum(rate(http_requests_total{code!~"5.."}[{{ window }}]))',
                                               "total": "sum(rate(http_requests_total[{{window}}]))"}},
        {"name": "c", "objective": 99, "sli": {"errors": 'sum(rate(http_requests_total{code="500"}[{{window}}])) + '
                                                         'sum(rate(http_requests_total{code="503"}[{{window}}]))',
                                               "total": "sum(rate(http_requests_total[{{window}}]))"}},
    ])
    a, b, c = (slo.error_ratio_query(model, s, "1h") for s in model.spec.slos)
    assert a == 'sum(rate(http_requests_total{code=~"5.."}[1h])) / sum(rate(http_requests_total[1h]))'
    assert b == '1 - sum(rate(http_requests_total{code!~"5.."}[1h])) / sum(rate(http_requests_total[1h]))'
    assert c == ('(sum(rate(http_requests_total{code="500"}[1h])) + sum(rate(http_requests_total{code="503"}[1h])))'
                 ' / sum(rate(http_requests_total[1h]))')
    for query in (a, b, c):
        promql_parser.parse(query)


def test_latency_sli_reads_the_threshold_bucket_in_the_metrics_unit() -> None:
    model = model_of([
        {"name": "fast", "objective": 95, "sli": {"latency": {"metric": "http_request_duration_seconds",
                                                              "threshold": "250ms", "selector": 'route!="/health"'}}},
        {"name": "ms", "objective": 95, "sli": {"latency": {"metric": "request_duration_ms", "threshold": "500ms"}}},
    ])
    fast, ms = (slo.error_ratio_query(model, s, "5m") for s in model.spec.slos)
    assert fast == ('1 - sum(rate(http_request_duration_seconds_bucket{le="0.25", route!="/health"}[5m]))'
                    ' / sum(rate(http_request_duration_seconds_count{route!="/health"}[5m]))')
    assert ms == ('1 - sum(rate(request_duration_ms_bucket{le=~"500(\\\\.0)?"}[5m]))'
                  " / sum(rate(request_duration_ms_count[5m]))")


@pytest.mark.parametrize(
    ("bound", "spellings", "not_matched"),
    [(1.0, ["1", "1.0"], ["10", "1.5", "0.1"]), (60, ["60", "60.0"], ["600", "6"]), (0.5, ["0.5"], ["0.50", "5"]),
     (2.5, ["2.5"], ["2"]), (1e6, ["1e+06"], ["1000000"])],
)
def test_le_matcher_accepts_go_and_python_client_spellings(bound: float, spellings: list[str], not_matched: list[str]) -> None:
    """Go clients expose le="1", the Python client le="1.0"; Prometheus 2 stores either as written."""
    matcher = promql_parser.parse(f"x{{{slo.le_matcher(bound)}}}").matchers.matchers[0]
    op = "=~" if "Re" in str(matcher.op) else "="
    for value in spellings:
        assert matcher_ok(value, op, matcher.value), value
    for value in not_matched:
        assert not matcher_ok(value, op, matcher.value), value


# --- alerts -----------------------------------------------------------------------------------


def test_page_and_ticket_alerts_share_a_name_and_differ_by_severity() -> None:
    model = model_of([{"name": "checkout-availability", "objective": 99.9, "sli": RATIO, "labels": {"tier": "gold"}}])
    page, ticket = slo.alert_rules(model, slo.plan(model, 0))
    assert page["alert"] == ticket["alert"] == "CheckoutAvailabilityErrorBudgetBurn"
    assert page["labels"] == {"severity": "critical", "service": "shop", "team": "web", "slo": "checkout-availability",
                              "tier": "gold"}
    assert ticket["labels"]["severity"] == "warning"
    assert "for" not in page and "for" not in ticket  # the short window is the guard, as in the SRE Workbook
    selector = '{service="shop", slo="checkout-availability"}'
    assert page["expr"] == (
        f"(\n  slo:sli_error:ratio_rate1h{selector} > 0.0144\nand\n  slo:sli_error:ratio_rate5m{selector} > 0.0144\n)\n"
        f"or\n(\n  slo:sli_error:ratio_rate6h{selector} > 0.006\nand\n  slo:sli_error:ratio_rate30m{selector} > 0.006\n)\n"
    )
    promql_parser.parse(page["expr"])
    assert "{{" not in page["annotations"]["summary"]
    assert "{{ $value | humanizePercentage }}" in page["annotations"]["description"]


def test_severities_follow_the_slo_alerting_settings() -> None:
    model = model_of([
        {"name": "a", "objective": 99, "sli": RATIO, "alerting": {"page": "P1", "ticket": "info", "no_data": "P0"}},
    ])
    rules = slo.alert_rules(model, slo.plan(model, 0))
    assert [(r["alert"], r["labels"]["severity"]) for r in rules] == [
        ("AErrorBudgetBurn", "warning"), ("AErrorBudgetBurn", "info"), ("ASLINoData", "critical")]
    no_data = rules[2]
    assert no_data["expr"] == 'absent(slo:sli_error:ratio_rate5m{service="shop", slo="a"})'
    assert no_data["for"] == conventions.SLO_NO_DATA_FOR


def test_disabled_alerting_records_without_alerting() -> None:
    model = model_of([{"name": "a", "objective": 99, "sli": RATIO, "alerting": {"enabled": False}}])
    plan = slo.plan(model, 0)
    assert slo.alert_rules(model, plan) == []
    records = [r["record"] for r in slo.recording_rules(model, plan)]
    base = plan.windows[0]
    assert records == [f"slo:sli_error:rate{base}", f"slo:sli_total:rate{base}",
                       *(f"slo:sli_error:ratio_rate{w}" for w in plan.windows), "slo:objective:ratio",
                       "slo:error_budget:ratio", "slo:sli_error:ratio_rate30d", "slo:error_budget_remaining:ratio"]


# --- validate ---------------------------------------------------------------------------------


def _validate(promgen_cli, tmp_path: Path, slos: list[dict[str, Any]]) -> str:
    spec = {"version": 1, "service": {"name": "shop"}, "severities": [{"name": "critical"}],
            "metrics": [{"name": "http_requests_total", "type": "counter", "labels": ["code"]}], "slos": slos}
    path = tmp_path / "promgen.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    result = promgen_cli("validate", str(path))
    return result.stdout + result.stderr


def test_validate_rejects_slo_names_whose_alerts_clash_but_not_long_ones(promgen_cli, tmp_path: Path) -> None:
    output = _validate(promgen_cli, tmp_path, [
        {"name": "checkout-payment-availability-eu", "objective": 99, "sli": RATIO},
        {"name": "error-rate", "objective": 99, "sli": RATIO},
        {"name": "error_rate", "objective": 99, "sli": RATIO},
    ])
    assert "SLOs 'error-rate' and 'error_rate' would both raise ErrorRateErrorBudgetBurn" in output
    # Prometheus and Alertmanager take an alert name of any length (pyrra's are often longer than 40)
    assert "CheckoutPaymentAvailabilityEu" not in output


def test_validate_warns_when_a_page_can_never_fire(promgen_cli, tmp_path: Path) -> None:
    output = _validate(promgen_cli, tmp_path, [
        {"name": "relaxed", "objective": 80, "sli": RATIO},
        {"name": "tracked", "objective": 50, "sli": RATIO, "alerting": {"enabled": False}},
    ])
    assert "warning: with an objective of 80% the page alert needs more than 100% failing events" in output
    assert "objective of 50%" not in output


def test_validate_rejects_slo_labels_promgen_sets(promgen_cli, tmp_path: Path) -> None:
    output = _validate(promgen_cli, tmp_path, [
        {"name": "a", "objective": 99, "sli": RATIO, "labels": {"severity": "warning", "slo": "b", "tier": "gold"}},
    ])
    assert "label 'severity' is set by promgen; choose another label name" in output
    assert "label 'slo' is set by promgen" in output
    assert "'tier'" not in output


# --- chained and exact windows ----------------------------------------------------------------


def _records(model: Model) -> dict[str, str]:
    plan = slo.plan(model, 0)
    return {r["record"]: r["expr"] for r in slo.recording_rules(model, plan)}


def test_chained_windows_build_on_the_shortest_windows_rates() -> None:
    records = _records(model_of([{"name": "a", "objective": 99.9, "sli": RATIO}]))
    assert records["slo:sli_error:rate5m"] == 'sum(rate(http_requests_total{code=~"5.."}[5m]))'
    assert records["slo:sli_total:rate5m"] == "sum(rate(http_requests_total[5m]))"
    match = '{service="shop", slo="a"}'
    assert records["slo:sli_error:ratio_rate5m"] == slo.bounded(f"slo:sli_error:rate5m{match} / slo:sli_total:rate5m{match}")
    for window in ("30m", "1h", "2h", "6h", "1d", "3d"):
        expr = records[f"slo:sli_error:ratio_rate{window}"]
        assert "http_requests_total" not in expr  # no raw series read over a long window
        assert f"avg_over_time(slo:sli_error:rate5m{match}[{window}])" in expr
        assert f"avg_over_time(slo:sli_total:rate5m{match}[{window}])" in expr
        promql_parser.parse(expr)
    # the SLO window's ratio and the budget remaining are the same rules as the exact ones
    assert records["slo:sli_error:ratio_rate30d"] == f"avg_over_time(slo:sli_error:ratio_rate5m{match}[30d])"


@pytest.mark.parametrize(("version", "evaluation", "factor"), [
    ("3.5", "15s", "9.5"),  # left-open ranges: (5m - 15s) / 2 = 142.5s, in 15s evaluations
    ("3.5", "1m", "2"),     # (5m - 1m) / 2 = 120s, in 1m evaluations
    ("2.42", "15s", "10"),  # closed ranges: 5m / 2 = 150s
])
def test_chained_correction_is_the_averaging_lag_over_the_window(version: str, evaluation: str, factor: str) -> None:
    model = model_of([{"name": "a", "objective": 99.9, "sli": RATIO}], versions={"prometheus": version},
                     scrape={"interval": "15s", "evaluation_interval": evaluation})
    expr = _records(model)["slo:sli_error:ratio_rate1h"]
    now = 'slo:sli_error:rate5m{service="shop", slo="a"}'
    # the lag in evaluations x the change over the window / the samples held: lag / 1h x the change with
    # a full hour recorded, lag / history x the rate while less (nothing recorded an hour ago: 0)
    assert (f"(avg_over_time({now}[1h]) + {factor} * ({now} - ({now} offset 1h or {now} * 0))"
            f" / count_over_time({now}[1h]))") in expr


def test_good_and_latency_slis_record_bad_events_per_second() -> None:
    good = {"good": 'sum(rate(http_requests_total{code!~"5.."}[{{window}}]))', "total": RATIO["total"]}
    records = _records(model_of([{"name": "a", "objective": 99, "sli": good}]))
    assert records["slo:sli_error:rate5m"] == (
        'sum(rate(http_requests_total[5m])) - sum(rate(http_requests_total{code!~"5.."}[5m]))')
    latency = {"latency": {"metric": "request_duration_ms", "threshold": "250ms", "selector": 'code="200"'}}
    records = _records(model_of([{"name": "a", "objective": 99, "sli": latency}]))
    assert records["slo:sli_error:rate5m"] == (
        'sum(rate(request_duration_ms_count{code="200"}[5m])) - sum(rate(request_duration_ms_bucket{le=~"250(\\\\.0)?", code="200"}[5m]))')
    assert records["slo:sli_total:rate5m"] == 'sum(rate(request_duration_ms_count{code="200"}[5m]))'


@pytest.mark.parametrize("where", ["slo", "spec"])
def test_exact_rules_read_every_window_from_the_raw_series(where: str) -> None:
    entry: dict[str, Any] = {"name": "a", "objective": 99.9, "sli": RATIO}
    extra: dict[str, Any] = {}
    if where == "slo":
        entry["rules"] = "exact"
    else:
        extra["rules"] = {"slo": "exact"}
    records = _records(model_of([entry], **extra))
    assert "slo:sli_error:rate5m" not in records and "slo:sli_total:rate5m" not in records
    assert records["slo:sli_error:ratio_rate3d"] == slo.bounded(
        'sum(rate(http_requests_total{code=~"5.."}[3d])) / sum(rate(http_requests_total[3d]))')


def test_an_slo_can_keep_exact_rules_when_the_spec_chains() -> None:
    model = model_of([{"name": "a", "objective": 99.9, "sli": RATIO, "rules": "exact"},
                      {"name": "b", "objective": 99.9, "sli": RATIO}])
    assert not slo.plan(model, 0).chained and slo.plan(model, 1).chained
