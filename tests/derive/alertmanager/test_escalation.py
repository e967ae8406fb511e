"""severities[].escalate: an alert still firing `after` it started also reaches the escalation channels.

Alertmanager cannot count time since an alert started, so promgen writes an escalation copy of each
alert rule of the severity (pending `after` longer, labelled escalated="true") and a route that
sends the copies, and only them, to the escalation channels. Judged by promtool (the copy fires
exactly `after` later, at both releases) and by amtool's route test against `promgen routes`."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from promgen.core import conventions
from promgen.errors import SpecError
from promgen.load.units import parse_duration
from tests.cli.test_routes import amtool_receivers, promgen_receivers
from tests.support import judge, plan_spec, write_tree


def spec(**critical: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "service": {"name": "shop", "team": "checkout"},
        "scrape": {"targets": [{"job": "shop", "static": ["shop:8000"]}]},
        "metrics": [{"name": "http_requests_total", "type": "counter", "labels": ["code"]}],
        "slos": [{"name": "availability", "objective": 99.9,
                  "sli": {"errors": 'sum(rate(http_requests_total{job="shop",code=~"5.."}[{{window}}]))',
                          "total": 'sum(rate(http_requests_total{job="shop"}[{{window}}]))'}}],
        "alerts": [
            {"name": "ShopDown", "expr": 'up{job="shop"} == 0', "for": "5m", "severity": "P0", "summary": "The shop is down."},
            {"name": "ShopFlapping", "expr": 'changes(up{job="shop"}[10m]) > 2', "severity": "warning",
             "summary": "The shop restarts."},
        ],
        "severities": [
            {"name": "critical", "aliases": ["P0"], "notify": ["pager"],
             "escalate": {"after": "30m", "notify": ["leads", "pager-secondary"]}, **critical},
            {"name": "warning", "notify": ["chat"]},
        ],
        "channels": [
            {"name": "pager", "type": "pagerduty", "routing_key_file": "/etc/alertmanager/secrets/pd"},
            {"name": "pager-secondary", "type": "pagerduty", "routing_key_file": "/etc/alertmanager/secrets/pd2"},
            {"name": "leads", "type": "slack", "channel": "#shop-leads", "api_url_file": "/etc/alertmanager/secrets/slack"},
            {"name": "chat", "type": "slack", "channel": "#shop", "api_url_file": "/etc/alertmanager/secrets/slack"},
        ],
    }


def alert_rules(files: dict[str, str]) -> list[dict[str, Any]]:
    return [rule for path, text in sorted(files.items()) if path.startswith("prometheus/rules/")
            for group in yaml.safe_load(text)["groups"] for rule in group["rules"] if "alert" in rule]


def test_every_critical_rule_has_an_escalation_copy_pending_30m_longer(tmp_path: Path) -> None:
    rules = alert_rules(plan_spec(spec(), tmp_path, ["prometheus"]))
    copies = [r for r in rules if r["labels"].get(conventions.ESCALATED_LABEL) == "true"]
    originals = [r for r in rules if conventions.ESCALATED_LABEL not in r["labels"]]
    critical = [r for r in originals if r["labels"]["severity"] == "critical"]
    assert {r["alert"] for r in critical} == {"ShopDown", "AvailabilityErrorBudgetBurn"}
    assert len(copies) == len(critical)
    for original, copy in zip(critical, copies):
        assert copy["expr"] == original["expr"] and copy["annotations"] == original["annotations"]
        assert copy["labels"] == {**original["labels"], "escalated": "true"}
        assert parse_duration(copy["for"]) == parse_duration(original.get("for", "0s")) + 30 * 60_000
    assert not any(r["labels"]["severity"] == "warning" for r in copies)


@pytest.mark.parametrize("release", ["oldest", "newest"])
def test_promtool_sees_the_copy_fire_exactly_after_the_escalation_delay(tmp_path: Path, release: str) -> None:
    data = spec()
    if release == "oldest":
        data["versions"] = {"prometheus": "2.42", "alertmanager": "0.25"}
    out = write_tree(plan_spec(data, tmp_path, ["prometheus"]), tmp_path / "out")
    promtool = judge("promtool", release)
    rule_files = sorted(str(p) for p in out.glob("prometheus/rules/**/*.yml"))
    generated = sorted(str(p) for p in out.glob("prometheus/tests/**/*.yml"))
    checked = subprocess.run([promtool, "check", "rules", "--lint=all", "--lint-fatal", *rule_files],
                             capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run([promtool, "test", "rules", *generated], capture_output=True, text=True, timeout=300)
    assert tested.returncode == 0, tested.stdout + tested.stderr

    labels = {"severity": "critical", "service": "shop", "job": "shop", "instance": "shop:8000"}
    down = {"exp_labels": labels, "exp_annotations": {"summary": "The shop is down.",
                                                      "runbook_url": "runbooks/shop/ShopDown.md"}}
    escalated = {**down, "exp_labels": {**labels, "escalated": "true"}}
    test = tmp_path / "escalation.test.yml"
    test.write_text(yaml.safe_dump({
        "rule_files": [str(out / "prometheus/rules/shop/alerts.rules.yml")],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m",
                   "input_series": [{"series": 'up{job="shop",instance="shop:8000"}', "values": "0x60"}],
                   "alert_rule_test": [
                       {"eval_time": "4m", "alertname": "ShopDown", "exp_alerts": []},
                       {"eval_time": "5m", "alertname": "ShopDown", "exp_alerts": [down]},
                       {"eval_time": "34m", "alertname": "ShopDown", "exp_alerts": [down]},
                       {"eval_time": "35m", "alertname": "ShopDown", "exp_alerts": [down, escalated]},
                   ]}],
    }, sort_keys=False), encoding="utf-8")
    done = subprocess.run([promtool, "test", "rules", str(test)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("labels", "receivers"), [
    (["severity=critical", "escalated=true"], ["leads", "pager-secondary"]),
    (["severity=P0", "escalated=true", "alertname=ShopDown"], ["leads", "pager-secondary"]),
    (["severity=critical"], ["pager"]),
    (["severity=warning", "escalated=true"], ["chat"]),
    (["severity=warning"], ["chat"]),
])
def test_only_the_copies_reach_the_escalation_channels(tmp_path: Path, labels: list[str], receivers: list[str]) -> None:
    files = plan_spec(spec(), tmp_path, ["alertmanager"])
    config = write_tree(files, tmp_path / "out") / "alertmanager" / "alertmanager.yml"
    ours = promgen_receivers(tmp_path / "promgen.yaml", labels)
    assert ours == amtool_receivers(config, labels) == receivers


def test_the_runbook_page_says_who_hears_of_it_after_30m(tmp_path: Path) -> None:
    page = plan_spec(spec(), tmp_path, ["prometheus", "runbooks"])["runbooks/shop/ShopDown.md"]
    assert "Still firing after 30m, it also notifies leads, pager-secondary." in page
    assert page.count("```promql") == 1, "the escalation copy is not a second condition on the page"


@pytest.mark.parametrize(("escalate", "message"), [
    ({"after": "30m", "notify": ["lead"]}, 'unknown channel \'lead\''),
    ({"after": "0s", "notify": ["leads"]}, "above 0"),
    ({"after": "30m", "notify": []}, "notify"),
])
def test_bad_escalations_are_refused_where_written(tmp_path: Path, escalate: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as raised:
        plan_spec(spec(escalate=escalate), tmp_path, ["prometheus"])
    problems = [p.render() for p in raised.value.problems]
    assert any(message in p for p in problems), problems


def test_escalated_is_a_label_promgen_owns(tmp_path: Path) -> None:
    data = spec()
    data["service"]["labels"] = {"escalated": "no"}
    with pytest.raises(SpecError) as raised:
        plan_spec(data, tmp_path, ["prometheus"])
    assert any("label 'escalated' is set by promgen" in p.message for p in raised.value.problems)
