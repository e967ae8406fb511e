"""Alerts: severities, labels and Go templates, expressions, annotation labels the expression drops,
and alert templates with their parameters; log alerts' LogQL."""

from __future__ import annotations

from promgen.check.context import RESERVED_ALERT_LABELS, Context
from promgen.core import alert_templates
from promgen.judge import logql
from promgen.load.models import AlertBase, service_jobs
from promgen.load.suggest import did_you_mean
from promgen.yamlio.reader import PathKey

LOKI_MIN_RETENTION_MS = 86_400_000


def alerts(ctx: Context) -> None:
    for index, alert in enumerate(ctx.spec.alerts):
        here = ("alerts", index)
        alert_fields(ctx, here, alert)
        if alert.expr is not None:
            ctx.promql(here + ("expr",), alert.expr, result="vector")
            annotation_labels(ctx, index)
        else:
            template_alert(ctx, index)


def log_alerts(ctx: Context) -> None:
    for index, alert in enumerate(ctx.spec.log_alerts):
        here = ("log_alerts", index)
        alert_fields(ctx, here, alert)
        for reason in logql.problems(alert.expr):
            ctx.error(here + ("expr",), f"LogQL: {reason}")
    if ctx.spec.stack.log_retention is not None and ctx.spec.stack.log_retention.ms < LOKI_MIN_RETENTION_MS:
        ctx.error(("stack", "log_retention"), f"Loki keeps logs at least 24h: {ctx.spec.stack.log_retention} is shorter")


def alert_fields(ctx: Context, here: PathKey, alert: AlertBase) -> None:
    """Severity, labels and Go templates: what metric and log alerts have in common."""
    ctx.reference(here + ("severity",), alert.severity, ctx.severity_names, "severity")
    for key in alert.labels:
        if key in RESERVED_ALERT_LABELS:
            advice = "use the alert's `severity` field" if key == "severity" else "choose another label name"
            ctx.error(here + ("labels", key), f"label {key!r} is set by promgen; {advice}", at_key=True)
    for key, value in alert.labels.items():
        ctx.template(here + ("labels", key), value, f"label {key}")
    for key in ("summary", "description"):
        if getattr(alert, key):
            ctx.template(here + (key,), getattr(alert, key), key)
    for key, value in alert.annotations.items():
        ctx.template(here + ("annotations", key), value, f"annotation {key}")


def annotation_labels(ctx: Context, index: int) -> None:
    """Warn when an annotation uses a label that the expression's aggregation drops."""
    from promgen.derive.prometheus.promql_labels import dropped_labels

    alert = ctx.spec.alerts[index]
    texts = {"summary": alert.summary or "", "description": alert.description or "", **alert.annotations}
    set_by_rule = {*alert.labels, *ctx.spec.service.labels, *RESERVED_ALERT_LABELS}
    for label in dropped_labels(alert.expr or "", texts):
        if label in set_by_rule:
            continue
        field = next((k for k, v in texts.items() if f"$labels.{label}" in v), "description")
        path = ("alerts", index, field) if field in ("summary", "description") else ("alerts", index, "annotations", field)
        if "alerts/template" in {e.name for e in (*ctx.spec.checks.disable, *alert.checks.disable)}:
            return
        ctx.warn(path, f"{{{{ $labels.{label} }}}} renders empty: the expression does not keep `{label}` (aggregate "
                       f"with `by ({label})`) [alerts/template]")


def template_alert(ctx: Context, index: int) -> None:
    alert = ctx.spec.alerts[index]
    here = ("alerts", index)
    template = alert_templates.TEMPLATES.get(alert.template or "")
    if template is None:
        names = sorted(alert_templates.TEMPLATES)
        ctx.error(here + ("template",), f"unknown alert template {alert.template!r}{did_you_mean(alert.template or '', names)} (templates: {', '.join(names)})")
        return
    accepted = [p.name for p in template.params]
    ok = True
    for key in alert.params:
        if key not in accepted:
            ctx.error(here + ("params", key), f"template {template.name} has no parameter {key!r}{did_you_mean(key, accepted)} (parameters: {', '.join(accepted)})", at_key=True)
            ok = False
    metrics, jobs = ctx.metric_of, ctx.jobs
    for param in template.params:
        if param.name not in alert.params:
            if param.required:
                ctx.error(here + ("params",) if "params" in ctx.doc.data["alerts"][index] else here + ("template",), f"template {template.name} needs parameter `{param.name}` ({param.doc})")
                ok = False
            continue
        path = here + ("params", param.name)
        try:
            value = alert_templates.coerce(param, alert.params[param.name])
        except ValueError as error:
            ctx.error(path, str(error))
            ok = False
            continue
        if param.kind == "metric" and param.metric_type is not None:
            metric = metrics.get(value)
            if metric is None:
                ctx.error(path, f"metric {value!r} is not declared in `metrics`{did_you_mean(value, metrics)}")
                ok = False
            elif metric.type != param.metric_type:
                ctx.error(path, f"template {template.name} needs a {param.metric_type}; {value} is a {metric.type}")
                ok = False
        if param.kind == "job" and value and template.name not in ("probe_failed", "cert_expiry") and value not in jobs:
            ctx.reference(path, value, jobs, "job")
            ok = False
    if not ok:
        ctx.unsound.add(here + ("template",))
    else:
        built_for = alert_templates.TemplateContext(ctx.spec.service.name, service_jobs(ctx.spec), ctx.units)
        expr = template.build(alert_templates.resolve_params(template, alert.params), built_for)
        ctx.promql(here + ("template",), expr, result="vector")

