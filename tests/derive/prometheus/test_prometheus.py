"""The Prometheus output of every example: promtool accepts the config and the rules (lint fatal),
the generated unit tests pass, files are snapshotted and deterministic, and the rules follow the
monitoring-mixin conventions. Render options and spec features the examples do not use are
checked on small specs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from promgen.cli.render import plan, produce
from promgen.core import conventions
from promgen.core.model import RenderOptions
from promgen.derive.prometheus.promql_labels import dropped_labels
from promgen.derive.prometheus.slo import bounded
from tests.support import (
    EXAMPLE_NAMES,
    ROOT,
    case_id,
    checkable_config,
    example_versions,
    judge,
    output_cases,
    plan_spec,
    release_cases,
    render_in_fresh_process,
    rendered,
    rule_file_order,
    snapshot_extension,
    write_tree,
)

CASES = output_cases("prometheus/")
CONFIG = conventions.PROMETHEUS_CONFIG_FILE


def rule_files_of(example: str) -> dict[str, dict[str, Any]]:
    paths = sorted((p for p in rendered(example) if p.startswith("prometheus/rules/")), key=rule_file_order)
    return {path: yaml.safe_load(rendered(example)[path]) for path in paths}


def rule_file(example: str) -> dict[str, Any]:
    """Every group of the example's rule files, in file order, as one rule file would hold them."""
    return {"groups": [group for data in rule_files_of(example).values() for group in data["groups"]]}


def unit_tests_of(example: str) -> dict[str, Any]:
    """Every case of the example's test files, as one test file would hold them."""
    files = [yaml.safe_load(text) for path, text in rendered(example).items() if path.startswith("prometheus/tests/")]
    return {"tests": [case for data in files for case in data["tests"]]}


def alerts_of(example: str) -> list[dict[str, Any]]:
    return [rule for group in rule_file(example)["groups"] for rule in group["rules"] if "alert" in rule]


def promtool(*args: str, cwd: Path | None = None, release: str = "newest") -> subprocess.CompletedProcess[str]:
    return subprocess.run([judge("promtool", release), *args], capture_output=True, text=True, timeout=600, cwd=cwd)


def render_spec(spec: dict[str, Any], tmp_path: Path, options: RenderOptions | None = None) -> dict[str, str]:
    return plan_spec(spec, tmp_path, ["prometheus"], options)


def minimal_spec(**extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "version": 1,
        "service": {"name": "shop"},
        "scrape": {"targets": [{"job": "shop-api", "static": ["api:8000"]}]},
        "metrics": [{"name": "http_requests_total", "type": "counter", "labels": ["code"]}],
        "severities": [{"name": "critical"}, {"name": "warning"}],
    }
    spec.update(extra)
    return spec


# --- the real judges --------------------------------------------------------------------------


def test_every_example_has_the_three_prometheus_files() -> None:
    by_example: dict[str, set[str]] = {}
    for name, path in CASES:
        by_example.setdefault(name, set()).add(path)
    assert sorted(by_example) == sorted(EXAMPLE_NAMES)
    for name, paths in by_example.items():
        assert CONFIG in paths
        assert any(p.startswith("prometheus/rules/") and p.endswith(".rules.yml") for p in paths), name
        assert any(p.startswith("prometheus/tests/") and p.endswith(".test.yml") for p in paths), name


@pytest.mark.judge
@pytest.mark.parametrize(("example", "release"), release_cases())
def test_promtool_check_config(example: str, release: str, tmp_path: Path) -> None:
    """check config also loads rule_files, so the whole tree is written as render writes it (credential
    files only the deployment has stand in as empty files)."""
    tree = write_tree(rendered(example, release=release), tmp_path)
    result = promtool("check", "config", str(checkable_config(tree / CONFIG)), release=release)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout and "rules found" in result.stdout


