"""Grafana: dashboards (overview, SLO, custom) and the provisioning that loads them with no clicks.

Everything here is plain data; `produce/grafana.py` serialises it. Layout (gridPos, ids) is
computed in `grafana_layout`, never in templates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from promgen import conventions
from promgen.derive import grafana_panels as g
from promgen.derive.grafana_layout import Panel, Section, layout
from promgen.derive.grafana_overview import overview
from promgen.derive.grafana_slo import slo_dashboard
from promgen.model import Model
from promgen.spec.models import CustomDashboard, PanelType
from promgen.spec.models import Panel as SpecPanel

PROMETHEUS_URL = "http://prometheus:9090"
ALERTMANAGER_URL = "http://alertmanager:9093"
# (width, height) of a custom panel by type: single values are narrow, graphs half the grid.
CUSTOM_SIZES = {"stat": (6, 6), "gauge": (6, 6), "bargauge": (12, 8), "table": (12, 8), "heatmap": (12, 8),
                "timeseries": (12, 8)}


@dataclass
class GrafanaData:
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)  # output path -> dashboard
    datasources: list[dict[str, Any]] = field(default_factory=list)
    providers: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def derive(model: Model) -> GrafanaData:
    data = GrafanaData(datasources=datasources(model), providers=providers(model))
    generate = model.spec.dashboards.generate
    found: list[dict[str, Any]] = []
    if "overview" in generate:
        found.append(overview(model))
    if "slo" in generate:
        if model.spec.slos:
            found.append(slo_dashboard(model))
        else:
            data.notes.append("no SLOs declared: the SLO dashboard is not generated")
    found.extend(custom(model, d) for d in model.spec.dashboards.custom)
    for dashboard in found:
        path = conventions.dashboard_file(dashboard["uid"])
        if path in data.dashboards:  # spec checks reject this; never overwrite silently
            raise ValueError(f"two dashboards have the uid {dashboard['uid']!r}")
        data.dashboards[path] = dashboard
    return data


# --- custom dashboards --------------------------------------------------------------------


def custom(model: Model, spec: CustomDashboard) -> dict[str, Any]:
    panels = [_custom_panel(p) for p in spec.panels]
    return g.dashboard(
        model,
        uid=conventions.custom_dashboard_uid(model.service, spec.title, spec.uid),
        title=spec.title,
        tags=list(spec.tags),
        panels=layout([Section(None, panels)]),
    )


def _custom_panel(panel: SpecPanel) -> Panel:
    queries = [(panel.expr, panel.legend)] if panel.expr is not None else [(t.expr, t.legend) for t in panel.targets]
    if panel.type == "heatmap":
        built = [g.target(expr, legend or "{{le}}", i, fmt="heatmap") for i, (expr, legend) in enumerate(queries)]
    elif panel.type == "table":
        built = [g.target(expr, legend, i, fmt="table", instant=True) for i, (expr, legend) in enumerate(queries)]
    else:
        built = g.targets(*queries)
    body = _BUILDERS[panel.type](panel.title, panel.description, built, panel.unit)
    w, h = CUSTOM_SIZES[panel.type]
    return Panel(body, w=w, h=h)


# (title, description, targets, unit) -> panel
PanelBuilder = Callable[[str, str, list[dict[str, Any]], str], dict[str, Any]]
_BUILDERS: dict[PanelType, PanelBuilder] = {
    "timeseries": g.timeseries,
    "stat": g.stat,
    "gauge": g.gauge,
    "bargauge": g.bargauge,
    "table": g.table,
    "heatmap": g.heatmap,
}


# --- provisioning -------------------------------------------------------------------------


def datasources(model: Model) -> list[dict[str, Any]]:
    return [
        {
            "name": "Prometheus",
            "type": "prometheus",
            "uid": conventions.PROMETHEUS_DATASOURCE_UID,
            "access": "proxy",
            "url": PROMETHEUS_URL,
            "isDefault": True,
            "editable": False,
            "jsonData": {
                "httpMethod": "POST",
                # $__rate_interval is four scrape intervals: Grafana must know the real one.
                "timeInterval": model.spec.scrape.interval.text,
                "alertmanagerUid": conventions.ALERTMANAGER_DATASOURCE_UID,
            },
        },
        {
            "name": "Alertmanager",
            "type": "alertmanager",
            "uid": conventions.ALERTMANAGER_DATASOURCE_UID,
            "access": "proxy",
            "url": ALERTMANAGER_URL,
            "isDefault": False,
            "editable": False,
            "jsonData": {"implementation": "prometheus", "handleGrafanaManagedAlerts": False},
        },
    ]


def providers(model: Model) -> list[dict[str, Any]]:
    return [
        {
            "name": "promgen",
            "orgId": 1,
            "folder": model.service,
            "type": "file",
            "disableDeletion": True,
            "allowUiUpdates": False,
            "updateIntervalSeconds": 30,
            "options": {"path": conventions.GRAFANA_DASHBOARDS_MOUNT, "foldersFromFilesStructure": False},
        }
    ]
