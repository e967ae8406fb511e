"""An SLO whose SLI is summed `by` a label (one error ratio per handler: sloth's grouped SLOs, sloth
#277) gets a dashboard variable for that label: its values are the groups the recorded series hold
(promtool shows they are there), choosing one narrows that SLO's panels, and legends name the group.
SLOs not grouped by it are left as they are. Grafana's own types and the dashboard judge accept it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from promgen.cli.render import plan
from promgen.judge import dashboards as dashboard_judge
from tests.derive.grafana.test_grafana_types import type_check
from tests.support import judge, panels_of, shop_spec, write_tree

SPEC = shop_spec("""\
metrics:
  - {name: http_requests_total, type: counter, labels: [code, handler, method]}
slos:
  - name: availability
    objective: 99
    sli:
      errors: sum by (handler) (rate(http_requests_total{code=~"5.."}[{{window}}]))
      total: sum by (handler) (rate(http_requests_total[{{window}}]))
  - name: writes
    objective: 99.5
    sli:
      errors: sum by (handler, method) (rate(http_requests_total{code=~"5..", method!="GET"}[{{window}}]))
      total: sum by (handler, method) (rate(http_requests_total{method!="GET"}[{{window}}]))
  - name: overall
    objective: 99.9
    sli:
      errors: sum(rate(http_requests_total{code=~"5.."}[{{window}}]))
      total: sum(rate(http_requests_total[{{window}}]))
""")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    path = tmp_path_factory.mktemp("groups") / "shop.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return plan(path)


def _board(files: dict[str, str]) -> dict[str, Any]:
    return json.loads(files["grafana/dashboards/shop-slo.json"])


def _targets(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for p in panels_of(board) for t in p.get("targets", [])]


def test_a_variable_per_grouping_label_reads_the_slos_grouped_by_it(files: dict[str, str]) -> None:
    variables = {v["name"]: v for v in _board(files)["templating"]["list"]}
    assert sorted(variables) == ["datasource", "handler", "method"]
    assert variables["handler"]["query"]["query"] == (
        'label_values(slo:sli_error:ratio_rate5m{service="shop", slo=~"availability|writes"}, handler)')
    assert variables["method"]["query"]["query"] == 'label_values(slo:sli_error:ratio_rate5m{service="shop", slo="writes"}, method)'
    assert variables["handler"]["includeAll"] and variables["handler"]["multi"] and variables["handler"]["allValue"] == ".*"


def test_only_the_grouped_slos_panels_are_narrowed_and_their_legends_name_the_group(files: dict[str, str]) -> None:
    targets = _targets(_board(files))
    for target in targets:
        expr, legend = target["expr"], target["legendFormat"]
        if 'slo="availability"' in expr and "objective" not in expr:
            assert 'handler=~"$handler"' in expr and "method" not in expr and "{{handler}}" in legend, target
        elif 'slo="writes"' in expr and "objective" not in expr:
            assert 'handler=~"$handler", method=~"$method"' in expr and "{{handler}} {{method}}" in legend, target
        else:  # the objective is one series per SLO; the ungrouped SLO has no groups to choose
            assert "$handler" not in expr and "$method" not in expr and "{{" not in legend, target
    assert any('slo="overall"' in t["expr"] for t in targets)


def test_the_dashboard_judge_and_grafanas_types_accept_it(files: dict[str, str]) -> None:
    board = _board(files)
    assert dashboard_judge.lint(board) == []
    assert type_check([("shop-slo", board)]) == {"shop-slo": []}


@pytest.mark.judge
def test_the_recorded_series_hold_the_groups_the_variable_offers(files: dict[str, str], tmp_path: Path) -> None:
    tree = write_tree(files, tmp_path)
    series = [{"series": f'http_requests_total{{code="{code}", handler="{handler}", method="POST", job="shop", instance="a"}}',
               "values": f"0+{rate}x30"}
              for handler in ("/cart", "/pay") for code, rate in (("200", 60), ("500", 1))]
    variables = {v["name"]: v["query"]["query"] for v in _board(files)["templating"]["list"] if v["name"] != "datasource"}
    cases = []
    for label, query in variables.items():
        selector = query.removeprefix("label_values(").rsplit(", ", 1)[0]
        cases.append({"expr": f"count(count by ({label}) ({selector}))", "eval_time": "20m",
                      "exp_samples": [{"labels": "{}", "value": {"handler": 2, "method": 1}[label]}]})
    test_file = tree / "prometheus" / "groups.test.yml"
    test_file.write_text(yaml.safe_dump({
        "rule_files": sorted(str(p.relative_to(tree / "prometheus")) for p in (tree / "prometheus" / "rules").rglob("*.yml")),
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": series, "promql_expr_test": cases}],
    }, sort_keys=False), encoding="utf-8")
    done = subprocess.run([judge("promtool", "newest"), "test", "rules", str(test_file)], capture_output=True, text=True,
                          cwd=tree / "prometheus", timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
