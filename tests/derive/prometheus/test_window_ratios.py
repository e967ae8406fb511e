"""The burn-rate tests' shortcut: on input linear from zero, every window's recorded error ratio is
the shortest window's, so the alert conditions are evaluated on the shortest window's ratio.

Held to two things: which SLI shapes take the shortcut (only those whose windows provably agree),
and that the shortcut predicts exactly the test cases (input series, alerts, labels, annotations)
the full simulation of every window predicts, chained and exact, at both Prometheus releases (left-
open and closed ranges), with a query offset and with escalation copies. The predictions themselves
are judged by promtool wherever the generated tests run (tests/derive/prometheus/test_prometheus.py and others)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from promgen.cli.render import load_stack
from promgen.core.model import Model
from promgen.derive.prometheus import config as prometheus
from promgen.derive.prometheus import slo, window_ratios
from promgen.testgen import cases as test_cases
from promgen.testgen import rule_tests
from tests.support import FLOOR_VERSIONS

RATIO = ('sum(rate(http_requests_total{code=~"5.."}[{{window}}]))', "sum(rate(http_requests_total[{{window}}]))")
AGREEING = {
    "ratio of rates": RATIO,
    "grouped": ('sum by (route) (rate(http_requests_total{code=~"5.."}[{{window}}]))',
                "sum by (route) (rate(http_requests_total[{{window}}]))"),
    "increase, scaled": ('sum(increase(http_requests_total{code=~"5.."}[{{window}}])) * 2',
                         "2 * sum(increase(http_requests_total[{{window}}]))"),
    "difference": ('sum(rate(http_requests_total[{{window}}])) - sum(rate(http_requests_total{code!~"5.."}[{{window}}]))',
                   "sum(rate(http_requests_total[{{window}}]))"),
}
DISAGREEING = {
    "a constant added": ('sum(rate(http_requests_total{code=~"5.."}[{{window}}])) + 0.001',
                         "sum(rate(http_requests_total[{{window}}]))"),
    "a fixed range beside the window": ('sum(rate(http_requests_total{code=~"5.."}[{{window}}]))'
                                        " * sum(rate(http_requests_total[1m])) / sum(rate(http_requests_total[{{window}}]))",
                                        "sum(rate(http_requests_total[{{window}}]))"),
    "irate": ('sum(irate(http_requests_total{code=~"5.."}[{{window}}]))', "sum(irate(http_requests_total[{{window}}]))"),
    "counting series": ('count(rate(http_requests_total{code=~"5.."}[{{window}}]) > 0)',
                        "count(rate(http_requests_total[{{window}}]))"),
    # a 0 recorded before the rates exist: a chained window averages more error samples than total ones
    "or zero": ('sum(rate(http_requests_total{code=~"5.."}[{{window}}])) or vector(0)',
                "sum(rate(http_requests_total[{{window}}]))"),
    "an offset": ('sum(rate(http_requests_total{code=~"5.."}[{{window}}] offset 1m))',
                  "sum(rate(http_requests_total[{{window}}] offset 1m))"),
}


def spec(sli: tuple[str, str], mode: str = "chained", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": 1,
        "service": {"name": "shop"},
        "scrape": {"targets": [{"job": "shop", "static": ["shop:8000"]}]},
        "rules": {"slo": mode},
        "metrics": [{"name": "http_requests_total", "type": "counter", "labels": ["code", "route"]}],
        "slos": [{"name": "availability", "objective": 99.9, "sli": {"errors": sli[0], "total": sli[1]}}],
        "severities": [{"name": "critical"}, {"name": "warning"}],
    }
    data.update(extra)
    return data


def model_of(data: dict[str, Any], tmp_path: Path) -> Model:
    path = tmp_path / "promgen.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    stack, _warnings = load_stack(path)
    return stack.services[0]


def agree(model: Model) -> bool:
    rules = test_cases.Rules.of(prometheus.rule_groups(model))
    return window_ratios.windows_agree(slo.plan(model, 0), rules.recorded)


@pytest.mark.parametrize("mode", ["chained", "exact"])
@pytest.mark.parametrize("shape", sorted(AGREEING))
def test_slis_made_of_rates_over_one_range_take_the_shortcut(shape: str, mode: str, tmp_path: Path) -> None:
    assert agree(model_of(spec(AGREEING[shape], mode), tmp_path))


@pytest.mark.parametrize("mode", ["chained", "exact"])
@pytest.mark.parametrize("shape", sorted(DISAGREEING))
def test_other_slis_are_simulated_window_by_window(shape: str, mode: str, tmp_path: Path) -> None:
    assert not agree(model_of(spec(DISAGREEING[shape], mode), tmp_path))


def test_latency_slis_take_the_shortcut(tmp_path: Path) -> None:
    data = spec(RATIO)
    data["metrics"].append({"name": "http_request_duration_seconds", "type": "histogram", "buckets": [0.1, 0.5, 1]})
    data["slos"] = [{"name": "latency", "objective": 99, "sli": {"latency": {"metric": "http_request_duration_seconds",
                                                                           "threshold": "500ms"}}}]
    assert agree(model_of(data, tmp_path))


def cases(model: Model, shortcut: bool, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    with monkeypatch.context() as patch:
        if not shortcut:
            patch.setattr(window_ratios, "windows_agree", lambda plan, recorded: False)
        synthesis = rule_tests.synthesise(model, prometheus.rule_groups(model))
    assert not synthesis.untested
    return [(c.name, c.alertname, c.eval_ms, c.series, c.expected) for c in synthesis.cases]


VARIANTS = {
    "chained": {},
    "exact": {"rules": {"slo": "exact"}},
    "oldest release": {"versions": dict(FLOOR_VERSIONS)},
    "query offset": {"rules": {"slo": "chained", "query_offset": "1m"}},
    "escalation": {"severities": [{"name": "critical", "escalate": {"after": "10m", "notify": ["leads"]}},
                                  {"name": "warning"}],
                   "channels": [{"name": "leads", "type": "slack", "channel": "#leads",
                                 "api_url_file": "/etc/alertmanager/secrets/slack"}]},
    "one severity": {"slos": [{"name": "availability", "objective": 99.5, "sli": {"errors": RATIO[0], "total": RATIO[1]},
                               "alerting": {"page": "warning", "ticket": "warning"}}]},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("shape", sorted(AGREEING))
def test_the_shortcut_predicts_what_simulating_every_window_predicts(
    shape: str, variant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = spec(AGREEING[shape])
    extra = dict(VARIANTS[variant])
    if "rules" in extra and extra["rules"].get("slo") == "exact":
        data["rules"] = extra.pop("rules")
    data.update(extra)
    model = model_of(data, tmp_path)
    assert agree(model)
    fast, full = cases(model, True, monkeypatch), cases(model, False, monkeypatch)
    assert fast == full
    assert any(expected for *_rest, expected in fast)  # some case fires: the comparison has content
