"""examples/platform/: a base shared through `extends` and the five seed services as ONE stack.

Snapshots of every file of the merged stack, and every judge on it: promtool (check config, check
rules --lint-fatal, test rules) and amtool check-config at the oldest and newest releases, `amtool
config routes test` against `promgen routes` for every service and severity, kubernetes-validate and
the operator's CRD models, docker-compose, and the dashboard judge.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from promgen.cli.render import load_stack, plan
from promgen.cli.routes import answer, parse_labels
from promgen.core import conventions
from promgen.derive.alertmanager import config as alertmanager_config
from promgen.derive.alertmanager import matchers
from promgen.judge import dashboards
from tests.support import (
    EXAMPLE_NAMES,
    FLOOR_VERSIONS,
    RELEASES,
    ROOT,
    example_path,
    judge,
    prometheus_judgements,
    snapshot_extension,
    write_tree,
)

PLATFORM = Path("examples") / "platform"  # as given on the command line, from ROOT
SERVICES = sorted(p.stem for p in (ROOT / PLATFORM).glob("*.yaml") if "service" in yaml.safe_load(p.read_text()))
BASES = ("org.yaml", "base.yaml")


@lru_cache(maxsize=None)
def platform_copy(release: str) -> Path:
    """The platform directory as a judge release reads it: as it is (newest), or a copy whose org.yaml
    pins `versions` to the floor (oldest) -- every service inherits it."""
    if release == "newest":
        return ROOT / PLATFORM
    import tempfile

    copy = Path(tempfile.mkdtemp(prefix="promgen-platform-oldest-")) / "platform"
    shutil.copytree(ROOT / PLATFORM, copy)
    org = copy / "org.yaml"
    org.write_text(org.read_text(encoding="utf-8") + f"\nversions: {yaml.safe_dump(FLOOR_VERSIONS, default_flow_style=True).strip()}\n",
                   encoding="utf-8")
    return copy


@lru_cache(maxsize=None)
def platform_files(release: str = "newest") -> dict[str, str]:
    if release == "oldest":
        return plan(platform_copy(release))
    cwd = os.getcwd()
    os.chdir(ROOT)  # headers name the directory as given: examples/platform
    try:
        return plan(PLATFORM)
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="module", params=RELEASES)
def platform_tree(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    release = request.param
    return release, write_tree(platform_files(release), tmp_path_factory.mktemp(f"platform-{release}"))


def test_platform_holds_the_five_seed_services_and_its_bases() -> None:
    assert SERVICES == sorted(EXAMPLE_NAMES)
    for base in BASES:
        assert "service" not in yaml.safe_load((ROOT / PLATFORM / base).read_text(encoding="utf-8"))


def _statements(path: Path) -> int:
    """Lines that say something: no comments, no blank lines."""
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.lstrip().startswith("#"))


@pytest.mark.parametrize("service", SERVICES)
def test_platform_service_is_smaller_than_its_seed_spec(service: str) -> None:
    """The ladder, channels, SMTP server and stack live in the bases: a service spec says less."""
    platform, seed = _statements(ROOT / PLATFORM / f"{service}.yaml"), _statements(example_path(service))
    assert platform < seed, f"{service}: {platform} lines on the platform, {seed} alone"


@pytest.mark.parametrize("service", SERVICES)
def test_platform_service_says_what_its_example_says(service: str) -> None:
    """The platform is the same five services: the same alerts at the same severities, the same log
    alerts, SLOs and dashboard panels as each example (only the plumbing moves to the bases)."""
    from promgen.load.inputs import load_all

    [(_path, alone)], _ = load_all([example_path(service)])
    [(_path, shared)], _ = load_all([ROOT / PLATFORM / f"{service}.yaml"])

    def said(spec: Any) -> dict[str, set[Any]]:
        return {
            "alerts": {(a.name, a.severity) for a in spec.alerts},
            "log alerts": {a.name for a in spec.log_alerts},
            "SLOs": {(s.name, s.objective) for s in spec.slos},
            "panels": {(d.title, p.title) for d in spec.dashboards.custom for p in d.panels},
        }

    assert said(shared.spec) == said(alone.spec)


@pytest.mark.parametrize("path", sorted(platform_files()), ids=lambda p: p.rsplit(".", 1)[0].replace("/", "__"))
def test_platform_snapshot(path: str, snapshot: Any) -> None:
    assert platform_files()[path] == snapshot(extension_class=snapshot_extension(path))


def test_rendering_twice_is_byte_identical() -> None:
    platform_files.cache_clear()
    first = platform_files()
    platform_files.cache_clear()
    assert platform_files() == first


# --- one stack ---------------------------------------------------------------------------------


def test_one_prometheus_scrapes_every_service_and_loads_its_rules() -> None:
    stack, _ = load_stack(ROOT / PLATFORM)
    config = yaml.safe_load(platform_files()[conventions.PROMETHEUS_CONFIG_FILE])
    jobs = [job["job_name"] for job in config["scrape_configs"]]
    assert len(jobs) == len(set(jobs))
    for model in stack.services:
        assert set(model.jobs) <= set(jobs), model.service
    files = platform_files()
    loaded = [f"prometheus/{name}" for name in config["rule_files"]]
    assert loaded == sorted(loaded, key=lambda path: SERVICES.index(path.split("/")[2]))  # service by service
    assert set(loaded) == {path for path in files if path.endswith(".rules.yml") and path.startswith("prometheus/rules/")}
    for name in SERVICES:
        assert any(path.startswith(f"{conventions.rules_dir(name)}/") for path in platform_files())
        assert any(path.startswith(f"{conventions.TESTS_DIR}/{name}/") for path in platform_files())


def test_alertmanager_routes_each_service_on_its_own_route() -> None:
    config = yaml.safe_load(platform_files()[conventions.ALERTMANAGER_FILE])
    services = [route["matchers"] for route in config["route"]["routes"]]
    assert services == [[f'service="{name}"'] for name in SERVICES]
    names = [receiver["name"] for receiver in config["receivers"]]
    assert len(names) == len(set(names))  # a channel shared through the base is one receiver
    assert "pagerduty-oncall" in names and "slack-alerts" in names
    assert all("service" in rule["equal"] for rule in config["inhibit_rules"])
    assert sorted(i["name"] for i in config["time_intervals"]) == [
        "berlin-business-hours", "business-hours", "new-york-business-hours"]


def test_service_overrides_replace_base_entries_in_place() -> None:
    """promethium re-points `critical` and `warning`; the ladder keeps the base's order and levels."""
    stack, _ = load_stack(ROOT / PLATFORM)
    by_name = {model.service: model for model in stack.services}
    promethium = by_name["promethium"].spec
    assert [s.name for s in promethium.severities] == ["critical", "warning", "info", "low"]
    assert promethium.severities[0].notify == ["pagerduty-oncall", "slack-promethium"]
    assert promethium.severities[2].notify == ["slack-alerts"]  # inherited as the base has it
    promptforge = by_name["promptforge"].spec
    assert promptforge.severities[0].notify == ["pagerduty-oncall", "slack-incidents"]
    assert promptforge.severities[2].notify == ["email-promptforge-oncall"]
    assert promptforge.alertmanager.smtp is not None and promptforge.alertmanager.smtp.smarthost == "smtp.example.com:587"
    assert by_name["automation-orchestrator"].spec.scrape.interval.text == "30s"  # the service wins