@pytest.mark.judge
@pytest.mark.parametrize(("example", "release"), release_cases())
def test_promtool_check_rules_lint_fatal(example: str, release: str, tmp_path: Path) -> None:
    files = rendered(example, release=release)
    tree = write_tree(files, tmp_path)
    rule_files = sorted(str(tree / path) for path in files if path.startswith("prometheus/rules/"))
    result = promtool("check", "rules", "--lint=all", "--lint-fatal", *rule_files, release=release)
    assert result.returncode == 0, result.stdout + result.stderr
    for path in rule_files:
        count = sum(len(group["rules"]) for group in yaml.safe_load(Path(path).read_text())["groups"])
        assert f"SUCCESS: {count} rules found" in result.stdout


@pytest.mark.judge
@pytest.mark.parametrize(("example", "release"), release_cases())
def test_promtool_runs_the_generated_unit_tests(example: str, release: str, tmp_path: Path) -> None:
    tree = write_tree(rendered(example, release=release), tmp_path)
    tests = sorted(str(p) for p in (tree / "prometheus" / "tests").rglob("*.test.yml"))
    assert tests
    result = promtool("test", "rules", *tests, release=release)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize("example", [name for name in EXAMPLE_NAMES if not example_versions(name)])
def test_output_for_the_floor_says_so_in_its_header(example: str) -> None:
    newest, oldest = rendered(example)[CONFIG], rendered(example, release="oldest")[CONFIG]
    assert " for Prometheus 3.5; do not edit" in newest.splitlines()[0]
    assert " for Prometheus 2.42; do not edit" in oldest.splitlines()[0]


@pytest.mark.judge
def test_promtool_fails_a_generated_test_whose_expectation_is_wrong(tmp_path: Path) -> None:
    """The generated tests can fail: change one expected annotation and promtool says so."""
    files = dict(rendered("promptforge"))
    path = next(p for p in files if p.endswith(".test.yml") and "errors/sec" in files[p])
    files[path] = files[path].replace("errors/sec", "errors/min", 1)
    tree = write_tree(files, tmp_path)
    result = promtool("test", "rules", str(tree / path))
    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr


# --- snapshots and determinism ----------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_snapshot(case: tuple[str, str], snapshot) -> None:
    name, path = case
    assert rendered(name)[path] == snapshot(extension_class=snapshot_extension(path))


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_render_twice_gives_the_same_bytes(example: str) -> None:
    spec = ROOT / "examples" / example / "promgen.yaml"
    first, second = plan(spec, ["prometheus"]), plan(spec, ["prometheus"])
    assert first == second
    assert [text.encode() for text in first.values()] == [text.encode() for text in second.values()]


def test_render_is_the_same_in_processes_with_different_hash_seeds(tmp_path: Path) -> None:
    written = [render_in_fresh_process("pynomaly", "prometheus", tmp_path / seed, seed) for seed in ("1", "2")]
    assert written[0] == written[1]
    assert len(written[0]) == 13  # prometheus.yml, six rule files and their six test files


def test_every_file_starts_with_the_generated_header() -> None:
    for name, path in CASES:
        assert rendered(name)[path].startswith(f"# generated by promgen from examples/{name}/promgen.yaml for Prometheus 3.5; do not edit\n")


# --- prometheus.yml ---------------------------------------------------------------------------


