"""OpenSLO v1 documents: `SLO`, `SLI`, `AlertPolicy`, `AlertCondition`, `AlertNotificationTarget`,
`DataSource` and `Service`, in any files and any order; references between them resolve by name.

An OpenSLO ratio metric names queries without a window. With `counter: true` each query counts
events since the start, so its rate over `{{window}}` is the events of a window; otherwise each
sample is a count of its own, summed over the window. The SLO's error ratio is bad/total (or
1 - good/total), as OpenSLO defines it. Only rolling windows and Prometheus sources map to promgen.
"""

from __future__ import annotations

import re
from typing import Any

from promgen.importers.common import (
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
from promgen.load.suggest import did_you_mean
from promgen.load.units import Duration, format_duration
from promgen.yamlio.reader import PathKey

API = "openslo/v1"
ALPHA = "openslo/v1alpha"  # the older form sloth reads: objectives with `ratioMetrics`, `timeWindows`
_SLOTH_WINDOW = re.compile(r"\{\{\s*\.window\s*\}\}")
_UNITS = {"second": "s", "minute": "m", "hour": "h", "day": "d", "week": "w"}
_ALPHA_PERIODS = {"week": "week", "month": "month", "quarter": "quarter", "year": "year"}
KINDS = ("SLO", "SLI", "AlertPolicy", "AlertCondition", "AlertNotificationTarget", "DataSource", "Service")
ROLLING = re.compile(r"^[0-9]+[smhdw]$")  # OpenSLO's duration-shorthand without calendar units (M, Q, Y)


class Objects:
    """Every OpenSLO object by kind and name."""

    def __init__(self, sources: list[Source]) -> None:
        self.by_kind: dict[str, dict[str, Source]] = {kind: {} for kind in KINDS}
        self.order: list[tuple[str, Source]] = []
        for source in sources:
            data = source.data
            if not isinstance(data, dict) or data.get("apiVersion") != API:
                found = repr(data.get("apiVersion")) if isinstance(data, dict) else "no object"
                raise source.fail(("apiVersion",) if isinstance(data, dict) and "apiVersion" in data else (),
                                  f"not an OpenSLO v1 object: expected apiVersion {API}, found {found}")
            kind = source.get(("kind",), str, "an OpenSLO kind")
            if kind not in KINDS:
                raise source.fail(("kind",), f"unknown OpenSLO kind {kind!r}{did_you_mean(kind, KINDS)}")
            name = source.get(("metadata", "name"), str, "the object's name")
            earlier = self.by_kind[kind].get(name)
            if earlier is not None:
                first = earlier.document.positions.locate(("metadata", "name"), earlier.document.file)
                raise source.fail(("metadata", "name"), f"a second {kind} named {name!r} (the first is at {first[0]}:{first[1]})")
            self.by_kind[kind][name] = source
            self.order.append((kind, source))

    def ref(self, source: Source, path: PathKey, kind: str) -> Source:
        name = source.get(path, str, f"the name of a {kind}")
        found = self.by_kind[kind].get(name)
        if found is None:
            known = sorted(self.by_kind[kind])
            listing = f"the sources give: {', '.join(known)}" if known else f"the sources give no {kind}"
            raise source.fail(path, f"no {kind} named {name!r}{did_you_mean(name, known)} ({listing})")
        return found


def _object(objects: Objects, source: Source, ref_key: str, kind: str, path: PathKey) -> Source:
    """The object at `path`: written there inline, or referenced by name under `ref_key`."""
    holder = source.get(path, dict, f"an inline {kind} or a {ref_key}")
    return objects.ref(source, path + (ref_key,), kind) if ref_key in holder else source.inner(path)


def convert(sources: list[Source]) -> list[ImportedService]:
    alpha = [s for s in sources if isinstance(s.data, dict) and s.data.get("apiVersion") == ALPHA]
    objects = Objects([s for s in sources if s not in alpha])
    services: dict[str, ImportedService] = {}
    for source in alpha:
        _alpha_slo(source, services)
    for kind, source in objects.order:
        if kind != "SLO":
            continue
        raw = source.get(("spec", "service"), str, "the service name")
        name = service_name(raw)
        service = services.setdefault(name, ImportedService(name))
        if source.document.file not in service.sources:
            service.sources.append(source.document.file)
        if name != raw:
            service.left.append(source.left(("spec", "service"), f"service {raw!r} is {name!r} here (promgen service names are [a-z][a-z0-9-]*)"))
        described = objects.by_kind["Service"].get(raw)
        if described is not None and not service.description:
            service.description = str(described.get(("spec", "description"), str, "text", required=False) or "")
        for slo in _slos(objects, source, service):
            service.add(slo, source.problem(("metadata", "name"), ""))
    if services:  # said once, with the first service
        first = next(iter(services.values()))
        for target in objects.by_kind["AlertNotificationTarget"].values():
            first.left.append(target.left(("metadata", "name"), f"notification target {target.data['metadata']['name']!r}: "
                                                                "promgen notifies through severities[].notify and channels; add it there"))
    return list(services.values())


def _slos(objects: Objects, source: Source, service: ImportedService) -> list[dict[str, Any]]:
    raw_name = source.get(("metadata", "name"), str, "the SLO's name")
    base = slo_name(raw_name)
    found = _window(source)
    if found is None:
        duration = source.get(("spec", "timeWindow", 0, "duration"), str, "a duration")
        minute = " (in OpenSLO 1m is a minute; a month is 1M)" if duration == "1m" else ""
        service.refused.append(source.problem(("spec", "timeWindow", 0), CALENDAR.format(slo=base) + minute))
        return []
    window, calendar = found
    zone = source.get(("spec", "timeWindow", 0, "calendar", "timeZone"), str, "a time zone", required=False)
    if calendar is not None and zone not in (None, "UTC", "Etc/UTC"):
        service.left.append(source.left(("spec", "timeWindow", 0, "calendar", "timeZone"),
                                         f"SLO {base}: its {calendar} starts at midnight UTC in promgen, not in {zone}"))
    method = source.get(("spec", "budgetingMethod"), str, "Occurrences, Timeslices or RatioTimeslices", required=False)
    if method and method != "Occurrences":
        service.left.append(source.left(("spec", "budgetingMethod"), f"SLO {base}: promgen budgets by occurrences, "
                                                                      f"not {method}; the objective is kept"))
    spec = source.get(("spec",), dict, "the SLO")
    if "indicator" not in spec and "indicatorRef" not in spec:
        raise source.fail(("spec",), "an SLO needs `indicator` or `indicatorRef`")
    sli_source = objects.ref(source, ("spec", "indicatorRef"), "SLI") if "indicatorRef" in spec else source.inner(("spec", "indicator"))
    sli = _ratio(objects, sli_source, service, base)
    if sli is None:
        return []
    alerting = _alerting(objects, source, service, base)
    objectives = source.get(("spec", "objectives"), list, "a list of objectives")
    if not objectives:
        raise source.fail(("spec", "objectives"), "an SLO needs at least one objective")
    out: list[dict[str, Any]] = []
    for index in range(len(objectives)):
        here = ("spec", "objectives", index)
        objective = _objective(source, here)
        name = base
        if len(objectives) > 1:
            label = source.get(here + ("displayName",), str, "text", required=False)
            name = slo_name(f"{base}-{label or index + 1}")
        for key in ("op", "value", "timeSliceTarget", "timeSliceWindow", "indicator", "indicatorRef", "compositeWeight"):
            if source.get(here + (key,), (str, int, float, dict), "a setting", required=False) is not None:
                service.left.append(source.left(here + (key,), f"SLO {name}: objective `{key}` has no promgen equivalent "
                                                               "(promgen's SLOs are event ratios)"))
        slo_alerting = dict(alerting)
        if out and "name" in slo_alerting:
            del slo_alerting["name"]  # one alert name per SLO
        out.append(drop_empty({
            "name": name,
            "objective": objective,
            "window": window,
            "calendar": calendar,
            "description": " ".join(str(source.get(("spec", "description"), str, "text", required=False) or "").split()),
            "sli": sli,
            "alerting": slo_alerting,
        }))
    return out


def _window(source: Source) -> tuple[str | None, str | None] | None:
    """The SLO's rolling window and its calendar period (None for a rolling one); None with a refusal
    for a calendar window promgen cannot count (not one week, month, quarter or year)."""
    windows = source.get(("spec", "timeWindow"), list, "a list with one time window", required=False)
    if not windows:
        return "30d", None
    if len(windows) != 1:
        raise source.fail(("spec", "timeWindow"), "OpenSLO allows exactly one time window")
    here = ("spec", "timeWindow", 0)
    window = source.get(here, dict, "a time window")
    duration = source.get(here + ("duration",), str, "a duration such as 28d")
    if "calendar" in window or window.get("isRolling") is False:
        return (None, CALENDAR_PERIODS[duration]) if duration in CALENDAR_PERIODS else None
    if not ROLLING.match(duration):
        raise source.fail(here + ("duration",), f"rolling window {duration!r} must be a number of s, m, h, d or w "
                                                "(months, quarters and years are calendar windows)")
    return duration, None


def _objective(source: Source, path: PathKey) -> float:
    target = source.get(path + ("target",), (int, float), "a ratio between 0 and 1", required=False)
    percent = source.get(path + ("targetPercent",), (int, float), "a percentage", required=False)
    if (target is None) == (percent is None):
        raise source.fail(path, "an objective needs exactly one of `target` (0-1) or `targetPercent`")
    if target is not None:
        if not 0 < target < 1:
            raise source.fail(path + ("target",), f"target {target} is not strictly between 0 and 1")
        return objective_percent(target * 100)
    if not 0 < percent < 100:
        raise source.fail(path + ("targetPercent",), f"targetPercent {percent} is not strictly between 0 and 100")
    return objective_percent(percent)


def _ratio(objects: Objects, sli: Source, service: ImportedService, slo: str) -> dict[str, str] | None:
    spec = sli.get(("spec",), dict, "the SLI")
    if "thresholdMetric" in spec:
        service.refused.append(sli.problem(("spec", "thresholdMetric"), f"SLO {slo}: threshold metrics have no promgen SLI "
                                                                   "(promgen's SLIs are event ratios); it is not imported"))
        return None
    ratio = sli.get(("spec", "ratioMetric"), dict, "a ratio metric")
    if "raw" in ratio:
        service.refused.append(sli.problem(("spec", "ratioMetric", "raw"), f"SLO {slo}: a precomputed (raw) ratio has no "
                                                                      "promgen SLI; it is not imported"))
        return None
    counter = sli.get(("spec", "ratioMetric", "counter"), bool, "true or false", required=False) or False
    if ("good" in ratio) == ("bad" in ratio) or "total" not in ratio:
        raise sli.fail(("spec", "ratioMetric"), "a ratio metric needs `total` and exactly one of `good` or `bad`")
    out: dict[str, str] = {}
    for key, promgen_key in (("good", "good"), ("bad", "errors"), ("total", "total")):
        if key not in ratio:
            continue
        query = _query(objects, sli, ("spec", "ratioMetric", key), service, slo)
        if query is None:
            return None
        wrapped = _events_over_window(query, counter)
        if wrapped is None:
            service.refused.append(sli.problem(("spec", "ratioMetric", key), f"SLO {slo}: query {query!r} is neither a selector "
                                                                        "nor a sum of one, so it cannot be taken over a "
                                                                        "window; it is not imported"))
            return None
        out[promgen_key] = wrapped
    return out


def _query(objects: Objects, sli: Source, path: PathKey, service: ImportedService, slo: str) -> str | None:
    source_path = path + ("metricSource",)
    kind = sli.get(source_path + ("type",), str, "a source type", required=False)
    if kind is None and sli.get(source_path + ("metricSourceRef",), str, "a DataSource name", required=False):
        data_source = objects.ref(sli, source_path + ("metricSourceRef",), "DataSource")
        kind = data_source.get(("spec", "type"), str, "a source type", required=False)
    if kind is not None and kind.lower() != "prometheus":
        service.refused.append(sli.problem(source_path + ("type",), f"SLO {slo}: a metric source of type {kind!r} cannot be imported "
                                                               "(promgen's rules run in Prometheus); it is not imported"))
        return None
    query = sli.get(source_path + ("spec", "query"), str, "a PromQL query")
    return " ".join(query.split())


def _events_over_window(query: str, counter: bool) -> str | None:
    """The query's events over `{{window}}`: a rate of a counter, a sum of per-sample counts."""
    import promql_parser as pq

    try:
        node = pq.parse(query)
    except (ValueError, RuntimeError):
        return None
    function = "rate" if counter else "sum_over_time"
    if isinstance(node, pq.VectorSelector):
        return over_window(function, _selector(node))
    if isinstance(node, pq.AggregateExpr) and str(node.op) == "sum" and isinstance(node.expr, pq.VectorSelector):
        return over_window(function, _selector(node.expr), str(node.modifier) if node.modifier is not None else "")
    return None


def _selector(node: object) -> str:
    text = str(node)
    return text[:-2] if text.endswith("{}") else text  # the parser prints a bare name with empty braces


def _alerting(objects: Objects, source: Source, service: ImportedService, slo: str) -> dict[str, Any]:
    """The SLO's alert policies as its own burn-rate table: each `burnrate` condition alerts when the
    error ratio over its `lookbackWindow` burns at `threshold` x the budget or faster, for its
    `alertAfter`. OpenSLO names one window; promgen pairs it with a short one of 1/12 of it (the SRE
    Workbook's ratio), so the alert resolves minutes after the burn stops instead of hours."""
    policies = source.get(("spec", "alertPolicies"), list, "a list of alert policies", required=False) or []
    windows: list[dict[str, Any]] = []
    no_data: str | None = None
    name: str | None = None
    for index in range(len(policies)):
        policy = _object(objects, source, "alertPolicyRef", "AlertPolicy", ("spec", "alertPolicies", index))
        if name is None:
            name = alert_name(policy.get(("metadata", "name"), str, "the policy's name"))
        if policy.get(("spec", "notificationTargets"), list, "a list", required=False):
            service.left.append(policy.left(("spec", "notificationTargets"), f"SLO {slo}: promgen notifies through "
                                                                              "severities[].notify and channels; add these there"))
        found = policy.get(("spec", "conditions"), list, "a list with one condition")
        for c in range(len(found)):
            condition = _object(objects, policy, "conditionRef", "AlertCondition", ("spec", "conditions", c))
            severity = service.severity(severity_name(condition.get(("spec", "severity"), str, "a severity")))
            window = _burn_window(condition, severity, service, slo)
            if window is not None:
                windows.append(window)
            if policy.get(("spec", "alertWhenNoData"), bool, "true or false", required=False) and no_data is None:
                no_data = severity
    if not windows:
        return {"enabled": False} if no_data is None else {"enabled": False, "no_data": no_data}
    service.left.append(source.left(("spec", "alertPolicies"), f"SLO {slo}: each condition's lookback window is paired "
                                                              "with a short window of 1/12 of it, so its alert resolves "
                                                              "soon after the burn stops"))
    # one policy names the SLO's alert; several keep promgen's name (<Slo>ErrorBudgetBurn)
    out: dict[str, Any] = {"name": name if len(policies) == 1 else None, "windows": windows}
    if no_data is not None:
        out["no_data"] = no_data
    return drop_empty(out)


def _burn_window(condition: Source, severity: str, service: ImportedService, slo: str) -> dict[str, Any] | None:
    """One `burnrate` AlertCondition as an alert window; None (with a warning) for anything else."""
    here = ("spec", "condition")
    kind = condition.get(here + ("kind",), str, "burnrate", required=False) or "burnrate"
    op = condition.get(here + ("op",), str, "gt or gte", required=False) or "gte"
    if kind != "burnrate" or op not in ("gt", "gte"):
        service.left.append(condition.left(here, f"SLO {slo}: only burn-rate conditions that alert above a threshold "
                                                 f"(kind burnrate, op gt or gte) map to promgen; this one ({kind}, {op}) "
                                                 "is not imported"))
        return None
    threshold = condition.get(here + ("threshold",), (int, float), "a burn rate above 0")
    if isinstance(threshold, bool) or threshold <= 0:
        raise condition.fail(here + ("threshold",), f"burn-rate threshold {threshold} must be above 0")
    lookback = _duration(condition, here + ("lookbackWindow",), "the window the burn rate is taken over")
    if lookback <= 60_000:
        raise condition.fail(here + ("lookbackWindow",), "a burn-rate lookback window must be longer than 1m")
    window: dict[str, Any] = {"severity": severity, "factor": threshold, "long": format_duration(lookback),
                              "short": format_duration(max(lookback // 12, 60_000))}
    after = condition.get(here + ("alertAfter",), str, "a duration such as 5m", required=False)
    if after is not None:
        for_ms = _duration(condition, here + ("alertAfter",), "how long the burn must last")
        if for_ms:
            window["for"] = format_duration(for_ms)
    return window


def _duration(source: Source, path: PathKey, what: str) -> int:
    text = source.get(path, str, f"{what}, a duration such as 1h")
    try:
        return Duration(text).ms
    except ValueError:
        raise source.fail(path, f"{text!r} is not a duration such as 5m, 1h or 3d ({what})") from None



# OpenSLO's calendar durations promgen counts (its `calendar:` periods); M is a month, m a minute
CALENDAR_PERIODS = {"1w": "week", "1M": "month", "1Q": "quarter", "1Y": "year"}
CALENDAR = ("SLO {slo}: its calendar-aligned window is not one week, month, quarter or year (1w, 1M, 1Q, 1Y), the "
            "periods promgen counts a budget over; it is not imported")


def _alpha_slo(source: Source, services: dict[str, ImportedService]) -> None:
    """An OpenSLO v1alpha SLO: one promgen SLO per objective, each a ratio of two PromQL queries that
    take sloth's `{{.window}}` (or none: then they are events to take over the window)."""
    kind = source.get(("kind",), str, "an OpenSLO kind")
    if kind != "SLO":
        return  # v1alpha Services carry nothing promgen reads
    raw = source.get(("spec", "service"), str, "the service name")
    name = service_name(raw)
    service = services.setdefault(name, ImportedService(name))
    if source.document.file not in service.sources:
        service.sources.append(source.document.file)
    base = slo_name(source.get(("metadata", "name"), str, "the SLO's name"))
    windows = source.get(("spec", "timeWindows"), list, "a list with one time window", required=False) or [{}]
    window = windows[0] if isinstance(windows[0], dict) else {}
    unit = _UNITS.get(str(window.get("unit", "day")).lower().rstrip("s"))
    count = window.get("count", 30)
    calendar: str | None = None
    if window.get("isRolling") is False or "calendar" in window:
        calendar = _ALPHA_PERIODS.get(str(window.get("unit", "")).lower().rstrip("s")) if count == 1 else None
        if calendar is None:
            service.refused.append(source.problem(("spec", "timeWindows", 0), CALENDAR.format(slo=base)))
            return
    if calendar is None and (unit is None or not isinstance(count, int) or isinstance(count, bool) or count <= 0):
        service.refused.append(source.problem(("spec", "timeWindows", 0), f"SLO {base}: window {count} {window.get('unit')} "
                                                                          "is not a rolling count of seconds to weeks; it is not imported"))
        return
    method = source.get(("spec", "budgetingMethod"), str, "Occurrences or Timeslices", required=False)
    if method and method != "Occurrences":
        service.left.append(source.left(("spec", "budgetingMethod"), f"SLO {base}: promgen budgets by occurrences, "
                                                                      f"not {method}; the objective is kept"))
    objectives = source.get(("spec", "objectives"), list, "a list of objectives")
    description = " ".join(str(source.get(("spec", "description"), str, "text", required=False) or "").split())
    for index in range(len(objectives)):
        here = ("spec", "objectives", index)
        slo = base if len(objectives) == 1 else slo_name(f"{base}-{index + 1}")
        target = source.get(here + ("target",), (int, float), "a ratio between 0 and 1")
        if not 0 < target < 1:
            raise source.fail(here + ("target",), f"target {target} is not strictly between 0 and 1")
        metrics = source.get(here + ("ratioMetrics",), dict, "ratio metrics (good or bad, and total)", required=False)
        if metrics is None:
            service.refused.append(source.problem(here, f"SLO {slo}: only ratio objectives (`ratioMetrics`) are event "
                                                        "ratios promgen can express; it is not imported"))
            continue
        sli: dict[str, str] = {}
        for key, promgen_key in (("good", "good"), ("bad", "errors"), ("total", "total")):
            if key in metrics:
                query = source.get(here + ("ratioMetrics", key, "query"), str, "a PromQL query")
                if _SLOTH_WINDOW.search(query):
                    sli[promgen_key] = _SLOTH_WINDOW.sub("{{window}}", query).strip()
                else:
                    wrapped = _events_over_window(query, counter=True)
                    if wrapped is None:
                        service.refused.append(source.problem(here + ("ratioMetrics", key, "query"),
                                                              f"SLO {slo}: query {query!r} has no window and is neither a "
                                                              "selector nor a sum of one; it is not imported"))
                        break
                    sli[promgen_key] = wrapped
        else:
            service.add(drop_empty({"name": slo, "objective": objective_percent(target * 100),
                                    "window": None if calendar else f"{count}{unit}", "calendar": calendar,
                                    "description": description, "sli": sli,
                                    "alerting": {"page": service.severity("critical"),
                                                 "ticket": service.severity("warning")}}),
                        source.problem(here, ""))
