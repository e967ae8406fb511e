"""docker-compose.yml and the compose-only configs: `docker-compose config -q` and `check-jsonschema
--builtin-schema vendor.compose-spec` accept every example; every mounted file is rendered and
read-only; laid out as the containers see them, the mounted configs pass the real tools (promtool,
amtool, the blackbox exporter); the stack's Prometheus scrapes stack.target_host; images are pinned,
services health-checked, no secret is in any file; snapshots; byte-for-byte determinism."""

from __future__ import annotations

import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import yaml

from promgen.core import conventions
from promgen.derive.compose import local, services
from promgen.derive.compose import settings as compose_settings
from promgen.derive.compose import stack as compose_stack
from promgen.errors import SpecError
from promgen.load.loader import load_spec
from tests.support import (
    EXAMPLE_NAMES,
    case_id,
    example_path,
    judge,
    output_cases,
    plan_spec,
    render_in_fresh_process,
    rendered,
    snapshot_extension,
    write_tree,
)

COMPOSE_FILE = conventions.COMPOSE_FILE
CASES = output_cases(COMPOSE_FILE) + output_cases("compose/") + output_cases(f"{conventions.SECRETS_DIR}/")


def stack(example: str) -> dict[str, Any]:
    return yaml.safe_load(rendered(example)[COMPOSE_FILE])


def spec_of(example: str) -> Any:
    return load_spec(example_path(example)).spec


def minimal_spec(**extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "version": 1,
        "service": {"name": "shop"},
        "scrape": {"targets": [{"job": "shop-api", "static": ["api:8000"]}, {"job": "shop-worker",
                                                                             "static": ["worker:8001"]}]},
        "alerts": [{"name": "ShopDown", "expr": 'up{job="shop-api"} == 0', "for": "1m", "severity": "critical",
                    "summary": "The shop is down."}],
        "severities": [{"name": "critical"}],
    }
    spec.update(extra)
    return spec


def render_spec(spec: dict[str, Any], tmp_path: Path) -> dict[str, str]:
    return plan_spec(spec, tmp_path)