def test_config_of_pynomaly() -> None:
    config = yaml.safe_load(rendered("pynomaly")[CONFIG])
    assert config["global"] == {
        "scrape_interval": "15s",
        "scrape_timeout": "10s",
        "evaluation_interval": "15s",
        "external_labels": {"service": "pynomaly", "environment": "production"},
    }
    assert config["rule_files"] == [  # each file by name: a file promgen did not write is never loaded
        "rules/pynomaly/slo-availability.rules.yml", "rules/pynomaly/slo-api-latency.rules.yml",
        "rules/pynomaly/slo-error-rate.rules.yml", "rules/pynomaly/slo-backups.rules.yml",
        "rules/pynomaly/alerts.rules.yml", "rules/pynomaly/alerts-2.rules.yml"]
    assert config["alerting"] == {"alertmanagers": [{"static_configs": [{"targets": ["alertmanager:9093"]}]}]}
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert list(jobs) == ["pynomaly-api", "pynomaly-worker", "pynomaly-postgres", "pynomaly-redis", "kubelet-cadvisor",
                          "pynomaly-node", "kube-state-metrics", "pynomaly-blackbox"]
    assert jobs["pynomaly-api"]["static_configs"] == [{"targets": ["pynomaly-api:8000"], "labels": {"app": "pynomaly-api"}}]
    cadvisor = jobs["kubelet-cadvisor"]
    assert (cadvisor["scheme"], cadvisor["metrics_path"], cadvisor["scrape_interval"], cadvisor["scrape_timeout"]) == (
        "https", "/metrics/cadvisor", "30s", "10s")
    # the kubelet's self-signed certificate, and the pod's service-account token as the credential
    assert cadvisor["tls_config"] == {"insecure_skip_verify": True}
    assert cadvisor["authorization"] == {"credentials_file": "/var/run/secrets/kubernetes.io/serviceaccount/token"}
    blackbox = jobs["pynomaly-blackbox"]
    assert blackbox["metrics_path"] == "/probe"
    assert blackbox["params"] == {"module": ["http_2xx"]}
    assert blackbox["static_configs"] == [
        {"targets": ["https://api.pynomaly.com/health", "https://monitoring.pynomaly.com/grafana/api/health"]}
    ]
    assert blackbox["relabel_configs"] == [
        {"source_labels": ["__address__"], "target_label": "__param_target"},
        {"source_labels": ["__param_target"], "target_label": "instance"},
        {"target_label": "__address__", "replacement": "blackbox-exporter:9115"},
    ]
    assert "remote_write" not in config


def test_render_options_point_prometheus_elsewhere(tmp_path: Path) -> None:
    options = RenderOptions(
        targets={"promptforge": ("127.0.0.1:18000",)},
        alertmanager="127.0.0.1:19093",
        blackbox_exporter="127.0.0.1:19115",
    )
    config = yaml.safe_load(plan(ROOT / "examples/promptforge/promgen.yaml", ["prometheus"], options)[CONFIG])
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["promptforge"]["static_configs"] == [{"targets": ["127.0.0.1:18000"]}]
    assert jobs["promptforge-blackbox"]["relabel_configs"][-1]["replacement"] == "127.0.0.1:19115"
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["127.0.0.1:19093"]


