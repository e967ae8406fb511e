"""Grafana building blocks: the dashboard envelope, panels by type, targets and units.

Every panel and target reads from the `${datasource}` template variable, so a dashboard works
against whichever Prometheus the viewer picks.
"""

from __future__ import annotations

import re
from typing import Any

from promgen.core import conventions
from promgen.core.model import Model

SCHEMA_VERSION = 42  # the newest dashboard model Grafana 13.2 (and 12.4) reads without migrating it
DATASOURCE: dict[str, str] = {"type": "prometheus", "uid": "${datasource}"}
RATE_INTERVAL = "$__rate_interval"

# Grafana unit ids for a metric's own values, by promgen metric unit.
VALUE_UNITS = {
    "seconds": "s",
    "milliseconds": "ms",
    "bytes": "bytes",
    "ratio": "percentunit",
    "percent": "percent",
    "count": "short",
}
# ... and for the per-second rate of a counter in that unit (seconds per second: share of time busy).
RATE_UNITS = {
    "seconds": "percentunit",
    "milliseconds": "short",
    "bytes": "Bps",
    "ratio": "short",
    "percent": "short",
    "count": "ops",
}
STATUS_MAPPINGS: list[dict[str, Any]] = [
    {
        "type": "value",
        "options": {
            "0": {"color": "red", "index": 0, "text": "DOWN"},
            "1": {"color": "green", "index": 1, "text": "UP"},
        },
    }
]


def rate(selector: str) -> str:
    return f"rate({selector}[{RATE_INTERVAL}])"


def aggregate(op: str, labels: list[str], inner: str) -> str:
    """`sum(x)`, or `sum by (a, b) (x)` when split by labels."""
    return f"{op} by ({', '.join(labels)}) ({inner})" if labels else f"{op}({inner})"


def legend_of(labels: list[str], fallback: str) -> str:
    return " ".join("{{" + label + "}}" for label in labels) if labels else fallback


def thresholds(*steps: tuple[str, float | None]) -> dict[str, Any]:
    """Threshold steps, lowest first; the first step's value is always null (from minus infinity)."""
    listed = [{"color": color, "value": value} for color, value in steps]
    listed[0]["value"] = None
    return {"mode": "absolute", "steps": listed}


def target(expr: str, legend: str | None = None, index: int = 0, *, fmt: str | None = None,
           instant: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "datasource": dict(DATASOURCE),
        "expr": expr,
        "legendFormat": legend if legend is not None else "__auto",
        "refId": ref_id(index),
    }
    if fmt:
        body["format"] = fmt
    if instant:
        body["instant"] = True
        body["range"] = False
    else:
        body["range"] = True
    return body


