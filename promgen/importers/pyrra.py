"""pyrra's `ServiceLevelObjective` objects (pyrra.dev/v1alpha1).

pyrra's indicators name metrics, not queries; its error ratio over a window is
- ratio: sum(rate(errors[w])) / sum(rate(total[w])), each summed `by` the grouping labels;
- latency: 1 - sum(rate(success[w])) / sum(rate(total[w])) (success: a bucket with `le`);
- bool_gauge: 1 - sum_over_time(metric[w]) / count_over_time(metric[w]).
Each becomes a promgen ratio SLI with the same division, so the recorded ratios are the ones pyrra
computes. pyrra has no service: the object's namespace names it (`--service` overrides).
"""

from __future__ import annotations

from typing import Any

from promgen.importers.common import (
    DEFAULT_PAGE,
    WINDOW_VARIABLE,
    ImportedService,
    Source,
    alert_name,
    drop_empty,
    objective_percent,
    over_window,
    service_name,
    severity_name,
    slo_name,
)
from promgen.yamlio.reader import PathKey

API = "pyrra.dev/v1alpha1"
KIND = "ServiceLevelObjective"
DEFAULT_SERVICE = "default"  # the Kubernetes namespace an object without one lands in
INCREASE_NOTE = ("rules.naming: pyrra records pyrra's <metric>:burnrate<window> series and its generic ones "
                 "(pyrra_availability, pyrra_requests:rate5m, ...) that its Grafana dashboards read, not its "
                 "<metric>:increase<window> series: raw increases over the whole SLO window, which pyrra's own UI reads")


def convert(sources: list[Source], service_override: str | None = None) -> list[ImportedService]:
    services: dict[str, ImportedService] = {}
    for source in sources:
        data = source.data
        if not isinstance(data, dict) or data.get("apiVersion") != API or data.get("kind") != KIND:
            found = f"{data.get('apiVersion')!r} {data.get('kind')!r}" if isinstance(data, dict) else "no object"
            raise source.fail((), f"not a pyrra object: expected apiVersion {API} and kind {KIND}, found {found}")
        raw_service = service_override or source.get(("metadata", "namespace"), str, "a namespace", required=False) or DEFAULT_SERVICE
        name = service_name(raw_service)
        service = services.setdefault(name, ImportedService(name, settings={"rules": {"naming": "pyrra"}}))
        if source.document.file not in service.sources:
            service.sources.append(source.document.file)
            if len(service.sources) == 1:
                service.left.append(source.left(("metadata", "name"), INCREASE_NOTE))
        slo = _slo(source, service)
        if slo is not None:
            service.add(slo, source.problem(("metadata", "name"), ""))
    return list(services.values())


def _slo(source: Source, service: ImportedService) -> dict[str, Any] | None:
    raw_name = source.get(("metadata", "name"), str, "the object's name")
    name = slo_name(raw_name)
    target_text = source.get(("spec", "target"), (str, int, float), "a percentage")
    try:
        target = float(target_text)
    except ValueError:
        raise source.fail(("spec", "target"), f"target {target_text!r} is not a number") from None
    if not 0 < target < 100:
        raise source.fail(("spec", "target"), f"target {target_text} is not a percentage strictly between 0 and 100")
    window = source.get(("spec", "window"), str, "a duration such as 28d")
    sli = _indicator(source, ("spec", "indicator"), service, name)
    if sli is None:
        return None
    for key, what in (("partial_response_strategy", "only Thanos Ruler reads it"),
                      ("performanceOverAccuracy", "promgen's chained rules are its own cheaper form (rules.slo)"),
                      ("ruleOutput", "promgen writes its own rule files"),
                      ("enableDescriptionAsLabel", "the description goes into promgen's SLO, not a label")):
        if source.get(("spec", key), (str, bool, dict), "a setting", required=False):
            service.left.append(source.left(("spec", key), f"SLO {name}: `{key}` is not carried over ({what})"))
    labels = source.get(("metadata", "labels"), dict, "labels", required=False)
    if labels:
        service.left.append(source.left(("metadata", "labels"), f"SLO {name}: the object's Kubernetes labels select "
                                                                 "pyrra's PrometheusRule; promgen's rules are not selected by them"))
    return drop_empty({
        "name": name,
        "objective": objective_percent(target),
        "window": window,
        "description": " ".join(str(source.get(("spec", "description"), str, "text", required=False) or "").split()),
        "sli": sli,
        "alerting": _alerting(source, ("spec", "alerting"), service, name, window),
    })


# indicator -> (promgen SLI key and pyrra field, function) for each of the SLI's two queries
_INDICATORS = {
    "ratio": (("errors", "errors", "rate"), ("total", "total", "rate")),
    "latency": (("good", "success", "rate"), ("total", "total", "rate")),
}


