"""Cases for SLO burn-rate alerts: a fast burn (pages, and tickets too), a slow burn (tickets only)
and a healthy case, driven at error ratios chosen between the burn thresholds of the SLO's windows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction
from typing import Any, cast

from promgen.core import conventions
from promgen.core.model import Model
from promgen.derive.prometheus import slo as slo_rules
from promgen.derive.prometheus import window_ratios
from promgen.load.units import parse_duration
from promgen.testgen.cases import (
    INTERVAL_MS,
    ROUNDED_VALUE,
    AlertRule,
    Case,
    Rules,
    Scenario,
    eval_time,
    search_levels,
    uses_value,
)
from promgen.testgen.selectors import Unsupported
from promgen.testgen.synthesis import (
    Absent,
    GaugeLevel,
    HistogramLevel,
    Level,
    Variable,
    candidates,
    select,
    variables,
)

# --- SLO burn-rate alerts --------------------------------------------------------------------


def burn_cases(model: Model, rules: Rules, named: list[AlertRule], index: int) -> list[Case]:
    plan = slo_rules.plan(model, index)
    slo = model.spec.slos[index]
    name = named[0].name
    if parse_duration(plan.windows[0]) < INTERVAL_MS:  # a range needs two samples for rate()
        raise Unsupported(
            f"its shortest burn-rate window, {plan.windows[0]}, holds less than two samples of the tests'"
            " one-a-minute input (the SLO time scale shrank it)"
        )
    ratio_rules = window_ratios.own_rules(plan, rules.recorded, conventions.slo_error_ratio_series(plan.windows[0]))
    if len(ratio_rules) != 1:
        raise Unsupported("its error ratio recording rule is missing")
    ratio_expr = ratio_rules[0].expr
    selection = select(model, ratio_expr, rules.recorded)
    found_vars = variables(model, selection)
    probe_at = eval_time(selection.warmup_ms, 0)
    options = [[level for level in candidates(v, selection, probe_at / 1000) if level is not Absent] for v in found_vars]

    ratios: dict[tuple[Any, ...], float | None] = {}

    def ratio(levels: list[Level]) -> float | None:
        key = tuple(levels)
        if key not in ratios:
            values = Scenario(rules, found_vars, levels, probe_at).evaluator.vector(ratio_expr, probe_at)
            ratios[key] = values[0][1] if len(values) == 1 else None
        return ratios[key]

    bad = search_levels(options, lambda ls: (r := ratio(ls)) is not None and r == 1.0)
    good = search_levels(options, lambda ls: (r := ratio(ls)) is not None and r == 0.0)
    if bad is None or good is None:
        raise Unsupported("found no input that makes its SLI's error ratio both 0 and 1")
    # as slo.alert_rules writes them: one rule per plan.alerts entry, most urgent first
    kinds = [alert.kind for alert in plan.alerts]
    page_rules = [rule for rule, kind in zip(named, kinds) if kind == "page"]
    ticket_rules = [rule for rule, kind in zip(named, kinds) if kind == "ticket"]
    if (window_ratios.windows_agree(plan, rules.recorded)
            and all(v.family.kind in ("counter", "histogram") for v in found_vars)  # linear from zero
            # the long windows' ratios can differ from the shortest's in a float's last bits, which
            # humanizePercentage's four digits never show
            and not any(uses_value(rule, unless=ROUNDED_VALUE) for rule in named)):
        rules = replace(rules, recorded=window_ratios.on_shortest_window(plan, rules.recorded))

    # Input fails from t=0, so every window sees the same error ratio as soon as it has samples:
    # each case looks once the fast page pair's long window (1h for 30 days) is full.
    longest_for = max((rule.for_ms for rule in named), default=0)
    at = eval_time(parse_duration(plan.page[0].long), longest_for, rules.offset_ms)
    cases: list[Case] = []
    page_min = min(c.threshold for c in plan.page)
    fast = _pick(plan.page, 1)
    if fast is not None:
        scenario = _mixed(rules, found_vars, bad, good, fast, at)
        if not any(scenario.firing(rule, at) for rule in page_rules):
            scenario = Scenario(rules, found_vars, bad, at)
        cases.append(Case(
            f"{name}: {_percent(fast)} of {slo.name} events failing burns the budget fast", name, at,
            scenario.series, scenario.expected(named, at),
        ))
    slow = _pick(plan.ticket, float(page_min))
    if ticket_rules and slow is not None:
        scenario = _mixed(rules, found_vars, bad, good, slow, at)
        if any(scenario.firing(rule, at) for rule in ticket_rules) and \
                not any(scenario.firing(rule, at) for rule in page_rules):
            cases.append(Case(
                f"{name}: {_percent(slow)} of {slo.name} events failing burns the budget slowly", name, at,
                scenario.series, scenario.expected(named, at),
            ))
    healthy = Scenario(rules, found_vars, good, at)
    if healthy.expected(named, at):
        raise Unsupported("it fires even when no event fails")
    cases.append(Case(f"{name}: no {slo.name} events failing stays silent", name, at, healthy.series, []))
    return cases


NICE = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8)
NICE_VALUES = tuple(float(f"{mantissa}e{exponent}") for exponent in range(-9, 1) for mantissa in NICE)


def _nice_between(low: float, high: float) -> float | None:
    """A round number strictly above `low` and at most `high`, near their geometric mean."""
    target = math.sqrt(low * high)
    found = [value for value in NICE_VALUES if low < value <= high]
    if not found:
        return None
    return min(found, key=lambda v: abs(math.log(v / target)))


def _pick(conditions: Sequence[slo_rules.BurnCondition], ceiling: float) -> float | None:
    """An error ratio that fires the first condition it can while staying below `ceiling` (a ratio
    of 1 is allowed when the ceiling is 1)."""
    high = 1.0 if ceiling >= 1 else ceiling * (1 - 1e-9)
    for condition in conditions:
        threshold = float(condition.threshold)
        if threshold >= high:
            continue
        level = _nice_between(threshold, min(high, threshold * 4))
        if level is not None:
            return level
    return None


def _percent(ratio: float) -> str:
    return f"{ratio * 100:g}%"


def _mixed(
    rules: Rules, found: Sequence[Variable], bad: Sequence[Level], good: Sequence[Level], ratio: float, at: int
) -> Scenario:
    """Series where `ratio` of the events are the bad ones, scaled to whole counts per step."""
    share = Fraction(repr(ratio))
    mixed = [_mix(v, b, g, share) for v, b, g in zip(found, bad, good)]
    scale = 1
    for variable, level in zip(found, mixed):
        if variable.family.kind == "counter" and isinstance(level, Fraction):
            scale = math.lcm(scale, (level * INTERVAL_MS / 1000).denominator)
        elif variable.family.kind == "histogram" and isinstance(level, tuple):
            for _, rate in level:
                scale = math.lcm(scale, (Fraction(rate) * INTERVAL_MS / 1000).denominator)
    if scale > 10**6:
        scale = 1
    levels = [_scaled(v, level, scale) for v, level in zip(found, mixed)]
    return Scenario(rules, found, levels, at)


def _mix(variable: Variable, bad: Level, good: Level, share: Fraction) -> Any:
    kind = variable.family.kind
    if kind == "counter":
        return share * Fraction(repr(bad)) + (1 - share) * Fraction(repr(good))
    if kind == "gauge":
        (vb, kb), (vg, kg) = cast(GaugeLevel, bad), cast(GaugeLevel, good)  # the family kind fixes the shape
        return (float(share * Fraction(repr(vb)) + (1 - share) * Fraction(repr(vg))),
                float(share * Fraction(repr(kb)) + (1 - share) * Fraction(repr(kg))))
    weights: dict[int, Fraction] = {}
    for part, levels in ((share, bad), (1 - share, good)):
        for bucket, rate in cast(HistogramLevel, levels):  # a histogram's level: (bucket, rate) pairs
            weights[bucket] = weights.get(bucket, Fraction(0)) + part * Fraction(repr(rate))
    return tuple(sorted((bucket, weight) for bucket, weight in weights.items() if weight))


def _scaled(variable: Variable, level: Any, scale: int) -> Level:
    if variable.family.kind == "counter":
        return float(level * scale)
    if variable.family.kind == "histogram":
        return tuple((bucket, float(rate * scale)) for bucket, rate in level)
    return level
