"""docker-compose.yml and the configs only the local stack reads (compose/, secrets/.gitignore)."""

from __future__ import annotations

from promgen.core import conventions
from promgen.core.stack import Stack
from promgen.derive.compose import stack as compose
from promgen.derive.prometheus import config as prometheus
from promgen.produce.registry import Output
from promgen.produce.templates import render_template

# Shown in the compose file's header, for the services that publish a port.
TITLES = {
    "prometheus": "Prometheus",
    "alertmanager": "Alertmanager",
    "grafana": "Grafana",
    "blackbox-exporter": "blackbox exporter",
    "loki": "Loki",
    "jaeger": "Jaeger",
}
REMARKS = {
    "grafana": " (anonymous viewer)",
    "jaeger": " (OTLP: localhost:4317 gRPC, localhost:4318 HTTP)",
}


def local_prometheus_config(stack: Stack) -> str:
    """prometheus.yml as the Prometheus output renders it (its derive, its template), for this stack.

    Only the config: the rule files are the Prometheus output's own, mounted as they are.
    """
    return render_template("prometheus/prometheus.yml.j2", header=stack.header_for("prometheus"),
                           config=prometheus.stack_config(compose.local_stack(stack)))


def _urls(services: dict[str, dict[str, object]]) -> list[str]:
    lines = []
    for name, service in services.items():
        ports = service.get("ports")
        if isinstance(ports, list) and ports:
            host_port = str(ports[0]).split(":")[1]
            lines.append(f"{TITLES.get(name, name) + ':':19} http://localhost:{host_port}{REMARKS.get(name, '')}")
    return lines


def files(stack: Stack) -> Output:
    data = compose.derive(stack)
    found: dict[str, str] = {}
    found[conventions.COMPOSE_FILE] = render_template(
        "compose/docker-compose.yml.j2",
        header=stack.header_for("prometheus", "alertmanager"),
        service=stack.first.service if not stack.fleet else f"{len(stack.services)} services",
        urls=_urls(data.compose["services"]),
        target_hosts=list(dict.fromkeys(model.spec.stack.target_host for model in stack.services)),
        prometheus_file=conventions.COMPOSE_PROMETHEUS_FILE,
        secret_files=data.secret_files,
        secrets_dir=conventions.SECRETS_DIR,
        compose=data.compose,
    )
    found[conventions.COMPOSE_PROMETHEUS_FILE] = local_prometheus_config(stack)
    templates = {
        conventions.COMPOSE_ALLOY_FILE: "compose/config.alloy.j2",
        conventions.COMPOSE_GRAFANA_DATASOURCES_FILE: "compose/grafana-datasources.yml.j2",
        conventions.COMPOSE_LOKI_FILE: "compose/loki.yaml.j2",
    }
    for path, config in data.configs.items():
        found[path] = render_template(templates[path], header=stack.header, config=config)
    if data.secret_files:
        found[conventions.SECRETS_GITIGNORE_FILE] = render_template(
            "compose/secrets.gitignore.j2", header=stack.header, secret_files=data.secret_files
        )
    stats = {"services": len(data.compose["services"])}
    return Output(files=dict(sorted(found.items())), notes=data.notes, stats=stats)
