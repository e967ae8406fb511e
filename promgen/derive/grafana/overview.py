"""The overview dashboard, derived from the declared metrics and scrape targets.

Rows, top to bottom: target status; a rate / errors / duration (RED) row for each request
counter that has an error signal or a latency histogram beside it; then every declared metric
by type (counters as rates split by their labels, histograms as p50/p95/p99 and a heatmap,
gauges as values, summaries as averages).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from typing import Any

from promgen.core import conventions
from promgen.core.model import Model
from promgen.derive.grafana import panels as g
from promgen.derive.grafana.layout import Panel, Section, layout
from promgen.load.models import Metric

QUANTILES = (("p50", "0.5"), ("p95", "0.95"), ("p99", "0.99"))
STATUS_LABELS = ("status_code", "status", "code", "http_status")
SERVER_ERRORS = '"5.."'  # HTTP status classes that count as errors
TIMESTAMP_MARKER = "timestamp"


@dataclass(frozen=True)
class RedGroup:
    """One request counter and what measures its errors and its duration."""

    requests: Metric
    status_label: str | None
    errors: Metric | None
    duration: Metric | None


def overview(model: Model) -> dict[str, Any]:
    sections = [_targets(model), *(_red(model, group) for group in red_groups(model.spec.metrics)), *_metrics(model)]
    board = g.dashboard(
        model,
        uid=conventions.dashboard_uid(model.service, "overview"),
        title=model.spec.dashboards.titles.overview or f"{model.service} overview",
        tags=["overview"],
        panels=layout(sections),
    )
    if sum(len(target.static) for target in model.spec.scrape.targets if target.exporter is None) > 1:
        _filter_by_instance(model, board)
    return board


def _filter_by_instance(model: Model, board: dict[str, Any]) -> None:
    """With more than one instance of the service scraped: an `instance` variable over its own jobs,
    and every query of a scraped series (declared metrics, a histogram's series, `up`) narrowed to
    the instances picked."""
    names = {"up"}
    for metric in model.spec.metrics:
        names.add(metric.name)
        if metric.type in ("histogram", "summary"):
            names.update(metric.name + suffix for suffix in ("_bucket", "_count", "_sum"))
    board["templating"]["list"].append(g.instance_variable(list(model.service_jobs)))
    for panel in board["panels"]:
        for inner in [panel, *panel.get("panels", [])]:
            for target in inner.get("targets", []):
                target["expr"] = g.with_instance_filter(target["expr"], names)


# --- targets ------------------------------------------------------------------------------


def _status_panel(title: str, description: str, expr: str) -> Panel:
    """An up/down stat per instance: red at 0, green at 1."""
    return Panel(
        g.stat(
            title,
            description,
            [g.target(expr, "{{instance}}")],
            "none",
            steps=g.thresholds(("red", None), ("green", 1)),
            mappings=g.STATUS_MAPPINGS,
            sparkline=False,
        ),
        w=6,
        h=4,
    )


def _targets(model: Model) -> Section:
    panels = [
        _status_panel(f"Targets up: {job}", f"Scrape status of every instance of job {job}.", f'up{{job="{job}"}}')
        for job in model.jobs
    ]
    if model.blackbox_job:
        panels.append(_status_panel(
            "External probes",
            "Blackbox probe result of every external URL.",
            f'probe_success{{job="{model.blackbox_job}"}}',
        ))
    panels.append(Panel(
        g.stat(
            "Firing alerts",
            f"Alerts of {model.service} firing now.",
            [g.target(f'count(ALERTS{{alertstate="firing", service="{model.service}"}}) or vector(0)', "firing")],
            "none",
            steps=g.thresholds(("green", None), ("red", 1)),
            sparkline=False,
        ),
        w=6,
        h=4,
    ))
    return Section("Targets", panels)


# --- RED ----------------------------------------------------------------------------------


def red_groups(metrics: list[Metric]) -> list[RedGroup]:
    """Request counters (`<prefix>requests_total`) with an error signal or a latency histogram."""
    by_name = {m.name: m for m in metrics}
    histograms = _Histograms(metrics)
    groups: list[RedGroup] = []
    for metric in metrics:
        if metric.type != "counter" or not metric.name.endswith("requests_total"):
            continue
        prefix = metric.name.removesuffix("requests_total")
        status = next((label for label in STATUS_LABELS if label in metric.labels), None)
        errors = by_name.get(f"{prefix}errors_total") if status is None else None
        if errors is not None and errors.type != "counter":
            errors = None
        duration = _duration_histogram(prefix, histograms)
        if status or errors or duration:
            groups.append(RedGroup(metric, status, errors, duration))
    return groups


class _Histograms:
    """The histograms among `metrics`, by name: found by prefix without a scan of every metric (a
    service of a thousand request counters asks a thousand times)."""

    def __init__(self, metrics: list[Metric]) -> None:
        found = sorted((m.name, at) for at, m in enumerate(metrics) if m.type == "histogram")
        self._names = [name for name, _at in found]
        self._order = [at for _name, at in found]
        self._metrics = metrics

    def first(self, prefix: str) -> Metric | None:
        """The first histogram (in `metrics`' order) whose name starts with `prefix`."""
        start = bisect.bisect_left(self._names, prefix)
        end = start
        while end < len(self._names) and self._names[end].startswith(prefix):
            end += 1
        return self._metrics[min(self._order[start:end])] if end > start else None


DURATION_STEMS = ("request_duration", "request_latency", "duration", "latency")


def _duration_histogram(prefix: str, histograms: _Histograms) -> Metric | None:
    for stem in DURATION_STEMS:
        found = histograms.first(prefix + stem)
        if found is not None:
            return found
    return None


def _red(model: Model, group: RedGroup) -> Section:
    requests = group.requests.name
    split = [group.status_label] if group.status_label else []
    panels = [
        Panel(g.timeseries(
            "Request rate",
            f"Requests per second ({requests}){' by ' + group.status_label if group.status_label else ''}.",
            [g.target(g.aggregate("sum", split, g.rate(requests)), g.legend_of(split, "requests"))],
            "reqps",
            min_zero=True,
        ))
    ]
    bad = how = None
    if group.status_label:
        bad = f"sum({g.rate(f'{requests}{{{group.status_label}=~{SERVER_ERRORS}}}')})"
        how = f"{requests} with {group.status_label} 5xx"
    elif group.errors:
        bad = f"sum({g.rate(group.errors.name)})"
        how = group.errors.name
    if bad:
        panels.append(Panel(g.timeseries(
            "Error ratio",
            f"Share of requests that fail: {how} / {requests}.",
            [g.target(f"{bad} / sum({g.rate(requests)})", "errors")],
            "percentunit",
            min_zero=True,
        )))
    if group.duration:
        panels.append(Panel(_quantiles(model, group.duration, "Duration p50/p95/p99")))
    return Section(f"Rate, errors, duration: {requests}", panels)


def _quantiles(model: Model, metric: Metric, title: str) -> dict[str, Any]:
    buckets = f"sum by (le) ({g.rate(metric.name + '_bucket')})"
    return g.timeseries(
        title,
        metric.help or metric.name,
        g.targets(*((f"histogram_quantile({q}, {buckets})", name) for name, q in QUANTILES)),
        g.VALUE_UNITS[model.metric_units[metric.name]],
        min_zero=True,
    )


# --- every declared metric ----------------------------------------------------------------


def _metrics(model: Model) -> list[Section]:
    of = {kind: [m for m in model.spec.metrics if m.type == kind] for kind in ("counter", "histogram", "gauge", "summary")}
    return [
        Section("Counters", [_counter(model, m) for m in of["counter"]]),
        Section("Histograms", [p for m in of["histogram"] for p in _histogram(model, m)]),
        Section("Gauges", _gauges(model, of["gauge"])),
        Section("Summaries", [p for m in of["summary"] for p in _summary(model, m)]),
    ]


def _counter(model: Model, metric: Metric) -> Panel:
    unit = model.metric_units[metric.name]
    grafana_unit = "reqps" if unit == "count" and metric.name.endswith("requests_total") else g.RATE_UNITS[unit]
    labels = list(metric.labels)
    expr = g.aggregate("sum", labels, g.rate(metric.name))
    return Panel(g.timeseries(
        metric.name, _about(metric, "per second"), [g.target(expr, g.legend_of(labels, "rate"))], grafana_unit, min_zero=True
    ))


def _histogram(model: Model, metric: Metric) -> list[Panel]:
    unit = g.VALUE_UNITS[model.metric_units[metric.name]]
    labels = list(metric.labels)
    width = 8 if labels else 12
    panels = [
        Panel(_quantiles(model, metric, f"{metric.name} p50/p95/p99"), w=width, new_line=True),
        Panel(g.heatmap(
            f"{metric.name} distribution",
            _about(metric, "observations per second by bucket"),
            [g.bucket_target(f"sum by (le) ({g.rate(metric.name + '_bucket')})")],
            unit,
        ), w=width),
    ]
    if labels:
        buckets = f"sum by (le, {', '.join(labels)}) ({g.rate(metric.name + '_bucket')})"
        panels.append(Panel(g.timeseries(
            f"{metric.name} p95 by {', '.join(labels)}",
            _about(metric, "95th percentile"),
            [g.target(f"histogram_quantile(0.95, {buckets})", g.legend_of(labels, "p95"))],
            unit,
            min_zero=True,
        ), w=width))
    return panels


def _gauges(model: Model, gauges: list[Metric]) -> list[Panel]:
    """Unlabelled gauges as stat values first, then labelled ones as series split by their labels."""
    single = [_gauge_value(model, m) for m in gauges if not m.labels]
    split = [_gauge_series(model, m) for m in gauges if m.labels]
    if split:
        split[0] = replace(split[0], new_line=True)
    return single + split


def _gauge_unit(model: Model, metric: Metric) -> tuple[str, str]:
    """(Grafana unit, factor to apply): Unix timestamps show as time ago, which Grafana wants in ms."""
    unit = model.metric_units[metric.name]
    if TIMESTAMP_MARKER in metric.name and unit in ("seconds", "count"):
        return "dateTimeFromNow", " * 1000"
    if TIMESTAMP_MARKER in metric.name and unit == "milliseconds":
        return "dateTimeFromNow", ""
    return g.VALUE_UNITS[unit], ""


def _is_status(metric: Metric) -> bool:
    return metric.name == "up" or metric.name.endswith("_up")


def _gauge_value(model: Model, metric: Metric) -> Panel:
    if _is_status(metric):
        body = g.stat(metric.name, _about(metric, "1 = up"), [g.target(f"min({metric.name})", metric.name)], "none",
                      steps=g.thresholds(("red", None), ("green", 1)), mappings=g.STATUS_MAPPINGS, sparkline=False)
        return Panel(body, w=6, h=4)
    unit, factor = _gauge_unit(model, metric)
    op = "max" if factor else "sum"  # the latest of several timestamps, the total of other values
    body = g.stat(metric.name, _about(metric, "now"), [g.target(f"{op}({metric.name}){factor}", metric.name)], unit,
                  sparkline=not factor)
    return Panel(body, w=6, h=4)


def _gauge_series(model: Model, metric: Metric) -> Panel:
    unit, factor = _gauge_unit(model, metric)
    labels = list(metric.labels)
    op = "max" if factor or _is_status(metric) else "sum"
    expr = g.aggregate(op, labels, metric.name) + factor
    return Panel(g.timeseries(metric.name, _about(metric, f"by {', '.join(labels)}"),
                              [g.target(expr, g.legend_of(labels, metric.name))], unit))


def _summary(model: Model, metric: Metric) -> list[Panel]:
    unit = g.VALUE_UNITS[model.metric_units[metric.name]]
    average = f"sum({g.rate(metric.name + '_sum')}) / sum({g.rate(metric.name + '_count')})"
    return [
        Panel(g.timeseries(f"{metric.name} average", _about(metric, "average per observation"),
                           [g.target(average, "average")], unit, min_zero=True), w=12, new_line=True),
        Panel(g.timeseries(f"{metric.name} observations", _about(metric, "observations per second"),
                           [g.target(f"sum({g.rate(metric.name + '_count')})", "rate")], "ops", min_zero=True), w=12),
    ]


def _about(metric: Metric, what: str) -> str:
    return f"{metric.help.rstrip('.')} ({what})." if metric.help else f"{metric.name} ({what})."
