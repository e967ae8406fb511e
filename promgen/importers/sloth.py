"""sloth's SLO specs: `version: prometheus/v1` files and `PrometheusServiceLevel` objects
(sloth.slok.dev/v1, the same fields in camelCase under `spec`).

sloth's SLI is `error_query / total_query` with `{{.window}}` for each window; promgen's ratio SLI is
the same division with `{{window}}`. sloth's page and ticket alerts become promgen's page and ticket
severities (their `severity` label), the alert name and annotations carry over, and sloth's labels
go on the SLO's alerts.
"""

from __future__ import annotations

import re
from typing import Any

from promgen.importers.common import (
    DEFAULT_PAGE,
    DEFAULT_TICKET,
    WINDOW_VARIABLE,
    ImportedService,
    Source,
    alert_name,
    drop_empty,
    label_name,
    objective_percent,
    service_name,
    severity_name,
    slo_name,
)
from promgen.yamlio.reader import PathKey

SPEC_VERSION = "prometheus/v1"
CRD_API = "sloth.slok.dev/v1"
CRD_KIND = "PrometheusServiceLevel"
WINDOWS_KIND = "AlertWindows"
DEFAULT_WINDOW = "30d"  # sloth's default SLO period
RESERVED = {"severity", "slo", "service", "alertname"}  # promgen sets these on SLO alerts

_WINDOW = re.compile(r"\{\{\s*\.window\s*\}\}")

# field names: the spec file's snake_case, the Kubernetes object's camelCase
_SPEC = {"error_query": "error_query", "total_query": "total_query", "error_ratio_query": "error_ratio_query",
         "page_alert": "page_alert", "ticket_alert": "ticket_alert", "slo_plugins": "slo_plugins"}
_CRD = {"error_query": "errorQuery", "total_query": "totalQuery", "error_ratio_query": "errorRatioQuery",
        "page_alert": "pageAlert", "ticket_alert": "ticketAlert", "slo_plugins": "sloPlugins"}


def convert(sources: list[Source]) -> list[ImportedService]:
    services: dict[str, ImportedService] = {}
    # sloth's series names and labels beside promgen's: the dashboards and alerts of sloth users keep reading
    naming = {"rules": {"naming": "sloth"}}
    tables = [AlertTable(s) for s in sources if isinstance(s.data, dict) and s.data.get("kind") == WINDOWS_KIND]
    specs = [s for s in sources if not (isinstance(s.data, dict) and s.data.get("kind") == WINDOWS_KIND)]
    if tables and not specs:
        raise tables[0].source.fail(("kind",), "an AlertWindows object holds no SLO: import it together with the "
                                               "sloth specs whose alerts it sets")
    table = alert_table(tables, None)
    for source in specs:
        base, names = _shape(source)
        raw = source.get(base + ("service",), str, "the service name")
        name = service_name(raw)
        service = services.setdefault(name, ImportedService(name, settings=dict(naming)))
        if source.document.file not in service.sources:
            service.sources.append(source.document.file)
        if name != raw:
            service.left.append(source.left(base + ("service",), f"service {raw!r} is {name!r} here (promgen service names are [a-z][a-z0-9-]*)"))
        labels = _labels(source, base + ("labels",), service)
        if labels:
            service.left.append(source.left(base + ("labels",), "promgen puts these labels on the SLO alerts, not on the recorded series"))
        if source.get(base + (names["slo_plugins"],), dict, "a plugin list", required=False):
            service.left.append(source.left(base + (names["slo_plugins"],), "sloth SLO plugins have no promgen equivalent"))
        slos = source.get(base + ("slos",), list, "a list of SLOs")
        for index in range(len(slos)):
            slo = _slo(source, base + ("slos", index), names, service, labels, table)
            if slo is not None:
                service.add(slo, source.problem(base + ("slos", index), ""))
    if services and len(tables) > 1:  # said once, with the first service
        alert_table(tables, next(iter(services.values())))
    return list(services.values())


