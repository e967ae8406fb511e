"""The resolved model: the spec with defaults filled, aliases and templates resolved, names derived.

`derive/` modules read this, never the raw spec dicts; it is built once per render.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property, wraps
from typing import Any, TypeVar

from promgen.core import alert_templates, conventions
from promgen.core.versions import Targets
from promgen.load.go_template import literal
from promgen.load.models import AlertBase, Metric, Severity, Spec, service_jobs
from promgen.load.units import Duration, format_duration


@dataclass(frozen=True)
class RenderOptions:
    """Render-time choices that are not part of the spec (command-line options)."""

    targets: dict[str, tuple[str, ...]] = field(default_factory=dict)  # job -> host:port overrides
    # host:port -> host:port in probe URLs: where a probe of the service's own address goes instead (the local stack)
    probe_hosts: dict[str, str] = field(default_factory=dict)
    receivers_to: str | None = None  # send every channel to this webhook URL (local dry runs)
    slo_time_scale: float = 1.0  # shrink SLO windows for end-to-end tests (1.0 = as declared)
    alertmanager: str = conventions.ALERTMANAGER_ADDRESS  # host:port Prometheus sends alerts to
    blackbox_exporter: str = conventions.BLACKBOX_EXPORTER_ADDRESS  # host:port that runs the probes
    # Divides alert `for`, scrape/evaluation intervals and Alertmanager timings (`--compress-time`).
    time_compression: int = 1

    def compress_time(self, factor: int) -> RenderOptions:
        """These options with every clock running `factor` times faster: SLO windows (hence burn-rate
        windows) through slo_time_scale, everything else through `compressed`."""
        return replace(self, slo_time_scale=1 / factor, time_compression=factor)

    def compressed(self, duration: Duration) -> Duration:
        """`duration` divided by time_compression, in whole seconds and never below 1s (0 stays 0)."""
        if self.time_compression == 1 or duration.ms == 0:
            return duration
        shorter = duration.ms // self.time_compression
        return Duration(format_duration(max(1000, shorter - shorter % 1000)))


@dataclass(frozen=True)
class ResolvedAlert:
    """An alert rule as it will be written: explicit or expanded from a template."""

    name: str
    expr: str
    for_: Duration
    severity: str
    labels: dict[str, str]
    annotations: dict[str, str]
    template: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    spec_index: int | None = None
    keep_firing_for: Duration | None = None


@dataclass(frozen=True)
class Model:
    spec: Spec
    source: str
    options: RenderOptions
    severity_of: dict[str, str]
    metric_units: dict[str, str]
    alerts: tuple[ResolvedAlert, ...]
    log_alerts: tuple[ResolvedAlert, ...] = ()  # LogQL, for Loki's ruler
    # Derivations several outputs read (rule files, dashboards), each computed once: see `per_model`.
    derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def service(self) -> str:
        return self.spec.service.name

    @property
    def targets(self) -> Targets:
        """The Prometheus and Alertmanager versions the output is for (spec `versions`)."""
        return self.spec.versions.targets()

    @property
    def header(self) -> str:
        return conventions.GENERATED_HEADER.format(spec=self.source)

    def header_for(self, *tools: str) -> str:
        """The header of a file written for these tools' target versions ("for Prometheus 3.5")."""
        from promgen.core.versions import TITLES

        targets = " and ".join(f"{TITLES[tool]} {getattr(self.targets, tool)}" for tool in tools)  # type: ignore[index]
        return conventions.GENERATED_FOR_HEADER.format(spec=self.source, targets=targets)

    @property
    def jobs(self) -> tuple[str, ...]:
        return tuple(t.job for t in self.spec.scrape.targets)

    @property
    def service_jobs(self) -> tuple[str, ...]:
        """The jobs that scrape the service itself (not an exporter beside it)."""
        return service_jobs(self.spec)

    @property
    def blackbox_job(self) -> str | None:
        probes = self.spec.probes
        return conventions.blackbox_job(self.service) if probes and probes.external else None

    @property
    def evaluation_interval(self) -> Duration:
        return self.options.compressed(self.spec.scrape.evaluation_interval or self.spec.scrape.interval)

    def severity(self, name: str) -> Severity:
        canonical = self.severity_of[name]
        return next(s for s in self.spec.severities if s.name == canonical)

    def metric(self, name: str) -> Metric | None:
        return self._metrics_by_name.get(name)

    def declared(self, series: str) -> Metric | None:
        """The declared metric a series belongs to: itself, or a histogram's or summary's
        `_bucket`, `_count` and `_sum`."""
        found = self.metric(series)
        for suffix in ("_bucket", "_count", "_sum"):
            if found is None and series.endswith(suffix):
                found = self.metric(series.removesuffix(suffix))
        return found

    @cached_property
    def _metrics_by_name(self) -> dict[str, Metric]:
        return {m.name: m for m in self.spec.metrics}

    @cached_property
    def slo_of_burn_alert(self) -> dict[str, int]:
        """The burn-rate alert's name (page and ticket share it) -> the index of its SLO."""
        return {conventions.slo_page_alert(slo.name, slo.alerting.name): index for index, slo in enumerate(self.spec.slos)}

    @cached_property
    def latency_thresholds(self) -> dict[str, set[float]]:
        """Histogram name -> the thresholds (seconds) of the latency SLOs on it."""
        found: dict[str, set[float]] = {}
        for slo in self.spec.slos:
            if slo.sli.latency is not None:
                found.setdefault(slo.sli.latency.metric, set()).add(slo.sli.latency.threshold.seconds)
        return found

    def common_labels(self, severity: str) -> dict[str, str]:
        """Labels every alert carries: severity, service, and the service's own labels."""
        labels = {"severity": self.severity_of[severity], "service": self.service}
        labels.update({name: literal(value) for name, value in self.spec.service.labels.items()})
        return labels

    def runbook(self, alert: str, own: str | None = None) -> str:
        """The alert's runbook link: its own, else the service's external pattern with {alert} filled
        in, else promgen's page for it (under runbook_base_url when the service says where the pages
        are served, else the page's path in the output); escaped so Prometheus, which expands
        annotations as templates, writes it as it is."""
        service = self.spec.service
        if own:
            url = own
        elif service.runbook_url:
            url = service.runbook_url.replace("{alert}", alert)
        elif service.runbook_base_url:
            url = service.runbook_base_url.rstrip("/") + "/" + conventions.runbook_page(self.service, alert)
        else:
            url = conventions.runbook_file(self.service, alert)
        return literal(url)

    def response(self, severity: str) -> str | None:
        """The severity's response expectations as one line ("respond within 15m; resolve within 4h"),
        or None when the spec states none."""
        response = self.severity(severity).response
        if response is None:
            return None
        parts = []
        if response.respond_within:
            parts.append(f"respond within {response.respond_within}")
        if response.resolve_within:
            parts.append(f"resolve within {response.resolve_within}")
        if response.note:
            parts.append(response.note)
        return "; ".join(parts)

    def response_annotations(self, severity: str) -> dict[str, str]:
        text = self.response(severity)
        return {"response": literal(text)} if text else {}

    def slo_page_severity(self, slo_index: int) -> str:
        chosen = self.spec.slos[slo_index].alerting.page
        return self.severity_of[chosen] if chosen else self.spec.severities[0].name

    def slo_ticket_severity(self, slo_index: int) -> str:
        """As chosen, else the severity right below the page's (the page's own when it is the last)."""
        chosen = self.spec.slos[slo_index].alerting.ticket
        if chosen:
            return self.severity_of[chosen]
        ladder = [severity.name for severity in self.spec.severities]
        below = ladder.index(self.slo_page_severity(slo_index)) + 1
        return ladder[min(below, len(ladder) - 1)]