def test_fleet_dashboard_lists_every_slo_and_the_firing_alerts() -> None:
    board_path = conventions.dashboard_file(conventions.FLEET_DASHBOARD_UID, conventions.FLEET_DASHBOARD_FOLDER)
    import json

    board = json.loads(platform_files()[board_path])
    panels = {panel["title"]: panel for panel in board["panels"]}
    table = panels["Every SLO"]
    exprs = [target["expr"] for target in table["targets"]]
    matcher = f'service=~"{"|".join(SERVICES)}"'
    assert exprs[0] == f"slo:objective:ratio{{{matcher}}}"
    assert exprs[2] == f"slo:error_budget_remaining:ratio{{{matcher}}}"
    assert "slo:sli_error:ratio_rate1h" in exprs[3]  # every platform SLO has a 30d window: a 1h fast burn
    organize = table["transformations"][1]["options"]["renameByName"]
    assert set(organize.values()) == {"objective", "SLI", "budget remaining", "burn rate"}
    assert "count by (service, severity)" in panels["Firing alerts by service and severity"]["targets"][0]["expr"]
    providers = yaml.safe_load(platform_files()[conventions.GRAFANA_DASHBOARD_PROVIDER_FILE])["providers"]
    assert [p["folder"] for p in providers] == [*SERVICES, conventions.FLEET_GRAFANA_FOLDER]
    for path in platform_files():
        if path.startswith(conventions.GRAFANA_DASHBOARDS_DIR):
            folder = path.split("/")[2]
            assert folder in (*SERVICES, conventions.FLEET_DASHBOARD_FOLDER)