def _shape(source: Source) -> tuple[PathKey, dict[str, str]]:
    data = source.data
    if not isinstance(data, dict):
        raise source.fail((), "not a sloth spec: expected a mapping with `version: prometheus/v1`")
    if data.get("apiVersion") == CRD_API and data.get("kind") == CRD_KIND:
        return ("spec",), _CRD
    if "apiVersion" in data or "kind" in data:
        raise source.fail((), f"not a sloth object: expected apiVersion {CRD_API} and kind {CRD_KIND}, "
                              f"found {data.get('apiVersion')!r} {data.get('kind')!r}")
    version = data.get("version")
    if version != SPEC_VERSION:
        raise source.fail(("version",) if "version" in data else (),
                          f"sloth spec version {version!r} is not supported; promgen imports {SPEC_VERSION!r}")
    return (), _SPEC


def _labels(source: Source, path: PathKey, service: ImportedService) -> dict[str, str]:
    raw = source.get(path, dict, "a mapping of labels", required=False) or {}
    labels: dict[str, str] = {}
    for key, value in raw.items():
        if key in RESERVED:
            service.left.append(source.left(path + (key,), f"label {key!r} is set by promgen on SLO alerts; not carried over"))
            continue
        if not isinstance(value, (str, int, float)) or isinstance(value, bool) or value == "":
            service.left.append(source.left(path + (key,), f"label {key!r} has no usable value; not carried over"))
            continue
        labels[label_name(key)] = str(value)
    return labels


def _slo(source: Source, path: PathKey, names: dict[str, str], service: ImportedService,
         inherited: dict[str, str], table: AlertTable | None) -> dict[str, Any] | None:
    raw_name = source.get(path + ("name",), str, "the SLO name")
    name = slo_name(raw_name)
    objective = source.get(path + ("objective",), (int, float), "a percentage")
    if not 0 < objective < 100:
        raise source.fail(path + ("objective",), f"objective {objective} is not a percentage strictly between 0 and 100")
    sli = _sli(source, path + ("sli",), names, service, name)
    if sli is None:
        return None
    if source.get(path + ("plugins",), dict, "a plugin list", required=False):
        service.left.append(source.left(path + ("plugins",), f"SLO {name}: sloth SLO plugins have no promgen equivalent"))
    labels = {**inherited, **_labels(source, path + ("labels",), service)}
    alerting, alert_labels = _alerting(source, path + ("alerting",), names, service, name, table)
    labels.update(alert_labels)
    return drop_empty({
        "name": name,
        "objective": objective_percent(objective),
        "window": table.period if table is not None else DEFAULT_WINDOW,
        "description": source.get(path + ("description",), str, "text", required=False),
        "sli": sli,
        "labels": labels,
        "alerting": alerting,
    })


def _sli(source: Source, path: PathKey, names: dict[str, str], service: ImportedService,
         slo: str) -> dict[str, str] | None:
    sli = source.get(path, dict, "an SLI (events, raw or plugin)")
    if "events" in sli:
        events = path + ("events",)
        errors = source.get(events + (names["error_query"],), str, "a PromQL query")
        total = source.get(events + (names["total_query"],), str, "a PromQL query")
        return {"errors": _window(errors).strip(), "total": _window(total).strip()}
    if "raw" in sli:
        ratio = source.get(path + ("raw", names["error_ratio_query"]), str, "a PromQL query")
        return {"error_ratio": _window(ratio).strip()}
    if "plugin" in sli:
        plugin = source.get(path + ("plugin", "id"), str, "the plugin's id", required=False) or "?"
        service.refused.append(source.problem(path + ("plugin",), f"SLO {slo}: SLI plugin {plugin!r} builds its queries "
                                                                  "in the plugin's code, which promgen cannot read; write "
                                                                  "them as `sli.events` (error_query, total_query) and "
                                                                  "import again"))
        return None
    raise source.fail(path, "an SLI needs `events`, `raw` or `plugin`")


def _window(query: str) -> str:
    return _WINDOW.sub(WINDOW_VARIABLE, query)


# sloth's default windows for its 30-day period: (kind, speed, share of the budget, long, short)
DEFAULT_WINDOWS = (("page", "quick", 2, "1h", "5m"), ("page", "slow", 5, "6h", "30m"),
                   ("ticket", "quick", 10, "1d", "2h"), ("ticket", "slow", 10, "3d", "6h"))


