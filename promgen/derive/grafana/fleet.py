"""The fleet dashboard of a stack of several services: every SLO of every service in one table
(objective, SLI over its window, error budget remaining, burn rate) and the firing alerts by
service and severity.

Like the SLO dashboard it reads only the SLO recording rules (derive/slo.py), whose series carry
{service, slo}; all but the burn rate have one name for every SLO:
- `slo:objective:ratio`, `slo:error_budget:ratio`, `slo:error_budget_remaining:ratio`;
- SLI over the SLO window = 1 - (1 - budget remaining) * error budget (what the remaining budget
  is computed from), so SLOs of different windows share one query;
- the burn rate over the fastest page window reads `slo:sli_error:ratio_rate<window>`, whose name
  depends on the SLO window: one query per window in use.
"""

from __future__ import annotations

from typing import Any

from promgen.core import conventions
from promgen.core.stack import Stack
from promgen.derive.grafana import panels as g
from promgen.derive.grafana.layout import Panel, Section, layout
from promgen.derive.grafana.slo import SloView

FLEET_SCOPE = "fleet"
# (column, refId of its query, Grafana unit, decimals) in table order
COLUMNS = (
    ("objective", "A", "percentunit", 3),
    ("SLI", "B", "percentunit", 3),
    ("budget remaining", "C", "percentunit", 1),
    ("burn rate", "D", "short", 2),
)


def fleet_uid() -> str:
    return conventions.FLEET_DASHBOARD_UID


def services_matcher(stack: Stack) -> str:
    """`service=~"a|b"`: every service of the stack (names are [a-z0-9-], nothing to escape)."""
    return f'service=~"{"|".join(stack.names)}"'


def burn_rate_query(stack: Stack) -> str:
    """Each SLO's burn rate over its fastest page window: one division per window in use, their union."""
    by_window: dict[str, list[str]] = {}
    for model in stack.services:
        for slo in model.spec.slos:
            view = SloView(model, slo)
            by_window.setdefault(view.fastest.long, []).append(view.selector)
    budget = f"slo:error_budget:ratio{{{services_matcher(stack)}}}"
    if len(by_window) == 1:
        (window,) = by_window
        ratio = f"{conventions.slo_error_ratio_series(window)}{{{services_matcher(stack)}}}"
        return f"{ratio} / on(service, slo) {budget}"
    parts = []
    for window, selectors in by_window.items():
        series = conventions.slo_error_ratio_series(window)
        ratios = " or ".join(f"{series}{selector}" for selector in selectors)
        parts.append(f"({ratios}) / on(service, slo) {budget}")
    return " or ".join(parts)


def _slo_table(stack: Stack) -> Panel:
    matcher = services_matcher(stack)
    queries = {
        "A": f"{conventions.SLO_OBJECTIVE_SERIES}{{{matcher}}}",
        "B": f"1 - (1 - {conventions.SLO_BUDGET_REMAINING_SERIES}{{{matcher}}}) * on(service, slo) "
             f"{conventions.SLO_ERROR_BUDGET_SERIES}{{{matcher}}}",
        "C": f"{conventions.SLO_BUDGET_REMAINING_SERIES}{{{matcher}}}",
        "D": burn_rate_query(stack),
    }
    targets = [g.target(queries[ref], "", index, fmt="table", instant=True)
               for index, (_column, ref, _unit, _decimals) in enumerate(COLUMNS)]
    panel = g.table(
        "Every SLO",
        "Objective, SLI and error budget remaining over each SLO's window, and the burn rate over its fastest "
        "page window (1 spends exactly the budget in the window).",
        targets,
        "percentunit",
    )
    panel["transformations"] = [
        {"id": "merge", "options": {}},
        {
            "id": "organize",
            "options": {
                "excludeByName": {"Time": True},
                "indexByName": {"service": 0, "slo": 1, **{f"Value #{ref}": 2 + i for i, (_c, ref, _u, _d) in enumerate(COLUMNS)}},
                "renameByName": {f"Value #{ref}": column for column, ref, _unit, _decimals in COLUMNS},
            },
        },
    ]
    overrides = []
    for column, _ref, unit, decimals in COLUMNS:
        properties: list[dict[str, Any]] = [{"id": "unit", "value": unit}, {"id": "decimals", "value": decimals}]
        if column == "budget remaining":
            properties += [
                {"id": "thresholds", "value": g.thresholds(("red", None), ("orange", 0), ("green", 0.25))},
                {"id": "custom.cellOptions", "value": {"type": "color-text"}},
            ]
        overrides.append({"matcher": {"id": "byName", "options": column}, "properties": properties})
    panel["fieldConfig"]["overrides"] = overrides
    panel["options"]["sortBy"] = [{"displayName": "budget remaining", "desc": False}]
    slos = sum(len(model.spec.slos) for model in stack.services)
    return Panel(panel, w=24, h=min(4 + slos, 20))


def _budget_over_time(stack: Stack) -> Panel:
    return Panel(g.timeseries(
        "Error budget remaining",
        "Each SLO's budget left at each moment, over the SLO window ending then (below 0: the SLO is broken).",
        [g.target(f"{conventions.SLO_BUDGET_REMAINING_SERIES}{{{services_matcher(stack)}}}", "{{service}} {{slo}}")],
        "percentunit",
        steps=g.thresholds(("red", None), ("orange", 0), ("green", 0.25)),
    ), w=24)


def _alerts(stack: Stack) -> Section:
    firing = f'ALERTS{{alertstate="firing", {services_matcher(stack)}}}'
    return Section("Firing alerts", [
        Panel(g.table(
            "Firing alerts by service and severity",
            "How many alerts fire now, per service and severity.",
            [g.target(f"count by (service, severity) ({firing})", "", fmt="table", instant=True)],
            "short",
        ) | {"transformations": [{"id": "organize", "options": {"excludeByName": {"Time": True},
                                                                   "renameByName": {"Value": "firing"}}}]},
            w=8, h=8),
        Panel(g.timeseries(
            "Firing alerts over time",
            "Alerts firing per service and severity.",
            [g.target(f"count by (service, severity) ({firing})", "{{service}} {{severity}}")],
            "short",
            min_zero=True,
        ), w=16, h=8),
    ])


def fleet_dashboard(stack: Stack) -> dict[str, Any]:
    sections = []
    if any(model.spec.slos for model in stack.services):
        sections.append(Section("SLOs", [_slo_table(stack), _budget_over_time(stack)]))
    sections.append(_alerts(stack))
    return g.envelope(
        scope=FLEET_SCOPE,
        header=stack.header,
        alerts=services_matcher(stack),
        uid=fleet_uid(),
        title="promgen fleet",
        tags=["slo", *stack.names],
        panels=layout(sections),
        time_from="now-24h",
    )
