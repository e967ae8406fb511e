"""Loki: the rule file of a service's log alerts (LogQL, in Prometheus' rule-file format, as Loki's
ruler reads it) and the local stack's Loki config (the image's single-binary settings, plus the
ruler sending to the stack's Alertmanager, the rule files mounted, and retention when asked)."""

from __future__ import annotations

from typing import Any

from promgen.core import conventions
from promgen.core.model import Model
from promgen.derive.prometheus.config import Group, alert_rule, escalation_copies
from promgen.judge import logql

LOKI_RULES_MOUNT = "/etc/loki/rules"  # the ruler reads <directory>/<tenant>/*.yml
LOKI_DATA = "/loki"  # the image's data volume


def rule_groups(model: Model) -> list[Group]:
    """The service's log alerts as one group, at the service's evaluation interval (Loki's ruler
    does not read prometheus.yml), each alert followed by its escalation copy when its severity
    escalates, as the Prometheus rule files do."""
    if not model.log_alerts:
        return []
    rules = [copy for alert in model.log_alerts for rule in [alert_rule(alert)]
             for copy in (rule, *escalation_copies(model, rule))]
    return [{"name": conventions.log_alert_group(model.service), "interval": str(model.evaluation_interval),
             "rules": rules}]


def local_label_notes(model: Model) -> list[str]:
    """Log alerts that select streams by a label the local stack's shipper never sets: in the
    compose stack they cannot fire (production Loki may well have the label)."""
    notes = []
    for alert in model.log_alerts:
        unknown = sorted(set(logql.selector_labels(alert.expr)) - set(conventions.LOCAL_STREAM_LABELS))
        if unknown:
            notes.append(f"log alert {alert.name} selects streams by {', '.join(unknown)}, which the local stack's "
                         f"log shipper does not set (it sets {', '.join(conventions.LOCAL_STREAM_LABELS)}): it cannot fire there")
    return notes


def config(*, rules: bool, retention: str | None, alertmanager_url: str) -> dict[str, Any]:
    """Loki's single-binary config for the local stack. `rules`: the services' rule files are mounted
    at LOKI_RULES_MOUNT/<tenant>; `retention`: the compactor deletes older logs (Loki's minimum is 24h)."""
    data: dict[str, Any] = {
        "auth_enabled": False,
        "server": {"http_listen_port": 3100},
        "common": {
            "instance_addr": "127.0.0.1",
            "path_prefix": LOKI_DATA,
            "storage": {"filesystem": {
                "chunks_directory": f"{LOKI_DATA}/chunks",
                # The ruler's local storage follows the common filesystem storage (Loki's config wrapper).
                "rules_directory": LOKI_RULES_MOUNT if rules else f"{LOKI_DATA}/rules",
            }},
            "replication_factor": 1,
            "ring": {"kvstore": {"store": "inmemory"}},
        },
        "schema_config": {"configs": [{
            "from": "2020-10-24", "store": "tsdb", "object_store": "filesystem", "schema": "v13",
            "index": {"prefix": "index_", "period": "24h"},  # retention needs the 24h index period
        }]},
        "ruler": {"alertmanager_url": alertmanager_url, "rule_path": f"{LOKI_DATA}/rules-temp"},
    }
    if retention is not None:
        data["compactor"] = {
            "working_directory": f"{LOKI_DATA}/compactor",
            "retention_enabled": True,
            "delete_request_store": "filesystem",
        }
        data["limits_config"] = {"retention_period": retention}
    data["analytics"] = {"reporting_enabled": False}
    return data
