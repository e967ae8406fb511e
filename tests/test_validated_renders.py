"""A spec that validates renders, and every judge accepts the output: the legitimate side of the
hardening issue. Strings Prometheus or Alertmanager expand as Go templates stay literal where the
spec means them literally (service and SLO labels, runbook links, channel fields); time intervals,
one-severity ladders and extreme but finite numbers render output promtool and amtool accept, at
the oldest and the newest supported versions."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import run_promgen
from tests.support import ROOT, plan_spec, prometheus_judgements, write_tree

RELEASES = ("oldest", "newest")
FLOOR = {"prometheus": "2.42", "alertmanager": "0.25"}


def base() -> dict[str, Any]:
    return {
        "version": 1,
        "service": {"name": "tricky", "labels": {"tier": "backend"}},
        "scrape": {"targets": [{"job": "tricky", "static": ["app:8000"]}]},
        "metrics": [{"name": "http_requests_total", "type": "counter", "labels": ["code"]}],
        "slos": [{
            "name": "availability", "objective": 99.9,
            "sli": {"errors": 'sum(rate(http_requests_total{code=~"5.."}[{{window}}]))',
                    "total": "sum(rate(http_requests_total[{{window}}]))"},
        }],
        "alerts": [{"name": "Errors", "expr": 'sum(rate(http_requests_total{code=~"5.."}[5m])) > 1',
                    "severity": "critical", "summary": "Errors."}],
        "severities": [{"name": "critical", "notify": ["ops"]}, {"name": "warning", "notify": ["ops"]}],
        "channels": [{"name": "ops", "type": "webhook", "url": "https://hooks.example.com/ops"}],
    }


def variant(change: str) -> dict[str, Any]:
    spec = base()
    if change == "template syntax in literal labels":
        spec["service"]["labels"] = {"tier": "{{ 7*7 }}", "owner": "{{ $value }}", "note": "a {{ end }} b"}
        spec["slos"][0]["labels"] = {"team": "{{ .Foo"}
    elif change == "template syntax in the runbook link":
        spec["service"]["runbook_url"] = "https://wiki.example.com/{alert}?from={{x}}"
    elif change == "real templates in annotations":
        spec["alerts"][0]["description"] = "{{ if gt $value 1.0 }}high: {{ $value | humanize }}{{ else }}low{{ end }}"
        spec["alerts"][0]["annotations"] = {"dashboard": "{{ $externalURL }}/graph", "literal": '{{ "{{" }}x'}
    elif change == "page and ticket on one severity":
        spec["slos"][0]["alerting"] = {"page": "warning"}
    elif change == "a one-severity ladder":
        spec["severities"] = [{"name": "critical", "notify": ["ops"]}]
    elif change == "every time interval field":
        spec["severities"][1]["during"] = "quiet"
        spec["time_intervals"] = {"quiet": {
            "weekdays": ["saturday", "sunday", "monday:friday"], "times": ["00:00-08:00", "20:00-24:00"],
            "days_of_month": ["1:5", "-3:-1", 15], "months": ["january:march", "12"], "years": ["2026:2030"],
            "location": "Europe/Berlin",
        }}
    elif change == "extreme finite numbers":
        spec["metrics"].append({"name": "queue_depth", "type": "gauge"})
        spec["alerts"].append({"name": "QueueHuge", "template": "gauge_above", "severity": "warning",
                               "params": {"metric": "queue_depth", "threshold": 1e300}})
        spec["alerts"].append({"name": "QueueTiny", "template": "gauge_above", "severity": "warning",
                               "params": {"metric": "queue_depth", "threshold": -1e-300}})
    elif change == "template syntax in channel fields":
        spec["alertmanager"] = {"smtp": {"smarthost": "smtp.example.com:587", "from": "am{{x@example.com"}}
        spec["channels"].append({"name": "mail", "type": "email", "to": "ops{{@example.com"})
        spec["severities"][1]["notify"] = ["mail"]
    else:
        raise AssertionError(change)
    return spec


CHANGES = (
    "template syntax in literal labels", "template syntax in the runbook link", "real templates in annotations",
    "page and ticket on one severity", "a one-severity ladder", "every time interval field",
    "extreme finite numbers", "template syntax in channel fields",
)


@pytest.mark.judge
@pytest.mark.parametrize("release", RELEASES)
def test_tricky_specs_render_output_every_judge_accepts(release: str, tmp_path: Path) -> None:
    trees = []
    for index, change in enumerate(CHANGES):
        spec = variant(change)
        if release == "oldest":
            spec["versions"] = dict(FLOOR)
        where = tmp_path / f"case{index}"
        where.mkdir()
        files = plan_spec(spec, where, ["prometheus", "alertmanager"])
        trees.append(write_tree(files, where / "out"))
    verdicts = prometheus_judgements(trees, release)
    assert not verdicts, {CHANGES[trees.index(tree)]: said for tree, said in verdicts.items()}


def rule_file(spec: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """Every group of the spec's rule files, as one rule file would hold them."""
    files = plan_spec(spec, tmp_path, ["prometheus"])
    return {"groups": [group for path, text in files.items() if path.startswith("prometheus/rules/")
                       for group in yaml.safe_load(text)["groups"]]}


def test_literal_labels_are_escaped_so_prometheus_writes_them_as_given(tmp_path: Path) -> None:
    groups = rule_file(variant("template syntax in literal labels"), tmp_path)["groups"]
    alert = next(rule for group in groups for rule in group["rules"] if rule.get("alert") == "Errors")
    assert alert["labels"]["tier"] == '{{ "{{" }} 7*7 }}'
    assert alert["labels"]["owner"] == '{{ "{{" }} $value }}'
    slo_alert = next(rule for group in groups for rule in group["rules"] if "alert" in rule and "slo" in rule["labels"])
    assert slo_alert["labels"]["team"] == '{{ "{{" }} .Foo'


