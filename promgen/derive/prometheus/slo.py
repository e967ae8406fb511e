"""SLO rules as data: the error ratio recorded over every burn-rate window, metadata series, and
multiwindow multi-burn-rate page and ticket alerts on the recorded series (Google SRE Workbook,
"Alerting on SLOs").

Numbers are Decimals until they are written, so 14.4 x (1 - 0.999) is written 0.0144, not
0.014400000000000011.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import promql_parser

from promgen.core import burn_rates, conventions
from promgen.core.model import Model, per_model
from promgen.judge.promql import substitute_window
from promgen.load.go_template import literal
from promgen.load.models import SLO, LatencySLI
from promgen.load.units import Duration, format_duration
from promgen.testgen.go_format import go_g

Rule = dict[str, Any]


@dataclass(frozen=True)
class BurnCondition:
    """Both windows' error ratios above `threshold` (= factor x error budget)."""

    long: str
    short: str
    factor: float
    threshold: Decimal


@dataclass(frozen=True)
class SloAlert:
    """One burn-rate alert rule of an SLO: any of its conditions holding (for `for_`) raises it."""

    severity: str
    conditions: tuple[BurnCondition, ...]
    for_: str | None
    labels: dict[str, str]  # told apart from the severity's other rules (long, short), when it has any
    kind: str  # page (the most urgent severity) or ticket


@dataclass(frozen=True)
class SloPlan:
    """One SLO's numbers and windows, scaled by the render's SLO time scale."""

    index: int
    name: str
    objective: Decimal  # as a ratio: 0.999
    budget: Decimal  # 1 - objective
    window: str  # the (scaled) SLO window: 30d
    windows: tuple[str, ...]  # every recorded burn-rate window, shortest first
    page: tuple[BurnCondition, ...]
    ticket: tuple[BurnCondition, ...]
    labels: dict[str, str]  # identify the SLO's recorded series: {service, slo}
    chained: bool = True  # windows past the shortest built from its recorded rates (else all from raw series)
    lag_ms: int = 0  # how far a chained window's average trails the raw one (see chained_ratio)
    alerts: tuple[SloAlert, ...] = ()  # its burn-rate alert rules, most urgent first
    min_events: int | None = None  # events a condition's long window must hold before it counts


def decimal_text(value: Decimal) -> str:
    """A Decimal as a plain PromQL/YAML number: 0.0144, 99.9, 10 (never 1E+1)."""
    text = format(value.normalize(), "f")
    return text


def error_budget(objective_percent: float) -> Decimal:
    return 1 - Decimal(repr(objective_percent)) / 100


def burn_threshold(factor: float, budget: Decimal) -> Decimal:
    return Decimal(repr(factor)) * budget


def scaled_window_ms(window_ms: int, scale: float) -> int:
    """The SLO window shrunk by the render's time scale (1/720 turns 30d into 1h); at least 1s."""
    return max(1000, int(window_ms * scale))


def plan(model: Model, index: int) -> SloPlan:
    """The plan of the model's SLO number `index` (made once per model: rules and tests both read it)."""
    return _plans(model)[index]


@per_model
def _plans(model: Model) -> tuple[SloPlan, ...]:
    return tuple(_plan(model, index) for index in range(len(model.spec.slos)))


def _plan(model: Model, index: int) -> SloPlan:
    slo = model.spec.slos[index]
    window_ms = scaled_window_ms(slo.window.ms, model.options.slo_time_scale)
    budget = error_budget(slo.objective)
    ladder = [severity.name for severity in model.spec.severities]
    burns = burn_rates.slo_burn_windows(slo, window_ms, ladder)
    conditions = [(w, BurnCondition(w.long, w.short, w.factor, burn_threshold(w.factor, budget))) for w in burns]
    # an SLI that is a ratio already has no event rates to chain: every window from its query
    chained = (slo.rules or model.spec.rules.slo) == "chained" and slo.sli.error_ratio is None
    windows = burn_rates.slo_recorded_windows(slo, window_ms)
    return SloPlan(
        chained=chained,
        lag_ms=chain_lag_ms(model, windows[0]),
        index=index,
        name=slo.name,
        objective=1 - budget,
        budget=budget,
        window=format_duration(window_ms),
        windows=windows,
        page=tuple(c for w, c in conditions if w.kind == "page"),
        ticket=tuple(c for w, c in conditions if w.kind == "ticket"),
        labels={"service": model.service, "slo": slo.name},
        alerts=_slo_alerts(model, index, conditions),
        min_events=slo.alerting.min_events,
    )


