"""kubernetes/: the Deployment probe patch passes `kubernetes-validate --strict`, the Prometheus Operator
objects pass @kubernetes-models/prometheus-operator (tests/node/validate.mjs), the PrometheusRule and
the AlertmanagerConfig say what the rule file and alertmanager.yml say, no secret is inline, and
every file matches its reviewed snapshot."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from promgen.core import conventions
from promgen.derive import kubernetes as k8s
from promgen.derive.blackbox import module_of
from promgen.errors import OutputError
from promgen.load.loader import load_spec
from tests.support import (
    EXAMPLE_NAMES,
    ROOT,
    case_id,
    example_path,
    judge,
    node_packages,
    output_cases,
    plan_spec,
    rendered,
    snapshot_extension,
)

CASES = output_cases("kubernetes/")
OPERATOR_FILES = (
    conventions.KUBERNETES_SERVICE_MONITOR_FILE,
    conventions.KUBERNETES_PROMETHEUS_RULE_FILE,
    conventions.KUBERNETES_PROBE_FILE,
    conventions.KUBERNETES_ALERTMANAGER_CONFIG_FILE,
)
NODE_DIR = ROOT / "tests" / "node"
CRD_PACKAGE = NODE_DIR / "node_modules" / "@kubernetes-models" / "prometheus-operator"


def documents(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def one(example: str, path: str) -> dict[str, Any]:
    [doc] = documents(rendered(example)[path])
    return doc


def spec_of(example: str) -> Any:
    return load_spec(example_path(example)).spec


def render_spec(spec: dict[str, Any], tmp_path: Path, only: tuple[str, ...] = ("kubernetes",)) -> dict[str, str]:
    return plan_spec(spec, tmp_path, list(only))


# --- the judges --------------------------------------------------------------------------------


def crd_judge(files: list[Path]) -> subprocess.CompletedProcess[str]:
    """node tests/node/validate.mjs FILE...: the operator's API types, as @kubernetes-models ships them."""
    node = judge("node")
    node_packages(NODE_DIR)
    return subprocess.run([node, str(NODE_DIR / "validate.mjs"), *map(str, files)], capture_output=True, text=True,
                          timeout=120)


def kubernetes_validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([judge("kubernetes-validate"), "--strict", str(path)], capture_output=True, text=True,
                          timeout=120)