def ref_id(index: int) -> str:
    """A, B, ..., Z, AA, AB, ..., ZZ, AAA, ...: spreadsheet-style ids, as many as a panel needs."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, len(letters))
        name = letters[rest] + name
    return name


def targets(*queries: tuple[str, str | None]) -> list[dict[str, Any]]:
    return [target(expr, legend, i) for i, (expr, legend) in enumerate(queries)]


def _panel(kind: str, title: str, description: str, queries: list[dict[str, Any]], defaults: dict[str, Any],
           options: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": dict(DATASOURCE),
        "targets": queries,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": options,
    }


def _reduce() -> dict[str, Any]:
    return {"calcs": ["lastNotNull"], "fields": "", "values": False}


def timeseries(title: str, description: str, queries: list[dict[str, Any]], unit: str, *,
               min_zero: bool = False, steps: dict[str, Any] | None = None) -> dict[str, Any]:
    defaults: dict[str, Any] = {"unit": unit}
    if min_zero:
        defaults["min"] = 0
    if steps is not None:
        defaults["thresholds"] = steps
        defaults["custom"] = {"thresholdsStyle": {"mode": "dashed"}}
    options = {
        "legend": {"calcs": [], "displayMode": "list", "placement": "bottom", "showLegend": True},
        "tooltip": {"mode": "multi", "sort": "desc"},
    }
    return _panel("timeseries", title, description, queries, defaults, options)


def stat(title: str, description: str, queries: list[dict[str, Any]], unit: str, *,
         steps: dict[str, Any] | None = None, mappings: list[dict[str, Any]] | None = None,
         decimals: int | None = None, sparkline: bool = True) -> dict[str, Any]:
    defaults: dict[str, Any] = {"unit": unit, "thresholds": steps or thresholds(("green", None))}
    if mappings:
        defaults["mappings"] = mappings
    if decimals is not None:
        defaults["decimals"] = decimals
    options = {
        "colorMode": "value",
        "graphMode": "area" if sparkline else "none",
        "justifyMode": "auto",
        "orientation": "auto",
        "percentChangeColorMode": "standard",
        "reduceOptions": _reduce(),
        "showPercentChange": False,
        "textMode": "auto",
        "wideLayout": True,
    }
    return _panel("stat", title, description, queries, defaults, options)


def gauge(title: str, description: str, queries: list[dict[str, Any]], unit: str) -> dict[str, Any]:
    defaults = {"unit": unit, "thresholds": thresholds(("green", None))}
    # every option Grafana 13.2's gauge requires, at its defaults
    options = {
        "barShape": "flat", "barWidthFactor": 0.5, "effects": {}, "minVizHeight": 75, "minVizWidth": 75,
        "orientation": "auto", "reduceOptions": _reduce(), "segmentCount": 1, "segmentSpacing": 0.3, "shape": "gauge",
        "showThresholdLabels": False, "showThresholdMarkers": True, "sizing": "auto",
    }
    return _panel("gauge", title, description, queries, defaults, options)


def bargauge(title: str, description: str, queries: list[dict[str, Any]], unit: str) -> dict[str, Any]:
    defaults = {"unit": unit, "thresholds": thresholds(("green", None))}
    options = {
        "displayMode": "gradient", "legend": {"calcs": [], "displayMode": "list", "placement": "bottom", "showLegend": False},
        "maxVizHeight": 300, "minVizHeight": 16, "minVizWidth": 8, "namePlacement": "auto", "orientation": "horizontal",
        "reduceOptions": _reduce(), "showUnfilled": True, "sizing": "auto", "valueMode": "color",
    }
    return _panel("bargauge", title, description, queries, defaults, options)


def table(title: str, description: str, queries: list[dict[str, Any]], unit: str) -> dict[str, Any]:
    return _panel("table", title, description, queries, {"unit": unit}, {"cellHeight": "sm", "frameIndex": 0, "showHeader": True})


def heatmap(title: str, description: str, queries: list[dict[str, Any]], unit: str) -> dict[str, Any]:
    """Prometheus histogram buckets drawn as they are (`format: heatmap`, no re-bucketing in Grafana)."""
    options = {
        "calculate": False,
        "cellGap": 1,
        "cellValues": {"unit": "cps"},  # observations per second falling into the bucket
        "color": {"exponent": 0.5, "fill": "dark-orange", "mode": "scheme", "reverse": False,
                  "scale": "exponential", "scheme": "Oranges", "steps": 64},
        "exemplars": {"color": "rgba(255,0,255,0.7)"},
        "filterValues": {"le": 1e-9},
        "legend": {"show": True},
        "rowsFrame": {"layout": "auto"},
        "showValue": "auto",
        "tooltip": {"mode": "single", "yHistogram": False},
        "yAxis": {"axisPlacement": "left", "reverse": False, "unit": unit},
    }
    return _panel("heatmap", title, description, queries, {"unit": unit}, options)


def bucket_target(expr: str) -> dict[str, Any]:
    return target(expr, "{{le}}", fmt="heatmap")


INSTANCE_MATCHER = 'instance=~"$instance"'
# PromQL pieces a series name can hide in without being a selector: strings and grouping label lists
_SKIPPED = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`'
                      r"|\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_MATCHERS = re.compile(r"\s*\{((?:[^}\"]|\"(?:[^\"\\]|\\.)*\")*)\}")


def with_instance_filter(expr: str, names: set[str]) -> str:
    """`expr` with `instance=~"$instance"` added to every selector of a series in `names` (`name`,
    `name{...}`, `name[...]`); functions, label names and strings stay as they are."""
    out: list[str] = []
    at = 0
    while at < len(expr):
        skipped = _SKIPPED.match(expr, at)
        if skipped:
            out.append(skipped.group(0))
            at = skipped.end()
            continue
        name = _NAME.match(expr, at)
        if name is None or (at and (expr[at - 1].isalnum() or expr[at - 1] in "_:$")):
            out.append(expr[at])
            at += 1
            continue
        end = name.end()
        matchers = _MATCHERS.match(expr, end)
        calls = expr[end:].lstrip().startswith("(")
        if name.group(0) not in names or (calls and matchers is None):
            out.append(expr[at:end] if matchers is None else expr[at:matchers.end()])
            at = end if matchers is None else matchers.end()
            continue
        inside = matchers.group(1).strip() if matchers else ""
        out.append(f"{name.group(0)}{{{INSTANCE_MATCHER}{', ' + inside if inside else ''}}}")
        at = matchers.end() if matchers else end
    return "".join(out)


def instance_variable(jobs: list[str]) -> dict[str, Any]:
    """Pick one, several or all instances of the service's jobs (`$instance` in the queries)."""
    return label_variable("instance", "Instance", f'up{{job=~"{"|".join(jobs)}"}}')


