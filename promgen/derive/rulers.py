"""Rule groups for rule engines beyond one Prometheus: the Mimir/Cortex ruler (a namespace per
service, as `mimirtool rules load` reads it) and VictoriaMetrics' vmalert (a VMRule object). Both take
the groups of the service's Prometheus rule files unchanged, so the promtool tests of those files
test these rules too. Thanos Ruler reads the Prometheus rule files as they are (docs/rulers.md)."""

from __future__ import annotations

from typing import Any

from promgen.derive.kubernetes import metadata
from promgen.model import Model

VMRULE_API = "operator.victoriametrics.com/v1beta1"


def mimir_namespace(model: Model, groups: list[dict[str, Any]]) -> dict[str, Any]:
    return {"namespace": model.service, "groups": groups}


def vmrule(model: Model, groups: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": VMRULE_API, "kind": "VMRule", "metadata": metadata(model, model.service),
            "spec": {"groups": groups}}
