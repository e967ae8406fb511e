"""The built-in alert templates: parametrised PromQL with a summary and description.

Each template declares its parameters (checked by `validate`) and builds its expression
from resolved values; the rule file derivation lays the result out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from promgen.load.units import Duration, Size

ParamKind = Literal["metric", "selector", "percent", "number", "size", "duration", "quantile", "job"]


@dataclass(frozen=True)
class Param:
    name: str
    kind: ParamKind
    doc: str
    default: Any = None  # None: required
    metric_type: str | None = None  # for kind "metric": the declared type it must have

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class TemplateContext:
    """What a template needs to know about the spec beyond its own parameters."""

    service: str
    jobs: tuple[str, ...]
    metric_units: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AlertTemplate:
    name: str
    doc: str
    params: tuple[Param, ...]
    summary: str
    description: str
    build: Callable[[dict[str, Any], TemplateContext], str]

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


def coerce(param: Param, value: Any) -> Any:
    """A parameter value as its kind; ValueError with a readable reason when it is not one."""
    kind = param.kind
    if kind in ("metric", "selector", "job"):
        if not isinstance(value, str):
            raise ValueError(f"`{param.name}` must be a string")
        return value
    if kind == "duration":
        return Duration._validate(value)
    if kind == "size":
        return Size._validate(value)
    if isinstance(value, str) and kind == "percent" and value.strip().endswith("%"):
        value = value.strip()[:-1]
    try:
        number = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None:
        raise ValueError(f"`{param.name}` must be a number, not {value!r}")
    if not math.isfinite(number) or abs(number) > 1e300:
        raise ValueError(f"`{param.name}` must be a finite number, not {value!r}")
    if kind == "percent" and not 0 < number <= 100:
        raise ValueError(f"`{param.name}` is a percentage: more than 0 and at most 100, not {value!r}")
    if kind == "quantile" and not 0 < number < 1:
        raise ValueError(f"`{param.name}` is a quantile: strictly between 0 and 1, not {value!r}")
    return number


def number(value: float) -> str:
    """A PromQL number literal without float noise: 0.05, 1e+09 -> 1000000000."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(round(value, 12))


def matchers(*parts: str) -> str:
    inner = ", ".join(p.strip() for p in parts if p and p.strip())
    return "{" + inner + "}" if inner else ""


def seconds_in_unit(metric: str, seconds: float, ctx: TemplateContext) -> float:
    return seconds * 1000 if ctx.metric_units.get(metric) == "milliseconds" else seconds


def jobs_selector(params: dict[str, Any], ctx: TemplateContext) -> str:
    if params.get("job"):
        return f'job="{params["job"]}"'
    if len(ctx.jobs) == 1:
        return f'job="{ctx.jobs[0]}"'
    return 'job=~"' + "|".join(ctx.jobs) + '"' if ctx.jobs else ""


def _error_ratio(p: dict[str, Any], ctx: TemplateContext) -> str:
    w, m, sel = p["window"], p["metric"], p["selector"]
    return (
        f"sum(rate({m}{matchers(p['errors'], sel)}[{w}])) / sum(rate({m}{matchers(sel)}[{w}]))"
        f" > {number(p['threshold'] / 100)}"
    )


def _latency_quantile(p: dict[str, Any], ctx: TemplateContext) -> str:
    m = p["metric"]
    limit = seconds_in_unit(m, p["threshold"].seconds, ctx)
    return (
        f"histogram_quantile({number(p['quantile'])}, sum by (le) "
        f"(rate({m}_bucket{matchers(p['selector'])}[{p['window']}]))) > {number(limit)}"
    )


def _target_down(p: dict[str, Any], ctx: TemplateContext) -> str:
    return f"up{matchers(jobs_selector(p, ctx))} == 0"


def _absent(p: dict[str, Any], ctx: TemplateContext) -> str:
    return f"absent({p['metric']}{matchers(p['selector'])})"


def _gauge_above(p: dict[str, Any], ctx: TemplateContext) -> str:
    return f"{p['metric']}{matchers(p['selector'])} > {number(p['threshold'])}"


def _counter_rate_above(p: dict[str, Any], ctx: TemplateContext) -> str:
    return f"sum(rate({p['metric']}{matchers(p['selector'])}[{p['window']}])) > {number(p['threshold'])}"


def _memory_high(p: dict[str, Any], ctx: TemplateContext) -> str:
    return f"{p['metric']}{matchers(jobs_selector(p, ctx))} > {number(p['threshold'].bytes)}"


def _cpu_high(p: dict[str, Any], ctx: TemplateContext) -> str:
    return (
        f"rate(process_cpu_seconds_total{matchers(jobs_selector(p, ctx))}[{p['window']}]) * 100"
        f" > {number(p['threshold'])}"
    )


def _disk_full(p: dict[str, Any], ctx: TemplateContext) -> str:
    sel = matchers('fstype!~"tmpfs|overlay|squashfs"', p["selector"])
    return (
        f"predict_linear(node_filesystem_avail_bytes{sel}[{p['lookback']}], {number(p['horizon'].seconds)}) < 0"
    )


def _probe_selector(p: dict[str, Any], ctx: TemplateContext) -> str:
    job = p.get("job") or f"{ctx.service}-blackbox"
    return matchers(f'job="{job}"', p["selector"])


def _probe_failed(p: dict[str, Any], ctx: TemplateContext) -> str:
    return f"probe_success{_probe_selector(p, ctx)} == 0"