def label_variable(label: str, title: str, series: str) -> dict[str, Any]:
    """Pick one, several or all values of `label` on `series` (`$<label>` in the queries)."""
    query = f"label_values({series}, {label})"
    return {
        "allValue": ".*",
        "current": {"selected": True, "text": "All", "value": "$__all"},
        "datasource": dict(DATASOURCE),
        "hide": 0,
        "includeAll": True,
        "label": title,
        "multi": True,
        "name": label,
        "options": [],
        "query": {"qryType": 1, "query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        "refresh": 2,
        "regex": "",
        "skipUrlSync": False,
        "sort": 1,
        "type": "query",
    }


def datasource_variable() -> dict[str, Any]:
    return {
        "current": {"selected": False, "text": "Prometheus", "value": conventions.PROMETHEUS_DATASOURCE_UID},
        "hide": 0,
        "includeAll": False,
        "label": "Data source",
        "multi": False,
        "name": "datasource",
        "options": [],
        "query": "prometheus",
        "refresh": 1,
        "regex": "",
        "skipUrlSync": False,
        "type": "datasource",
    }


def dashboard_annotations(alerts: str) -> dict[str, Any]:
    """Grafana's own annotations, and the firing alerts `alerts` selects marked on every graph."""
    return {
        "list": [
            {
                "builtIn": 1,
                "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                "enable": True,
                "hide": True,
                "iconColor": "rgba(0, 211, 255, 1)",
                "name": "Annotations & Alerts",
                "type": "dashboard",
            },
            {
                "datasource": dict(DATASOURCE),
                "enable": True,
                "iconColor": "red",
                "name": "Firing alerts",
                # the query as Grafana 11+ stores it (older versions read `expr` and `step` here
                # and move them into the target themselves)
                "target": {"expr": f'ALERTS{{alertstate="firing", {alerts}}}', "interval": "1m", "refId": "Anno"},
                "tagKeys": "severity",
                "titleFormat": "{{alertname}}",
            },
        ]
    }


def dashboard(model: Model, *, uid: str, title: str, tags: list[str], panels: list[dict[str, Any]],
              time_from: str = "now-6h") -> dict[str, Any]:
    """A dashboard of one service: tagged with it, linking its other dashboards, marking its alerts."""
    return envelope(scope=model.service, header=model.header, alerts=f'service="{model.service}"', uid=uid,
                    title=title, tags=tags, panels=panels, time_from=time_from, refresh=str(model.spec.dashboards.refresh))


def envelope(*, scope: str, header: str, alerts: str, uid: str, title: str, tags: list[str],
             panels: list[dict[str, Any]], time_from: str = "now-6h", refresh: str = "1m") -> dict[str, Any]:
    """The dashboard document around `panels`: `scope` tags it and names the dashboards it links to,
    `alerts` is the label matcher of the firing alerts it marks on every graph."""
    all_tags = list(dict.fromkeys(["promgen", scope, *tags]))
    return {
        "uid": uid,
        "title": title,
        "description": header,
        "tags": all_tags,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "id": None,
        "editable": False,
        "graphTooltip": 1,
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "refresh": refresh,
        "time": {"from": time_from, "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "weekStart": "",
        "annotations": dashboard_annotations(alerts),
        "links": [
            {
                "asDropdown": True,
                "icon": "external link",
                "includeVars": True,
                "keepTime": True,
                "tags": [scope],
                "targetBlank": False,
                "title": f"{scope} dashboards",
                "tooltip": "",
                "type": "dashboards",
                "url": "",
            }
        ],
        "templating": {"list": [datasource_variable()]},
        "panels": panels,
    }
