"""Every check `validate` runs on one spec, by name, in one list: a check is a function of the
`Context` that reports through it. A new check is a function in the module of what it checks and a
line here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from promgen.check import alerts, collection, dashboards, names, routing, slos
from promgen.check.context import Context
from promgen.check.promql import queries


@dataclass(frozen=True)
class Check:
    name: str
    run: Callable[[Context], None]


CHECKS: tuple[Check, ...] = (
    Check("spec/unique-names", names.unique_names),
    Check("scrape/intervals", collection.scrape),
    Check("rules/group-settings", collection.rule_groups),
    Check("service/labels", collection.service),
    Check("stack/exporter-jobs", collection.stack_exporters),
    Check("metrics/declarations", collection.metrics),
    Check("severities/references", routing.severity_references),
    Check("channels/email", routing.channels),
    Check("time-intervals/ranges", routing.time_intervals),
    Check("severities/order", routing.severity_order),
    Check("slos/definition", slos.slos),
    Check("alerts/definition", alerts.alerts),
    Check("log-alerts/definition", alerts.log_alerts),
    Check("dashboards/custom", dashboards.dashboards),
    Check("alertmanager/routes", routing.routes),
    Check("alertmanager/routing", routing.routing),
    Check("probes/timings", collection.probes),
    Check("secrets/file-names", collection.secret_files),
    Check("checks/names", queries.check_names),
    Check("alerts/queries", queries.alert_queries),
    Check("slos/queries", queries.sli_queries),
    Check("dashboards/queries", queries.panel_queries),
)
