"""Rule groups for rule engines beyond one Prometheus: the Mimir/Cortex ruler (a namespace per
service, as `mimirtool rules load` reads it) and VictoriaMetrics' vmalert (a VMRule object). Both take
the groups of the service's Prometheus rule files, so the promtool tests of those files test these
rules too. Thanos Ruler reads the Prometheus rule files as they are (docs/rulers.md)."""

from __future__ import annotations

from typing import Any

from promgen.core.model import Model
from promgen.derive.kubernetes import metadata
from promgen.derive.prometheus.config import Group, rule_groups

VMRULE_API = "operator.victoriametrics.com/v1beta1"


def groups(model: Model) -> list[Group]:
    """The rule files' groups, each with the service's evaluation interval: a ruler does not read
    prometheus.yml (Mimir's and vmalert's default is 1m), and the SLO rules and their tests are
    written for the service's interval."""
    interval = str(model.evaluation_interval)
    return [{"name": group["name"], "interval": interval, **{k: v for k, v in group.items() if k != "name"}}
            for group in rule_groups(model)]


def mimir_namespace(model: Model, service_groups: list[Group]) -> dict[str, Any]:
    return {"namespace": model.service, "groups": service_groups}


def vmrule(model: Model, service_groups: list[Group]) -> dict[str, Any]:
    return {"apiVersion": VMRULE_API, "kind": "VMRule", "metadata": metadata(model, model.service),
            "spec": {"groups": service_groups}}