def test_every_dashboard_passes_the_dashboard_judge() -> None:
    import json

    for path, text in platform_files().items():
        if path.endswith(".json"):
            assert dashboards.judge(json.loads(text)) == [], path


def test_kubernetes_objects_per_service_in_their_namespace() -> None:
    files = platform_files()
    for name in SERVICES:
        assert f"kubernetes/{name}/prometheusrule.yaml" in files
    rule = yaml.safe_load(files["kubernetes/pynomaly/prometheusrule.yaml"])
    assert rule["metadata"]["namespace"] == "pynomaly-production"


# --- the judges --------------------------------------------------------------------------------


@pytest.mark.judge
def test_promtool_and_amtool_accept_the_stack(platform_tree: tuple[str, Path]) -> None:
    release, tree = platform_tree
    assert prometheus_judgements([tree], release) == {}


def _label_sets() -> list[tuple[str, list[str]]]:
    stack, _ = load_stack(ROOT / PLATFORM)
    cases: list[tuple[str, list[str]]] = []
    for model in stack.services:
        base = [f"service={model.service}", "alertname=HighErrorRate"]
        for severity in model.spec.severities:
            for name in (severity.name, *severity.aliases):
                cases.append((model.service, [*base, f"severity={name}"]))
        cases.append((model.service, base))
        for route in model.spec.alertmanager.routes:
            extra = [f"{m.name}={m.value}" for m in map(matchers.parse_matcher, route.matchers) if m.op == "="]
            cases.append((model.service, [*base, *extra, "severity=warning"]))
    cases.append(("-", ["alertname=FromElsewhere", "severity=critical"]))  # no service label: the root
    return cases


