"""Alert thresholds on the panels that show the alert's query (dashed lines, named in the description)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support import plan_spec

REQUESTS = 'sum(rate(http_requests_total{job="shop"}[5m]))'


def spec(alerts: list[dict[str, Any]], panels: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "version": 1,
        "service": {"name": "shop"},
        "scrape": {"targets": [{"job": "shop", "static": ["shop:8000"]}]},
        "metrics": [{"name": "http_requests_total", "type": "counter", "help": "Requests served", "labels": ["code"]}],
        "alerts": alerts,
        "severities": [{"name": "critical", "escalate": {"after": "30m", "notify": ["chat"]}}, {"name": "warning"}],
        "channels": [{"name": "chat", "type": "slack", "channel": "#shop", "api_url_file": "/etc/am/slack"}],
        "dashboards": {"generate": [], "custom": [{"title": "Traffic", "panels": panels}]},
    }


def alert(name: str, expr: str, severity: str) -> dict[str, Any]:
    return {"name": name, "expr": expr, "severity": severity, "summary": f"{name}."}


def panels_of(data: dict[str, Any], tmp_path: Path) -> dict[str, dict[str, Any]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    files = plan_spec(data, tmp_path, ["grafana"])
    dashboard = json.loads(files["grafana/dashboards/shop-traffic.json"])
    return {panel["title"]: panel for panel in dashboard["panels"]}


def steps(panel: dict[str, Any]) -> list[tuple[str, float | None]]:
    return [(s["color"], s["value"]) for s in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]


def test_alerts_above_draw_orange_then_red_on_the_panel_of_their_query(tmp_path: Path) -> None:
    panels = panels_of(spec(
        [alert("TrafficHigh", f"{REQUESTS} > 100", "warning"), alert("TrafficExtreme", f"{REQUESTS} > 500", "critical")],
        [{"title": "Requests", "expr": 'sum(rate(http_requests_total{job="shop"}[$__rate_interval]))', "unit": "reqps"},
         {"title": "Errors", "expr": 'sum(rate(http_requests_total{code="500"}[$__rate_interval]))', "unit": "reqps"}],
    ), tmp_path)
    requests = panels["Requests"]
    assert steps(requests) == [("green", None), ("orange", 100), ("red", 500)]
    assert requests["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"] == {"mode": "dashed"}
    assert requests["description"].endswith("Dashed: the thresholds of TrafficHigh > 100; TrafficExtreme > 500.")
    assert "thresholds" not in panels["Errors"]["fieldConfig"]["defaults"]  # another query: nothing drawn


def test_alerts_below_colour_downwards_and_mixed_directions_draw_nothing(tmp_path: Path) -> None:
    below = panels_of(spec(
        [alert("TrafficLow", f"{REQUESTS} < 10", "warning"), alert("TrafficGone", f"{REQUESTS} <= 1", "critical")],
        [{"title": "Requests", "expr": 'sum(rate(http_requests_total{job="shop"}[$__rate_interval]))', "unit": "reqps"}],
    ), tmp_path / "below")
    assert steps(below["Requests"]) == [("red", None), ("orange", 1), ("green", 10)]
    mixed = panels_of(spec(
        [alert("TrafficLow", f"{REQUESTS} < 10", "warning"), alert("TrafficHigh", f"{REQUESTS} > 100", "warning"),
         alert("Exactly", f"{REQUESTS} == 3", "critical")],
        [{"title": "Requests", "expr": 'sum(rate(http_requests_total{job="shop"}[$__rate_interval]))', "unit": "reqps"}],
    ), tmp_path / "mixed")
    assert "thresholds" not in mixed["Requests"]["fieldConfig"]["defaults"]


def test_stat_panels_and_escalation_copies_are_left_alone(tmp_path: Path) -> None:
    panels = panels_of(spec(
        [alert("TrafficExtreme", f"{REQUESTS} > 500", "critical")],
        [{"title": "Requests", "expr": 'sum(rate(http_requests_total{job="shop"}[$__rate_interval]))', "unit": "reqps"},
         {"title": "Now", "type": "stat", "expr": 'sum(rate(http_requests_total{job="shop"}[$__rate_interval]))',
          "unit": "reqps"}],
    ), tmp_path)
    assert steps(panels["Requests"]) == [("green", None), ("red", 500)]  # once, though the rule has a copy
    assert panels["Requests"]["description"].count("TrafficExtreme") == 1
    assert "Dashed" not in panels["Now"]["description"]


def test_a_panel_that_selects_by_name_or_compares_no_series_gets_its_alerts_lines(tmp_path: Path) -> None:
    """Panels naming no series an alert compares are not parsed; a series named in `__name__`, or an
    alert comparing a query that reads no series, still draws."""
    by_name = panels_of(spec(
        [alert("TrafficHigh", 'sum(rate({__name__="http_requests_total"}[5m])) > 100', "warning")],
        [{"title": "Requests", "expr": 'sum(rate({__name__="http_requests_total"}[$__rate_interval]))'},
         {"title": "Up", "expr": "sum(up)"}],
    ), tmp_path / "name")
    assert steps(by_name["Requests"]) == [("green", None), ("orange", 100)]
    assert "thresholds" not in by_name["Up"]["fieldConfig"]["defaults"]
    no_series = panels_of(spec(
        [alert("Late", "vector(time() - 1700000000) > 60", "critical"), alert("TrafficHigh", f"{REQUESTS} > 100", "warning")],
        [{"title": "Age", "expr": "vector(time() - 1700000000)"},
         {"title": "Requests", "expr": 'sum(rate(http_requests_total{job="shop"}[$__rate_interval]))'}],
    ), tmp_path / "none")
    assert steps(no_series["Age"]) == [("green", None), ("red", 60)]
    assert steps(no_series["Requests"]) == [("green", None), ("orange", 100)]
