"""Log alerts (`log_alerts`, LogQL) for Loki's ruler, and the local stack's Loki config.

Judged by Grafana's own LogQL grammar (npm @grafana/lezer-logql, the parser of Grafana's Loki query
editor): every rendered log alert parses as a metric query, and the judge does reject broken ones.
No Loki server or config checker is published through Debian, PyPI or npm, so the config is checked
here against what Loki's documentation requires of retention and of the ruler's local storage."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from promgen.core import conventions
from promgen.judge import logql
from tests.conftest import promgen_in_process
from tests.support import (
    ROOT,
    case_id,
    judge,
    node_packages,
    output_cases,
    plan_spec,
    rendered,
    snapshot_extension,
)

LOGQL_JUDGE = ROOT / "tests" / "logql"
# Prometheus' rule-file format, which Loki's ruler reads (rulefmt.RuleNode's fields).
RULE_FIELDS = {"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"}


def grammar_verdicts(expressions: list[str]) -> list[str | None]:
    """For each expression: None when Grafana's LogQL grammar parses it as a metric query, else why not."""
    node_packages(LOGQL_JUDGE)
    done = subprocess.run([judge("node"), str(LOGQL_JUDGE / "parse.mjs")], input=json.dumps(expressions),
                          capture_output=True, text=True, timeout=120, check=True)
    verdicts: list[str | None] = json.loads(done.stdout)
    return verdicts


def spec(**stack: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "service": {"name": "shop", "team": "checkout"},
        "scrape": {"targets": [{"job": "shop", "static": ["shop:8000"]}]},
        "log_alerts": [
            {"name": "PanicLogged", "expr": 'sum(count_over_time({service="shop"} |= "panic" [5m])) > 0',
             "severity": "critical", "summary": "The shop panicked.", "for": "1m"},
            {"name": "SlowRequestsLogged",
             "expr": 'sum by (filename) (rate({service="shop"} | json | duration_ms > 2000 [10m])) > 1',
             "severity": "warning", "summary": "Slow requests are logged.",
             "description": "{{ $value }} slow requests a second in {{ $labels.filename }}."},
        ],
        "severities": [
            {"name": "critical", "notify": ["pager"], "escalate": {"after": "30m", "notify": ["leads"]}},
            {"name": "warning", "notify": ["chat"]},
        ],
        "channels": [
            {"name": "pager", "type": "pagerduty", "routing_key_file": "/etc/alertmanager/secrets/pd"},
            {"name": "leads", "type": "slack", "channel": "#leads", "api_url_file": "/etc/alertmanager/secrets/slack"},
            {"name": "chat", "type": "slack", "channel": "#shop", "api_url_file": "/etc/alertmanager/secrets/slack"},
        ],
        "stack": {"logs": "loki", **stack},
    }


def log_rules(files: dict[str, str]) -> list[dict[str, Any]]:
    return [rule for path, text in sorted(files.items()) if path.startswith(conventions.LOKI_RULES_DIR + "/")
            for group in yaml.safe_load(text)["groups"] for rule in group["rules"]]