def _slo_alerts(model: Model, index: int, conditions: list[tuple[burn_rates.BurnWindow, BurnCondition]]) -> tuple[SloAlert, ...]:
    """The SLO's burn-rate alert rules, most urgent first. promgen's table: a page and a ticket alert
    (one, when both are one severity). The SLO's own: one alert per severity and `for`; a severity
    whose conditions wait different times gets one alert per condition, told apart by their windows
    (the `long` and `short` labels pyrra gives its alerts)."""
    slo = model.spec.slos[index]
    if not slo.alerting.windows:
        page, ticket = model.slo_page_severity(index), model.slo_ticket_severity(index)
        pages = tuple(c for w, c in conditions if w.kind == "page")
        tickets = tuple(c for w, c in conditions if w.kind == "ticket")
        if page == ticket:
            return (SloAlert(page, pages + tickets, None, {}, "page"),)
        return SloAlert(page, pages, None, {}, "page"), SloAlert(ticket, tickets, None, {}, "ticket")
    ladder = [severity.name for severity in model.spec.severities]
    groups: dict[tuple[str, str | None], list[tuple[burn_rates.BurnWindow, BurnCondition]]] = {}
    for window, condition in conditions:
        severity = model.severity_of.get(window.severity or "", window.severity or "")
        groups.setdefault((severity, window.for_), []).append((window, condition))
    found: list[SloAlert] = []
    for (severity, for_), members in groups.items():
        split = sum(key[0] == severity for key in groups) > 1
        kind = members[0][0].kind
        if split:
            found += [SloAlert(severity, (c,), for_, {"long": w.long, "short": w.short}, kind) for w, c in members]
        else:
            found.append(SloAlert(severity, tuple(c for _w, c in members), for_, {}, kind))
    rank = {name: position for position, name in enumerate(ladder)}
    return tuple(sorted(found, key=lambda a: rank.get(a.severity, len(rank))))


