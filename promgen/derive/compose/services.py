"""The compose stack's services: pinned images, healthchecks, ports, mounts and commands of
Prometheus, Alertmanager, Grafana, the exporters, Loki, Alloy and Jaeger."""

from __future__ import annotations

import posixpath
from typing import Any

from promgen.core import conventions
from promgen.core.model import Model
from promgen.core.stack import Stack
from promgen.core.versions import NEWEST
from promgen.derive import blackbox
from promgen.derive import loki as loki_derive
from promgen.derive.compose.local import (
    _in_container,
    alertmanager_secrets,
    secret_mounts,
)
from promgen.derive.compose.settings import StackSettings
from promgen.load.models import log_file_directory
from promgen.load.units import format_duration

# Pinned images (never :latest): the newest Prometheus and Alertmanager promgen is judged against
# (they read output for any target from the floor up; a newer target gets its own release), a
# current Grafana 13, and Grafana Alloy as the log shipper (promtail reached its end of life).
# Loki stays below 3.6, whose distroless image has no wget for a healthcheck.
IMAGES: dict[str, str] = {
    "grafana": "grafana/grafana:13.2.3",
    "blackbox-exporter": "prom/blackbox-exporter:v0.28.0",
    "node-exporter": "prom/node-exporter:v1.9.1",
    "postgres-exporter": "quay.io/prometheuscommunity/postgres-exporter:v0.19.0",
    "redis-exporter": "oliver006/redis_exporter:v1.91.1-alpine",  # the alpine build has wget for the healthcheck
    "loki": "grafana/loki:3.5.0",
    "alloy": "grafana/alloy:v1.18.1",
    "jaeger": "jaegertracing/all-in-one:1.62.0",
}
# The release each judged line runs (MAJOR.MINOR -> patch).
JUDGED_RELEASES: dict[str, tuple[str, str]] = {
    "prometheus": ("prom/prometheus", "v3.5.3"),
    "alertmanager": ("prom/alertmanager", "v0.33.1"),
}


def image(name: str, stack: Stack) -> str:
    """The pinned image of a stack service; Prometheus and Alertmanager at least the specs' target."""
    if name not in JUDGED_RELEASES:
        return IMAGES[name]
    repository, tag = JUDGED_RELEASES[name]
    target = getattr(stack.targets, name)
    if target > NEWEST[name]:  # type: ignore[index]
        tag = f"v{target}.0"
    return f"{repository}:{tag}"


HOST_GATEWAY = "host.docker.internal"
PROMETHEUS_DIR = "/etc/prometheus"
ALERTMANAGER_CONFIG = "/etc/alertmanager/alertmanager.yml"
GRAFANA_PROVISIONING_DIR = "/etc/grafana/provisioning"
GRAFANA_STACK_DATASOURCES = f"{GRAFANA_PROVISIONING_DIR}/datasources/stack.yml"
BLACKBOX_CONFIG = "/etc/blackbox_exporter/config.yml"
ALLOY_CONFIG = "/etc/alloy/config.alloy"
LOKI_URL = "http://loki:3100"
LOKI_CONFIG = "/etc/loki/promgen.yaml"
ALERTMANAGER_URL = "http://alertmanager:9093"
JAEGER_URL = "http://jaeger:16686"
ALLOY_PORT = 12345


# --- services --------------------------------------------------------------------------------


def healthcheck(url: str) -> dict[str, Any]:
    """A GET with the image's own (busybox) wget: the stack is up when every service answers."""
    return {
        "test": ["CMD", "wget", "-q", "-O", "/dev/null", url],
        "interval": "10s",
        "timeout": "5s",
        "retries": 5,
        "start_period": "10s",
    }


def _local_port(port: int, container_port: int | None = None) -> str:
    """Published on the loopback interface only: anonymous Grafana is for this machine, not the LAN."""
    return f"127.0.0.1:{port}:{container_port or port}"


def _reaches_host(stack: Stack) -> dict[str, Any]:
    if any(model.spec.stack.target_host == HOST_GATEWAY for model in stack.services):
        return {"extra_hosts": [f"{HOST_GATEWAY}:host-gateway"]}
    return {}


def _service(image_ref: str, **fields: Any) -> dict[str, Any]:
    return {"image": image_ref, **fields, "restart": "unless-stopped"}


def retention_flags(settings: StackSettings) -> list[str]:
    flags = []
    if settings.retention_ms is not None:
        flags.append(f"--storage.tsdb.retention.time={format_duration(settings.retention_ms)}")
    if settings.retention_bytes is not None:
        flags.append(f"--storage.tsdb.retention.size={base2_size(settings.retention_bytes)}")
    return flags


