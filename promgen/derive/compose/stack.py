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

from dataclasses import dataclass, field
from typing import Any

from promgen.core import conventions
from promgen.core.model import build_model
from promgen.core.stack import Stack
from promgen.derive import loki as loki_derive
from promgen.derive.compose.configs import alloy_config, stack_datasources
from promgen.derive.compose.local import alertmanager_secrets, local_options, local_spec
from promgen.derive.compose.services import (
    ALERTMANAGER_URL,
    alertmanager,
    alloy,
    blackbox_exporter,
    first_setting,
    grafana,
    jaeger,
    loki,
    node_exporter,
    postgres_exporter,
    prometheus,
    redis_exporter,
)
from promgen.derive.compose.settings import StackSettings


@dataclass
class ComposeData:
    compose: dict[str, Any]  # the docker-compose.yml document
    configs: dict[str, Any] = field(default_factory=dict)  # compose-only config files: path -> data
    secret_files: list[str] = field(default_factory=list)  # file names expected in SECRETS_DIR
    notes: list[str] = field(default_factory=list)



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
