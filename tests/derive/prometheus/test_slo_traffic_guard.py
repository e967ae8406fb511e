"""`alerting.min_events`: a burn-rate condition counts only when its long window holds that many
events (pyrra #1925: no page for 3 failures out of 5 requests at night). promtool decides: the same
error ratio pages at busy traffic and stays silent at quiet traffic, in chained and exact rules."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from promgen.cli.render import plan as render_plan
from promgen.cli.validate import collect
from tests.support import RELEASES, judge, shop_spec, write_tree

SPEC = shop_spec("""\
rules: {slo: MODE}
metrics:
  - {name: http_requests_total, type: counter, labels: [code]}
slos:
  - name: availability
    objective: 99
    sli:
      errors: sum(rate(http_requests_total{code=~"5.."}[{{window}}]))
      total: sum(rate(http_requests_total[{{window}}]))
    alerting: {min_events: 500}
""")


def _spec(tmp_path: Path, mode: str) -> Path:
    path = tmp_path / f"{mode}.yaml"
    path.write_text(SPEC.replace("MODE", mode), encoding="utf-8")
    return path


def _alerts(files: dict[str, str]) -> list[dict[str, Any]]:
    groups = yaml.safe_load(files["prometheus/rules/shop/slo-availability.rules.yml"])["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


@pytest.mark.parametrize("mode", ["chained", "exact"])
def test_every_condition_counts_the_events_of_its_long_window(tmp_path: Path, mode: str) -> None:
    files = render_plan(_spec(tmp_path, mode))
    page = _alerts(files)[0]
    assert 'avg_over_time(slo:sli_total:rate5m{service="shop", slo="availability"}[1h]) * 3600 >= 500' in page["expr"]
    assert 'avg_over_time(slo:sli_total:rate5m{service="shop", slo="availability"}[6h]) * 21600 >= 500' in page["expr"]
    assert "with at least 500 events in it" in page["annotations"]["description"]
    assert "record: slo:sli_total:rate5m\n" in files["prometheus/rules/shop/slo-availability.rules.yml"]


@pytest.mark.judge
@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("mode", ["chained", "exact"])
def test_quiet_failures_stay_silent_where_busy_ones_page(tmp_path: Path, mode: str, release: str) -> None:
    files = render_plan(_spec(tmp_path, mode))
    tree = write_tree(files, tmp_path / "out")
    promtool = judge("promtool", release)
    rule_file = "rules/shop/slo-availability.rules.yml"
    firing_page = 'count(ALERTS{alertname="AvailabilityErrorBudgetBurn", severity="critical", alertstate="firing"})'

    def case(per_minute: int, pages: bool) -> dict[str, Any]:
        # every request fails: 1 a minute is 60 over the 1h window and 360 over 6h (both below 500), so
        # no page; 20 a minute is 1,200 over 1h: a page. (The 1d ticket window counts 1,440 even so.)
        return {"interval": "1m",
                "input_series": [{"series": 'http_requests_total{code="500", job="shop", instance="shop:8000"}',
                                  "values": f"0+{per_minute}x120"}],
                "promql_expr_test": [{"expr": firing_page, "eval_time": "90m",
                                      "exp_samples": [{"labels": "{}", "value": 1}] if pages else []}]}

    test_file = tree / "prometheus" / "guard.test.yml"
    test_file.write_text(yaml.safe_dump({"rule_files": [rule_file], "evaluation_interval": "1m",
                                         "tests": [case(1, pages=False), case(20, pages=True)]}, sort_keys=False),
                         encoding="utf-8")
    done = subprocess.run([promtool, "test", "rules", str(test_file)], capture_output=True, text=True,
                          cwd=tree / "prometheus", timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    # the same file without the guard pages at the quiet traffic too: the guard is what keeps it silent
    unguarded = (tree / "prometheus" / rule_file).read_text(encoding="utf-8").replace(" >= 500", " >= 0")
    (tree / "prometheus" / rule_file).write_text(unguarded, encoding="utf-8")
    test_file.write_text(yaml.safe_dump({"rule_files": [rule_file], "evaluation_interval": "1m",
                                         "tests": [case(1, pages=True)]}, sort_keys=False), encoding="utf-8")
    done = subprocess.run([promtool, "test", "rules", str(test_file)], capture_output=True, text=True,
                          cwd=tree / "prometheus", timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    (tree / "prometheus" / rule_file).write_text(files["prometheus/" + rule_file], encoding="utf-8")
    tests = sorted(str(p) for p in (tree / "prometheus" / "tests").rglob("*.yml"))
    done = subprocess.run([promtool, "test", "rules", *tests], capture_output=True, text=True, cwd=tree / "prometheus")
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_error_ratio_sli_has_no_events_to_count(tmp_path: Path) -> None:
    data = yaml.safe_load(SPEC.replace("MODE", "exact"))
    data["slos"][0]["sli"] = {"error_ratio": "avg(rate(x[{{window}}]))"}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    _loaded, problems = collect(path)
    errors = [p for p in problems if p.level == "error"]
    assert len(errors) == 1 and "an error_ratio SLI has none" in errors[0].message, problems