def strategic_merge(base: Any, patch: Any) -> Any:
    """The subset of Kubernetes' strategic merge the probe patch relies on: maps merge recursively,
    lists of named objects (containers) merge by `name`, anything else is replaced."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = strategic_merge(base[key], value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(patch, list) and all(isinstance(i, dict) and "name" in i for i in base + patch):
        merged_list = list(base)
        names = [item["name"] for item in base]
        for item in patch:
            if item["name"] in names:
                index = names.index(item["name"])
                merged_list[index] = strategic_merge(base[index], item)
            else:
                merged_list.append(item)
        return merged_list
    return patch


def minimal_deployment(patch: dict[str, Any]) -> dict[str, Any]:
    """The smallest complete Deployment the patch can apply to: its name, namespace and container."""
    container = patch["spec"]["template"]["spec"]["containers"][0]["name"]
    labels = {"app": patch["metadata"]["name"]}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": copy.deepcopy(patch["metadata"]),
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": container, "image": "registry.example.com/app:1.0"}]},
            },
        },
    }


PATCH_CASES = [case for case in CASES if case[1] == conventions.KUBERNETES_DEPLOYMENT_PATCH_FILE]
OPERATOR_CASES = [case for case in CASES if case[1] in OPERATOR_FILES]


def test_every_example_has_kubernetes_objects() -> None:
    assert {name for name, _ in PATCH_CASES} == set(EXAMPLE_NAMES)
    assert {name for name, path in OPERATOR_CASES if path == conventions.KUBERNETES_SERVICE_MONITOR_FILE} == set(
        EXAMPLE_NAMES)
    assert {path for _, path in CASES} <= {conventions.KUBERNETES_DEPLOYMENT_PATCH_FILE, *OPERATOR_FILES,
                                           conventions.KUBERNETES_DASHBOARDS_FILE}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_snapshot(case: tuple[str, str], snapshot) -> None:
    name, path = case
    assert rendered(name)[path] == snapshot(extension_class=snapshot_extension(path))


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_header_names_the_spec(case: tuple[str, str]) -> None:
    name, path = case
    target = {conventions.KUBERNETES_PROMETHEUS_RULE_FILE: " for Prometheus 3.5",
              conventions.KUBERNETES_ALERTMANAGER_CONFIG_FILE: " for Alertmanager 0.33"}.get(path, "")
    assert rendered(name)[path].startswith(f"# generated by promgen from examples/{name}/promgen.yaml{target}; do not edit\n")


@pytest.mark.judge
@pytest.mark.parametrize("case", PATCH_CASES, ids=case_id)
def test_deployment_patch_is_a_valid_deployment_once_applied(case: tuple[str, str], tmp_path: Path) -> None:
    """The patch is a partial object (no selector, no image), which kubernetes-validate rightly rejects
    on its own; merged into the smallest complete Deployment it must validate strictly -- unknown or
    misspelt fields and wrong types fail."""
    name, path = case
    patch = one(name, path)
    merged = strategic_merge(minimal_deployment(patch), patch)
    [container] = merged["spec"]["template"]["spec"]["containers"]
    assert container["image"] and "livenessProbe" in container
    target = tmp_path / "deployment.yaml"
    target.write_text(yaml.safe_dump(merged), encoding="utf-8")
    result = kubernetes_validate(target)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.judge
def test_kubernetes_validate_rejects_a_misspelt_probe_field(tmp_path: Path) -> None:
    """The strict judge can fail on exactly the part promgen writes."""
    patch = one("promptforge", conventions.KUBERNETES_DEPLOYMENT_PATCH_FILE)
    merged = strategic_merge(minimal_deployment(patch), patch)
    probe = merged["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]
    probe["periodSecond"] = probe.pop("periodSeconds")
    target = tmp_path / "deployment.yaml"
    target.write_text(yaml.safe_dump(merged), encoding="utf-8")
    result = kubernetes_validate(target)
    assert result.returncode != 0
    assert "periodSecond" in result.stdout + result.stderr


@pytest.mark.judge
@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_operator_objects_pass_the_crd_judge(example: str, tmp_path: Path) -> None:
    files = rendered(example)
    paths = []
    for path in OPERATOR_FILES:
        if path in files:
            target = tmp_path / Path(path).name
            target.write_text(files[path], encoding="utf-8")
            paths.append(target)
    result = crd_judge(paths)
    assert result.returncode == 0, result.stdout + result.stderr
    count = sum(len(documents(files[path])) for path in OPERATOR_FILES if path in files)
    assert f"{count} valid, 0 invalid" in result.stdout


@pytest.mark.judge
def test_crd_judge_rejects_bad_objects(tmp_path: Path) -> None:
    """The judge can fail: a malformed duration, a wrong enum and an unknown kind are each an error."""
    monitor = one("promptforge", conventions.KUBERNETES_SERVICE_MONITOR_FILE)
    monitor["spec"]["endpoints"][0]["interval"] = "15 seconds"
    config = one("promptforge", conventions.KUBERNETES_ALERTMANAGER_CONFIG_FILE)
    config["spec"]["route"]["routes"][0]["matchers"][0]["matchType"] = "=="
    unknown = {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitors", "metadata": {"name": "x"}}
    target = tmp_path / "bad.yaml"
    target.write_text(yaml.safe_dump_all([monitor, config, unknown]), encoding="utf-8")
    result = crd_judge([target])
    assert result.returncode == 1
    assert "0 valid, 3 invalid" in result.stdout
    assert "interval" in result.stdout and "matchType" in result.stdout and "unknown apiVersion/kind" in result.stdout


# --- the probe patch ---------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_patch_carries_the_spec_probes(example: str) -> None:
    spec = spec_of(example)
    patch = one(example, conventions.KUBERNETES_DEPLOYMENT_PATCH_FILE)
    assert patch["metadata"]["name"] == (spec.kubernetes.deployment or spec.service.name)
    [container] = patch["spec"]["template"]["spec"]["containers"]
    for kind in ("liveness", "readiness", "startup"):
        probe = getattr(spec.probes, kind)
        if probe is None:
            assert f"{kind}Probe" not in container
            continue
        written = container[f"{kind}Probe"]
        assert written["httpGet"] == {"path": probe.path, "port": probe.port or spec.probes.port,
                                      "scheme": spec.probes.scheme}
        assert written["initialDelaySeconds"] * 1000 == probe.initial_delay.ms
        assert written["periodSeconds"] * 1000 == probe.period.ms
        assert written["timeoutSeconds"] * 1000 == probe.timeout.ms
        assert (written["failureThreshold"], written["successThreshold"]) == (
            probe.failure_threshold, probe.success_threshold)


def test_startup_probe_own_port_and_names(tmp_path: Path) -> None:
    spec = {
        "version": 1,
        "service": {"name": "shop"},
        "severities": [{"name": "critical"}],
        "probes": {"port": 8080, "scheme": "HTTPS",
                   "startup": {"path": "/started", "port": 9000, "period": "5s", "failure_threshold": 30}},
        "kubernetes": {"namespace": "shop-prod", "deployment": "shop-web", "container": "web"},
    }
    text = render_spec(spec, tmp_path)[conventions.KUBERNETES_DEPLOYMENT_PATCH_FILE]
    assert "kubectl -n shop-prod patch deployment shop-web --patch-file deployment-patch.yaml" in text
    [patch] = documents(text)
    assert patch["metadata"] == {"name": "shop-web", "namespace": "shop-prod"}
    [container] = patch["spec"]["template"]["spec"]["containers"]
    assert container == {
        "name": "web",
        "startupProbe": {
            "httpGet": {"path": "/started", "port": 9000, "scheme": "HTTPS"},
            "initialDelaySeconds": 0, "periodSeconds": 5, "timeoutSeconds": 1,
            "failureThreshold": 30, "successThreshold": 1,
        },
    }


def test_no_http_probes_no_patch(tmp_path: Path) -> None:
    spec = {"version": 1, "service": {"name": "shop"}, "severities": [{"name": "critical"}]}
    assert set(render_spec(spec, tmp_path)) == {conventions.KUBERNETES_DASHBOARDS_FILE}  # only the overview's ConfigMap


def test_sub_second_probe_timing_is_a_spec_error(tmp_path: Path, promgen_cli) -> None:
    spec = tmp_path / "promgen.yaml"
    spec.write_text(
        "version: 1\nservice: {name: shop}\nseverities: [{name: critical}]\n"
        "probes:\n  liveness: {path: /live, period: 1500ms, success_threshold: 2}\n"
        "  readiness: {path: /ready, timeout: 0s}\n",
        encoding="utf-8",
    )
    result = promgen_cli("validate", str(spec))
    assert result.returncode == 1
    assert f"{spec}:5:35: period must be whole seconds" in result.stdout
    assert f"{spec}:5:62: a liveness probe's success_threshold must be 1" in result.stdout
    assert f"{spec}:6:38: timeout must be at least 1s" in result.stdout


def test_whole_seconds_guard_when_validation_is_bypassed() -> None:
    from promgen.load.units import Duration

    assert k8s.whole_seconds(Duration("2m"), "x") == 120
    with pytest.raises(OutputError, match="whole seconds"):
        k8s.whole_seconds(Duration("1500ms"), "probes.liveness.period")


# --- ServiceMonitor and Probe ------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_service_monitor_keeps_the_spec_jobs(example: str) -> None:
    """Every scrape target of the service itself (not an exporter's: those are no port of its Service)
    is an endpoint whose relabelings set the spec's job (the rules select on it); with several
    targets each endpoint keeps only the Services named like its hosts."""
    spec = spec_of(example)
    monitor = one(example, conventions.KUBERNETES_SERVICE_MONITOR_FILE)
    endpoints = monitor["spec"]["endpoints"]
    targets = [target for target in spec.scrape.targets if target.exporter is None]
    assert targets and len(targets) < len(spec.scrape.targets) or example not in ("pynomaly", "promethium")
    assert len(endpoints) == len(targets)
    for target, endpoint in zip(targets, endpoints):
        relabel = endpoint["relabelings"]
        assert {"targetLabel": "job", "replacement": target.job, "action": "replace"} in relabel
        keeps = [r for r in relabel if r["action"] == "keep"]
        if len(targets) > 1:
            hosts = {address.rsplit(":", 1)[0] for address in target.static}
            assert [k["sourceLabels"] for k in keeps] == [["__meta_kubernetes_service_name"]]
            assert set(keeps[0]["regex"].replace("\\.", ".").split("|")) == hosts
        else:
            assert keeps == []
        assert endpoint["path"] == target.path
        assert endpoint["port"] == spec.kubernetes.service_monitor.port
    expected = spec.kubernetes.service_monitor.selector or {"app.kubernetes.io/name": spec.service.name}
    assert monitor["spec"]["selector"] == {"matchLabels": expected}
    assert spec.kubernetes.service_monitor.labels.items() <= monitor["metadata"]["labels"].items()


def test_release_label_and_namespace() -> None:
    """pynomaly runs on kube-prometheus-stack, which selects operator objects by `release`."""
    files = rendered("pynomaly")
    for path in OPERATOR_FILES:
        for doc in documents(files[path]):
            assert doc["metadata"]["labels"]["release"] == "kube-prometheus-stack"
            assert doc["metadata"]["namespace"] == "pynomaly-production"


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_probes_cover_every_external_url(example: str) -> None:
    spec = spec_of(example)
    external = spec.probes.external_probes if spec.probes else []
    text = rendered(example).get(conventions.KUBERNETES_PROBE_FILE)
    if not external:
        assert text is None
        return
    probes = documents(text)
    written = [(p["spec"]["module"], url) for p in probes for url in p["spec"]["targets"]["staticConfig"]["static"]]
    assert sorted(written) == sorted((module_of(e)[0], e.url) for e in external)
    for probe in probes:
        assert probe["spec"]["jobName"] == f"{spec.service.name}-blackbox"
        assert probe["spec"]["prober"] == {"url": spec.kubernetes.blackbox_exporter, "scheme": "http",
                                           "path": "/probe"}


def test_one_probe_per_module(tmp_path: Path) -> None:
    spec = {
        "version": 1,
        "service": {"name": "shop"},
        "severities": [{"name": "critical"}],
        "probes": {"external": ["https://a.example.com", {"url": "https://b.example.com", "module": "http_post_2xx"},
                                {"url": "https://c.example.com", "module": "http_2xx"}]},
        "kubernetes": {"blackbox_exporter": "prober.monitoring.svc:9115"},
    }
    probes = documents(render_spec(spec, tmp_path)[conventions.KUBERNETES_PROBE_FILE])
    assert [(p["metadata"]["name"], p["spec"]["module"], p["spec"]["targets"]["staticConfig"]["static"])
            for p in probes] == [
        ("shop-http-2xx", "http_2xx", ["https://a.example.com", "https://c.example.com"]),
        ("shop-http-post-2xx", "http_post_2xx", ["https://b.example.com"]),
    ]
    assert {p["spec"]["prober"]["url"] for p in probes} == {"prober.monitoring.svc:9115"}


# --- PrometheusRule: the rule file's groups ----------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_prometheus_rule_carries_every_group_of_the_rule_files(example: str) -> None:
    files = rendered(example)
    groups = [group for path, text in files.items()
              if path.startswith(conventions.rules_dir(example) + "/") for group in yaml.safe_load(text)["groups"]]
    rule = one(example, conventions.KUBERNETES_PROMETHEUS_RULE_FILE)
    by_name = lambda found: sorted(found, key=lambda group: group["name"])  # noqa: E731
    assert by_name(rule["spec"]["groups"]) == by_name(groups)
    assert rule["spec"]["groups"]


# --- AlertmanagerConfig: alertmanager.yml's routing --------------------------------------------

# CRD field -> alertmanager.yml field, to read the AlertmanagerConfig back.
ROUTE_BACK = {crd: am for am, crd in k8s._ROUTE_FIELDS.items()}


def route_back(route: dict[str, Any]) -> dict[str, Any]:
    from promgen.derive.alertmanager.matchers import Matcher

    result: dict[str, Any] = {}
    for key, value in route.items():
        if key == "matchers":
            value = [str(Matcher(m["name"], m["matchType"], m["value"])) for m in value]
        elif key == "routes":
            value = [route_back(child) for child in value]
        result[ROUTE_BACK[key]] = value
    return result


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_alertmanager_config_routes_as_alertmanager_yml(example: str) -> None:
    """Read back into alertmanager.yml's spelling, the CRD's route tree, inhibit rules and time
    intervals equal the file's: same routing in the cluster as in the stack."""
    files = rendered(example)
    am = yaml.safe_load(files[conventions.ALERTMANAGER_FILE])
    crd = one(example, conventions.KUBERNETES_ALERTMANAGER_CONFIG_FILE)["spec"]
    assert route_back(crd["route"]) == am["route"]
    assert [r["name"] for r in crd["receivers"]] == [r["name"] for r in am["receivers"]]
    for crd_receiver, am_receiver in zip(crd["receivers"], am["receivers"]):
        kinds = sorted(k8s._RECEIVER_KINDS[k] for k in am_receiver if k != "name")
        assert sorted(k for k in crd_receiver if k != "name") == kinds
    inhibit = [
        {
            "source_matchers": route_back({"matchers": r["sourceMatch"]})["matchers"],
            "target_matchers": route_back({"matchers": r["targetMatch"]})["matchers"],
            "equal": r["equal"],
        }
        for r in crd.get("inhibitRules", [])
    ]
    assert inhibit == am.get("inhibit_rules", [])
    names = [t["name"] for t in crd.get("muteTimeIntervals", [])]
    assert names == [t["name"] for t in am.get("time_intervals", [])]


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_alertmanager_config_has_no_secret_and_names_its_keys(example: str) -> None:
    text = rendered(example)[conventions.KUBERNETES_ALERTMANAGER_CONFIG_FILE]
    crd = one(example, conventions.KUBERNETES_ALERTMANAGER_CONFIG_FILE)
    data = yaml.safe_dump(crd)
    assert "_file" not in data and "/etc/" not in data

    def selectors(node: Any) -> list[dict[str, str]]:
        if isinstance(node, dict):
            if set(node) == {"name", "key"}:
                return [node]
            return [s for value in node.values() for s in selectors(value)]
        if isinstance(node, list):
            return [s for item in node for s in selectors(item)]
        return []

    found = selectors(crd["spec"])
    assert found, "every example has a channel with a secret"
    assert {s["name"] for s in found} == {f"{example}-alertmanager"}
    keys = sorted({s["key"] for s in found})
    assert f"#   {', '.join(keys)}\n" in text  # the header lists exactly the keys to create
    for key in keys:
        assert key in {conventions.secret_key(path) for path in _secret_paths(example)}


def _secret_paths(example: str) -> list[str]:
    spec = spec_of(example)
    paths = [v for c in spec.channels for k, v in c.model_dump().items() if k.endswith("_file") and v]
    if spec.alertmanager.smtp and spec.alertmanager.smtp.auth_password_file:
        paths.append(spec.alertmanager.smtp.auth_password_file)
    return paths


def test_time_zone_is_a_caveat_not_silently_dropped() -> None:
    text = rendered("automation-orchestrator")[conventions.KUBERNETES_ALERTMANAGER_CONFIG_FILE]
    assert "# Note: time interval business-hours: the CRD has no time zone, so its times are UTC here" in text


@pytest.mark.judge
def test_every_channel_type_translates_and_validates(tmp_path: Path) -> None:
    from tests.derive.alertmanager.test_alertmanager import every_channel_spec

    spec = every_channel_spec()
    spec["kubernetes"] = {"namespace": "shop", "alertmanager_secret": "shop-notify"}
    files = render_spec(spec, tmp_path, ("alertmanager", "kubernetes"))
    [crd] = documents(files[conventions.KUBERNETES_ALERTMANAGER_CONFIG_FILE])
    receivers = {r["name"]: r for r in crd["spec"]["receivers"]}
    assert receivers["chat"]["slackConfigs"][0]["apiURL"] == {"name": "shop-notify", "key": "slack"}
    assert receivers["pager-v1"]["pagerdutyConfigs"][0]["serviceKey"] == {"name": "shop-notify", "key": "pd-v1"}
    assert receivers["genie"]["opsgenieConfigs"][0]["apiKey"] == {"name": "shop-notify", "key": "genie"}
    assert receivers["room"]["webexConfigs"][0]["httpConfig"]["authorization"] == {
        "type": "Bearer", "credentials": {"name": "shop-notify", "key": "webex"}}
    assert receivers["hook"]["webhookConfigs"][0]["httpConfig"]["authorization"]["credentials"]["key"] == "hook"
    email = receivers["mail"]["emailConfigs"][0]
    assert (email["smarthost"], email["authPassword"]) == ("smtp.example.com:587", {"name": "shop-notify", "key": "smtp"})
    assert email["from"] == "shop@example.com"  # the channel's own sender wins over the global one
    target = tmp_path / "alertmanagerconfig.yaml"
    target.write_text(files[conventions.KUBERNETES_ALERTMANAGER_CONFIG_FILE], encoding="utf-8")
    result = crd_judge([target])
    assert result.returncode == 0, result.stdout + result.stderr


def test_channel_types_newer_than_the_floor_translate_and_validate(tmp_path: Path) -> None:
    from tests.derive.alertmanager.test_alertmanager import newer_channels_spec

    spec = newer_channels_spec()
    spec["kubernetes"] = {"namespace": "shop", "alertmanager_secret": "shop-notify"}
    files = render_spec(spec, tmp_path, ("alertmanager", "kubernetes"))
    text = files[conventions.KUBERNETES_ALERTMANAGER_CONFIG_FILE]
    [crd] = documents(text)
    receivers = {r["name"]: r for r in crd["spec"]["receivers"]}
    ref = lambda key: {"name": "shop-notify", "key": key}  # noqa: E731
    assert receivers["teams"]["msteamsConfigs"][0]["webhookUrl"] == ref("teams")
    assert receivers["teams-flow"]["msteamsv2Configs"][0]["webhookURL"] == ref("teams-flow")
    assert receivers["discord"]["discordConfigs"][0]["apiURL"] == ref("discord")
    assert receivers["telegram"]["telegramConfigs"][0]["botToken"] == ref("telegram")
    assert receivers["telegram"]["telegramConfigs"][0]["chatID"] == -1001234567890
    assert receivers["hook-file"]["webhookConfigs"][0]["urlSecret"] == ref("hook-url")
    assert receivers["rocket"]["rocketchatConfigs"][0]["token"] == ref("rc")
    assert receivers["jira"] == {"name": "jira"}, "the CRD has no Jira integration: the receiver stays, empty"
    assert "# Note: receiver jira: the CRD has no Jira integration" in text
    target = tmp_path / "alertmanagerconfig.yaml"
    target.write_text(text, encoding="utf-8")
    result = crd_judge([target])
    assert result.returncode == 0, result.stdout + result.stderr


def test_untranslatable_fields_fail_loudly() -> None:
    """A field alertmanager.yml gains and the translation does not know must not vanish silently."""
    with pytest.raises(OutputError, match="route field 'mute_after'"):
        k8s.crd_route({"receiver": "x", "mute_after": "1h"})
    with pytest.raises(OutputError, match="time interval field 'hours'"):
        k8s.crd_time_interval({"hours": ["9"]})


def test_no_channels_no_alertmanager_config(tmp_path: Path) -> None:
    spec = {"version": 1, "service": {"name": "shop"}, "severities": [{"name": "critical"}],
            "scrape": {"targets": [{"job": "shop", "static": ["shop:80"]}]}}
    assert conventions.KUBERNETES_ALERTMANAGER_CONFIG_FILE not in render_spec(spec, tmp_path)


# --- Grafana dashboards as ConfigMaps ------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_every_dashboard_is_a_config_map_holding_its_json_unchanged(example: str) -> None:
    files = rendered(example)
    dashboards = {path: text for path, text in files.items() if path.startswith("grafana/dashboards/")}
    maps = documents(files[conventions.KUBERNETES_DASHBOARDS_FILE])
    assert len(maps) == len(dashboards)
    held = {key: text for obj in maps for key, text in obj["data"].items()}
    assert held == {path.rsplit("/", 1)[1]: text for path, text in dashboards.items()}
    for obj in maps:
        assert obj["kind"] == "ConfigMap" and obj["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert obj["metadata"]["annotations"] == {"grafana_folder": example}
        assert obj["metadata"]["name"].startswith("grafana-dashboard-") and len(obj["metadata"]["name"]) <= 253


def test_sidecar_label_folder_and_opting_out(tmp_path: Path) -> None:
    spec = {"version": 1, "service": {"name": "shop"}, "severities": [{"name": "critical"}],
            "scrape": {"targets": [{"job": "shop", "static": ["shop:8000"]}]},
            "kubernetes": {"namespace": "shop", "dashboards": {"labels": {"dashboards": "team-shop"},
                                                               "folder_annotation": "k8s-sidecar-target-directory",
                                                               "folder": "Shop"}}}
    [obj] = documents(render_spec(spec, tmp_path)[conventions.KUBERNETES_DASHBOARDS_FILE])
    assert obj["metadata"]["namespace"] == "shop"
    assert obj["metadata"]["labels"]["dashboards"] == "team-shop" and "grafana_dashboard" not in obj["metadata"]["labels"]
    assert obj["metadata"]["annotations"] == {"k8s-sidecar-target-directory": "Shop"}
    spec["kubernetes"]["dashboards"] = {"enabled": False}
    (tmp_path / "off").mkdir()
    assert conventions.KUBERNETES_DASHBOARDS_FILE not in render_spec(spec, tmp_path / "off")


def test_a_dashboard_over_a_config_maps_limit_is_left_out_with_a_note(tmp_path: Path) -> None:
    from promgen.cli.render import produce

    # a spec well under its own 1 MiB limit whose dashboard is not: every panel is a few KiB of JSON
    panels = [{"title": f"Panel {i}", "expr": f'sum(up{{job=~"{"a" * 200}{i}"}})'} for i in range(700)]
    spec = {"version": 1, "service": {"name": "shop"}, "severities": [{"name": "critical"}],
            "scrape": {"targets": [{"job": "shop", "static": ["shop:8000"]}]},
            "dashboards": {"generate": ["overview"], "custom": [{"title": "Huge", "panels": panels}]}}
    path = tmp_path / "promgen.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    _stack, produced, _warnings = produce([path], ["kubernetes"], None)
    maps = documents(produced["kubernetes"].files[conventions.KUBERNETES_DASHBOARDS_FILE])
    assert [obj["metadata"]["name"] for obj in maps] == ["grafana-dashboard-shop-overview"]
    [note] = [n for n in produced["kubernetes"].notes if "shop-huge" in n]
    assert "over the 1 MiB the API server accepts: not written" in note


@pytest.mark.judge
def test_kubernetes_validate_accepts_the_fleet_dashboard_config_map(tmp_path: Path) -> None:
    from promgen.cli.render import plan

    files = plan([ROOT / "examples" / "platform"])
    [obj] = documents(files[conventions.KUBERNETES_FLEET_DASHBOARD_FILE])
    assert obj["metadata"]["labels"]["app.kubernetes.io/name"] == conventions.FLEET_DASHBOARD_UID
    assert obj["metadata"]["annotations"]["grafana_folder"] == conventions.FLEET_GRAFANA_FOLDER
    target = tmp_path / "fleet.yaml"
    target.write_text(files[conventions.KUBERNETES_FLEET_DASHBOARD_FILE], encoding="utf-8")
    result = kubernetes_validate(target)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.judge
@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_kubernetes_validate_accepts_every_dashboard_config_map(example: str, tmp_path: Path) -> None:
    target = tmp_path / "grafana-dashboards.yaml"
    target.write_text(rendered(example)[conventions.KUBERNETES_DASHBOARDS_FILE], encoding="utf-8")
    result = kubernetes_validate(target)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = rendered(example)[conventions.KUBERNETES_DASHBOARDS_FILE].replace("\ndata:\n", "\ndatas:\n", 1)
    target.write_text(broken, encoding="utf-8")
    assert kubernetes_validate(target).returncode != 0  # the judge reads ConfigMaps strictly