Derived = TypeVar("Derived")


def per_model(derive: Callable[[Model], Derived]) -> Callable[[Model], Derived]:
    """`derive`, computed once per model: the Prometheus, Kubernetes, Grafana and runbook outputs all
    read the service's rule files and dashboards. Callers must not change what it returns."""
    key = f"{derive.__module__}.{derive.__qualname__}"

    @wraps(derive)
    def once(model: Model) -> Derived:
        if key not in model.derived:
            model.derived[key] = derive(model)
        found: Derived = model.derived[key]
        return found

    return once


def build_model(spec: Spec, source: str, options: RenderOptions | None = None) -> Model:
    severity_of: dict[str, str] = {}
    for severity in spec.severities:
        severity_of[severity.name] = severity.name
        for alias in severity.aliases:
            severity_of[alias] = severity.name
    units = {m.name: conventions.metric_unit(m.name, m.unit) for m in spec.metrics}
    partial = Model(spec, source, options or RenderOptions(), severity_of, units, ())
    alerts = tuple(_resolve_alert(partial, index) for index in range(len(spec.alerts)))
    log_alerts = tuple(_resolve_log_alert(partial, index) for index in range(len(spec.log_alerts)))
    return Model(spec, source, partial.options, severity_of, units, alerts, log_alerts)


def _resolve_alert(model: Model, index: int) -> ResolvedAlert:
    alert = model.spec.alerts[index]
    if alert.template is None:
        expr = alert.expr or ""
        summary, description, params = alert.summary or "", alert.description, {}
    else:
        template = alert_templates.TEMPLATES[alert.template]
        params = alert_templates.resolve_params(template, alert.params)
        ctx = alert_templates.TemplateContext(model.service, model.service_jobs, model.metric_units)
        expr = template.build(params, ctx)
        summary = alert.summary or template.summary
        description = alert.description or template.description
    return _resolved(model, alert, expr, summary, description, template=alert.template, params=params, spec_index=index)


def _resolve_log_alert(model: Model, index: int) -> ResolvedAlert:
    alert = model.spec.log_alerts[index]
    return _resolved(model, alert, alert.expr, alert.summary, alert.description, spec_index=index)


def _resolved(model: Model, alert: AlertBase, expr: str, summary: str, description: str | None,
              **origin: Any) -> ResolvedAlert:
    """The rule's labels (the service's, then the alert's) and annotations (summary, description,
    runbook_url, the severity's response, then the alert's own)."""
    labels = model.common_labels(alert.severity)
    labels.update(alert.labels)
    annotations = {"summary": summary}
    if description:
        annotations["description"] = description
    annotations["runbook_url"] = model.runbook(alert.name, alert.runbook_url)
    annotations.update(model.response_annotations(alert.severity))
    annotations.update(alert.annotations)
    return ResolvedAlert(
        name=alert.name,
        expr=expr,
        for_=model.options.compressed(alert.for_),
        severity=model.severity_of[alert.severity],
        labels=labels,
        annotations=annotations,
        keep_firing_for=model.options.compressed(alert.keep_firing_for) if alert.keep_firing_for else None,
        **origin,
    )
