"""grafana/: dashboards (overview, SLO, custom) and the provisioning files that load them."""

from __future__ import annotations

from typing import Any

from promgen.core import conventions
from promgen.core.stack import Stack
from promgen.derive.grafana import dashboards as grafana
from promgen.produce.registry import Output
from promgen.produce.templates import render_template


def files(stack: Stack) -> Output:
    data = grafana.derive(stack)
    out: dict[str, str] = {
        conventions.GRAFANA_DATASOURCES_FILE: render_template(
            "grafana/datasources.yml.j2", header=stack.header, datasources=data.datasources
        ),
        conventions.GRAFANA_DASHBOARD_PROVIDER_FILE: render_template(
            "grafana/dashboards.yml.j2",
            header=stack.header,
            providers=data.providers,
            path=conventions.GRAFANA_DASHBOARDS_MOUNT,
            by_service=stack.fleet,
        ),
    }
    for path, dashboard in data.dashboards.items():
        out[path] = dashboard_text(dashboard)
    # One column in the render summary: "dashboards" (a panels count would widen the shared table).
    return Output(files=out, notes=data.notes, stats={"dashboards": len(data.dashboards)})


# Dashboard texts by the dashboard object's id, the object kept alongside (so its id is not reused
# while the entry lives): the Kubernetes output writes the same dashboards (derived once per model)
# into ConfigMaps, and the SLO dashboard of a thousand SLOs takes seconds to write out.
_TEXTS: dict[int, tuple[dict[str, Any], str]] = {}
_TEXTS_MAX = 64


def dashboard_text(dashboard: dict[str, Any]) -> str:
    """The dashboard's JSON file, written once per dashboard object."""
    cached = _TEXTS.get(id(dashboard))
    if cached is not None and cached[0] is dashboard:
        return cached[1]
    text = render_template("grafana/dashboard.json.j2", dashboard=dashboard)
    if len(_TEXTS) >= _TEXTS_MAX:
        _TEXTS.clear()
    _TEXTS[id(dashboard)] = (dashboard, text)
    return text