@pytest.mark.judge
def test_remote_write_and_probe_modules(tmp_path: Path) -> None:
    spec = minimal_spec(
        remote_write=[
            {"url": "https://lts.example.com/api/v1/write", "name": "lts", "bearer_token_file": "/etc/prometheus/token"},
            {"url": "https://mimir.example.com/api/v1/push", "basic_auth": {"username": "shop",
                                                                            "password_file": "/etc/prometheus/pw"}},
        ],
        probes={"external": ["https://shop.example.com/health",
                             {"url": "https://shop.example.com/order", "module": "http_post_2xx"}]},
    )
    files = render_spec(spec, tmp_path)
    text = files[CONFIG]
    config = yaml.safe_load(text)
    assert config["remote_write"] == [
        {"url": "https://lts.example.com/api/v1/write", "name": "lts",
         "authorization": {"type": "Bearer", "credentials_file": "/etc/prometheus/token"}},
        {"url": "https://mimir.example.com/api/v1/push",
         "basic_auth": {"username": "shop", "password_file": "/etc/prometheus/pw"}},
    ]
    blackbox = config["scrape_configs"][-1]
    assert blackbox["params"] == {"module": ["http_2xx"]}
    assert blackbox["static_configs"] == [
        {"targets": ["https://shop.example.com/health"]},
        {"targets": ["https://shop.example.com/order"], "labels": {"__param_module": "http_post_2xx"}},
    ]
    tree = write_tree(files, tmp_path / "out")
    result = promtool("check", "config", str(tree / CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.judge
def test_a_spec_with_no_alerts_has_no_rule_files_and_a_valid_config(tmp_path: Path) -> None:
    files = render_spec(minimal_spec(), tmp_path)
    assert sorted(files) == [CONFIG]
    tree = write_tree(files, tmp_path / "out")
    result = promtool("check", "config", CONFIG, cwd=tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout and "rules found" not in result.stdout


# --- the rule file: mixin conventions ---------------------------------------------------------

ALERT_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_rules_follow_the_monitoring_mixin_conventions(example: str) -> None:
    groups = rule_file(example)["groups"]
    assert len({g["name"] for g in groups}) == len(groups)
    for group in groups:
        assert 0 < len(group["rules"]) <= conventions.MAX_RULES_PER_GROUP, group["name"]
    for alert in alerts_of(example):
        name = alert["alert"]
        assert ALERT_NAME.match(name) and len(name) <= 40, name
        assert alert["labels"]["severity"], name
        assert alert["labels"]["service"], name
        assert alert["annotations"]["summary"] and "{{" not in alert["annotations"]["summary"], name
        assert alert["annotations"]["description"], name
        link = alert["annotations"]["runbook_url"]
        service = yaml.safe_load((ROOT / "examples" / example / "promgen.yaml").read_text())["service"]
        if service.get("runbook_url"):
            assert link == service["runbook_url"].replace("{alert}", name)
        else:  # promgen's own page for it, rendered beside the rules, where the repository serves it
            assert link == f"{service['runbook_base_url']}/{conventions.runbook_page(example, name)}"
            assert conventions.runbook_file(example, name) in rendered(example)


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_generated_alerts_keep_every_label_their_annotations_use(example: str) -> None:
    """Template and SLO alerts only use labels their expression keeps (spec-written alerts are the
    author's; render notes them, see test_render_notes_annotations_on_dropped_labels)."""
    spec = yaml.safe_load((ROOT / "examples" / example / "promgen.yaml").read_text(encoding="utf-8"))
    explicit = {a["name"] for a in spec.get("alerts", []) if "expr" in a}
    for alert in alerts_of(example):
        if alert["alert"] not in explicit:
            assert dropped_labels(alert["expr"], alert["annotations"]) == [], alert["alert"]


def test_pynomaly_alert_groups_split_at_twenty_rules() -> None:
    names = [g["name"] for g in rule_file("pynomaly")["groups"] if not g["name"].startswith("pynomaly-slo-")]
    assert names == ["pynomaly-alerts", "pynomaly-alerts-2"]


def test_explicit_and_template_alerts_as_written(tmp_path: Path) -> None:
    alerts = {a["alert"]: a for a in alerts_of("promptforge")}
    # the guide's rule, as the guide writes it: errors per second, per series
    assert alerts["HighErrorRate"] == {
        "alert": "HighErrorRate",
        "expr": 'rate(http_requests_total{status_code=~"5.."}[5m]) > 0.05',
        "for": "5m",
        "labels": {"severity": "critical", "service": "promptforge", "tier": "backend"},
        "annotations": {
            "summary": "High error rate detected",
            "description": "Error rate is {{ $value }} errors/sec",
            "runbook_url": "https://github.com/example/promptforge/blob/main/monitoring/runbooks/promptforge/HighErrorRate.md",
        },
    }
    assert alerts["HighMemoryUsage"]["expr"] == "process_resident_memory_bytes > 1000000000"
    assert alerts["DatabaseDown"]["expr"] == 'up{job="promptforge"} == 0'
    templated = {a["alert"]: a for a in alerts_of("automation-orchestrator")}
    assert templated["OrchestratorDown"]["expr"] == 'up{job="automation-orchestrator"} == 0'


def test_slo_rules_of_promptforge() -> None:
    groups = {g["name"]: g["rules"] for g in rule_file("promptforge")["groups"]}
    recording = groups["promptforge-slo-availability-recording"]
    windows = [r["record"].removeprefix("slo:sli_error:ratio_rate") for r in recording if "ratio_rate" in r["record"]]
    assert windows == ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"]
    # chained (the default): the shortest window's rates recorded once, every longer window built on them
    assert [r["record"] for r in recording[:2]] == ["slo:sli_error:rate5m", "slo:sli_total:rate5m"]
    assert all(r["labels"] == {"service": "promptforge", "slo": "availability"} for r in recording)
    meta = {r["record"]: r["expr"] for r in recording}
    assert meta["slo:objective:ratio"] == "vector(0.999)"
    assert meta["slo:error_budget:ratio"] == "vector(0.001)"
    assert meta["slo:error_budget_remaining:ratio"] == (
        '1 - slo:sli_error:ratio_rate30d{service="promptforge", slo="availability"} / 0.001')
    page, ticket = groups["promptforge-slo-availability-alerts"]
    assert page["alert"] == ticket["alert"] == "AvailabilityErrorBudgetBurn"
    assert (page["labels"]["severity"], ticket["labels"]["severity"]) == ("critical", "warning")
    assert "slo:sli_error:ratio_rate1h{service=\"promptforge\", slo=\"availability\"} > 0.0144" in page["expr"]
    assert "slo:sli_error:ratio_rate5m{service=\"promptforge\", slo=\"availability\"} > 0.0144" in page["expr"]
    assert "ratio_rate6h" in page["expr"] and "> 0.006\n" in page["expr"]
    assert "ratio_rate1d" in ticket["expr"] and "> 0.003\n" in ticket["expr"]
    assert "ratio_rate3d" in ticket["expr"] and "> 0.001\n" in ticket["expr"]
    latency = {r["record"]: r["expr"] for r in groups["promptforge-slo-latency-recording"]}
    assert latency["slo:sli_error:rate5m"] == (
        'sum(rate(http_request_duration_seconds_count[5m]))'
        ' - sum(rate(http_request_duration_seconds_bucket{le=~"1(\\\\.0)?"}[5m]))'
    )
    assert latency["slo:sli_total:rate5m"] == "sum(rate(http_request_duration_seconds_count[5m]))"
    selector = '{service="promptforge", slo="latency"}'
    assert latency["slo:sli_error:ratio_rate5m"] == bounded(f"slo:sli_error:rate5m{selector} / slo:sli_total:rate5m{selector}")
    assert latency["slo:sli_error:ratio_rate1h"].startswith(f"clamp_max(clamp_min((avg_over_time(slo:sli_error:rate5m{selector}[1h]) + ")


def test_disabled_slo_alerting_records_but_does_not_alert() -> None:
    names = [g["name"] for g in rule_file("image-jobs")["groups"]]
    assert "image-jobs-slo-etag-cache-hits-recording" in names
    assert "image-jobs-slo-etag-cache-hits-alerts" not in names


def test_no_data_alert_when_asked_for() -> None:
    alerts = {a["alert"]: a for a in alerts_of("pynomaly")}
    no_data = alerts["AvailabilitySLINoData"]
    assert no_data["expr"] == 'absent(slo:sli_error:ratio_rate5m{service="pynomaly", slo="availability"})'
    assert no_data["for"] == conventions.SLO_NO_DATA_FOR
    assert no_data["labels"]["severity"] == "warning"
    assert "ApiLatencySLINoData" not in alerts


# --- the generated unit tests -----------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_every_alert_is_tested_or_reported_untested(example: str) -> None:
    """Each alert name has a case where it fires and one where it stays silent, or a render note."""
    _, produced, _ = produce(ROOT / "examples" / example / "promgen.yaml", ["prometheus"])
    notes = produced["prometheus"].notes
    untested = {re.match(r"untested: (\w+) ", n).group(1) for n in notes if n.startswith("untested: ")}  # type: ignore[union-attr]
    cases = unit_tests_of(example)["tests"]
    for name in dict.fromkeys(a["alert"] for a in alerts_of(example)):
        tests = [t for t in cases if t["alert_rule_test"][0]["alertname"] == name]
        if name in untested:
            assert not tests, name
            continue
        assert any(t["alert_rule_test"][0]["exp_alerts"] for t in tests), f"{name} never fires"
        assert any(not t["alert_rule_test"][0]["exp_alerts"] for t in tests), f"{name} never stays silent"
        severities = {a["labels"]["severity"] for a in alerts_of(example) if a["alert"] == name}
        fired = {e["exp_labels"]["severity"] for t in tests for e in t["alert_rule_test"][0]["exp_alerts"]}
        assert fired == severities, name


@pytest.mark.parametrize("alerts", [0, 1, conventions.MAX_RULES_PER_GROUP, conventions.MAX_RULES_PER_GROUP + 1, 120])
def test_the_rule_file_paths_are_those_rule_files_derives(alerts: int, tmp_path: Path) -> None:
    """prometheus.yml (also the local stack's, for models of its own) lists rule_file_paths, which
    derives no rule: they are the paths of the files rule_files derives, in its order."""
    import sys

    from promgen.cli.render import load_stack
    from promgen.derive.prometheus.config import rule_file_paths, rule_files

    sys.path.insert(0, str(ROOT / "bench"))
    import synthetic

    spec = synthetic.spec(max(2, -(-alerts // 5)))  # 5 distinct alerts per SLO
    spec["alerts"] = spec["alerts"][:alerts]
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    stacks = [load_stack(tmp_path / "spec.yaml")[0], *(load_stack(ROOT / "examples" / name)[0] for name in EXAMPLE_NAMES),
              load_stack(ROOT / "examples" / "platform")[0]]
    for stack in stacks:
        for model in stack.services:
            assert rule_file_paths(model) == [rule_file.path for rule_file in rule_files(model)], model.service


def test_each_rule_file_has_a_test_file_loading_it_relative_to_itself() -> None:
    files = rendered("promptforge")
    rules = sorted(p for p in files if p.startswith("prometheus/rules/"))
    assert rules == ["prometheus/rules/promptforge/alerts.rules.yml",
                     "prometheus/rules/promptforge/slo-availability.rules.yml",
                     "prometheus/rules/promptforge/slo-latency.rules.yml"]
    for path in rules:
        data = yaml.safe_load(files[path.replace("/rules/", "/tests/").replace(".rules.yml", ".test.yml")])
        assert data["rule_files"] == [f"../../rules/promptforge/{path.rsplit('/', 1)[1]}"]
        assert data["evaluation_interval"] == "5m"
        groups = [group["name"] for group in yaml.safe_load(files[path])["groups"]]
        assert data["group_eval_order"] == groups


def test_an_alert_on_an_slo_series_loads_that_slo_file_too(tmp_path: Path) -> None:
    """A test file loads the rule files its alerts read recorded series from, and only those."""
    spec = minimal_spec(
        slos=[{"name": name, "objective": 99, "sli": {
            "errors": 'sum(rate(http_requests_total{code=~"5.."}[{{window}}]))',
            "total": "sum(rate(http_requests_total[{{window}}]))"}} for name in ("checkout", "search")],
        alerts=[{"name": "CheckoutRatioHigh", "severity": "critical", "summary": "High.",
                 "expr": 'slo:sli_error:ratio_rate5m{slo="checkout"} > 0.5'}],
    )
    files = render_spec(spec, tmp_path)
    data = yaml.safe_load(files["prometheus/tests/shop/alerts.test.yml"])
    assert data["rule_files"] == ["../../rules/shop/slo-checkout.rules.yml", "../../rules/shop/alerts.rules.yml"]
    assert [case["alert_rule_test"][0]["alertname"] for case in data["tests"]] == ["CheckoutRatioHigh"] * 2
    tree = write_tree(files, tmp_path / "out")
    tests = sorted(str(p) for p in (tree / "prometheus" / "tests").rglob("*.test.yml"))
    result = promtool("test", "rules", *tests)
    assert result.returncode == 0, result.stdout + result.stderr


def test_slo_burn_cases_drive_ratios_between_the_thresholds() -> None:
    cases = {t["name"]: t for t in unit_tests_of("promptforge")["tests"]}
    fast = cases["AvailabilityErrorBudgetBurn: 3% of availability events failing burns the budget fast"]
    slow = cases["AvailabilityErrorBudgetBurn: 0.4% of availability events failing burns the budget slowly"]
    quiet = cases["AvailabilityErrorBudgetBurn: no availability events failing stays silent"]
    severities = [{e["exp_labels"]["severity"] for e in c["alert_rule_test"][0]["exp_alerts"]} for c in (fast, slow, quiet)]
    assert severities == [{"critical", "warning"}, {"warning"}, set()]
    values = {s["series"]: s["values"] for s in slow["input_series"]}
    failing = next(v for k, v in values.items() if 'status_code="500"' in k)
    passing = next(v for k, v in values.items() if 'status_code="200"' in k)
    assert (failing, passing) == ("0+6x60", "0+1494x60")  # 6 of 1500 per minute = 0.4%, for an hour


def test_render_notes_untested_alerts_and_dropped_labels(promgen_cli, tmp_path: Path) -> None:
    result = promgen_cli("render", "examples/pynomaly/promgen.yaml", "-o", str(tmp_path / "out"), "--only", "prometheus")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "untested: PredictionVolumeDropped (it compares with the past (offset)" in text
    assert "its annotations use" not in text  # the examples keep the labels they print

    spec = (ROOT / "examples" / "pynomaly" / "promgen.yaml").read_text(encoding="utf-8")
    lossy = spec.replace("expr: max by (instance) (pg_up) == 0", "expr: max(pg_up) == 0")
    assert lossy != spec
    (tmp_path / "lossy.yaml").write_text(lossy, encoding="utf-8")
    result = promgen_cli("render", str(tmp_path / "lossy.yaml"), "-o", str(tmp_path / "lossy"), "--only", "prometheus")
    assert result.returncode == 0, result.stderr
    assert "DatabaseUnavailable: its annotations use {{ $labels.instance }}" in " ".join(result.stdout.split())


# --- documentation ----------------------------------------------------------------------------

DOC_EXAMPLES: dict[str, dict[str, Any]] = {
    "error_ratio": {"metric": "http_requests_total", "threshold": 5},
    "latency_quantile": {"metric": "http_request_duration_seconds", "threshold": "500ms"},
    "target_down": {},
    "absent": {"metric": "jobs_processed_total"},
    "gauge_above": {"metric": "queue_depth", "threshold": 100},
    "counter_rate_above": {"metric": "errors_total", "threshold": 1},
    "memory_high": {"threshold": "1GB"},
    "cpu_high": {"threshold": 80},
    "disk_full": {},
    "probe_failed": {"selector": 'instance="https://example.com/health"'},
    "cert_expiry": {},
}


def test_alert_template_docs_cover_every_template_and_parameter() -> None:
    """docs/alert-templates.md lists each template, its parameters and the expression it builds."""
    from promgen.core import alert_templates

    doc = (ROOT / "docs" / "alert-templates.md").read_text(encoding="utf-8")
    ctx = alert_templates.TemplateContext("shop", ("shop-api",), {})
    assert sorted(DOC_EXAMPLES) == sorted(alert_templates.TEMPLATES)
    for name, template in alert_templates.TEMPLATES.items():
        section = doc.split(f"## `{name}`\n", 1)[1].split("\n## ", 1)[0]
        for param in template.params:
            assert f"| `{param.name}` | {param.kind}" in section, (name, param.name)
        expr = template.build(alert_templates.resolve_params(template, DOC_EXAMPLES[name]), ctx)
        assert f"```promql\n{expr}\n```" in section, name
        assert template.summary in section and template.description in section