def bind_mounts(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(host path, container path, mode) of every bind mount (named volumes left out)."""
    mounts = []
    for volume in service.get("volumes", []):
        source, target, *mode = volume.split(":")
        if source.startswith(("./", "/")):
            mounts.append((source, target, mode[0] if mode else "rw"))
    return mounts


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=120, cwd=cwd)


# --- the judges --------------------------------------------------------------------------------


def test_every_example_has_a_stack() -> None:
    assert {name for name, path in CASES if path == COMPOSE_FILE} == set(EXAMPLE_NAMES)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_snapshot(case: tuple[str, str], snapshot) -> None:
    name, path = case
    assert rendered(name)[path] == snapshot(extension_class=snapshot_extension(path))


@pytest.mark.judge
@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_docker_compose_accepts_every_example(example: str, tmp_path: Path) -> None:
    write_tree(rendered(example), tmp_path)
    result = run(judge("docker-compose"), "-f", str(tmp_path / COMPOSE_FILE), "config", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.judge
@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_compose_spec_schema_accepts_every_example(example: str, tmp_path: Path) -> None:
    write_tree(rendered(example), tmp_path)
    result = run(judge("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(tmp_path / COMPOSE_FILE))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.judge
def test_both_judges_reject_a_broken_stack(tmp_path: Path) -> None:
    """The judges can fail: a misspelt service key and a healthcheck that is not a list or string."""
    broken = stack("promptforge")
    broken["services"]["prometheus"]["helthcheck"] = broken["services"]["prometheus"].pop("healthcheck")
    broken["services"]["grafana"]["healthcheck"]["test"] = {"cmd": "wget"}
    path = tmp_path / COMPOSE_FILE
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    compose_result = run(judge("docker-compose"), "-f", str(path), "config", "-q", cwd=tmp_path)
    assert compose_result.returncode != 0
    assert "helthcheck" in compose_result.stderr
    schema_result = run(judge("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path))
    assert schema_result.returncode != 0
    assert "helthcheck" in schema_result.stdout


# --- mounts: rendered, read-only, and wired as the containers expect ---------------------------


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_every_mounted_file_is_rendered_and_read_only(example: str) -> None:
    files = rendered(example)
    for name, service in stack(example)["services"].items():
        for source, target, mode in bind_mounts(service):
            if source.startswith("/"):  # the node exporter reads the host; Alloy asks the Docker socket
                assert name in ("node-exporter", "alloy"), (name, source)
                assert mode.startswith("ro")
                continue
            rel = source.removeprefix("./")
            assert rel in files or any(path.startswith(rel + "/") for path in files), (name, source)
            assert mode == "ro", (name, source)


def container_root(example: str, service: str, into: Path) -> Path:
    """The service's files as its container sees them: every bind mount copied to its target path."""
    files = rendered(example)
    root = into / service
    for source, target, _ in bind_mounts(stack(example)["services"][service]):
        rel = source.removeprefix("./")
        for path, text in files.items():
            if path == rel or path.startswith(rel + "/"):
                destination = root / (target.lstrip("/") + path[len(rel):])
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_text(text, encoding="utf-8")
    return root


@pytest.mark.judge
@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_prometheus_container_config_and_rules_pass_promtool(example: str, tmp_path: Path) -> None:
    root = container_root(example, "prometheus", tmp_path)
    config = root / "etc/prometheus/prometheus.yml"
    result = run(judge("promtool"), "check", "config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    rules = sorted((root / "etc/prometheus/rules").rglob("*.rules.yml"))
    assert rules, "the rule files are mounted where prometheus.yml's rule_files glob finds them"
    assert f"SUCCESS: {len(rules)} rule files found" in result.stdout


@pytest.mark.judge
@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_alertmanager_container_config_passes_amtool(example: str, tmp_path: Path) -> None:
    root = container_root(example, "alertmanager", tmp_path)
    result = run(judge("amtool"), "check-config", str(root / "etc/alertmanager/alertmanager.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.judge
@pytest.mark.parametrize("example", [e for e in EXAMPLE_NAMES if conventions.BLACKBOX_CONFIG_FILE in rendered(e)])
def test_blackbox_container_config_passes_the_exporter(example: str, tmp_path: Path) -> None:
    root = container_root(example, "blackbox-exporter", tmp_path)
    result = run(judge("prometheus-blackbox-exporter"), "--config.check",
                  f"--config.file={root / services.BLACKBOX_CONFIG.lstrip('/')}")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_grafana_container_finds_its_provisioning_and_dashboards(example: str, tmp_path: Path) -> None:
    root = container_root(example, "grafana", tmp_path)
    provisioning = root / services.GRAFANA_PROVISIONING_DIR.lstrip("/")
    [provider] = yaml.safe_load((provisioning / "dashboards/promgen.yml").read_text())["providers"]
    dashboards = root / provider["options"]["path"].lstrip("/")
    expected = [p for p in rendered(example) if p.startswith(conventions.GRAFANA_DASHBOARDS_DIR + "/")]
    assert len(list(dashboards.glob("*.json"))) == len(expected) > 0
    sources = yaml.safe_load((provisioning / "datasources/promgen.yml").read_text())["datasources"]
    assert {s["url"] for s in sources} == {"http://prometheus:9090", "http://alertmanager:9093"}
    assert {"prometheus", "alertmanager"} <= set(stack(example)["services"])


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_secrets_directory_is_mounted_where_the_configs_read_secrets(example: str) -> None:
    """Alertmanager reads each *_file from the directory ./secrets is mounted on; the directory
    exists after a render (its .gitignore keeps the secrets themselves out of git)."""
    files = rendered(example)
    config = yaml.safe_load(files[conventions.ALERTMANAGER_FILE])
    mounts = {target: source for source, target, _ in bind_mounts(stack(example)["services"]["alertmanager"])}

    def paths(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [v for k, v in node.items() if k.endswith("_file")] + [p for v in node.values() for p in paths(v)]
        if isinstance(node, list):
            return [p for item in node for p in paths(item)]
        return []

    secret_files = paths(config)
    assert secret_files
    for path in secret_files:
        directory, name = path.rsplit("/", 1)
        assert mounts[directory] == f"./{conventions.SECRETS_DIR}"
        assert name in files[COMPOSE_FILE].split("# Secrets are never in this file", 1)[1].split("\n", 2)[0]
    assert files[conventions.SECRETS_GITIGNORE_FILE].endswith("*\n!.gitignore\n")


# --- what runs, and how ------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_images_pinned_ports_local_healthchecks_everywhere(example: str) -> None:
    for name, service in stack(example)["services"].items():
        image, _, tag = service["image"].rpartition(":")
        assert image and tag and tag != "latest" and any(c.isdigit() for c in tag), service["image"]
        assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)
        assert service["restart"] == "unless-stopped"


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_services_follow_the_spec(example: str) -> None:
    spec = spec_of(example)
    services = stack(example)["services"]
    expected = {"prometheus", "alertmanager", "grafana"}
    if "blackbox" in spec.stack.exporters or (spec.probes and spec.probes.external):
        expected.add("blackbox-exporter")
    if "node" in spec.stack.exporters:
        expected.add("node-exporter")
    expected |= {f"{name}-exporter" for name in ("postgres", "redis") if name in spec.stack.exporters}
    if spec.stack.logs:
        expected |= {"loki", "alloy"}
    if spec.stack.tracing:
        expected.add("jaeger")
    assert set(services) == expected
    grafana = services["grafana"]["environment"]
    assert (grafana["GF_AUTH_ANONYMOUS_ENABLED"], grafana["GF_AUTH_ANONYMOUS_ORG_ROLE"]) == ("true", "Viewer")


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_stack_prometheus_scrapes_the_target_host(example: str) -> None:
    """Every job of the spec at stack.target_host:<its port> (its local_port, when it has one); the
    node exporter's job when it runs;
    the rest of prometheus.yml unchanged."""
    spec = spec_of(example)
    files = rendered(example)
    local = yaml.safe_load(files[conventions.COMPOSE_PROMETHEUS_FILE])
    main = yaml.safe_load(files[conventions.PROMETHEUS_CONFIG_FILE])
    jobs = {job["job_name"]: job for job in local["scrape_configs"]}
    stand_ins = {settings.job: conventions.DATABASE_EXPORTERS[name] for name in ("postgres", "redis")
                 if (settings := getattr(spec.stack, name)) is not None and settings.job is not None}
    for target in spec.scrape.targets:
        if target.exporter in conventions.LEFT_OUT_LOCALLY:  # the stack runs its own; a laptop has no kubelet
            assert target.job not in jobs
            continue
        ports = [str(target.local_port)] if target.local_port is not None else \
            list(dict.fromkeys(address.rsplit(":", 1)[1] for address in target.static))
        [static] = jobs[target.job]["static_configs"]
        if target.job in stand_ins:  # the stack's own exporter scrapes the database on the target host
            assert static["targets"] == [stand_ins[target.job]]
        else:
            assert static["targets"] == [f"{spec.stack.target_host}:{port}" for port in ports]
    if "node" in spec.stack.exporters:
        assert jobs[conventions.NODE_EXPORTER_JOB]["static_configs"][0]["targets"] == [
            conventions.NODE_EXPORTER_ADDRESS]
    else:
        assert conventions.NODE_EXPORTER_JOB not in jobs
    for key in ("global", "rule_files", "alerting"):
        assert local[key] == main[key]
    assert "remote_write" not in local
    if spec.stack.target_host == services.HOST_GATEWAY:
        assert stack(example)["services"]["prometheus"]["extra_hosts"] == ["host.docker.internal:host-gateway"]


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_every_target_of_the_stack_resolves_in_the_stack(example: str) -> None:
    """No scrape target or probe URL of the local stack names a host of the spec's own addresses
    (`app`, `backend`): those exist where the service is deployed, not on the laptop."""
    spec = spec_of(example)
    own_hosts = {address.rsplit(":", 1)[0] for target in spec.scrape.targets for address in target.static}
    services = set(stack(example)["services"]) | {spec.stack.target_host}
    local = yaml.safe_load(rendered(example)[conventions.COMPOSE_PROMETHEUS_FILE])
    for job in local["scrape_configs"]:
        for group in job["static_configs"]:
            for target in group["targets"]:
                host = urllib.parse.urlsplit(target).hostname if "://" in target else target.rsplit(":", 1)[0]
                assert host not in own_hosts - services, (job["job_name"], target)


def test_a_probe_of_the_services_own_address_follows_it_to_the_target_host(tmp_path: Path) -> None:
    spec = minimal_spec(probes={"external": ["http://api:8000/health", "https://shop.example.com/health"]})
    files = render_spec(spec, tmp_path)

    def probed(path: str) -> list[str]:
        jobs = yaml.safe_load(files[path])["scrape_configs"]
        return [t for job in jobs if job["job_name"].endswith("-blackbox") for g in job["static_configs"] for t in g["targets"]]
    assert probed(conventions.PROMETHEUS_CONFIG_FILE) == ["http://api:8000/health", "https://shop.example.com/health"]
    assert probed(conventions.COMPOSE_PROMETHEUS_FILE) == [
        "http://host.docker.internal:8000/health", "https://shop.example.com/health"]


def test_a_named_target_host_needs_no_host_gateway(tmp_path: Path) -> None:
    files = render_spec(minimal_spec(stack={"target_host": "shop-dev"}), tmp_path)
    local = yaml.safe_load(files[conventions.COMPOSE_PROMETHEUS_FILE])
    assert [job["static_configs"][0]["targets"] for job in local["scrape_configs"]] == [["shop-dev:8000"],
                                                                                        ["shop-dev:8001"]]
    services = yaml.safe_load(files[COMPOSE_FILE])["services"]
    assert "extra_hosts" not in services["prometheus"]


def test_optional_services(tmp_path: Path) -> None:
    bare = yaml.safe_load(render_spec(minimal_spec(), tmp_path)[COMPOSE_FILE])
    assert set(bare["services"]) == {"prometheus", "alertmanager", "grafana"}
    everything = minimal_spec(stack={"exporters": ["node", "blackbox"], "logs": "loki", "tracing": "jaeger"})
    files = render_spec(everything, tmp_path)
    services = yaml.safe_load(files[COMPOSE_FILE])["services"]
    assert list(services) == ["prometheus", "alertmanager", "grafana", "blackbox-exporter", "node-exporter", "loki",
                              "alloy", "jaeger"]
    assert "command" not in services["blackbox-exporter"]  # no external probes: the image's own modules
    sources = yaml.safe_load(files[conventions.COMPOSE_GRAFANA_DATASOURCES_FILE])["datasources"]
    assert [(s["type"], s["url"]) for s in sources] == [("loki", "http://loki:3100"), ("jaeger", "http://jaeger:16686")]
    alloy = files[conventions.COMPOSE_ALLOY_FILE]
    assert 'loki.write "local" {\n  endpoint {\n    url = "http://loki:3100/loki/api/v1/push"\n  }\n}' in alloy
    assert "forward_to = [loki.write.local.receiver]" in alloy and alloy.count("{") == alloy.count("}")
    assert conventions.SECRETS_GITIGNORE_FILE not in files  # no channel, no secret


@pytest.mark.judge
def test_database_exporters_read_the_target_host_and_get_jobs_of_their_own(tmp_path: Path) -> None:
    spec = minimal_spec(stack={"exporters": ["postgres", "redis"],
                               "postgres": {"database": "shop", "user": "monitor",
                                            "password_file": "/etc/postgres/monitor-password"}})
    files = render_spec(spec, tmp_path)
    services = yaml.safe_load(files[COMPOSE_FILE])["services"]
    postgres, redis = services["postgres-exporter"], services["redis-exporter"]
    assert postgres["environment"] == {"DATA_SOURCE_URI": "host.docker.internal:5432/shop?sslmode=disable",
                                       "DATA_SOURCE_USER": "monitor",
                                       "DATA_SOURCE_PASS_FILE": "/etc/postgres/monitor-password"}
    assert bind_mounts(postgres) == [("./secrets/monitor-password", "/etc/postgres/monitor-password", "ro")]
    assert redis["environment"] == {"REDIS_ADDR": "redis://host.docker.internal:6379"}
    assert postgres["extra_hosts"] == redis["extra_hosts"] == ["host.docker.internal:host-gateway"]
    local = yaml.safe_load(files[conventions.COMPOSE_PROMETHEUS_FILE])
    jobs = {job["job_name"]: job["static_configs"][0]["targets"] for job in local["scrape_configs"]}
    assert jobs["postgres"] == ["postgres-exporter:9187"] and jobs["redis"] == ["redis-exporter:9121"]
    assert "postgres" not in {job["job_name"] for job in yaml.safe_load(files[conventions.PROMETHEUS_CONFIG_FILE])["scrape_configs"]}
    assert "monitor-password" in files[conventions.SECRETS_GITIGNORE_FILE]
    write_tree(files, tmp_path / "out")
    judged = run(judge("docker-compose"), "-f", str(tmp_path / "out" / COMPOSE_FILE), "config", "-q", cwd=tmp_path / "out")
    assert judged.returncode == 0, judged.stderr
    schema = run(judge("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(tmp_path / "out" / COMPOSE_FILE))
    assert schema.returncode == 0, schema.stdout


def test_a_database_exporter_can_stand_in_for_a_job_of_the_spec(tmp_path: Path) -> None:
    spec = minimal_spec(scrape={"targets": [{"job": "shop-api", "static": ["api:8000"]},
                                            {"job": "shop-db", "static": ["db-exporter:9187"]}]},
                        stack={"exporters": ["postgres"], "postgres": {"job": "shop-db", "address": "db.local:5433"}})
    files = render_spec(spec, tmp_path)
    local = yaml.safe_load(files[conventions.COMPOSE_PROMETHEUS_FILE])
    jobs = {job["job_name"]: job["static_configs"][0]["targets"] for job in local["scrape_configs"]}
    assert jobs == {"shop-api": ["host.docker.internal:8000"], "shop-db": ["postgres-exporter:9187"]}
    services = yaml.safe_load(files[COMPOSE_FILE])["services"]
    assert services["postgres-exporter"]["environment"]["DATA_SOURCE_URI"] == "db.local:5433/postgres?sslmode=disable"


@pytest.mark.parametrize(("stack_section", "message"), [
    ({"postgres": {"database": "shop"}}, "add postgres to `exporters`"),
    ({"exporters": ["redis"], "redis": {"job": "shop-apii"}}, "unknown job 'shop-apii'; did you mean"),
    ({"exporters": ["postgres"], "postgres": {"password_file": "/etc/pg/$secret"}}, "secret file path"),
])
def test_bad_database_exporter_settings(tmp_path: Path, stack_section: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as raised:
        render_spec(minimal_spec(stack=stack_section), tmp_path)
    assert any(message in p.message for p in raised.value.problems), [p.message for p in raised.value.problems]


def test_log_files_are_mounted_read_only_and_tailed_with_the_service_label(tmp_path: Path) -> None:
    spec = minimal_spec(stack={"logs": "loki", "log_files": ["/var/log/shop/app.log", "/srv/shop/logs/*.log"]})
    files = render_spec(spec, tmp_path)
    volumes = yaml.safe_load(files[COMPOSE_FILE])["services"]["alloy"]["volumes"]
    assert volumes[2:] == ["/var/log/shop:/var/log/shop:ro", "/srv/shop/logs:/srv/shop/logs:ro"]
    alloy = files[conventions.COMPOSE_ALLOY_FILE]
    assert ('local.file_match "files" {\n  path_targets = [{"__path__" = "/var/log/shop/app.log", "service" = "shop"}, '
            '{"__path__" = "/srv/shop/logs/*.log", "service" = "shop"}]\n}') in alloy
    assert 'loki.source.file "files" {\n  targets = local.file_match.files.targets\n  forward_to = [loki.write.local.receiver]\n}' in alloy
    assert alloy.count("{") == alloy.count("}")
    (tmp_path / "plain").mkdir()
    without = render_spec(minimal_spec(stack={"logs": "loki"}), tmp_path / "plain")
    assert "local.file_match" not in without[conventions.COMPOSE_ALLOY_FILE]


def test_retention_becomes_the_stack_prometheus_flags(tmp_path: Path) -> None:
    files = render_spec(minimal_spec(stack={"retention": {"time": "30d", "size": "10GiB"}}), tmp_path)
    command = yaml.safe_load(files[COMPOSE_FILE])["services"]["prometheus"]["command"]
    assert "--storage.tsdb.retention.time=30d" in command
    assert "--storage.tsdb.retention.size=10GB" in command  # Prometheus' GB is 1024^3 bytes
    assert services.base2_size(10**9) == "1000000000B" and services.base2_size(3 * 1024**2) == "3MB"
    (tmp_path / "none").mkdir()
    plain = yaml.safe_load(render_spec(minimal_spec(), tmp_path / "none")[COMPOSE_FILE])["services"]["prometheus"]
    assert not any("retention" in flag for flag in plain["command"])


@pytest.mark.judge
def test_prometheus_accepts_the_retention_flags(tmp_path: Path) -> None:
    from tests.e2e.harness import free_port, get_json, process

    port = free_port()
    (tmp_path / "prometheus.yml").write_text("global: {}\n", encoding="utf-8")
    settings = compose_settings.StackSettings(frozenset(), False, False, False, (), 2_592_000_000, 10 * 1024**3)
    with process([judge("prometheus", "newest"), f"--config.file={tmp_path / 'prometheus.yml'}",
                  f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
                  *services.retention_flags(settings)],
                 tmp_path / "prometheus.log", f"http://127.0.0.1:{port}/-/ready"):
        flags = get_json(f"http://127.0.0.1:{port}/api/v1/status/flags")["data"]
        runtime = get_json(f"http://127.0.0.1:{port}/api/v1/status/runtimeinfo")["data"]
    assert flags["storage.tsdb.retention.time"] == "30d" and flags["storage.tsdb.retention.size"] == "10GiB"  # read as 1024^3
    assert runtime["storageRetention"] == "30d or 10GiB"  # both limits, as Prometheus understood them


def test_external_probes_bring_the_blackbox_exporter(tmp_path: Path) -> None:
    files = render_spec(minimal_spec(probes={"external": ["https://shop.example.com/health"]}), tmp_path)
    exporter = yaml.safe_load(files[COMPOSE_FILE])["services"]["blackbox-exporter"]
    assert exporter["volumes"] == [f"./{conventions.BLACKBOX_CONFIG_FILE}:{services.BLACKBOX_CONFIG}:ro"]


def test_the_stack_writes_to_no_remote_store(tmp_path: Path) -> None:
    spec = minimal_spec(remote_write=[{"url": "https://metrics.example.com/api/v1/write",
                                       "bearer_token_file": "/etc/prometheus/secrets/remote-write-token"}])
    files = render_spec(spec, tmp_path)
    assert "remote_write" in yaml.safe_load(files[conventions.PROMETHEUS_CONFIG_FILE])
    assert "remote_write" not in yaml.safe_load(files[conventions.COMPOSE_PROMETHEUS_FILE])
    prometheus = yaml.safe_load(files[COMPOSE_FILE])["services"]["prometheus"]
    assert not [v for v in prometheus["volumes"] if "secrets" in v]


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_no_secret_values(example: str) -> None:
    """Only paths to secrets, never values: no password, key or token field in any stack file."""
    for path, text in rendered(example).items():
        if path == COMPOSE_FILE or (path.startswith("compose/") and path.endswith(".yml")):
            lowered = yaml.safe_dump(yaml.safe_load(text)).lower()
            assert "password" not in lowered and "api_key" not in lowered and "token:" not in lowered, path


def test_render_is_byte_for_byte_deterministic(tmp_path: Path) -> None:
    """Two fresh processes with different hash seeds write identical stack and Kubernetes files."""
    written = [
        render_in_fresh_process("pynomaly", "blackbox,kubernetes,compose", tmp_path / seed, seed) for seed in ("1", "2")
    ]
    assert written[0] == written[1]
    assert {COMPOSE_FILE, conventions.KUBERNETES_PROMETHEUS_RULE_FILE, conventions.BLACKBOX_CONFIG_FILE} <= set(
        written[0])


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_stack_prometheus_config_is_the_prometheus_outputs_own(example: str) -> None:
    """compose/prometheus.yml is exactly what the Prometheus output writes for the stack's model:
    the compose output only chooses the addresses, never how a config is written."""
    from promgen.core.model import build_model
    from promgen.core.stack import Stack
    from promgen.produce import registry as outputs

    stack = Stack((build_model(spec_of(example), f"examples/{example}/promgen.yaml"),))
    own = outputs.producer("prometheus")(compose_stack.local_stack(stack)).files[conventions.PROMETHEUS_CONFIG_FILE]
    assert rendered(example)[conventions.COMPOSE_PROMETHEUS_FILE] == own


def test_secret_mounts() -> None:
    """./secrets on each directory secrets are read from; relative paths resolve against the config's
    directory; a directory holding the config itself gets file mounts (a read-only directory mount
    would hide the config)."""
    paths = ["/etc/alertmanager/secrets/slack", "secrets/pagerduty", "/run/secrets/smtp", "/etc/alertmanager/token"]
    assert local.secret_mounts(paths, "/etc/alertmanager") == [
        "./secrets/token:/etc/alertmanager/token:ro",
        "./secrets:/etc/alertmanager/secrets:ro",
        "./secrets:/run/secrets:ro",
    ]
    assert local.secret_mounts(["/key"], "/etc/prometheus") == ["./secrets/key:/key:ro"]
    assert local.secret_mounts([], "/etc/prometheus") == []


def test_secret_files_with_the_same_name_are_a_spec_error(tmp_path: Path, promgen_cli) -> None:
    """One secrets directory (and one Secret) keys secrets by file name: two paths ending in `slack`
    would silently share one secret."""
    spec = tmp_path / "promgen.yaml"
    spec.write_text(
        "version: 1\n"
        "service: {name: shop}\n"
        "severities: [{name: critical, notify: [a, b]}]\n"
        "channels:\n"
        '  - {name: a, type: slack, channel: "#a", api_url_file: /etc/alertmanager/secrets/slack}\n'
        '  - {name: b, type: slack, channel: "#b", api_url_file: /run/team-b/slack}\n',
        encoding="utf-8",
    )
    result = promgen_cli("validate", str(spec))
    assert result.returncode == 1
    assert (f"{spec}:6:57: secret file /run/team-b/slack and /etc/alertmanager/secrets/slack have the same file "
            "name 'slack'") in result.stdout


def test_two_jobs_on_one_port_locally_are_a_warning_until_one_names_its_local_port(tmp_path: Path) -> None:
    from promgen.cli.validate import collect

    spec = tmp_path / "two.yaml"
    text = ("version: 1\nservice: {name: two, runbook_base_url: 'https://runbooks.example.com'}\nscrape:\n"
            "  targets:\n    - {job: two-api, static: ['api:8000']}\n    - {job: two-worker, static: ['worker:8000']}\n"
            "severities: [{name: critical, notify: [ops]}]\n"
            "channels: [{name: ops, type: webhook, url: 'https://hooks.example.com/ops'}]\n")
    spec.write_text(text, encoding="utf-8")
    _loaded, problems = collect(spec)
    assert [(p.line, p.level) for p in problems] == [(6, "warning")]
    assert "both at host.docker.internal:8000" in problems[0].message and "local_port" in problems[0].message
    spec.write_text(text.replace("['worker:8000']}", "['worker:8000'], local_port: 8001}"), encoding="utf-8")
    assert collect(spec)[1] == []
