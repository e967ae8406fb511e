"""SLOs: objectives, windows, SLI queries, latency histograms and buckets, and their generated alerts."""

from __future__ import annotations

from collections.abc import Iterable

from promgen.check.context import (
    RESERVED_ALERT_LABELS,
    Context,
    metric_unit_of,
    slo_alert_names,
)
from promgen.judge.promql import substitute_window
from promgen.load.suggest import did_you_mean
from promgen.yamlio.reader import PathKey


def slos(ctx: Context) -> None:
    severities = ctx.severity_names
    metrics = ctx.metric_of
    for index, slo in enumerate(ctx.spec.slos):
        here = ("slos", index)
        if not 0 < slo.objective < 100:
            ctx.error(here + ("objective",), f"objective is a percentage strictly between 0 and 100, not {slo.objective:g}")
        if slo.window.ms < 3_600_000:
            ctx.error(here + ("window",), "an SLO window must be at least 1h")
        slo_alerting(ctx, index)
        sli = slo.sli
        for field in ("errors", "good", "total", "error_ratio"):
            query = getattr(sli, field)
            if query is None:
                continue
            path: PathKey = here + ("sli", field)
            if "{{window}}" not in query.replace("{{ window }}", "{{window}}"):
                ctx.error(path, "a ratio SLI query needs the {{window}} placeholder in its range, e.g. [{{window}}]")
                continue
            ctx.promql(path, substitute_window(query, "5m"), query, result="vector")
        if sli.latency is not None:
            if sli.latency.threshold.ms == 0:
                ctx.error(here + ("sli", "latency", "threshold"), "a latency threshold must be longer than 0")
            path = here + ("sli", "latency", "metric")
            metric = metrics.get(sli.latency.metric)
            histograms = ctx.histograms
            if metric is None or metric.type != "histogram":
                found = f"is a {metric.type}" if metric else "is not declared in `metrics`"
                ctx.error(path, f"latency SLI metric {sli.latency.metric!r} {found}; it must be a declared histogram{did_you_mean(sli.latency.metric, histograms)}")
            elif metric.buckets is not None:
                bound = sli.latency.threshold.seconds * (1000 if metric_unit_of(metric) == "milliseconds" else 1)
                if not any(abs(b - bound) < 1e-9 for b in metric.buckets):
                    ctx.error(here + ("sli", "latency", "threshold"), f"threshold {sli.latency.threshold} ({bound:g}) is not one of {metric.name}'s buckets {list(metric.buckets)}")
            if sli.latency.selector:
                ctx.promql(here + ("sli", "latency", "selector"), f"x{{{sli.latency.selector}}}", sli.latency.selector)
        for field in ("page", "ticket", "no_data"):
            name = getattr(slo.alerting, field)
            if name is not None:
                ctx.reference(here + ("alerting", field), name, severities, "severity")
        _alert_windows(ctx, index, severities)
        if sli.error_ratio is not None and slo.rules == "chained":
            ctx.error(here + ("rules",), "an error_ratio SLI has no event rates to chain: its windows are recorded "
                                         "exact, each from its query (leave `rules` out)")


def slo_alerting(ctx: Context, index: int) -> None:
    """Generated SLO alert names follow the mixin conventions; burn thresholds must be reachable."""
    from promgen.core import burn_rates

    slo = ctx.spec.slos[index]
    for key in slo.labels:
        if key in RESERVED_ALERT_LABELS:
            ctx.error(("slos", index, "labels", key), f"label {key!r} is set by promgen; choose another label name", at_key=True)
    for key, value in slo.alerting.annotations.items():
        ctx.template(("slos", index, "alerting", "annotations", key), value, f"annotation {key}")
    names = list(slo_alert_names(slo))
    clash = next((ctx.slo_alert_owner[n] for n in names if n in ctx.slo_alert_owner), None)
    if clash is not None and ctx.spec.slos[clash].name != slo.name:
        other = ctx.spec.slos[clash]
        where = ("slos", index, "alerting", "name") if slo.alerting.name else ("slos", index, "name")
        ctx.error(where, f"SLOs {other.name!r} and {slo.name!r} would both raise {names[0]}; "
                          f"{'give one another `alerting.name`' if slo.alerting.name else 'rename one'}")
    for name in names:
        ctx.slo_alert_owner.setdefault(name, index)
    if slo.alerting.enabled and 0 < slo.objective < 100 and not slo.alerting.windows:
        budget = 1 - slo.objective / 100
        factor = min(factor for kind, _, _, factor, _ in burn_rates.TABLE if kind == "page")
        if factor * budget >= 1:
            ctx.warn(("slos", index, "objective"), f"with an objective of {slo.objective:g}% the page alert needs more than 100% failing events ({factor:g}x the {budget:.0%} budget) and can never fire")



def _alert_windows(ctx: Context, index: int, severities: Iterable[str]) -> None:
    """The SLO's own burn-rate table: known severities, windows inside the SLO window, thresholds a
    ratio can cross; page and ticket are unused beside it."""
    slo = ctx.spec.slos[index]
    here: PathKey = ("slos", index, "alerting")
    windows = slo.alerting.windows
    for key in slo.alerting.by_severity:
        ctx.reference(here + ("by_severity", key), key, severities, "severity")
        for label in slo.alerting.by_severity[key].labels:
            if label in RESERVED_ALERT_LABELS or label in ("long", "short"):
                ctx.error(here + ("by_severity", key, "labels", label), f"label {label!r} is set by promgen; choose "
                                                                         "another label name", at_key=True)
    if not windows:
        return
    for field in ("page", "ticket"):
        if getattr(slo.alerting, field) is not None:
            ctx.warn(here + (field,), f"`{field}` is unused: the SLO's `windows` name the severity of each alert")
    budget = 1 - slo.objective / 100 if 0 < slo.objective < 100 else None
    for position, window in enumerate(windows):
        path = here + ("windows", position)
        ctx.reference(path + ("severity",), window.severity, severities, "severity")
        if window.long.ms > slo.window.ms:
            ctx.error(path + ("long",), f"the long window {window.long} is longer than the SLO window {slo.window}")
        factor = window.factor if window.factor is not None else (window.budget_percent or 0) / 100 * slo.window.ms / window.long.ms
        if budget is not None and factor * budget >= 1:
            ctx.warn(path, f"{factor:g}x the {budget:.2%} budget is 100% failing events or more: this condition "
                           "can never hold")