def _cert_expiry(p: dict[str, Any], ctx: TemplateContext) -> str:
    return f"probe_ssl_earliest_cert_expiry{_probe_selector(p, ctx)} - time() < {number(p['threshold'].seconds)}"


_WINDOW = Param("window", "duration", "rate window", Duration("5m"))
_SELECTOR = Param("selector", "selector", 'extra label matchers, e.g. endpoint!="/health"', "")
_JOB = Param("job", "job", "scrape job (default: every job of the service itself, not its exporters')", "")

TEMPLATES: dict[str, AlertTemplate] = {
    t.name: t
    for t in (
        AlertTemplate(
            "error_ratio",
            "Share of requests that fail, over a rate window, above a percentage.",
            (
                Param("metric", "metric", "request counter", metric_type="counter"),
                Param("threshold", "percent", "alert above this percentage of failing requests"),
                Param("errors", "selector", "matchers picking failed requests", 'code=~"5.."'),
                _SELECTOR,
                _WINDOW,
            ),
            "Error ratio is above threshold.",
            "{{ $value | humanizePercentage }} of requests fail.",
            _error_ratio,
        ),
        AlertTemplate(
            "latency_quantile",
            "A latency quantile from a histogram above a threshold.",
            (
                Param("metric", "metric", "latency histogram (base name)", metric_type="histogram"),
                Param("threshold", "duration", "alert when the quantile is slower than this"),
                Param("quantile", "quantile", "which quantile", 0.95),
                _SELECTOR,
                _WINDOW,
            ),
            "Latency quantile is above threshold.",
            "The latency quantile is {{ $value | humanize }} (in the histogram's unit).",
            _latency_quantile,
        ),
        AlertTemplate(
            "target_down",
            "A scrape target is down (`up == 0`).",
            (_JOB,),
            "Scrape target is down.",
            "{{ $labels.instance }} of job {{ $labels.job }} cannot be scraped.",
            _target_down,
        ),
        AlertTemplate(
            "absent",
            "A metric has disappeared.",
            (Param("metric", "metric", "the metric that must be present"), _SELECTOR),
            "Metric is absent.",
            "No series matches the selector; the exporter or the service may be gone.",
            _absent,
        ),
        AlertTemplate(
            "gauge_above",
            "A gauge above a threshold.",
            (Param("metric", "metric", "the gauge", metric_type="gauge"), Param("threshold", "number", "limit"), _SELECTOR),
            "Gauge is above threshold.",
            "{{ $labels.instance }} reports {{ $value | humanize }}.",
            _gauge_above,
        ),
        AlertTemplate(
            "counter_rate_above",
            "The per-second rate of a counter above a threshold.",
            (
                Param("metric", "metric", "the counter", metric_type="counter"),
                Param("threshold", "number", "events per second"),
                _SELECTOR,
                _WINDOW,
            ),
            "Event rate is above threshold.",
            "{{ $value | humanize }} events per second.",
            _counter_rate_above,
        ),
        AlertTemplate(
            "memory_high",
            "Resident memory of the process above a size.",
            (
                Param("threshold", "size", "e.g. 1GB or 512MiB"),
                Param("metric", "metric", "memory gauge in bytes", "process_resident_memory_bytes"),
                _JOB,
            ),
            "Memory usage is high.",
            "{{ $labels.instance }} uses {{ $value | humanize1024 }}B of memory.",
            _memory_high,
        ),
        AlertTemplate(
            "cpu_high",
            "CPU use of the process above a percentage of one core.",
            (Param("threshold", "percent", "percent of one core"), _JOB, _WINDOW),
            "CPU usage is high.",
            "{{ $labels.instance }} uses {{ $value | humanize }}% of a core.",
            _cpu_high,
        ),
        AlertTemplate(
            "disk_full",
            "A filesystem will fill up within a horizon, by linear prediction (node exporter).",
            (
                Param("horizon", "duration", "how far ahead to predict", Duration("4h")),
                Param("lookback", "duration", "history the prediction is fitted on", Duration("6h")),
                _SELECTOR,
            ),
            "Filesystem predicted to fill up.",
            "{{ $labels.mountpoint }} on {{ $labels.instance }} is predicted to run out of space.",
            _disk_full,
        ),
        AlertTemplate(
            "probe_failed",
            "A blackbox probe of an external endpoint fails.",
            (Param("job", "job", "blackbox job (default: the service's)", ""),
             Param("selector", "selector", 'extra label matchers, e.g. instance="https://example.com/health"', "")),
            "Endpoint probe failed.",
            "The probe of {{ $labels.instance }} fails.",
            _probe_failed,
        ),
        AlertTemplate(
            "cert_expiry",
            "A TLS certificate seen by a blackbox probe expires soon.",
            (
                Param("threshold", "duration", "alert when the certificate expires sooner", Duration("14d")),
                Param("job", "job", "blackbox job (default: the service's)", ""),
                Param("selector", "selector", 'extra label matchers, e.g. instance="https://example.com/health"', ""),
            ),
            "TLS certificate expires soon.",
            "The certificate of {{ $labels.instance }} expires in {{ $value | humanizeDuration }}.",
            _cert_expiry,
        ),
    )
}


def resolve_params(template: AlertTemplate, given: Mapping[str, Any]) -> dict[str, Any]:
    """Given params coerced, defaults filled; assumes `validate` has accepted them."""
    resolved: dict[str, Any] = {}
    for param in template.params:
        raw = given.get(param.name, param.default)
        resolved[param.name] = coerce(param, raw) if raw != "" else ""
    return resolved
