"""An SLO's own burn-rate table (`alerting.windows`): its conditions, `for`s, severities and
per-severity labels are what the rules say, the generated promtool tests exercise them, and every
judge accepts the output."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from promgen.cli.render import plan as render_plan
from promgen.cli.validate import collect
from tests.support import RELEASES, judge, write_tree

SPEC = Path(__file__).parent / "slo_windows.yaml"


def _rules(files: dict[str, str], slo: str) -> list[dict[str, Any]]:
    groups = yaml.safe_load(files[f"prometheus/rules/shop/slo-{slo}.rules.yml"])["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def test_each_condition_with_its_own_for_is_its_own_alert_told_apart_by_its_windows() -> None:
    alerts = _rules(render_plan(SPEC), "availability")
    found = [(a["labels"]["severity"], a["labels"].get("long"), a["labels"].get("short"), a.get("for")) for a in alerts]
    assert found == [("critical", "1h", "5m", "2m"), ("critical", "6h", "30m", "15m"),
                     ("warning", "1d", "2h", "1h"), ("warning", "4d", "6h", "3h")]
    assert "slo:sli_error:ratio_rate1h{service=\"shop\", slo=\"availability\"} > 0.14" in alerts[0]["expr"]
    assert "> 0.01" in alerts[3]["expr"]  # 1x the 1% budget
    # labels and annotations of one severity stay on its alerts
    assert [a["labels"].get("team") for a in alerts] == ["payments", "payments", None, None]
    assert [a["annotations"].get("pager") for a in alerts] == ["yes", "yes", None, None]


def test_budget_shares_become_factors_and_conditions_without_for_share_one_alert() -> None:
    alerts = _rules(render_plan(SPEC), "latency-budget")
    assert [(a["labels"]["severity"], a.get("for"), "long" in a["labels"]) for a in alerts] == [
        ("critical", None, False), ("warning", None, False)]
    # 1% of a 30d budget over 30m is a 14.4x burn; 2% over 3h 4.8x; 5% over 12h 3x; 5% over 36h 1x
    assert "> 0.0144" in alerts[0]["expr"] and "> 0.0048" in alerts[0]["expr"]
    assert "> 0.003" in alerts[1]["expr"] and "> 0.001" in alerts[1]["expr"]
    recorded = render_plan(SPEC)["prometheus/rules/shop/slo-latency-budget.rules.yml"]
    for window in ("2m", "15m", "30m", "1h", "3h", "12h", "1d12h"):
        assert f"record: slo:sli_error:ratio_rate{window}\n" in recorded


@pytest.mark.judge
@pytest.mark.parametrize("release", RELEASES)
def test_promtool_accepts_the_rules_and_their_tests(release: str, tmp_path: Path) -> None:
    files = render_plan(SPEC)
    tree = write_tree(files, tmp_path)
    promtool = judge("promtool", release)
    rules = sorted(str(p) for p in (tree / "prometheus" / "rules").rglob("*.yml"))
    done = subprocess.run([promtool, "check", "rules", *rules], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    tests = sorted(str(p) for p in (tree / "prometheus" / "tests").rglob("*.yml"))
    done = subprocess.run([promtool, "test", "rules", *tests], capture_output=True, text=True, cwd=tree / "prometheus")
    assert done.returncode == 0, done.stdout + done.stderr
    # every alert of the table has a firing case
    text = "".join(files[t] for t in files if t.startswith("prometheus/tests/"))
    assert "burns the budget fast" in text and "burns the budget slowly" in text


@pytest.mark.parametrize(("change", "where", "message"), [
    ({"severity": "pager"}, "severity", "unknown severity 'pager'"),
    ({"long": "60d"}, "long", "the long window 60d is longer than the SLO window 28d"),
    ({"budget_percent": 2}, None, "give the burn rate as `factor` or as `budget_percent`, one of them"),
    ({"short": "2h"}, None, "the short window (2h) must be shorter than the long one (1h)"),
])
def test_a_wrong_window_is_an_error_at_its_line(change: dict[str, Any], where: str | None, message: str,
                                                 tmp_path: Path) -> None:
    data = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    data["slos"][0]["alerting"]["windows"][0].update(change)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    _loaded, problems = collect(path)
    errors = [p for p in problems if p.level == "error"]
    assert len(errors) == 1 and message in errors[0].message, problems


def test_page_and_ticket_beside_a_table_are_unused(tmp_path: Path) -> None:
    data = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    data["slos"][0]["alerting"]["page"] = "critical"
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    _loaded, problems = collect(path)
    assert [p.message for p in problems] == ["`page` is unused: the SLO's `windows` name the severity of each alert"]