def chain_lag_ms(model: Model, base: str) -> int:
    """How far the average of a recorded `base`-window rate over W trails the rate over W itself.

    The recorded rate at each evaluation covers the `base` before it, so averaging the samples of W
    weighs the raw series with a trapezoid instead of a box: the same average, centred half a base
    window earlier -- less half an evaluation interval where the range is left-open (Prometheus 3
    holds W / interval samples in (t - W, t]; Prometheus 2 one more, in [t - W, t])."""
    base_ms = Duration(base).ms
    interval_ms = model.evaluation_interval.ms
    if model.targets.has("left-open ranges"):
        return max(0, (base_ms - interval_ms) // 2)
    return base_ms // 2


def selector(labels: dict[str, str]) -> str:
    inner = ", ".join(f'{name}="{_escape(value)}"' for name, value in labels.items())
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


# --- the SLI's error ratio -------------------------------------------------------------------


def error_ratio_query(model: Model, slo: SLO, window: str) -> str:
    """PromQL for the share of bad events over `window`."""
    sli = slo.sli
    if sli.latency is not None:
        return latency_error_ratio(model, sli.latency, window)
    if sli.error_ratio is not None:
        return substitute_window(sli.error_ratio, window).strip()
    total = _operand(sli.total or "", window)
    if sli.errors is not None:
        return f"{_operand(sli.errors, window)} / {total}"
    return f"1 - {_operand(sli.good or '', window)} / {total}"


def _operand(query: str, window: str) -> str:
    """The SLI `query` over `window` as an operand of `/`: parenthesised unless it is a single call,
    aggregation or selector."""
    text = substitute_window(query, window).strip()
    return f"({text})" if _needs_parentheses(query) else text


@lru_cache(maxsize=4096)
def _needs_parentheses(query: str) -> bool:
    """Whether the SLI query (its shape does not depend on the window) is a binary or unary expression."""
    try:
        node = promql_parser.parse(substitute_window(query, "5m").strip())
    except Exception:  # validate has parsed it already; parenthesise to stay safe
        return True
    return isinstance(node, (promql_parser.BinaryExpr, promql_parser.UnaryExpr))


def _latency_selectors(model: Model, latency: LatencySLI) -> tuple[str, str]:
    """The label matchers of the histogram's `_count` and of its threshold bucket, braces included."""
    bound = latency.threshold.seconds * (1000 if model.metric_units.get(latency.metric) == "milliseconds" else 1)
    extra = latency.selector.strip()
    bucket = ", ".join(part for part in (le_matcher(bound), extra) if part)
    return ("{" + extra + "}" if extra else ""), "{" + bucket + "}"


def latency_error_ratio(model: Model, latency: LatencySLI, window: str) -> str:
    """1 - (requests in the threshold's bucket) / (all requests): the share slower than the threshold."""
    count, bucket = _latency_selectors(model, latency)
    return (
        f"1 - sum(rate({latency.metric}_bucket{bucket}[{window}]))"
        f" / sum(rate({latency.metric}_count{count}[{window}]))"
    )


def le_matcher(bound: float) -> str:
    """Matcher of the `le` bucket for `bound`, as client libraries spell it.

    Go clients write whole numbers as `1`, the Python client as `1.0` (Prometheus 2 stores the
    label as exposed), so whole bounds match both spellings.
    """
    text = go_g(bound)
    if bound == int(bound) and "e" not in text:
        return f'le=~"{text}(\\\\.0)?"'
    return f'le="{text}"'


# --- rules -----------------------------------------------------------------------------------


def error_rate_query(model: Model, slo: SLO, window: str) -> str:
    """PromQL for bad events per second over `window`."""
    sli = slo.sli
    if sli.latency is not None:
        count, bucket = _latency_selectors(model, sli.latency)
        return f"sum(rate({sli.latency.metric}_count{count}[{window}])) - sum(rate({sli.latency.metric}_bucket{bucket}[{window}]))"
    if sli.errors is not None:
        return substitute_window(sli.errors, window).strip()
    return f"{_operand(sli.total or '', window)} - {_operand(sli.good or '', window)}"


def total_rate_query(model: Model, slo: SLO, window: str) -> str:
    """PromQL for all events per second over `window`."""
    sli = slo.sli
    if sli.latency is not None:
        count, _bucket = _latency_selectors(model, sli.latency)
        return f"sum(rate({sli.latency.metric}_count{count}[{window}]))"
    return substitute_window(sli.total or "", window).strip()


def chained_ratio(slo_plan: SloPlan, window: str, interval_ms: int) -> str:
    """The error ratio over `window` from the base window's recorded rates: the average bad rate over
    the window divided by the average total rate, each moved forward by the lag of averaging
    overlapping base windows (`chain_lag_ms`):

        avg_over_time(rate[W]) + lag / interval * (rate - rate offset W) / count_over_time(rate[W])

    that is lag / W x (rate now - rate a window ago) with a full window, and lag / history x rate now
    while the recorded history is shorter than the window (nothing was recorded a window ago)."""
    base = slo_plan.windows[0]
    match = selector(slo_plan.labels)
    steps = Decimal(slo_plan.lag_ms) / Decimal(interval_ms)
    parts = []
    for series in (conventions.slo_error_rate_series(base), conventions.slo_total_rate_series(base)):
        now = f"{series}{match}"
        average = f"avg_over_time({now}[{window}])"
        if steps:
            factor = decimal_text(steps.quantize(Decimal("0.0001")))
            average = (f"({average} + {factor} * ({now} - ({now} offset {window} or {now} * 0))"
                       f" / count_over_time({now}[{window}]))")
        parts.append(average)
    return f"{parts[0]} / {parts[1]}"


def bounded(ratio: str) -> str:
    """An error ratio held to [0, 1]: the chained windows' correction overshoots by a few percent
    when a burst enters or leaves a window, and `1 - good / total` dips below 0 when the two
    counters' extrapolations differ. Alerts compare the ratio with thresholds inside (0, 1), so
    their decisions do not change; dashboards never show an impossible value. No traffic stays NaN."""
    return f"clamp_max(clamp_min({ratio}, 0), 1)"


def recording_rules(model: Model, slo_plan: SloPlan) -> list[Rule]:
    slo = model.spec.slos[slo_plan.index]
    labels = slo_plan.labels
    if slo_plan.chained:
        base = slo_plan.windows[0]
        errors, total = conventions.slo_error_rate_series(base), conventions.slo_total_rate_series(base)
        rules: list[Rule] = [
            {"record": errors, "expr": error_rate_query(model, slo, base), "labels": dict(labels)},
            {"record": total, "expr": total_rate_query(model, slo, base), "labels": dict(labels)},
            {"record": conventions.slo_error_ratio_series(base),
             "expr": bounded(f"{errors}{selector(labels)} / {total}{selector(labels)}"), "labels": dict(labels)},
        ]
        rules += [
            {"record": conventions.slo_error_ratio_series(window),
             "expr": bounded(chained_ratio(slo_plan, window, model.evaluation_interval.ms)),
             "labels": dict(labels)}
            for window in slo_plan.windows[1:]
        ]
    else:
        rules = [
            {
                "record": conventions.slo_error_ratio_series(window),
                "expr": bounded(error_ratio_query(model, slo, window)),
                "labels": dict(labels),
            }
            for window in slo_plan.windows
        ]
        base = slo_plan.windows[0]
        if (slo.calendar is not None or model.spec.rules.naming == "pyrra") and slo.sli.error_ratio is None:
            # the dashboard sums a calendar period's events from the shortest window's rates; pyrra's
            # request and error rates are these
            rules[:0] = [
                {"record": conventions.slo_error_rate_series(base), "expr": error_rate_query(model, slo, base),
                 "labels": dict(labels)},
                {"record": conventions.slo_total_rate_series(base), "expr": total_rate_query(model, slo, base),
                 "labels": dict(labels)},
            ]
        elif slo_plan.min_events is not None:  # the traffic guard counts events from the shortest window's rate
            rules.insert(0, {"record": conventions.slo_total_rate_series(base), "expr": total_rate_query(model, slo, base),
                             "labels": dict(labels)})
    shortest = conventions.slo_error_ratio_series(slo_plan.windows[0]) + selector(labels)
    period = conventions.slo_error_ratio_series(slo_plan.window)
    budget = decimal_text(slo_plan.budget)
    rules += [
        {"record": conventions.SLO_OBJECTIVE_SERIES, "expr": f"vector({decimal_text(slo_plan.objective)})", "labels": dict(labels)},
        {"record": conventions.SLO_ERROR_BUDGET_SERIES, "expr": f"vector({budget})", "labels": dict(labels)},
        {"record": period, "expr": f"avg_over_time({shortest}[{slo_plan.window}])", "labels": dict(labels)},
        {
            "record": conventions.SLO_BUDGET_REMAINING_SERIES,
            "expr": f"1 - {period}{selector(labels)} / {budget}",
            "labels": dict(labels),
        },
    ]
    if model.spec.rules.naming != "promgen":
        from promgen.derive.prometheus import (
            peer_names,  # it reads this module's plan and queries
        )

        rules = peer_names.with_peer_names(rules, model, slo_plan)
    return rules


def burn_expr(conditions: tuple[BurnCondition, ...], labels: dict[str, str], base: str = "",
              min_events: int | None = None) -> str:
    """(long > t and short > t) or (...): alert on the recorded series, each pair with its factor;
    with `min_events`, each pair also needs that many events over its long window (the recorded
    `base`-window total rate averaged over the long window, times its seconds)."""
    match = selector(labels)
    pairs = []
    for c in conditions:
        limit = decimal_text(c.threshold)
        guard = ""
        if min_events is not None:
            seconds = Duration(c.long).ms // 1000
            guard = (f"and\n  avg_over_time({conventions.slo_total_rate_series(base)}{match}[{c.long}]) * {seconds}"
                     f" >= {min_events}\n")
        pairs.append(
            "(\n"
            f"  {conventions.slo_error_ratio_series(c.long)}{match} > {limit}\n"
            "and\n"
            f"  {conventions.slo_error_ratio_series(c.short)}{match} > {limit}\n"
            f"{guard})"
        )
    return "\nor\n".join(pairs) + "\n"


def alert_rules(model: Model, slo_plan: SloPlan) -> list[Rule]:
    """The page and ticket burn-rate alerts, and the no-data alert when asked for."""
    slo = model.spec.slos[slo_plan.index]
    if not slo.alerting.enabled:
        return []
    objective = f"{decimal_text(slo_plan.objective * 100)}% over {slo_plan.window}"
    name = conventions.slo_page_alert(slo.name, slo.alerting.name)
    rules = []
    for alert in slo_plan.alerts:
        fast = alert.kind == "page" and len(slo_plan.alerts) > 1
        summary = f"The {slo.name} SLO is burning its error budget{' fast' if fast else ''}."
        extra = dict(alert.labels)
        if model.spec.rules.naming == "sloth":
            extra.update({**conventions.sloth_labels(model.service, slo.name), "sloth_severity": alert.kind})
        expr = burn_expr(alert.conditions, slo_plan.labels, slo_plan.windows[0], slo_plan.min_events)
        rule = _alert(model, slo, name, expr, alert.severity, summary,
                      _burn_description(alert.conditions, objective, slo_plan.min_events), for_=alert.for_, extra=extra)
        rules.append(rule)
    if slo.alerting.no_data is not None:
        shortest = conventions.slo_error_ratio_series(slo_plan.windows[0]) + selector(slo_plan.labels)
        rules.append(
            _alert(
                model, slo, conventions.slo_no_data_alert(slo.name), f"absent({shortest})",
                slo.alerting.no_data,
                f"The {slo.name} SLI has no data.",
                "No error ratio can be computed for the {{ $labels.slo }} SLO of {{ $labels.service }}: "
                "its metrics are missing, so its burn-rate alerts cannot fire.",
                for_=str(model.options.compressed(Duration(conventions.SLO_NO_DATA_FOR))),
            )
        )
    return rules


def _burn_description(conditions: tuple[BurnCondition, ...], objective: str, min_events: int | None = None) -> str:
    factors = " or ".join(
        f"{c.long}/{c.short} above {_factor(c.factor)}x the budget" for c in conditions
    )
    guard = f", with at least {min_events} events in it" if min_events is not None else ""
    return (
        "{{ $labels.service }} {{ $labels.slo }}: {{ $value | humanizePercentage }} of events failed over the "
        f"long window ({factors}{guard}); objective {objective}."
    )


def _factor(factor: float) -> str:
    return decimal_text(Decimal(repr(factor)))


def _alert(
    model: Model, slo: SLO, name: str, expr: str, severity: str, summary: str, description: str,
    for_: str | None = None, extra: dict[str, str] | None = None,
) -> Rule:
    labels = model.common_labels(severity)
    labels["slo"] = slo.name
    labels.update(extra or {})
    own = slo.alerting.by_severity.get(severity) or next(
        (extras for key, extras in slo.alerting.by_severity.items() if model.severity_of.get(key) == severity), None)
    for key, value in {**slo.labels, **(own.labels if own else {})}.items():
        labels.setdefault(key, literal(value))  # never over promgen's own
    annotations = {"summary": summary, "description": description}
    annotations["runbook_url"] = model.runbook(name)
    annotations.update(model.response_annotations(severity))
    annotations.update(slo.alerting.annotations)
    if own:
        annotations.update(own.annotations)
    rule: Rule = {"alert": name, "expr": expr}
    if for_:
        rule["for"] = for_
    rule["labels"] = labels
    rule["annotations"] = annotations
    return rule
