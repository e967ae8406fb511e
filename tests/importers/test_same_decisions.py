"""An imported SLO alerts when its source tool would have: the source's own rules (sloth's generated
file, pyrra's rules as its own test expects them) and promgen's rules from `promgen import` run side
by side in promtool on the same traffic, and at every evaluation the same alerts fire.

The traffic: a fast burn (20% errors for an hour), a slow burn (2% for two hours), healthy between.
promgen records every window from the raw series here (`rules.slo: exact`), as both sources do; its
default chained windows move a switch by at most one evaluation (tests/derive/prometheus/test_slo_chained.py).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from promgen.cli import import_
from tests.support import RELEASES, ROOT, judge, plan_spec, write_tree

CORPUS = ROOT / "tests" / "imports" / "corpus"
MINUTES = 480
# a minute; no window's error ratio lands exactly on a threshold (sloth computes its budget as
# 1 - 0.999 in floating point, 0.000999...9432, so at exact equality it fires and promgen does not)
REQUESTS = 97


def _errors_per_minute(minute: int) -> int:
    if 60 <= minute < 120:
        return 19  # 20%: fast burn
    if 200 <= minute < 320:
        return 2  # 2%: slow burn
    return 0


def _counters(selector_ok: str, selector_bad: str) -> list[dict[str, str]]:
    bad, ok, bads, oks = 0, 0, [], []
    for minute in range(MINUTES):
        errors = _errors_per_minute(minute)
        bad += errors
        ok += REQUESTS - errors
        bads.append(str(bad))
        oks.append(str(ok))
    return [{"series": selector_bad, "values": " ".join(bads)}, {"series": selector_ok, "values": " ".join(oks)}]


def _imported(source_format: str, path: Path) -> dict[str, Any]:
    [service] = import_.converter(source_format)(import_.sources([path.relative_to(ROOT)], source_format)[0])
    spec = yaml.safe_load(import_.spec_text(service, source_format))
    spec["rules"] = {**spec.get("rules", {}), "slo": "exact"}
    spec["scrape"] = {"interval": "1m", "evaluation_interval": "1m"}
    return spec


def _diff(source: str, ours: str) -> str:
    return f"(count({source}) or vector(0)) - (count({ours}) or vector(0))"


def _run(release: str, tmp_path: Path, source_rules: Path, spec: dict[str, Any], series: list[dict[str, str]],
         pairs: list[tuple[str, str]], fired: list[str], same_values: list[tuple[str, str, dict[str, str]]] = (),
         rename: tuple[tuple[str, str], ...] = ()) -> None:
    """`pairs`: (the source's alerts, ours) that must fire together at every evaluation; `fired`: alerts
    that must fire at some time; `same_values`: (series of ours, the source's, labels to match on) whose
    values must agree every half hour."""
    (tmp_path / "spec").mkdir()
    files = plan_spec(spec, tmp_path / "spec", ["prometheus"])
    tree = write_tree(files, tmp_path / "out")
    ours = sorted(str(p.relative_to(tmp_path)) for p in (tree / "prometheus" / "rules").rglob("*.yml"))
    text = source_rules.read_text(encoding="utf-8")
    for theirs, renamed in rename:  # the source's series under other names, so both tools' run side by side apart
        text = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(theirs)}(?! )", renamed, text)  # not a YAML key (`slo: x`)
    source = yaml.safe_load(text)
    for group in source["groups"]:
        group["interval"] = "1m"  # promtool evaluates every group at the test's interval
    (tmp_path / "source.rules.yml").write_text(yaml.safe_dump(source), encoding="utf-8")
    checks = [{"expr": _diff(a, b), "eval_time": f"{minute}m", "exp_samples": [{"labels": "{}", "value": 0}]}
              for minute in range(MINUTES) for a, b in pairs]
    checks += [{"expr": f"count(max_over_time({alert}[{MINUTES}m])) > bool 0", "eval_time": f"{MINUTES - 1}m",
                "exp_samples": [{"labels": "{}", "value": 1}]} for alert in fired]
    for ours_series, theirs, on in same_values:
        by = ", ".join(sorted(on))
        labels = "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(on.items())) + "}"
        checks += [{"expr": f"abs(max by ({by}) ({ours_series}) - max by ({by}) ({theirs})) < bool 1e-9",
                    "eval_time": f"{minute}m", "exp_samples": [{"labels": labels, "value": 1}]}
                   for minute in range(30, MINUTES, 30)]
    # promtool evaluates the groups of one timestamp in an unspecified order unless told: every tool's
    # recording groups first, so each alert reads the ratios of its own evaluation (as within a group)
    groups = [g for g in source["groups"]]
    for path in ours:
        groups += yaml.safe_load((tmp_path / path).read_text(encoding="utf-8"))["groups"]
    order = sorted((g["name"] for g in groups), key=lambda name: any("alert" in r for g in groups if g["name"] == name
                                                                    for r in g["rules"]))
    test = {"rule_files": ["source.rules.yml", *ours], "evaluation_interval": "1m", "group_eval_order": order,
            "tests": [{"interval": "1m", "input_series": series, "promql_expr_test": checks}]}
    (tmp_path / "same.test.yml").write_text(yaml.safe_dump(test, sort_keys=False), encoding="utf-8")
    done = subprocess.run([judge("promtool", release), "test", "rules", "same.test.yml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]


@pytest.mark.judge
@pytest.mark.parametrize("release", RELEASES)
def test_sloth_and_its_import_page_and_ticket_at_the_same_evaluations(release: str, tmp_path: Path) -> None:
    spec = _imported("sloth", CORPUS / "sloth" / "examples" / "getting-started.yml")
    alert = 'ALERTS{alertname="MyServiceHighErrorRate", alertstate="firing", sloth_severity="%s", service%s}'
    pairs = [(alert % (kind, '=""'), alert % (kind, '="myservice"')) for kind in ("page", "ticket")]
    series = _counters('http_request_duration_seconds_count{job="myservice", code="200"}',
                       'http_request_duration_seconds_count{job="myservice", code="500"}')
    ids = {"sloth_id": "myservice-requests-availability", "sloth_service": "myservice",
           "sloth_slo": "requests-availability"}
    match = "{" + ", ".join(f'{k}="{v}"' for k, v in ids.items()) + "}"
    # the series sloth's dashboards read, with the same labels and values (rules.naming: sloth)
    names = [*(f"slo:sli_error:ratio_rate{w}" for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d")),
             "slo:objective:ratio", "slo:error_budget:ratio", "slo:time_period:days", "slo:current_burn_rate:ratio",
             "slo:period_burn_rate:ratio", "slo:period_error_budget_remaining:ratio", "sloth_slo_info"]
    same = [(f"{name}{match}", f"{name.replace('slo:', 'source:').replace('sloth_slo_info', 'source_slo_info')}{match}",
             ids) for name in names]
    _run(release, tmp_path, CORPUS / "sloth" / "generated" / "getting-started.yml", spec, series, pairs,
         [alert % ("page", '=""'), alert % ("ticket", '=""')], same,
         rename=(("slo:", "source:"), ("sloth_slo_info", "source_slo_info")))


@pytest.mark.judge
@pytest.mark.parametrize("release", RELEASES)
def test_pyrra_and_its_import_fire_each_of_the_four_alerts_at_the_same_evaluations(release: str, tmp_path: Path) -> None:
    spec = _imported("pyrra", CORPUS / "pyrra" / "generated" / "monitoring-http-errors.yaml")
    source = 'ALERTS{alertname="ErrorBudgetBurn", alertstate="firing", long="%s"}'
    ours = 'ALERTS{alertname="MonitoringHttpErrorsErrorBudgetBurn", alertstate="firing", long="%s"}'
    pairs = [(source % long, ours % long) for long in ("1h", "6h", "1d", "4d")]
    series = _counters('http_requests_total{job="thanos-receive-default", code="200"}',
                       'http_requests_total{job="thanos-receive-default", code="500"}')
    # the series pyrra records under its names, with its labels and the same values (rules.naming: pyrra)
    on = {"slo": "monitoring-http-errors", "job": "thanos-receive-default"}
    match = '{slo="monitoring-http-errors", job="thanos-receive-default"}'
    same = [(f"http_requests:burnrate{w}{match}", f"source_http_requests:burnrate{w}{match}", on)
            for w in ("5m", "30m", "1h", "2h", "6h", "1d", "4d")]
    _run(release, tmp_path, CORPUS / "pyrra" / "generated" / "monitoring-http-errors.rules.yml", spec, series, pairs,
         [source % "1h", source % "1d"], same, rename=(("http_requests:", "source_http_requests:"),))