def base2_size(size: int) -> str:
    """Bytes as Prometheus reads a size flag, whose KB, MB, GB... are powers of 1024: the largest
    unit that divides it exactly."""
    for unit, power in (("TB", 4), ("GB", 3), ("MB", 2), ("KB", 1)):
        if size % 1024 ** power == 0:
            return f"{size // 1024 ** power}{unit}"
    return f"{size}B"


def prometheus(stack: Stack) -> dict[str, Any]:
    volumes = [
        f"./{conventions.COMPOSE_PROMETHEUS_FILE}:{PROMETHEUS_DIR}/prometheus.yml:ro",
        # where prometheus.yml's rule_files (rules/SERVICE/NAME.rules.yml, relative to it) find them
        f"./{conventions.RULES_DIR}:{PROMETHEUS_DIR}/rules:ro",
    ]
    volumes.append("prometheus-data:/prometheus")
    return _service(
        image("prometheus", stack),
        command=[
            f"--config.file={PROMETHEUS_DIR}/prometheus.yml",
            "--storage.tsdb.path=/prometheus",
            *retention_flags(StackSettings.of(stack)),
            "--web.enable-lifecycle",
        ],
        volumes=volumes,
        ports=[_local_port(9090)],
        **_reaches_host(stack),
        healthcheck=healthcheck("http://127.0.0.1:9090/-/ready"),
        depends_on={"alertmanager": {"condition": "service_healthy"}},
    )


def alertmanager(stack: Stack) -> dict[str, Any]:
    volumes = [f"./{conventions.ALERTMANAGER_FILE}:{ALERTMANAGER_CONFIG}:ro"]
    volumes.extend(secret_mounts(alertmanager_secrets(stack), posixpath.dirname(ALERTMANAGER_CONFIG)))
    volumes.append("alertmanager-data:/alertmanager")
    return _service(
        image("alertmanager", stack),
        command=[f"--config.file={ALERTMANAGER_CONFIG}", "--storage.path=/alertmanager"],
        volumes=volumes,
        ports=[_local_port(9093)],
        healthcheck=healthcheck("http://127.0.0.1:9093/-/ready"),
    )


def _in_provisioning(path: str) -> str:
    return GRAFANA_PROVISIONING_DIR + "/" + path.removeprefix("grafana/provisioning/")


def grafana(extra_datasources: bool) -> dict[str, Any]:
    volumes = [
        f"./{path}:{_in_provisioning(path)}:ro"
        for path in (conventions.GRAFANA_DATASOURCES_FILE, conventions.GRAFANA_DASHBOARD_PROVIDER_FILE)
    ]
    if extra_datasources:
        volumes.append(f"./{conventions.COMPOSE_GRAFANA_DATASOURCES_FILE}:{GRAFANA_STACK_DATASOURCES}:ro")
    volumes.append(f"./{conventions.GRAFANA_DASHBOARDS_DIR}:{conventions.GRAFANA_DASHBOARDS_MOUNT}:ro")
    volumes.append("grafana-data:/var/lib/grafana")
    return _service(
        IMAGES["grafana"],
        environment={
            "GF_AUTH_ANONYMOUS_ENABLED": "true",
            "GF_AUTH_ANONYMOUS_ORG_ROLE": "Viewer",
            "GF_ANALYTICS_REPORTING_ENABLED": "false",
            "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
        },
        volumes=volumes,
        ports=[_local_port(3000)],
        healthcheck=healthcheck("http://127.0.0.1:3000/api/health"),
        depends_on={"prometheus": {"condition": "service_healthy"}},
    )


def blackbox_exporter(stack: Stack) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if blackbox.config(*stack.services) is not None:
        fields["command"] = [f"--config.file={BLACKBOX_CONFIG}"]
        fields["volumes"] = [f"./{conventions.BLACKBOX_CONFIG_FILE}:{BLACKBOX_CONFIG}:ro"]
    return _service(
        IMAGES["blackbox-exporter"],
        **fields,
        ports=[_local_port(9115)],
        **_reaches_host(stack),
        healthcheck=healthcheck("http://127.0.0.1:9115/-/healthy"),
    )


def first_setting(stack: Stack, exporter: str) -> tuple[Model, Any] | None:
    """(the first service that lists `exporter`, its settings or the defaults): one exporter serves
    the stack, as one node exporter does."""
    from promgen.load.models import PostgresExporter, RedisExporter

    model = next((m for m in stack.services if exporter in m.spec.stack.exporters), None)
    if model is None:
        return None
    defaults = {"postgres": PostgresExporter, "redis": RedisExporter}[exporter]
    return model, getattr(model.spec.stack, exporter) or defaults()