def compose_loki(files: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The compose file's loki service and the Loki config it mounts."""
    service = yaml.safe_load(files[conventions.COMPOSE_FILE])["services"]["loki"]
    return service, yaml.safe_load(files[conventions.COMPOSE_LOKI_FILE])


CASES = output_cases(conventions.LOKI_RULES_DIR + "/")


def test_an_example_has_log_alerts() -> None:
    assert CASES  # the snapshots below are not vacuous


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_snapshot(case: tuple[str, str], snapshot: Any) -> None:
    name, path = case
    assert rendered(name)[path] == snapshot(extension_class=snapshot_extension(path))


# --- the LogQL judge ---------------------------------------------------------------------------


def test_what_validate_accepts_parses_and_what_the_grammar_refuses_validate_refuses_too() -> None:
    accepted = [rule["expr"] for rule in spec()["log_alerts"]] + [
        'sum(rate({job="a", env!="dev"} |~ "time(out|d out)" [1m])) by (job) / sum(rate({job="a"}[1m])) by (job) > 0.1',
        'absent_over_time({service="shop"}[15m])',
        'quantile_over_time(0.99, {service="shop"} | logfmt | unwrap latency_ms [5m]) > 500',
        'count_over_time({service="shop", filename=~".+error.+"} [5m]) > 10',
    ]
    refused = [
        '{service="shop"} |= "panic"',  # lines, not numbers
        'sum(count_over_time({service="shop" |= "x" [5m]))',  # the selector never closes
        'sum(rate(http_requests_total[5m]))',  # PromQL: no stream selector
        'count_over_time({service=~".*"}[5m]) > 0',  # matches every stream
        'count_over_time({service}[5m]) > 0',
    ]
    assert [logql.problems(expr) for expr in accepted] == [[]] * len(accepted)
    assert grammar_verdicts(accepted) == [None] * len(accepted)
    assert all(logql.problems(expr) for expr in refused)
    verdicts = grammar_verdicts(refused[:3])
    assert all(verdict is not None for verdict in verdicts), verdicts  # the judge can fail


# --- rule files ----------------------------------------------------------------------------


def test_log_alert_rules_are_prometheus_rule_groups_with_the_alerts_labels_and_runbooks(tmp_path: Path) -> None:
    files = plan_spec(spec(), tmp_path)
    groups = yaml.safe_load(files[conventions.loki_rules_file("shop")])["groups"]
    assert [group["name"] for group in groups] == ["shop-log-alerts"]
    assert groups[0]["interval"] == "15s"  # the service's evaluation interval (Loki's ruler defaults to 1m)
    rules = groups[0]["rules"]
    assert all(set(rule) <= RULE_FIELDS for rule in rules)
    assert [(r["alert"], r["labels"]["severity"], r["labels"].get(conventions.ESCALATED_LABEL)) for r in rules] == [
        ("PanicLogged", "critical", None), ("PanicLogged", "critical", "true"), ("SlowRequestsLogged", "warning", None),
    ]
    assert rules[0]["for"] == "1m" and rules[1]["for"] == "31m"  # the escalation copy pends 30m longer
    assert all(rule["labels"]["service"] == "shop" for rule in rules)
    for rule in rules:
        page = rule["annotations"]["runbook_url"]
        assert page == f"runbooks/shop/{rule['alert']}.md" and page in files
    assert "```logql\n" + rules[0]["expr"] in files["runbooks/shop/PanicLogged.md"]
    assert not any("PanicLogged" in text for path, text in files.items() if path.startswith("prometheus/"))


def test_a_spec_without_log_alerts_writes_no_loki_rules(tmp_path: Path) -> None:
    files = plan_spec({**spec(), "log_alerts": []}, tmp_path)
    assert not [path for path in files if path.startswith("loki/")]
    service, config = compose_loki(files)
    assert not any("/etc/loki/rules" in volume for volume in service["volumes"])
    assert config["common"]["storage"]["filesystem"]["rules_directory"] == "/loki/rules"


# --- the local stack's Loki ----------------------------------------------------------------


def test_the_stack_loki_mounts_its_config_and_the_rules_where_the_ruler_reads_the_tenants_files(tmp_path: Path) -> None:
    files = plan_spec(spec(), tmp_path)
    service, config = compose_loki(files)
    assert service["command"] == ["-config.file=/etc/loki/promgen.yaml"]
    assert f"./{conventions.COMPOSE_LOKI_FILE}:/etc/loki/promgen.yaml:ro" in service["volumes"]
    # Loki's ruler with local storage reads <directory>/<tenant>/*; single-tenant Loki's tenant is `fake`.
    assert "./loki/rules:/etc/loki/rules/fake:ro" in service["volumes"]
    assert config["common"]["storage"]["filesystem"]["rules_directory"] == "/etc/loki/rules"
    assert config["auth_enabled"] is False
    assert config["ruler"]["alertmanager_url"] == "http://alertmanager:9093"
    compose = yaml.safe_load(files[conventions.COMPOSE_FILE])
    assert "alertmanager" in compose["services"]
    assert "compactor" not in config and "limits_config" not in config  # Loki keeps logs until deleted


def test_log_retention_turns_on_the_compactor_with_the_24h_index_period_loki_requires(tmp_path: Path) -> None:
    _service, config = compose_loki(plan_spec(spec(log_retention="30d"), tmp_path))
    assert config["limits_config"] == {"retention_period": "30d"}
    assert config["compactor"]["retention_enabled"] is True
    assert config["compactor"]["delete_request_store"] == "filesystem"  # required with retention
    assert [c["index"]["period"] for c in config["schema_config"]["configs"]] == ["24h"]


def test_example_retention_is_the_guides_30_days() -> None:
    _service, config = compose_loki(rendered("promptforge", ("compose",)))
    assert config["limits_config"]["retention_period"] == "30d"


def test_a_log_alert_on_a_label_the_local_shipper_never_sets_is_noted(tmp_path: Path) -> None:
    data = spec()
    data["log_alerts"][0]["expr"] = 'sum(count_over_time({app="shop"} |= "panic" [5m])) > 0'
    (tmp_path / "promgen.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    done = promgen_in_process("render", str(tmp_path / "promgen.yaml"), "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "log alert PanicLogged selects streams by app, which the local stack's log shipper does not set" in " ".join(done.stdout.split())
    assert "SlowRequestsLogged selects" not in done.stdout


@pytest.mark.parametrize("example", ["automation-orchestrator", "pynomaly"])
def test_example_log_alerts_select_labels_the_local_stack_ships(example: str) -> None:
    """In the local stack these alerts can fire: Alloy sets every label they select on."""
    rules = log_rules(rendered(example, ("loki",)))
    assert rules
    for rule in rules:
        assert set(logql.selector_labels(rule["expr"])) <= set(conventions.LOCAL_STREAM_LABELS), rule["expr"]
    assert grammar_verdicts([rule["expr"] for rule in rules]) == [None] * len(rules)


def test_the_shippers_labels_are_the_ones_the_alloy_config_sets() -> None:
    alloy = rendered("automation-orchestrator", ("compose",))[conventions.COMPOSE_ALLOY_FILE]
    for label in conventions.LOCAL_STREAM_LABELS:
        if label != "filename":  # Alloy's loki.source.file adds it itself
            assert f'"{label}"' in alloy, label