def test_one_severity_for_page_and_ticket_is_one_alert_on_every_burn_condition(tmp_path: Path) -> None:
    groups = rule_file(variant("page and ticket on one severity"), tmp_path)["groups"]
    burn = [rule for group in groups for rule in group["rules"] if rule.get("alert") == "AvailabilityErrorBudgetBurn"]
    assert len(burn) == 1 and burn[0]["labels"]["severity"] == "warning"
    assert burn[0]["expr"].count("\nand\n") == 4, "the page pairs and the ticket pairs"


def test_the_ticket_defaults_to_the_severity_below_the_page(tmp_path: Path) -> None:
    spec = base()
    spec["severities"].append({"name": "info", "notify": ["ops"]})
    spec["slos"][0]["alerting"] = {"page": "warning"}
    groups = rule_file(spec, tmp_path)["groups"]
    burn = [rule["labels"]["severity"] for group in groups for rule in group["rules"]
            if rule.get("alert") == "AvailabilityErrorBudgetBurn"]
    assert burn == ["warning", "info"]


def test_compress_time_that_would_collapse_slo_windows_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "promgen.yaml"
    path.write_text(yaml.safe_dump(base(), sort_keys=False))
    result = run_promgen("render", str(path), "-o", str(tmp_path / "out"), "--compress-time", "2592000")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "use --compress-time" in result.stderr
    assert not (tmp_path / "out").exists()


CRASH = """
import sys
from promgen.produce import registry as outputs
def broken(model):
    raise ZeroDivisionError("a bug")
outputs.producer = lambda name: broken
from promgen.cli.main import main
sys.argv = ["promgen", "render", sys.argv[1], "-o", sys.argv[2]]
main()
"""


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "PROMGEN_DEBUG"])
def test_a_bug_is_an_internal_error_naming_the_spec_not_a_traceback(debug: bool, tmp_path: Path) -> None:
    import os

    path = tmp_path / "promgen.yaml"
    path.write_text(yaml.safe_dump(base(), sort_keys=False))
    env = {**os.environ, "PROMGEN_DEBUG": "1" if debug else "0"}
    done = subprocess.run([sys.executable, "-c", CRASH, str(path), str(tmp_path / "out")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    if debug:
        assert "Traceback" in done.stderr and "ZeroDivisionError: a bug" in done.stderr
    else:
        assert "Traceback" not in done.stderr
        assert f"internal error on {path}: ZeroDivisionError: a bug" in done.stderr
        assert "PROMGEN_DEBUG=1" in done.stderr
    assert not (tmp_path / "out").exists()


# --- version-gated rule features ---------------------------------------------------------------

RULE_FEATURES = [
    # (spec change, the field the error points at, the version validate names, the last version without)
    ({"rules": {"labels": {"team": "payments"}}}, ("rules", "labels"), "Prometheus 3.0", "2.55"),
    ({"rules": {"query_offset": "1m"}}, ("rules", "query_offset"), "Prometheus 2.53", "2.52"),
]


@pytest.mark.parametrize(("change", "field", "needs", "below"), RULE_FEATURES, ids=["group labels", "query_offset"])
def test_rule_features_the_target_prometheus_lacks_are_refused_naming_the_version(
    change: dict[str, Any], field: tuple[str, ...], needs: str, below: str, tmp_path: Path
) -> None:
    from promgen.check import check
    from promgen.load.loader import load_spec

    path = tmp_path / "promgen.yaml"
    for version, refused in ((below, True), (needs.split()[-1], False)):
        spec = {**base(), **copy.deepcopy(change), "versions": {"prometheus": version}}
        path.write_text(yaml.safe_dump(spec, sort_keys=False))
        errors = [p for p in check(load_spec(path)) if p.level == "error"]
        if refused:
            assert [e.message for e in errors] == [
                f"rules.{field[1]} needs {needs} or later (versions.prometheus is {version})"]
        else:
            assert not errors, errors


@pytest.mark.judge
def test_rule_group_settings_and_keep_firing_for_pass_the_newest_promtool_and_their_tests(tmp_path: Path) -> None:
    """Group labels reach every rule's series and alerts, query_offset delays what every rule reads;
    the generated unit tests model both, so promtool's own evaluation agrees with them."""
    spec = base()
    spec["rules"] = {"labels": {"team": "payments"}, "query_offset": "2m", "limit": 100}
    spec["alerts"][0]["keep_firing_for"] = "10m"
    files = plan_spec(spec, tmp_path, ["prometheus", "alertmanager"])
    rules = {"groups": [group for path, text in files.items() if path.startswith("prometheus/rules/")
                        for group in yaml.safe_load(text)["groups"]]}
    for group in rules["groups"]:
        assert (group["labels"], group["query_offset"], group["limit"]) == ({"team": "payments"}, "2m", 100)
    alert = next(r for g in rules["groups"] for r in g["rules"] if r.get("alert") == "Errors")
    assert alert["keep_firing_for"] == "10m"
    cases = [case for path, text in files.items() if path.startswith("prometheus/tests/")
             for case in yaml.safe_load(text)["tests"]]
    fired = {check["alertname"]: check["exp_alerts"] for case in cases for check in case["alert_rule_test"]
             if check["exp_alerts"]}
    assert set(fired) == {"Errors", "AvailabilityErrorBudgetBurn"}, "the SLO's burn alert is tested too"
    assert all(alert["exp_labels"]["team"] == "payments" for alerts in fired.values() for alert in alerts)
    verdicts = prometheus_judgements([write_tree(files, tmp_path / "out")], "newest")
    assert not verdicts, verdicts
