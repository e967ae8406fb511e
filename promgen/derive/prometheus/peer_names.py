"""`rules.naming`: the series and labels another SLO tool records, recorded beside promgen's own and
from them, so the dashboards and alerts its users wrote keep reading on the day they switch.

- sloth: every SLO series also carries sloth_id, sloth_service and sloth_slo, and sloth's own
  series (slo:period_error_budget_remaining:ratio, slo:current_burn_rate:ratio, ...) are recorded;
- pyrra: `<metric>:burnrate<window>` (pyrra's name for an error ratio) over every recorded window,
  with pyrra's labels (slo and the total selector's equality matchers), and pyrra's generic series
  (pyrra_objective, pyrra_window, pyrra_availability, pyrra_requests:rate5m, pyrra_errors:rate5m)
  that its Grafana dashboards read. Its `<metric>:increase<window>` series are not recorded: they are
  raw increases over the whole SLO window, the cost promgen's chained windows exist to avoid.
"""

from __future__ import annotations

from decimal import Decimal

from promgen.core import conventions
from promgen.core.model import Model
from promgen.core.peer_series import PYRRA_GENERIC_SERIES, pyrra_labels, pyrra_metric
from promgen.derive.prometheus.slo import (
    Rule,
    SloPlan,
    decimal_text,
    error_rate_query,
    selector,
    total_rate_query,
)
from promgen.load.units import Duration


def with_peer_names(rules: list[Rule], model: Model, slo_plan: SloPlan) -> list[Rule]:
    if model.spec.rules.naming == "sloth":
        return _with_sloth_names(rules, model, slo_plan)
    return rules + _pyrra_rules(model, slo_plan)


def _with_sloth_names(rules: list[Rule], model: Model, slo_plan: SloPlan) -> list[Rule]:
    slo = model.spec.slos[slo_plan.index]
    sloth = conventions.sloth_labels(model.service, slo.name)
    labels = {**slo_plan.labels, **sloth}
    match = selector(slo_plan.labels)
    budget = decimal_text(slo_plan.budget)
    shortest = conventions.slo_error_ratio_series(slo_plan.windows[0]) + match
    period = conventions.slo_error_ratio_series(slo_plan.window) + match
    days = decimal_text(Decimal(Duration(slo_plan.window).ms) / Decimal(86_400_000))
    objective = decimal_text(slo_plan.objective * 100)
    extra: list[Rule] = [
        {"record": conventions.SLOTH_PERIOD_DAYS_SERIES, "expr": f"vector({days})"},
        {"record": conventions.SLOTH_CURRENT_BURN_SERIES, "expr": f"{shortest} / {budget}"},
        {"record": conventions.SLOTH_PERIOD_BURN_SERIES, "expr": f"{period} / {budget}"},
        {"record": conventions.SLOTH_BUDGET_REMAINING_SERIES,
         "expr": f"1 - {conventions.SLOTH_PERIOD_BURN_SERIES}{match}"},
        {"record": conventions.SLOTH_INFO_SERIES, "expr": "vector(1)", "labels": {"sloth_objective": objective}},
    ]
    return [{**rule, "labels": {**rule.get("labels", {}), **labels}} for rule in [*rules, *extra]]


def _pyrra_rules(model: Model, slo_plan: SloPlan) -> list[Rule]:
    slo = model.spec.slos[slo_plan.index]
    metric = pyrra_metric(slo)
    if metric is None:
        return []
    labels = {**pyrra_labels(slo), **slo_plan.labels}
    match = selector(slo_plan.labels)
    base = slo_plan.windows[0]
    window_seconds = Duration(slo_plan.window).ms // 1000
    period = conventions.slo_error_ratio_series(slo_plan.window) + match
    out: list[Rule] = [
        {"record": f"{metric}:burnrate{window}", "expr": f"{conventions.slo_error_ratio_series(window)}{match}"}
        for window in slo_plan.windows
    ]
    errors = f"{conventions.slo_error_rate_series(base)}{match}"
    total = f"{conventions.slo_total_rate_series(base)}{match}"
    if base != "5m":  # pyrra's rates are over 5m whatever the SLO's shortest window
        errors, total = error_rate_query(model, slo, "5m"), total_rate_query(model, slo, "5m")
    generic = [
        f"vector({decimal_text(slo_plan.objective)})",
        f"vector({window_seconds})",
        f"1 - {period}",
        total,
        f"({errors}) or ({total}) * 0",  # pyrra's errors are 0, not absent, while nothing fails
    ]
    out += [{"record": name, "expr": expr} for name, expr in zip(PYRRA_GENERIC_SERIES, generic, strict=True)]
    return [{**rule, "labels": dict(labels)} for rule in out]
