"""The generated promtool unit tests: the PromQL evaluator that predicts promtool's values, Go's
number formatting of annotations (checked against promtool itself), the label analysis, input
synthesis on many alert shapes, and the alerts promgen reports as untested instead of skipping."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from promgen.cli.render import produce
from promgen.derive.prometheus.promql_labels import dropped_labels, kept
from promgen.testgen import go_format
from promgen.testgen.evaluator import Evaluator, Series
from promgen.testgen.functions import bucket_quantile
from promgen.testgen.selectors import Unsupported
from promgen.testgen.synthesis import regex_example, violating
from tests.support import ROOT, judge, write_tree


def series(name: str, start: float, step: float, **labels: str) -> Series:
    return Series(tuple(sorted({**labels, "__name__": name}.items())), start, step)


def evaluate(expr: str, data: list[Series], at_min: int, interval_s: int = 60) -> Any:
    ev = Evaluator(data, interval_s * 1000, at_min * 60_000)
    return ev.eval(promql_parser.parse(expr), at_min * 60_000)


# --- Go formatting, against promtool ------------------------------------------------------------

VALUES = [0, 1, -5, 0.05, 0.1, 1 / 3, 0.5, 0.0001, 0.00001, 1e-9, 1023, 1024, 1500, 2048, 3725.5, 90061, 93600,
          1e5, 123456, 1e6, 1234567, 1e9, 1e18, 0.1 + 0.2]
FUNCTIONS = ("raw", "humanize", "humanize1024", "humanizeDuration", "humanizePercentage")


def test_go_g_matches_go_shortest_formatting() -> None:
    assert [go_format.go_g(v) for v in (1e6, 123456, 1234567, 0.0001, 1e-5, 0.1 + 0.2, -0.0, math.inf)] == [
        "1e+06", "123456", "1.234567e+06", "0.0001", "1e-05", "0.30000000000000004", "-0", "+Inf"]


def test_humanize_functions() -> None:
    assert go_format.humanize(1500) == "1.5k"
    assert go_format.humanize(0.05) == "50m"
    assert go_format.humanize1024(2048) == "2ki"
    assert go_format.humanize_duration(93600) == "1d 2h 0m 0s"
    assert go_format.humanize_duration(0.25) == "250ms"
    assert go_format.humanize_percentage(1 / 3) == "33.33%"


@pytest.mark.judge
def test_annotation_rendering_agrees_with_promtool(tmp_path: Path) -> None:
    """Every value through every function, as promgen predicts it, is what promtool renders."""
    annotations = {name: "{{ $value }}" if name == "raw" else f"{{{{ $value | {name} }}}}" for name in FUNCTIONS}
    annotations["printf"] = '{{ printf "%.2f" $value }}'
    annotations["labels"] = "{{ $labels.i }}/{{ $labels.missing }}/{{ .Labels.i }}"
    rules = {"groups": [{"name": "g", "rules": [
        {"alert": "A", "expr": "x > -1e300", "labels": {"severity": "info"}, "annotations": annotations}]}]}
    tests = []
    for index, value in enumerate(VALUES):
        expected = {k: go_format.expand(v, {"__name__": "x", "i": str(index)}, float(value)) for k, v in annotations.items()}
        tests.append({
            "interval": "1m",
            "input_series": [{"series": f'x{{i="{index}"}}', "values": f"{go_format.go_g(float(value))}+0x3"}],
            "alert_rule_test": [{"eval_time": "2m", "alertname": "A", "exp_alerts": [
                {"exp_labels": {"i": str(index), "severity": "info"}, "exp_annotations": expected}]}],
        })
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules), encoding="utf-8")
    (tmp_path / "test.yml").write_text(yaml.safe_dump({"rule_files": ["rules.yml"], "tests": tests}), encoding="utf-8")
    result = subprocess.run([judge("promtool"), "test", "rules", str(tmp_path / "test.yml")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_expand_handles_trim_markers_and_function_calls() -> None:
    assert go_format.expand("a  {{- $value -}}  b", {}, 2.0) == "a2b"
    assert go_format.expand("{{humanize $value}} on {{$labels.instance}}", {"instance": "h:1"}, 1500.0) == "1.5k on h:1"
    assert go_format.expand("{{ $labels.nope }}!", {}, 1.0) == "!"


@pytest.mark.parametrize("text", ["{{ if gt $value 1.0 }}x{{ end }}", "{{ $value | title }}", "{{ $labels.x | humanize }}",
                                  "{{ printf \"%g\" $value }}", "{{ .Value", "{{/* note */}}"])
def test_expand_refuses_what_it_cannot_predict(text: str) -> None:
    with pytest.raises(go_format.TemplateUnsupported):
        go_format.expand(text, {"x": "1"}, 1.0)


# --- the evaluator ------------------------------------------------------------------------------


def test_rate_over_a_full_window_is_the_slope() -> None:
    data = [series("c", 0, 6, job="a")]
    assert evaluate("rate(c[5m])", data, 10) == [({"job": "a"}, 0.1)]
    assert evaluate("increase(c[5m])", data, 10) == [({"job": "a"}, 30.0)]


def test_rate_over_a_partly_filled_window_follows_prometheus_extrapolation() -> None:
    """A counter starting at 0 is not extrapolated before its first sample: 10 minutes of a 1h range."""
    data = [series("c", 0, 60, job="a")]
    assert evaluate("increase(c[1h])", data, 10) == [({"job": "a"}, 600.0)]
    assert evaluate("rate(c[1h])", data, 10) == [({"job": "a"}, 600 / 3600)]
    gauge = [series("g", 100, 2, job="a")]  # delta of a gauge is extrapolated by half a step at the start
    assert evaluate("delta(g[1h])", gauge, 10) == [({"job": "a"}, 20 * (630 / 600))]


def test_counter_resets_are_added_back() -> None:
    ev = Evaluator([series("c", 0, 10)], 60_000, 600_000)
    ev._values[0] = [0, 10, 20, 5, 15, 25, 35, 45, 55, 65, 75]
    assert ev.eval(promql_parser.parse("increase(c[10m])"), 600_000) == [({}, 95.0)]


def test_bucket_quantile_interpolates_inside_the_bucket() -> None:
    buckets = [(0.1, 0.0), (0.5, 0.0), (1.0, 10.0), (math.inf, 10.0)]
    assert bucket_quantile(0.95, buckets) == 0.5 + 0.5 * 0.95
    assert bucket_quantile(0.5, [(1.0, 0.0), (math.inf, 10.0)]) == 1.0  # in +Inf: the last finite bound
    assert math.isnan(bucket_quantile(0.5, [(1.0, 0.0)]))  # no +Inf bucket


def test_aggregations_matching_and_names() -> None:
    data = [series("m", 3, 0, pod="a", code="500"), series("m", 5, 0, pod="a", code="200"), series("m", 7, 0, pod="b", code="200"),
            series("limit", 10, 0, pod="a"), series("limit", 20, 0, pod="b")]
    assert sorted(evaluate("sum by (pod) (m)", data, 1), key=str) == [({"pod": "a"}, 8.0), ({"pod": "b"}, 7.0)]
    assert evaluate("sum without (code, pod) (m)", data, 1) == [({}, 15.0)]
    assert evaluate("max(m)", data, 1) == [({}, 7.0)]
    assert evaluate("avg(m)", data, 1) == [({}, 5.0)]
    ratio = evaluate("sum by (pod) (m) / on (pod) limit > 0.5", data, 1)
    assert ratio == [({"pod": "a"}, 0.8)]
    assert evaluate('m{code="500"} > 1', data, 1) == [({"__name__": "m", "code": "500", "pod": "a"}, 3.0)]
    assert evaluate('m{code="500"} > bool 1', data, 1) == [({"code": "500", "pod": "a"}, 1.0)]
    assert evaluate('limit and on (pod) m{code="500"}', data, 1) == [({"__name__": "limit", "pod": "a"}, 10.0)]
    assert len(evaluate('limit unless on (pod) m{code="500"}', data, 1)) == 1
    assert evaluate("time()", data, 3) == 180.0


def test_absent_carries_the_equality_matchers() -> None:
    assert evaluate('absent(nothing{job="a", code=~"5.."})', [], 1) == [({"job": "a"}, 1.0)]
    assert evaluate("absent(up)", [series("up", 1, 0)], 1) == []


@pytest.mark.parametrize("expr", ['m / on (pod) group_left limit', "topk(1, m)", 'label_replace(m, "a", "b", "c", "d")',
                                  "max_over_time(m[5m:1m])", "m @ 100"])
def test_the_evaluator_refuses_what_it_does_not_model(expr: str) -> None:
    with pytest.raises(Unsupported):
        evaluate(expr, [series("m", 1, 0, pod="a"), series("limit", 1, 0, pod="a")], 5)


# --- label values that satisfy or break a matcher -------------------------------------------------


@pytest.mark.parametrize(("pattern", "example"), [("5..", "500"), ("2..|304", "200"), ("[45]xx", "4xx"),
                                                   ("(GET|POST)", "GET"), ("/api/.*", "/api/"), ("a+b?", "a")])
def test_regex_example(pattern: str, example: str) -> None:
    assert regex_example(pattern) == example


def test_violating_values() -> None:
    assert violating(("code", "=~", "5.."), "500") == "200"
    assert violating(("container", "!=", ""), "app") == ""
    assert violating(("fstype", "!~", "tmpfs|overlay"), "ext4") == "tmpfs"
    assert violating(("status", "=", "failed"), "failed") == "200"


# --- labels an expression keeps ---------------------------------------------------------------


@pytest.mark.parametrize(("expr", "labels"), [
    ("max(pg_up) == 0", frozenset()),
    ("sum by (pod) (a) / sum by (pod) (b) > 0.8", frozenset({"pod"})),
    ("up == 0", None),
    ('absent(x{job="a", code=~"5.."})', frozenset({"job"})),
    ("histogram_quantile(0.9, sum by (le, route) (rate(h_bucket[5m])))", frozenset({"route"})),
    ("sum without (instance) (rate(x[5m]))", None),
    ("sum(rate(x[5m])) / sum(rate(y[5m]))", frozenset()),
    ("time() - max by (job) (ts) > 60", frozenset({"job"})),
    ("a / on (pod) group_left (node) b", None),
])
def test_kept_labels(expr: str, labels: frozenset[str] | None) -> None:
    assert kept(promql_parser.parse(expr)) == labels


def test_dropped_labels_in_annotations() -> None:
    annotations = {"description": "{{ $labels.instance }} of {{ .Labels.job }}: {{ $value }}"}
    assert dropped_labels("max(pg_up) == 0", annotations) == ["instance", "job"]
    assert dropped_labels("max by (instance, job) (pg_up) == 0", annotations) == []
    assert dropped_labels("pg_up == 0", annotations) == []


# --- synthesis on many alert shapes -------------------------------------------------------------

SHAPES: dict[str, Any] = {
    "version": 1,
    "service": {"name": "shop", "runbook_url": "https://runbooks.example.com/shop/{alert}"},
    "scrape": {"targets": [{"job": "shop-api", "static": ["api:8000"]}]},
    "metrics": [
        {"name": "http_requests_total", "type": "counter", "labels": ["method", "code"]},
        {"name": "http_request_duration_seconds", "type": "histogram", "labels": ["route"]},
        {"name": "queue_size", "type": "gauge", "labels": ["queue"]},
        {"name": "temperature_celsius", "type": "gauge"},
        {"name": "jobs_total", "type": "counter", "labels": ["status"]},
        {"name": "last_run_timestamp_seconds", "type": "gauge"},
    ],
    "slos": [
        {"name": "availability", "objective": 99.5, "alerting": {"no_data": "warning"},
         "sli": {"errors": 'sum(rate(http_requests_total{code=~"5.."}[{{window}}]))',
                 "total": "sum(rate(http_requests_total[{{window}}]))"}},
        # no buckets declared and 300ms is no default bucket: the tests assume the threshold is one
        {"name": "latency", "objective": 99, "window": "7d",
         "sli": {"latency": {"metric": "http_request_duration_seconds", "threshold": "300ms", "selector": 'route!="/health"'}}},
    ],
    "severities": [{"name": "critical"}, {"name": "warning"}, {"name": "info"}],
    "alerts": [
        {"name": "ErrorRatio", "expr": 'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.02',
         "for": "5m", "severity": "critical", "summary": "Errors.", "description": "{{ $value | humanizePercentage }} fail."},
        {"name": "QueueLong", "expr": "sum by (queue) (queue_size) > 100", "for": "2m", "severity": "warning",
         "summary": "Queue long.", "description": "Queue {{ $labels.queue }} holds {{ $value }} items."},
        {"name": "FiveHundreds", "expr": 'rate(http_requests_total{code=~"5.."}[5m]) > 1', "severity": "warning",
         "summary": "5xx.", "description": "{{ $labels.method }} {{ $labels.code }} on {{ $labels.instance }}: {{ $value | humanize }}/s."},
        {"name": "Hot", "expr": "avg_over_time(temperature_celsius[10m]) > 80", "for": "10m", "severity": "info",
         "summary": "Hot.", "description": "{{ $value | humanize }} degrees."},
        {"name": "JobsFailing", "expr": 'increase(jobs_total{status="failed"}[1h]) >= 3', "severity": "warning",
         "summary": "Jobs fail.", "description": "{{ $value }} failed jobs in the last hour."},
        {"name": "JobStale", "expr": "time() - last_run_timestamp_seconds > 3600", "for": "5m", "severity": "warning",
         "summary": "Stale.", "description": "Last run {{ $value | humanizeDuration }} ago."},
        {"name": "RouteSlow", "expr": "histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket[5m]))) > 0.5",
         "for": "5m", "severity": "warning", "summary": "Slow.", "description": '{{ $labels.route }} p99 {{ printf "%.3f" $value }}s.'},
        {"name": "MethodErrors", "severity": "warning", "summary": "Method errors.", "description": "{{ $labels.method }}: {{ $value | humanizePercentage }}.",
         "expr": '(sum by (method) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (method) (rate(http_requests_total[5m]))) > 0.1'},
        {"name": "TargetGone", "expr": 'up{job="shop-api"} == 0 or absent(up{job="shop-api"})', "for": "1m",
         "severity": "critical", "summary": "Gone.", "description": "{{ $labels.job }} is gone."},
        {"name": "TemperatureRising", "expr": "delta(temperature_celsius[30m]) > 10", "severity": "info",
         "summary": "Rising.", "description": "+{{ $value | humanize }} in 30m."},
        {"name": "QueueWillOverflow", "expr": "predict_linear(queue_size[1h], 3600) > 1000", "severity": "info",
         "summary": "Overflow soon.", "description": "Queue {{ $labels.queue }} will overflow."},
        {"name": "BudgetSpent", "expr": 'slo:error_budget_remaining:ratio{slo="availability"} < 0', "severity": "warning",
         "summary": "Budget spent.", "description": "{{ $labels.slo }} has {{ $value | humanizePercentage }} budget left."},
        {"name": "QueueHigh", "template": "gauge_above", "params": {"metric": "queue_size", "threshold": 50, "selector": 'queue="default"'},
         "severity": "info"},
        {"name": "RouteErrors", "template": "error_ratio", "for": "5m", "severity": "warning",
         "params": {"metric": "http_requests_total", "threshold": 10, "errors": 'code=~"5.."', "selector": 'method="POST"'}},
        {"name": "NoJobs", "template": "absent", "params": {"metric": "jobs_total", "selector": 'status="done"'}, "for": "5m",
         "severity": "info"},
        # what promgen cannot test, and says so
        {"name": "TrafficDropped", "expr": "sum(rate(http_requests_total[5m])) < 0.5 * sum(rate(http_requests_total[5m] offset 1d))",
         "severity": "info", "summary": "Drop.", "description": "{{ $value }}"},
        {"name": "GhostMetric", "expr": "sum(rate(ghost_total[5m])) > 1", "severity": "info", "summary": "Ghost.", "description": "{{ $value }}",
         "checks": {"disable": [{"name": "promql/series", "reason": "the test of an alert on a metric the spec does not declare"}]}},
        {"name": "Fancy", "expr": "queue_size > 5", "severity": "info", "summary": "Fancy.", "description": "{{ if gt $value 10.0 }}big{{ end }}"},
        {"name": "Relabelled", "expr": 'label_replace(queue_size, "q", "$1", "queue", "(.*)") > 5', "severity": "info",
         "summary": "Relabel.", "description": "{{ $labels.q }}"},
        {"name": "QueueTrend", "expr": "deriv(queue_size[30m]) > 1", "severity": "info", "summary": "Trend.", "description": "{{ $value }} per second"},
    ],
}
UNTESTED = {
    "TrafficDropped": "it compares with the past (offset), which constant input cannot change",
    "GhostMetric": "metric ghost_total is not declared in `metrics`",
    "Fancy": "template action {{ if gt $value 10.0 }}",
    "Relabelled": "the label_replace() function",
    "QueueTrend": "its annotations print the value of a linear regression, which promgen cannot predict exactly",
}


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], list[str]]:
    path = tmp_path_factory.mktemp("shapes") / "promgen.yaml"
    path.write_text(yaml.safe_dump(SHAPES, sort_keys=False), encoding="utf-8")
    _model, produced, _warnings = produce(path, ["prometheus"])
    return produced["prometheus"].files, produced["prometheus"].notes


def test_untested_alerts_are_reported_with_their_reason(shapes: tuple[dict[str, str], list[str]]) -> None:
    _files, notes = shapes
    assert [n for n in notes if n.startswith("untested: ")] == [f"untested: {k} ({v})" for k, v in UNTESTED.items()]


def test_the_test_file_lists_the_untested_alerts_in_its_header(shapes: tuple[dict[str, str], list[str]]) -> None:
    files, _notes = shapes
    text = files["prometheus/tests/shop/alerts.test.yml"]
    header = text.split("\nrule_files:", 1)[0].splitlines()
    assert header[2:] == [f"# untested: {k} ({v})" for k, v in UNTESTED.items()]


def test_every_other_shape_fires_and_stays_silent(shapes: tuple[dict[str, str], list[str]]) -> None:
    files, _notes = shapes
    cases = [case for path, text in files.items() if path.startswith("prometheus/tests/")
             for case in yaml.safe_load(text)["tests"]]
    names = [a["name"] for a in SHAPES["alerts"] if a["name"] not in UNTESTED]
    names += ["AvailabilityErrorBudgetBurn", "AvailabilitySLINoData", "LatencyErrorBudgetBurn"]
    for name in names:
        expected = [t["alert_rule_test"][0]["exp_alerts"] for t in cases if t["alert_rule_test"][0]["alertname"] == name]
        assert any(expected) and [] in expected, name
    assert not [t for t in cases if t["alert_rule_test"][0]["alertname"] in UNTESTED]


def test_synthesised_values_read_like_the_alert(shapes: tuple[dict[str, str], list[str]]) -> None:
    files, _notes = shapes
    cases = {t["name"]: t for path, text in files.items() if path.startswith("prometheus/tests/")
             for t in yaml.safe_load(text)["tests"]}

    def description(name: str) -> str:
        return cases[name]["alert_rule_test"][0]["exp_alerts"][0]["exp_annotations"]["description"]

    assert description("QueueLong fires") == "Queue default holds 200 items."
    assert description("FiveHundreds fires") == "GET 500 on api:8000: 2/s."
    assert description("RouteSlow fires").startswith("/api p99 ")
    assert cases["NoJobs fires"]["input_series"] == []  # absent: no series at all
    assert cases["AvailabilitySLINoData fires"]["input_series"] == []
    labels = cases["FiveHundreds fires"]["alert_rule_test"][0]["exp_alerts"][0]["exp_labels"]
    assert labels == {"code": "500", "instance": "api:8000", "job": "shop-api", "method": "GET", "service": "shop",
                      "severity": "warning"}


@pytest.mark.judge
def test_promtool_passes_the_tests_synthesised_for_every_shape(shapes: tuple[dict[str, str], list[str]], tmp_path: Path) -> None:
    files, _notes = shapes
    tree = write_tree(files, tmp_path)
    promtool = judge("promtool")
    rules = sorted(str(p) for p in (tree / "prometheus/rules").rglob("*.rules.yml"))
    tests = sorted(str(p) for p in (tree / "prometheus/tests").rglob("*.test.yml"))
    check = subprocess.run([promtool, "check", "rules", "--lint-fatal", *rules], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    result = subprocess.run([promtool, "test", "rules", *tests], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def test_compressed_slo_windows_are_reported_untested() -> None:
    """The end-to-end tests shrink 30 days to an hour: windows of seconds cannot be unit-tested."""
    from promgen.core.model import RenderOptions

    _model, produced, _warnings = produce(
        ROOT / "examples/promptforge/promgen.yaml", ["prometheus"],
        RenderOptions(slo_time_scale=1 / 720),
    )
    notes = produced["prometheus"].notes
    assert ("untested: AvailabilityErrorBudgetBurn (its shortest burn-rate window, 1s, holds less than two samples"
            " of the tests' one-a-minute input (the SLO time scale shrank it))") in notes