def _alerting(source: Source, path: PathKey, names: dict[str, str], service: ImportedService,
              slo: str, table: AlertTable | None) -> tuple[dict[str, Any], dict[str, str]]:
    """(promgen `alerting`, labels for the SLO's alerts): each of sloth's page and ticket alerts at its
    severity, with its own labels and annotations; a disabled one left out."""
    settings = source.get(path, dict, "the alerting settings", required=False) or {}
    alerting: dict[str, Any] = {}
    raw_name = source.get(path + ("name",), str, "an alert name", required=False)
    if raw_name:
        taken = {s.get("alerting", {}).get("name") for s in service.slos}
        name = alert_name(raw_name)
        if name in taken:
            service.left.append(source.left(path + ("name",), f"SLO {slo}: another SLO already raises {name}; this one "
                                                               "keeps promgen's alert name"))
        else:
            alerting["name"] = name
            if name != raw_name:
                service.left.append(source.left(path + ("name",), f"SLO {slo}: alert {raw_name!r} is {name!r} here "
                                                                   "(promgen alert names are CamelCase)"))
    annotations = source.get(path + ("annotations",), dict, "a mapping of annotations", required=False) or {}
    alerting["annotations"] = {label_name(k): str(v) for k, v in annotations.items()}
    labels = _labels(source, path + ("labels",), service) if settings else {}
    severities: dict[str, str] = {}
    disabled: set[str] = set()
    extras: dict[str, dict[str, Any]] = {}
    for kind, default in (("page", DEFAULT_PAGE), ("ticket", DEFAULT_TICKET)):
        here = path + (names[f"{kind}_alert"],)
        alert = source.get(here, dict, "alert settings", required=False) or {}
        own = dict(source.get(here + ("labels",), dict, "a mapping of labels", required=False) or {})
        severity = own.pop("severity", None)
        severities[kind] = service.severity(severity_name(str(severity)) if severity else default)
        if alert.get("disable"):
            disabled.add(kind)
            continue
        extra = drop_empty({"labels": {label_name(k): str(v) for k, v in own.items() if k not in RESERVED},
                            "annotations": {label_name(k): str(v) for k, v in (alert.get("annotations") or {}).items()}})
        if extra:
            extras.setdefault(severities[kind], {}).update(extra)
    if severities["page"] == severities["ticket"] and len(extras) == 1 and not disabled:
        service.left.append(source.left(path, f"SLO {slo}: the page and ticket alerts share severity "
                                              f"{severities['page']!r}: promgen raises one alert with both alerts' "
                                              "labels and annotations"))
    if disabled == {"page", "ticket"}:
        alerting["enabled"] = False
    elif table is not None or disabled:
        rows = table.rows if table is not None else DEFAULT_WINDOWS
        alerting["windows"] = [{"severity": severities[kind], "budget_percent": share, "long": long, "short": short}
                               for kind, _speed, share, long, short in rows if kind not in disabled]
    else:
        alerting["page"], alerting["ticket"] = severities["page"], severities["ticket"]
    alerting["by_severity"] = extras
    return drop_empty(alerting), labels


class AlertTable:
    """A sloth AlertWindows object: the period it is for and its four (kind, speed, budget share,
    long, short) rows."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.period = source.get(("spec", "sloPeriod"), str, "a duration such as 30d")
        rows = []
        for kind in ("page", "ticket"):
            for speed in ("quick", "slow"):
                here = ("spec", kind, speed)
                share = source.get(here + ("errorBudgetPercent",), (int, float), "a percentage of the error budget")
                long = source.get(here + ("longWindow",), str, "a duration")
                short = source.get(here + ("shortWindow",), str, "a duration")
                rows.append((kind, speed, objective_percent(share), long, short))
        self.rows = tuple(rows)


def alert_table(tables: list[AlertTable], service: ImportedService | None) -> AlertTable | None:
    """The AlertWindows sloth would use: the one for its default 30-day period, else the only one."""
    if not tables:
        return None
    chosen = next((t for t in tables if t.period == DEFAULT_WINDOW), tables[0] if len(tables) == 1 else None)
    if service is not None:
        for table in tables:
            if table is not chosen:
                service.left.append(table.source.left(("spec", "sloPeriod"), f"alert windows for a {table.period} "
                                                                              f"period are not used: the SLOs are "
                                                                              f"imported over {chosen.period if chosen else DEFAULT_WINDOW}"))
    return chosen
