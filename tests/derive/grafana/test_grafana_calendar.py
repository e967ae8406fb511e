"""`calendar: month` (week, quarter, year): the SLO's budget is the calendar period's. Its burn-rate
alerts keep a rolling window of the period's length; its dashboard shows the budget left this period,
from the period's start in UTC (Grafana's `now/M`), summed from the recorded event rates. promtool
evaluates that query on known traffic; Grafana's types and the dashboard judge accept the panel."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from promgen.cli.render import plan
from promgen.cli.validate import collect
from promgen.judge import dashboards as dashboard_judge
from tests.derive.grafana.test_grafana_types import type_check
from tests.support import judge, panels_of, shop_spec, write_tree

SPEC = shop_spec("""\
rules: {slo: MODE}
metrics:
  - {name: http_requests_total, type: counter, labels: [code]}
slos:
  - name: monthly
    objective: 98
    calendar: month
    sli:
      errors: sum(rate(http_requests_total{code=~"5.."}[{{window}}]))
      total: sum(rate(http_requests_total[{{window}}]))
  - name: weekly
    objective: 99
    calendar: week
    sli:
      error_ratio: avg(rate(http_requests_total{code=~"5.."}[{{window}}])) / avg(rate(http_requests_total[{{window}}]))
  - name: rolling
    objective: 99.9
    sli:
      errors: sum(rate(http_requests_total{code=~"5.."}[{{window}}]))
      total: sum(rate(http_requests_total[{{window}}]))
""")


def _files(tmp_path: Path, mode: str) -> dict[str, str]:
    path = tmp_path / f"{mode}.yaml"
    path.write_text(SPEC.replace("MODE", mode), encoding="utf-8")
    return plan(path)


def _calendar_panels(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    board = json.loads(files["grafana/dashboards/shop-slo.json"])
    return {p["title"]: p for p in panels_of(board) if "timeFrom" in p}


@pytest.mark.parametrize("mode", ["chained", "exact"])
def test_the_budget_of_this_period_is_summed_from_its_start(tmp_path: Path, mode: str) -> None:
    files = _files(tmp_path, mode)
    panels = _calendar_panels(files)
    assert sorted(panels) == ["Error budget left this month", "Error budget left this week"]
    month, week = panels["Error budget left this month"], panels["Error budget left this week"]
    assert month["timeFrom"] == "now/M" and week["timeFrom"] == "now/w"
    assert month["targets"][0]["expr"] == (
        '1 - (sum_over_time(slo:sli_error:rate5m{service="shop", slo="monthly"}[$__range]) / '
        'sum_over_time(slo:sli_total:rate5m{service="shop", slo="monthly"}[$__range])) / 0.02')
    # a ratio SLI has no events to sum: the period's average ratio
    assert week["targets"][0]["expr"].startswith('1 - avg_over_time(slo:sli_error:ratio_rate')
    assert json.loads(files["grafana/dashboards/shop-slo.json"])["timezone"] == "utc"
    rules = files["prometheus/rules/shop/slo-monthly.rules.yml"]
    assert "record: slo:sli_error:rate5m\n" in rules and "record: slo:sli_total:rate5m\n" in rules


def test_alerts_keep_a_rolling_window_of_the_periods_length(tmp_path: Path) -> None:
    files = _files(tmp_path, "chained")
    weekly = files["prometheus/rules/shop/slo-weekly.rules.yml"]
    # a 7-day SLO scales the 1h/5m page pair by 7/30: 14m/1m24s
    assert "record: slo:sli_error:ratio_rate7d\n" in weekly and "ratio_rate14m{" in weekly
    assert "record: slo:sli_error:ratio_rate30d\n" in files["prometheus/rules/shop/slo-monthly.rules.yml"]


def test_the_dashboard_judge_and_grafanas_types_accept_it(tmp_path: Path) -> None:
    board = json.loads(_files(tmp_path, "chained")["grafana/dashboards/shop-slo.json"])
    assert dashboard_judge.lint(board) == []
    assert type_check([("shop-slo", board)]) == {"shop-slo": []}


@pytest.mark.judge
@pytest.mark.parametrize("mode", ["chained", "exact"])
def test_promtool_evaluates_the_periods_budget_on_known_traffic(tmp_path: Path, mode: str) -> None:
    """1 failing of 50 requests a minute for the first 30 minutes, none in the next 90: over the 2 hours
    30 of 6,000 events failed, 0.5% against the 2% budget: three quarters of it left (within 2% of the
    budget: the 5m rates' edges)."""
    files = _files(tmp_path, mode)
    tree = write_tree(files, tmp_path / "out")
    query = _calendar_panels(files)["Error budget left this month"]["targets"][0]["expr"].replace("$__range", "2h")
    test_file = tree / "prometheus" / "calendar.test.yml"
    test_file.write_text(yaml.safe_dump({
        "rule_files": ["rules/shop/slo-monthly.rules.yml"],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": [
            {"series": 'http_requests_total{code="500", job="shop", instance="a"}', "values": "0+1x30 30+0x90"},
            {"series": 'http_requests_total{code="200", job="shop", instance="a"}', "values": "0+49x30 1470+50x90"},
        ], "promql_expr_test": [{"expr": f"abs({query} - 0.75) < bool 0.02", "eval_time": "2h",
                                 "exp_samples": [{"labels": '{service="shop", slo="monthly"}', "value": 1}]}]}],
    }, sort_keys=False), encoding="utf-8")
    done = subprocess.run([judge("promtool", "newest"), "test", "rules", str(test_file)], capture_output=True, text=True,
                          cwd=tree / "prometheus", timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_unknown_period_is_an_error_at_its_line(tmp_path: Path) -> None:
    data = yaml.safe_load(SPEC.replace("MODE", "chained"))
    data["slos"][0]["calendar"] = "fortnight"
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    _loaded, problems = collect(path)
    errors = [p for p in problems if p.level == "error"]
    assert len(errors) == 1 and "week" in errors[0].message and "month" in errors[0].message, problems
    assert path.read_text(encoding="utf-8").splitlines()[errors[0].line - 1].strip() == "calendar: fortnight"
