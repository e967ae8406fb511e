"""The configs only the compose stack has: Alloy's log shipping and Grafana's Loki and Jaeger data sources."""

from __future__ import annotations

from typing import Any

from promgen.core import conventions
from promgen.derive.compose.services import JAEGER_URL, LOKI_URL
from promgen.derive.compose.settings import StackSettings

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
