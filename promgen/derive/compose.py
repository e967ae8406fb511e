"""The local docker-compose stack as plain data: services, their mounts, and the compose-only configs.

The stack runs the files the other outputs render, mounted read-only from the output directory
(every host path is relative to it). Two things differ from a cluster, and both are decided here:
- the application runs on the developer's machine, so the stack's Prometheus scrapes every job at
  `stack.target_host:<port>` (and the stack's node exporter, when it runs one) and writes to no
  remote store: the Prometheus output is rendered a second time from that spec and those
  addresses (`local_spec`, `local_options`), into compose/prometheus.yml -- same code, no second
  copy of its logic;
- Loki and Jaeger exist only in this stack, so their Grafana data sources and the log shipper's
  config are this output's files.
"""

from __future__ import annotations

import dataclasses
import posixpath
from dataclasses import dataclass, field
from typing import Any

from promgen.core import conventions
from promgen.core.model import Model, RenderOptions, build_model
from promgen.core.stack import Stack
from promgen.core.versions import NEWEST
from promgen.derive import blackbox
from promgen.derive import loki as loki_derive
from promgen.load.models import ScrapeTarget, Spec, log_file_directory
from promgen.load.units import format_duration

# Pinned images (never :latest): the newest Prometheus and Alertmanager promgen is judged against
# (they read output for any target from the floor up; a newer target gets its own release), a
# current Grafana 12, and Grafana Alloy as the log shipper (promtail reached its end of life).
# Loki stays below 3.6, whose distroless image has no wget for a healthcheck.
IMAGES: dict[str, str] = {
    "grafana": "grafana/grafana:12.4.11",
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


@dataclass
class ComposeData:
    compose: dict[str, Any]  # the docker-compose.yml document
    configs: dict[str, Any] = field(default_factory=dict)  # compose-only config files: path -> data
    secret_files: list[str] = field(default_factory=list)  # file names expected in SECRETS_DIR
    notes: list[str] = field(default_factory=list)


# --- where the stack's Prometheus finds the application ----------------------------------------


def _ports(target: ScrapeTarget) -> list[str]:
    return list(dict.fromkeys(address.rsplit(":", 1)[1] for address in target.static))


def local_options(model: Model) -> RenderOptions:
    """Render options for the stack's Prometheus: every job of the spec at stack.target_host, same ports.

    Targets the caller already overrides (RenderOptions.targets) stay as they are.
    """
    host = model.spec.stack.target_host
    targets = {t.job: tuple(f"{host}:{port}" for port in _ports(t)) for t in model.spec.scrape.targets}
    for exporter, address in conventions.DATABASE_EXPORTERS.items():  # jobs the stack's exporters stand in for
        settings = getattr(model.spec.stack, exporter)
        if exporter in model.spec.stack.exporters and settings is not None and settings.job is not None:
            targets[settings.job] = (address,)
    targets.update(model.options.targets)
    # a probe of a scrape target's own address (http://app:8000/health) goes where that target went
    probe_hosts = {address: f"{host}:{address.rsplit(':', 1)[1]}"
                   for t in model.spec.scrape.targets for address in t.static}
    probe_hosts.update(model.options.probe_hosts)
    return dataclasses.replace(model.options, targets=targets, probe_hosts=probe_hosts)


def local_spec(model: Model, scrapes: frozenset[str]) -> Spec:
    """The spec as the stack's Prometheus sees it: plus a job for each of the stack's exporters in
    `scrapes` (node, postgres, redis), and no remote_write -- a laptop's experiments must not reach
    the team's long-term store."""
    spec = model.spec
    targets = list(spec.scrape.targets)
    addresses = {conventions.NODE_EXPORTER_JOB: conventions.NODE_EXPORTER_ADDRESS, **conventions.DATABASE_EXPORTERS}
    for job, address in addresses.items():
        if job in scrapes:
            targets.append(ScrapeTarget(job=job, static=[address]))
    scrape = spec.scrape.model_copy(update={"targets": targets})
    return spec.model_copy(update={"scrape": scrape, "remote_write": []})


# --- secrets ---------------------------------------------------------------------------------


def _secret_paths(value: Any) -> list[str]:
    """Every `*_file` path in a spec section (channels, smtp)."""
    if isinstance(value, dict):
        found: list[str] = []
        for key, item in value.items():
            if key.endswith("_file") and isinstance(item, str):
                found.append(item)
            else:
                found.extend(_secret_paths(item))
        return found
    if isinstance(value, list):
        return [path for item in value for path in _secret_paths(item)]
    return []


def _in_container(path: str, config_dir: str) -> str:
    """Where a process reading `path` finds it: relative paths are relative to its config file."""
    return posixpath.normpath(posixpath.join(config_dir, path))


def alertmanager_secrets(stack: Stack) -> list[str]:
    sections = [c.model_dump() for c in stack.channels()]
    smtp = next((m.spec.alertmanager.smtp for m in stack.services if m.spec.alertmanager.smtp is not None), None)
    if smtp is not None:
        sections.append(smtp.model_dump())
    return list(dict.fromkeys(_secret_paths(sections)))


def secret_mounts(paths: list[str], config_dir: str) -> list[str]:
    """The secrets directory, read-only, on every directory the service reads secret files from.

    A directory that holds the service's config (or is `/`) cannot be covered by a read-only mount
    without hiding the config; its secret files are mounted one by one instead.
    """
    files = sorted({_in_container(path, config_dir) for path in paths})
    mounts: list[str] = []
    for directory in sorted({posixpath.dirname(f) for f in files}):
        if f"{config_dir}/".startswith(f"{directory.rstrip('/')}/"):
            mounts.extend(f"./{conventions.SECRETS_DIR}/{conventions.secret_key(f)}:{f}:ro"
                          for f in files if posixpath.dirname(f) == directory)
        else:
            mounts.append(f"./{conventions.SECRETS_DIR}:{directory}:ro")
    return mounts


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


# --- compose-only configs --------------------------------------------------------------------


def alloy_config(log_files: tuple[tuple[str, str], ...] = ()) -> list[dict[str, Any]]:
    """Alloy's components, in order: find the containers on this Docker host, label their logs by
    container and compose project and service, tail the services' own log files (labelled by
    service; Alloy adds `filename`), and push them all to Loki. Each component is
    {"kind", "label", "attributes": [(name, Alloy expression)], "blocks": [...]}; the template
    lays them out, every string already quoted as an Alloy expression."""
    socket = alloy_string("unix:///var/run/docker.sock")
    rules = [
        {"kind": "rule", "attributes": [("source_labels", alloy_list([source])), *([("regex", alloy_string(regex))] if regex else []),
                                        ("target_label", alloy_string(target))]}
        for source, regex, target in conventions.LOG_CONTAINER_LABELS
    ]
    files = []
    if log_files:
        targets = ", ".join(
            "{" + f"{alloy_string('__path__')} = {alloy_string(path)}, {alloy_string(conventions.LOG_SERVICE_LABEL)} = {alloy_string(service)}" + "}"
            for service, path in log_files)
        files = [
            {"kind": "local.file_match", "label": "files", "attributes": [("path_targets", f"[{targets}]")]},
            {"kind": "loki.source.file", "label": "files", "attributes": [
                ("targets", "local.file_match.files.targets"),
                ("forward_to", "[loki.write.local.receiver]"),
            ]},
        ]
    return [
        {"kind": "discovery.docker", "label": "containers",
         "attributes": [("host", socket), ("refresh_interval", alloy_string("5s"))]},
        {"kind": "discovery.relabel", "label": "containers", "attributes": [("targets", "[]")], "blocks": rules},
        {"kind": "loki.source.docker", "label": "containers", "attributes": [
            ("host", socket),
            ("targets", "discovery.docker.containers.targets"),
            ("relabel_rules", "discovery.relabel.containers.rules"),
            ("forward_to", "[loki.write.local.receiver]"),
        ]},
        *files,
        {"kind": "loki.write", "label": "local", "blocks": [
            {"kind": "endpoint", "attributes": [("url", alloy_string(f"{LOKI_URL}/loki/api/v1/push"))]},
        ]},
    ]


def alloy_string(text: str) -> str:
    """A string literal in Alloy's syntax (Go-style escapes)."""
    import json

    return json.dumps(text)


def alloy_list(items: list[str]) -> str:
    return "[" + ", ".join(alloy_string(item) for item in items) + "]"


def stack_datasources(settings: StackSettings) -> dict[str, Any] | None:
    """Grafana data sources for the stack-only services (Loki, Jaeger); Prometheus' are the Grafana output's."""
    found: list[dict[str, Any]] = []
    if settings.logs:
        found.append({"name": "Loki", "type": "loki", "uid": "loki", "access": "proxy", "url": LOKI_URL,
                      "editable": False})
    if settings.tracing:
        found.append({"name": "Jaeger", "type": "jaeger", "uid": "jaeger", "access": "proxy", "url": JAEGER_URL,
                      "editable": False})
    return {"apiVersion": 1, "datasources": found} if found else None


# --- the stack -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StackSettings:
    """What the services' `stack` sections ask of the one local stack: each extra is there when any
    service wants it."""

    exporters: frozenset[str]
    logs: bool  # Loki, and Alloy shipping the containers' logs to it
    tracing: bool  # Jaeger
    blackbox: bool  # external probes need the exporter even when stack.exporters does not list it
    log_files: tuple[tuple[str, str], ...] = ()  # (service, path) of the files Alloy ships as well
    retention_ms: int | None = None  # the longest any service asks
    retention_bytes: int | None = None  # the largest any service asks
    log_rules: bool = False  # some service has log alerts for Loki's ruler
    log_retention: str | None = None  # the longest any service asks

    @classmethod
    def of(cls, stack: Stack) -> StackSettings:
        specs = [model.spec for model in stack.services]
        retentions = [spec.stack.retention for spec in specs if spec.stack.retention]
        log_retentions = [spec.stack.log_retention for spec in specs if spec.stack.log_retention]
        return cls(
            exporters=frozenset(name for spec in specs for name in spec.stack.exporters),
            logs=any(spec.stack.logs == "loki" for spec in specs),
            tracing=any(spec.stack.tracing == "jaeger" for spec in specs),
            blackbox=any("blackbox" in spec.stack.exporters or model.blackbox_job is not None
                         for spec, model in zip(specs, stack.services)),
            log_files=tuple(dict.fromkeys((model.service, path) for model in stack.services
                                          for path in model.spec.stack.log_files)),
            log_rules=any(model.log_alerts for model in stack.services),
            log_retention=str(max(log_retentions, key=lambda d: d.ms)) if log_retentions else None,
            retention_ms=max((r.time.ms for r in retentions if r.time), default=None),
            retention_bytes=max((int(r.size.bytes) for r in retentions if r.size), default=None),
        )


def local_stack(stack: Stack) -> Stack:
    """The stack as its local Prometheus scrapes it (`local_spec`, `local_options` of each service);
    the stack's node exporter is scraped once, by the first service that asks for it, unless a
    service scrapes a job of that name itself."""
    jobs = {job for model in stack.services for job in model.jobs}
    scraped_by: dict[str, str] = {}  # exporter job -> the service whose Prometheus job scrapes it
    for exporter in ("node", *conventions.DATABASE_EXPORTERS):
        first = next((m for m in stack.services if exporter in m.spec.stack.exporters), None)
        settings = getattr(first.spec.stack, exporter, None) if first is not None else None
        stands_in = settings is not None and settings.job is not None  # a spec's own job scrapes it
        if first is not None and exporter not in jobs and not stands_in:
            scraped_by[exporter] = first.service
    return Stack(tuple(
        build_model(local_spec(model, frozenset(job for job, by in scraped_by.items() if by == model.service)),
                    model.source, local_options(model))
        for model in stack.services
    ))


def derive(stack: Stack) -> ComposeData:
    settings = StackSettings.of(stack)
    datasources = stack_datasources(settings)
    services: dict[str, Any] = {
        "prometheus": prometheus(stack),
        "alertmanager": alertmanager(stack),
        "grafana": grafana(datasources is not None),
    }
    volumes: dict[str, Any] = {"prometheus-data": {}, "alertmanager-data": {}, "grafana-data": {}}
    if settings.blackbox:
        services["blackbox-exporter"] = blackbox_exporter(stack)
    if "node" in settings.exporters:
        services["node-exporter"] = node_exporter()
    database_secrets: list[str] = []
    postgres = first_setting(stack, "postgres")
    if postgres is not None:
        services["postgres-exporter"] = postgres_exporter(stack, *postgres)
        database_secrets += [postgres[1].password_file] if postgres[1].password_file else []
    redis = first_setting(stack, "redis")
    if redis is not None:
        services["redis-exporter"] = redis_exporter(stack, *redis)
    configs: dict[str, Any] = {}
    if settings.logs:
        services["loki"] = loki(settings.log_rules)
        services["alloy"] = alloy(settings.log_files)
        volumes["loki-data"] = {}
        configs[conventions.COMPOSE_ALLOY_FILE] = alloy_config(settings.log_files)
        configs[conventions.COMPOSE_LOKI_FILE] = loki_derive.config(
            rules=settings.log_rules, retention=settings.log_retention, alertmanager_url=ALERTMANAGER_URL)
    if settings.tracing:
        services["jaeger"] = jaeger()
    if datasources is not None:
        configs[conventions.COMPOSE_GRAFANA_DATASOURCES_FILE] = datasources
    keys = sorted({conventions.secret_key(path) for path in [*alertmanager_secrets(stack), *database_secrets]})
    notes = []
    if keys:
        notes.append(f"the compose stack reads secrets from {conventions.SECRETS_DIR}/: {', '.join(keys)}")
    return ComposeData(
        compose={"services": services, "volumes": volumes},
        configs=configs,
        secret_files=keys,
        notes=notes,
    )