def _indicator(source: Source, path: PathKey, service: ImportedService, slo: str) -> dict[str, str] | None:
    indicator = source.get(path, dict, "an indicator (ratio, latency or bool_gauge)")
    for kind, queries in _INDICATORS.items():
        if kind in indicator:
            by = _grouping(source, path + (kind,))
            return {key: over_window(function, source.get(path + (kind, field, "metric"), str, "a metric selector"), by)
                    for key, field, function in queries}
    if "bool_gauge" in indicator:
        by = _grouping(source, path + ("bool_gauge",))
        metric = source.get(path + ("bool_gauge", "metric"), str, "a metric selector")
        return {"good": over_window("sum_over_time", metric, by), "total": over_window("count_over_time", metric, by)}
    if "latencyNative" in indicator:
        here = path + ("latencyNative",)
        by = _grouping(source, here)
        metric = source.get(here + ("total", "metric"), str, "a native histogram's selector")
        latency = source.get(here + ("latency",), (str, int, float), "a duration such as 200ms")
        seconds = _seconds(source, here + ("latency",), latency)
        rates = f"sum{f' {by} ' if by else ''}(rate({metric}[{WINDOW_VARIABLE}]))"
        # a native histogram: its count over the window, and the share of it at or under the latency
        return {"good": f"histogram_fraction(0, {seconds}, {rates}) * histogram_count({rates})",
                "total": f"histogram_count({rates})"}
    raise source.fail(path, "an indicator needs `ratio`, `latency`, `latencyNative` or `bool_gauge`")


def _seconds(source: Source, path: PathKey, value: str | int | float) -> str:
    """pyrra's latency (a Go duration such as 200ms, or seconds) in seconds, as PromQL writes it."""
    from promgen.load.units import parse_duration
    from promgen.testgen.go_format import go_g

    text = str(value)
    try:
        return go_g(float(text))
    except ValueError:
        pass
    try:
        return go_g(parse_duration(text) / 1000)
    except ValueError:
        raise source.fail(path, f"latency {text!r} is neither seconds nor a duration such as 200ms") from None


def _grouping(source: Source, path: PathKey) -> str:
    labels = source.get(path + ("grouping",), list, "a list of label names", required=False) or []
    if not all(isinstance(label, str) for label in labels):
        raise source.fail(path + ("grouping",), "grouping lists label names")
    return f"by ({', '.join(labels)})" if labels else ""


# pyrra's four alerts for a 28-day window (slo.Windows): (severity key, its default, factor, for, long,
# short), each duration as a divisor of the SLO window; pyrra rounds them to whole minutes.
_WINDOWS = (
    ("fastBurn", "critical", 14, 28 * 24 * 30, 28 * 24, 28 * 24 * 12),
    ("mediumBurn", "critical", 7, 28 * 24 * 4, 28 * 4, 28 * 24 * 2),
    ("slowBurn", "warning", 2, 28 * 24, 28, 28 * 12),
    ("longTermBurn", "warning", 1, 28 * 8, 7, 28 * 4),
)


def windows(window: str) -> list[tuple[str, str, int, str, str, str]]:
    """pyrra's (severity key, default severity, factor, for, long, short) for an SLO window."""
    from promgen.load.units import format_duration, parse_duration

    total = parse_duration(window)

    def scaled(divisor: int) -> str:
        return format_duration(_minutes(total / divisor))

    return [(key, default, factor, scaled(for_), scaled(long), scaled(short))
            for key, default, factor, for_, long, short in _WINDOWS]


def _minutes(ms: float) -> int:
    """Go's Duration.Round(time.Minute): to the nearest minute, halves away from zero; never 0."""
    whole, rest = divmod(int(round(ms)), 60_000)
    rounded = (whole + (1 if rest * 2 >= 60_000 else 0)) * 60_000
    return rounded or max(1000, int(ms) - int(ms) % 1000)


def _alerting(source: Source, path: PathKey, service: ImportedService, slo: str, window: str) -> dict[str, Any]:
    alerting = source.get(path, dict, "the alerting settings", required=False) or {}
    severities = source.get(path + ("severities",), dict, "a mapping of severities", required=False) or {}
    table = []
    for key, default, factor, for_, long, short in windows(window):
        severity = service.severity(severity_name(str(severities.get(key) or default)))
        entry: dict[str, Any] = {"severity": severity, "factor": factor, "long": long, "short": short}
        if for_ != "0s":
            entry["for"] = for_
        table.append(entry)
    out: dict[str, Any] = {"windows": table}
    if alerting.get("name"):
        name = alert_name(str(alerting["name"]))
        if name in {s.get("alerting", {}).get("name") for s in service.slos}:
            service.left.append(source.left(path + ("name",), f"SLO {slo}: another SLO already raises {name}; this one "
                                                               "keeps promgen's alert name"))
        else:
            out["name"] = name
    else:
        service.left.append(source.left(path if alerting else ("spec",),
                                        f"SLO {slo}: pyrra names the alerts of every SLO ErrorBudgetBurn; promgen "
                                        f"names them {camel_alert(slo)} (an alert name is one SLO's, with its runbook "
                                        "page): routes and silences matching alertname=\"ErrorBudgetBurn\" need it"))
    if alerting.get("disabled") is True or alerting.get("burnrates") is False:
        out["enabled"] = False
    if alerting.get("absent", True) is not False:  # pyrra alerts on absent metrics unless told not to
        out["no_data"] = service.severity(severity_name(str(severities.get("absent") or DEFAULT_PAGE)))
    if alerting.get("absentName"):
        service.left.append(source.left(path + ("absentName",), f"SLO {slo}: the no-data alert keeps promgen's name"))
    return out


def camel_alert(slo: str) -> str:
    from promgen.core import conventions

    return conventions.slo_page_alert(slo)