@pytest.mark.judge
def test_promgen_routes_agrees_with_amtool_for_every_service_and_severity(platform_tree: tuple[str, Path]) -> None:
    release, tree = platform_tree
    stack, _ = load_stack(platform_copy(release))
    root = alertmanager_config.stack_route_tree(stack)
    amtool = judge("amtool", release)
    config = tree / conventions.ALERTMANAGER_FILE
    disagreements = []
    for _service, labels in _label_sets():
        done = subprocess.run([amtool, "config", "routes", "test", f"--config.file={config}", *labels],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        theirs = done.stdout.strip().splitlines()[-1].strip().split(",")
        ours = answer(root, parse_labels(labels), tree=False)
        if ours != theirs:
            disagreements.append(f"{' '.join(labels)}: promgen {ours}, amtool {theirs}")
    assert disagreements == []


def test_routes_cli_takes_the_directory_and_labels(promgen_cli) -> None:
    result = promgen_cli("routes", str(PLATFORM), "service=promethium", "severity=critical")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["pagerduty-oncall", "slack-promethium"]
    other = promgen_cli("routes", str(PLATFORM), "service=promptforge", "severity=critical")
    assert other.stdout.splitlines() == ["pagerduty-oncall", "slack-incidents"]


@pytest.mark.judge
def test_kubernetes_judges_accept_every_object(tmp_path: Path) -> None:
    from tests.derive.test_kubernetes import crd_judge, kubernetes_validate

    tree = write_tree({p: t for p, t in platform_files().items() if p.startswith("kubernetes/")}, tmp_path)
    paths = sorted(tree.rglob("*.yaml"))
    for path in paths:
        if path.name != "deployment-patch.yaml":
            result = kubernetes_validate(path)
            assert result.returncode == 0, f"{path}: {result.stdout}{result.stderr}"
    # the operator's objects; the dashboards' ConfigMaps are core objects, kubernetes-validate's alone
    crds = [p for p in paths if p.name not in ("deployment-patch.yaml", "grafana-dashboards.yaml",
                                               "grafana-fleet-dashboard.yaml")]
    assert any(p.name == "grafana-fleet-dashboard.yaml" for p in paths)
    result = crd_judge(crds)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.judge
def test_docker_compose_accepts_the_stack(tmp_path: Path) -> None:
    tree = write_tree(platform_files(), tmp_path)
    result = subprocess.run([judge("docker-compose"), "-f", str(tree / conventions.COMPOSE_FILE), "config", "-q"],
                            capture_output=True, text=True, timeout=120, cwd=tree)
    assert result.returncode == 0, result.stderr
    compose = yaml.safe_load(platform_files()[conventions.COMPOSE_FILE])
    assert {"prometheus", "alertmanager", "grafana", "loki", "jaeger", "node-exporter", "blackbox-exporter"} <= set(
        compose["services"])
    local = yaml.safe_load(platform_files()[conventions.COMPOSE_PROMETHEUS_FILE])
    local_jobs = [job["job_name"] for job in local["scrape_configs"]]
    assert local_jobs.count(conventions.NODE_EXPORTER_JOB) == 1
    assert "remote_write" not in local


@pytest.mark.judge
@pytest.mark.parametrize("release", RELEASES)
def test_compose_prometheus_config_passes_promtool(release: str, tmp_path: Path) -> None:
    tree = write_tree(platform_files(release), tmp_path)
    # compose/prometheus.yml reads its rule files where the container mounts them: beside it
    shutil.copytree(tree / conventions.RULES_DIR, tree / "compose" / "rules")
    result = subprocess.run([judge("promtool", release), "check", "config", str(tree / conventions.COMPOSE_PROMETHEUS_FILE)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_base_named_alone_stands_for_the_specs_that_extend_it(promgen_cli, tmp_path: Path) -> None:
    """pre-commit passes a changed base on its own: validate and render check the specs built on it
    (org.yaml through base.yaml: all five), not a spec with no `service`."""
    result = promgen_cli("validate", "examples/platform/org.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(line.split(":")[0] for line in result.stdout.splitlines() if ": ok (" in line) == [
        f"examples/platform/{name}.yaml" for name in sorted(SERVICES)]
    rendered_base = promgen_cli("render", "examples/platform/org.yaml", "-o", str(tmp_path / "out"), "-q")
    assert rendered_base.returncode == 0, rendered_base.stderr
    assert sorted(p.name for p in (tmp_path / "out" / "runbooks").iterdir()) == sorted(SERVICES)
    lonely = tmp_path / "lonely.yaml"
    lonely.write_text("version: 1\nseverities: [{name: critical}]\n", encoding="utf-8")
    alone = promgen_cli("validate", str(lonely))
    assert alone.returncode == 1 and "Traceback" not in alone.stderr
    assert "lonely.yaml:1:1: spec: missing required field `service`" in alone.stdout  # nothing extends it: a spec