def postgres_exporter(stack: Stack, model: Model, settings: Any) -> dict[str, Any]:
    """postgres_exporter on the service's database; the password from SECRETS_DIR, never inline."""
    address = settings.address or f"{model.spec.stack.target_host}:5432"
    environment = {"DATA_SOURCE_URI": f"{address}/{settings.database}?sslmode={settings.sslmode}",
                   "DATA_SOURCE_USER": settings.user}
    fields: dict[str, Any] = {}
    if settings.password_file:
        inside = _in_container(settings.password_file, "/etc/postgres-exporter")
        environment["DATA_SOURCE_PASS_FILE"] = inside
        fields["volumes"] = [f"./{conventions.SECRETS_DIR}/{conventions.secret_key(settings.password_file)}:{inside}:ro"]
    return _service(IMAGES["postgres-exporter"], environment=environment, **fields, **_reaches_host(stack),
                    healthcheck=healthcheck("http://127.0.0.1:9187/"))


def redis_exporter(stack: Stack, model: Model, settings: Any) -> dict[str, Any]:
    address = settings.address or f"{model.spec.stack.target_host}:6379"
    return _service(IMAGES["redis-exporter"], environment={"REDIS_ADDR": f"redis://{address}"}, **_reaches_host(stack),
                    healthcheck=healthcheck("http://127.0.0.1:9121/health"))


def node_exporter() -> dict[str, Any]:
    return _service(
        IMAGES["node-exporter"],
        command=[
            "--path.procfs=/host/proc",
            "--path.sysfs=/host/sys",
            "--path.rootfs=/rootfs",
            # `$$` is compose's escape for a literal `$`.
            "--collector.filesystem.mount-points-exclude=^/(sys|proc|dev|host|etc|rootfs/var/lib/docker)($$|/)",
        ],
        volumes=["/proc:/host/proc:ro", "/sys:/host/sys:ro", "/:/rootfs:ro"],
        pid="host",
        healthcheck=healthcheck("http://127.0.0.1:9100/"),
    )


def loki(rules: bool) -> dict[str, Any]:
    """Loki with promgen's config; with the services' log alerts mounted where its ruler reads the
    single tenant's rule files."""
    rule_mounts = [f"./{conventions.LOKI_RULES_DIR}:{loki_derive.LOKI_RULES_MOUNT}/{conventions.LOKI_TENANT}:ro"] if rules else []
    return _service(
        IMAGES["loki"],
        command=[f"-config.file={LOKI_CONFIG}"],
        volumes=[f"./{conventions.COMPOSE_LOKI_FILE}:{LOKI_CONFIG}:ro", *rule_mounts, f"loki-data:{loki_derive.LOKI_DATA}"],
        ports=[_local_port(3100)],
        healthcheck=healthcheck("http://127.0.0.1:3100/ready"),
    )


def alloy(log_files: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    """Grafana Alloy shipping every container's log to Loki, with its own config file; the
    directories of `log_files` are mounted read-only at the same paths."""
    # The Alloy image has no wget or curl: ask /-/ready over bash's /dev/tcp.
    ready = (
        f"exec 3<>/dev/tcp/127.0.0.1/{ALLOY_PORT} && printf 'GET /-/ready HTTP/1.0\\r\\n\\r\\n' >&3 "
        "&& head -n 1 <&3 | grep -q ' 200 '"
    )
    check = healthcheck("")
    check["test"] = ["CMD", "bash", "-c", ready]
    return _service(
        IMAGES["alloy"],
        command=["run", f"--server.http.listen-addr=0.0.0.0:{ALLOY_PORT}", "--storage.path=/var/lib/alloy/data",
                 ALLOY_CONFIG],
        volumes=[
            f"./{conventions.COMPOSE_ALLOY_FILE}:{ALLOY_CONFIG}:ro",
            "/var/run/docker.sock:/var/run/docker.sock:ro",
            *(f"{directory}:{directory}:ro" for directory in dict.fromkeys(log_file_directory(path) for _s, path in log_files)),
        ],
        healthcheck=check,
        depends_on={"loki": {"condition": "service_healthy"}},
    )


def jaeger() -> dict[str, Any]:
    return _service(
        IMAGES["jaeger"],
        environment={"COLLECTOR_OTLP_ENABLED": "true"},
        ports=[_local_port(16686), _local_port(4317), _local_port(4318)],
        healthcheck=healthcheck("http://127.0.0.1:14269/"),
    )
