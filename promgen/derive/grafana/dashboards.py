"""Grafana: dashboards (overview, SLO, custom) and the provisioning that loads them with no clicks.

Everything here is plain data; `produce/grafana.py` serialises it. Layout (gridPos, ids) is
computed in `grafana_layout`, never in templates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from promgen.core import conventions
from promgen.core.model import Model, per_model
from promgen.core.stack import Stack
from promgen.derive.grafana import panels as g
from promgen.derive.grafana import thresholds as grafana_thresholds
from promgen.derive.grafana.fleet import fleet_dashboard
from promgen.derive.grafana.layout import Panel, Section, layout
from promgen.derive.grafana.overview import overview
from promgen.derive.grafana.slo import slo_dashboard
from promgen.judge.promql import metric_names
from promgen.load.models import CustomDashboard, PanelType
from promgen.load.models import Panel as SpecPanel

PROMETHEUS_URL = "http://prometheus:9090"
ALERTMANAGER_URL = "http://alertmanager:9093"
# (width, height) of a custom panel by type: single values are narrow, graphs half the grid.
CUSTOM_SIZES = {"stat": (6, 6), "gauge": (6, 6), "bargauge": (12, 8), "table": (12, 8), "heatmap": (12, 8),
                "timeseries": (12, 8)}


def service_files(stack: Stack, number: int) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Service `number`'s dashboards by output path (in its own folder when the stack has several),
    and its notes (named by the service when it has)."""
    model = stack.services[number]
    found, notes = service_dashboards(model)
    folder = model.service if stack.fleet else None
    return ({conventions.dashboard_file(dashboard["uid"], folder): dashboard for dashboard in found},
            [f"{model.service}: {note}" if stack.fleet else note for note in notes])


def fleet_files(stack: Stack) -> dict[str, dict[str, Any]]:
    """The fleet dashboard by output path, for a stack of several services (none otherwise)."""
    if not stack.fleet:
        return {}
    board = fleet_dashboard(stack)
    return {conventions.dashboard_file(board["uid"], conventions.FLEET_DASHBOARD_FOLDER): board}


@per_model
def service_dashboards(model: Model) -> tuple[list[dict[str, Any]], list[str]]:
    """One service's generated and custom dashboards, and notes on the ones it cannot have."""
    generate = model.spec.dashboards.generate
    found: list[dict[str, Any]] = []
    notes: list[str] = []
    if "overview" in generate:
        found.append(overview(model))
    if "slo" in generate:
        if model.spec.slos:
            found.append(slo_dashboard(model))
        else:
            notes.append("no SLOs declared: the SLO dashboard is not generated")
    found.extend(custom(model, d) for d in model.spec.dashboards.custom)
    grafana_thresholds.draw(model, found)
    return found, notes


# --- custom dashboards --------------------------------------------------------------------


def custom(model: Model, spec: CustomDashboard) -> dict[str, Any]:
    panels = [_custom_panel(model, p) for p in spec.panels]
    return g.dashboard(
        model,
        uid=conventions.custom_dashboard_uid(model.service, spec.title, spec.uid),
        title=spec.title,
        tags=list(spec.tags),
        panels=layout([Section(None, panels)]),
    )


def panel_description(model: Model, exprs: list[str]) -> str:
    """What a panel without a description of its own shows: the `help` of each declared metric its
    queries read, in order; else its queries."""
    helps: list[str] = []
    for expr in exprs:
        for name in sorted(metric_names(expr), key=expr.index):
            metric = model.declared(name)
            if metric is not None and metric.help and metric.help not in helps:
                helps.append(metric.help)
    if helps:
        return "; ".join(helps) + "."
    return "Shows " + "; ".join(exprs)


def _custom_panel(model: Model, panel: SpecPanel) -> Panel:
    queries = [(panel.expr, panel.legend)] if panel.expr is not None else [(t.expr, t.legend) for t in panel.targets]
    description = panel.description or panel_description(model, [expr for expr, _legend in queries if expr])
    if panel.type == "heatmap":
        built = [g.target(expr, legend or "{{le}}", i, fmt="heatmap") for i, (expr, legend) in enumerate(queries)]
    elif panel.type == "table":
        built = [g.target(expr, legend, i, fmt="table", instant=True) for i, (expr, legend) in enumerate(queries)]
    else:
        built = g.targets(*queries)
    body = _BUILDERS[panel.type](panel.title, description, built, panel.unit)
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


def datasources(stack: Stack) -> list[dict[str, Any]]:
    # $__rate_interval is four scrape intervals: Grafana must know the real one (the longest, when
    # services scrape at several: a rate over fewer than two samples is empty).
    interval = max((model.spec.scrape.interval for model in stack.services), key=lambda d: d.ms)
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
                "timeInterval": interval.text,
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


def _provider(name: str, folder: str, path: str) -> dict[str, Any]:
    return {
        "name": name,
        "orgId": 1,
        "folder": folder,
        "type": "file",
        "disableDeletion": True,
        "allowUiUpdates": False,
        "updateIntervalSeconds": 30,
        "options": {"path": path, "foldersFromFilesStructure": False},
    }


def providers(stack: Stack) -> list[dict[str, Any]]:
    """One provider loading the dashboards into the service's folder; for several services one per
    service (its folder and directory) and one for the fleet dashboard."""
    mount = conventions.GRAFANA_DASHBOARDS_MOUNT
    if not stack.fleet:
        return [_provider("promgen", stack.first.service, mount)]
    found = [_provider(f"promgen-{name}", name, f"{mount}/{name}") for name in stack.names]
    found.append(_provider("promgen-fleet", conventions.FLEET_GRAFANA_FOLDER,
                           f"{mount}/{conventions.FLEET_DASHBOARD_FOLDER}"))
    return found
