"""The SLO dashboard: per SLO, the SLI against its objective, the error budget left over the SLO
window, and the burn rate over every recorded window -- all read from the SLO recording rules
(derive/slo.py), never from the raw metrics:

- `slo:sli_error:ratio_rate<window>{service, slo}`: the error ratio over every burn-rate window
  and over the whole SLO window;
- `slo:objective:ratio` and `slo:error_budget_remaining:ratio`, with the same labels.

burn rate = error ratio / error budget, where error budget = 1 - objective.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from promgen.core import burn_rates, conventions
from promgen.core.model import Model
from promgen.derive.grafana import panels as g
from promgen.derive.grafana.layout import Panel, Section, layout
from promgen.derive.prometheus.promql_labels import kept_labels
from promgen.derive.prometheus.slo import scaled_window_ms
from promgen.judge.promql import substitute_window
from promgen.load.models import SLO
from promgen.load.units import Duration, format_duration

BUDGET_LOW = 0.25  # error budget share below which the budget shows orange


RESERVED_VARIABLES = frozenset({"datasource", "service", "slo"})
# Grafana's relative ranges from the start of the period to now ("fQ": the fiscal quarter, whose year
# starts in January as the dashboards' fiscalYearStartMonth says)
CALENDAR_RANGES = {"week": "now/w", "month": "now/M", "quarter": "now/fQ", "year": "now/y"}


def slo_dashboard(model: Model) -> dict[str, Any]:
    views = [SloView(model, slo) for slo in model.spec.slos]
    sections = [_summary(views), *(_slo_section(view) for view in views)]
    board = g.dashboard(
        model,
        uid=conventions.dashboard_uid(model.service, "slo"),
        title=model.spec.dashboards.titles.slo or f"{model.service} SLOs",
        tags=["slo"],
        panels=layout(sections),
        time_from="now-24h",
    )
    board["templating"]["list"] += _group_variables(model, views)
    if any(view.slo.calendar for view in views):
        board["timezone"] = "utc"  # calendar periods start at midnight UTC, as reports count them
    return board


def sli_grouping(slo: SLO) -> tuple[str, ...]:
    """The labels an SLO's recorded series keep besides service and slo: its SLI's `by` labels (one
    error ratio per handler, say: sloth's and pyrra's grouped SLOs). None known: ()."""
    sli = slo.sli
    queries = [q for q in (sli.errors, sli.good, sli.total, sli.error_ratio) if q]
    found: frozenset[str] | None = None
    for query in queries:
        kept = kept_labels(substitute_window(query, "5m"))
        if kept is None:
            return ()
        found = kept if found is None else found & kept
    return tuple(sorted((found or frozenset()) - RESERVED_VARIABLES))


def _group_variables(model: Model, views: list["SloView"]) -> list[dict[str, Any]]:
    """A variable per grouping label, its values read from the SLOs grouped by it: choosing a handler
    narrows every panel of those SLOs to it."""
    by_label: dict[str, list[str]] = {}
    for view in views:
        for label in view.grouping:
            by_label.setdefault(label, []).append(view.slo.name)
    out = []
    for label in sorted(by_label):
        names = by_label[label]
        shortest = min((view.windows[0] for view in views if view.slo.name in names), key=lambda w: Duration(w).ms)
        slos = names[0] if len(names) == 1 else "|".join(names)
        matcher = "=" if len(names) == 1 else "=~"
        series = f'{conventions.slo_error_ratio_series(shortest)}{{service="{model.service}", slo{matcher}"{slos}"}}'
        out.append(g.label_variable(label, label, series))
    return out


def _number(value: Decimal) -> str:
    """0.0010 -> '0.001', 95.0 -> '95': no float noise in queries and titles."""
    return format(value.normalize(), "f")


class SloView:
    """One SLO's numbers and queries, as the dashboard shows them."""

    def __init__(self, model: Model, slo: SLO) -> None:
        self.slo = slo
        self.window_ms = scaled_window_ms(slo.window.ms, model.options.slo_time_scale)
        self.window = format_duration(self.window_ms)
        objective = Decimal(repr(slo.objective))
        self.objective_percent = _number(objective)
        self.objective = _number(objective / 100)
        self.budget = _number(1 - objective / 100)
        self.windows = burn_rates.slo_recorded_windows(slo, self.window_ms)
        self.burn_windows = burn_rates.slo_burn_windows(slo, self.window_ms, [s.name for s in model.spec.severities])
        self.grouping = sli_grouping(slo)
        self.own = f'service="{model.service}", slo="{slo.name}"'
        narrowed = "".join(f', {label}=~"${label}"' for label in self.grouping)
        self.selector = f"{{{self.own}{narrowed}}}"
        # a legend names the group a line or a number is of
        self.groups = " ".join(f"{{{{{label}}}}}" for label in self.grouping)
        # the page condition burning fastest (promgen's table: 14.4x over the 1h window)
        self.fastest = max(self.burn_windows, key=lambda w: (w.kind == "page", w.factor))

    def ratio(self, window: str) -> str:
        return f"{conventions.slo_error_ratio_series(window)}{self.selector}"

    @property
    def sli(self) -> str:
        """The good-event ratio over the whole SLO window."""
        return f"1 - {self.ratio(self.window)}"

    @property
    def budget_remaining(self) -> str:
        return f"{conventions.SLO_BUDGET_REMAINING_SERIES}{self.selector}"

    @property
    def objective_series(self) -> str:
        return f"{conventions.SLO_OBJECTIVE_SERIES}{{{self.own}}}"  # one per SLO, whatever the groups

    def legend(self, text: str) -> str:
        return f"{text} {self.groups}" if self.groups else text

    @property
    def calendar_budget_remaining(self) -> str:
        """The budget left of the calendar period so far (Grafana's `$__range` from the period's start):
        the events of the period from the shortest window's recorded rates; an SLI that is a ratio
        itself has no events, so the average of its ratio."""
        base = self.windows[0]
        if self.slo.sli.error_ratio is not None:
            ratio = f"avg_over_time({self.ratio(base)}[$__range])"
        else:
            errors = f"{conventions.slo_error_rate_series(base)}{self.selector}"
            total = f"{conventions.slo_total_rate_series(base)}{self.selector}"
            ratio = f"(sum_over_time({errors}[$__range]) / sum_over_time({total}[$__range]))"
        return f"1 - {ratio} / {self.budget}"

    def burn_rate(self, window: str) -> str:
        return f"{self.ratio(window)} / {self.budget}"

    @property
    def about(self) -> str:
        what = f"{self.slo.description.rstrip('.')}. " if self.slo.description else ""
        return f"{what}Objective {self.objective_percent}% over {self.window}."


def _budget_steps() -> dict[str, Any]:
    return g.thresholds(("red", None), ("orange", 0), ("green", BUDGET_LOW))


def _summary(views: list[SloView]) -> Section:
    return Section("Summary", [
        Panel(g.stat(
            "SLI over the SLO window",
            "Each SLO's good-event ratio over its whole window.",
            [g.target(view.sli, view.legend(view.slo.name), i, instant=True) for i, view in enumerate(views)],
            "percentunit",
            decimals=3,
            sparkline=False,
        ), w=12, h=5),
        Panel(g.stat(
            "Error budget remaining",
            "Share of each SLO's error budget not yet spent over its window (below 0: the SLO is broken).",
            [g.target(view.budget_remaining, view.legend(view.slo.name), i, instant=True) for i, view in enumerate(views)],
            "percentunit",
            steps=_budget_steps(),
            decimals=1,
            sparkline=False,
        ), w=12, h=5),
    ])


def _budget_stat(title: str, description: str, expr: str, legend: str) -> dict[str, Any]:
    """A stat of the error budget left: red below 0, orange below BUDGET_LOW."""
    return g.stat(title, description, [g.target(expr, legend, instant=True)], "percentunit",
                  steps=_budget_steps(), decimals=1, sparkline=False)


def _calendar_panel(view: SloView, calendar: str) -> Panel:
    body = _budget_stat(f"Error budget left this {calendar}",
                        f"Share of this {calendar}'s error budget ({view.budget} of its events, UTC) not yet spent.",
                        view.calendar_budget_remaining, view.legend("remaining"))
    body["timeFrom"] = CALENDAR_RANGES[calendar]
    return Panel(body, w=6, h=5)


def _slo_section(view: SloView) -> Section:
    fastest = view.fastest
    factors = sorted({(w.factor, w.kind) for w in view.burn_windows})
    burn_steps = g.thresholds(("green", None), *((("red" if kind == "page" else "orange"), factor) for factor, kind in factors))
    stat_w = 6 if view.slo.calendar is not None else 8  # a calendar SLO's row has a fourth stat
    panels = [
        Panel(g.stat(
            f"SLI over {view.window}",
            view.about,
            [g.target(view.sli, view.legend("SLI"), instant=True)],
            "percentunit",
            steps=g.thresholds(("red", None), ("green", float(view.objective))),
            decimals=3,
            sparkline=False,
        ), w=stat_w, h=5),
        Panel(_budget_stat("Error budget remaining",
                           f"Share of the {view.window} error budget ({view.budget} of events) not yet spent.",
                           view.budget_remaining, view.legend("remaining")), w=stat_w, h=5),
        Panel(g.stat(
            f"Burn rate ({fastest.long})",
            f"How fast the budget burns over the last {fastest.long}; 1 spends exactly the budget in {view.window}.",
            [g.target(view.burn_rate(fastest.long), view.legend("burn rate"))],
            "short",
            steps=g.thresholds(("green", None), ("orange", 1), ("red", fastest.factor)),
            decimals=2,
        ), w=stat_w, h=5),
        Panel(g.timeseries(
            "SLI vs objective",
            f"Good-event ratio over the shortest and longest recorded windows, against the {view.objective_percent}% objective.",
            g.targets(
                (f"1 - {view.ratio(view.windows[0])}", view.legend(f"SLI ({view.windows[0]})")),
                (f"1 - {view.ratio(view.windows[-1])}", view.legend(f"SLI ({view.windows[-1]})")),
                (view.objective_series, "objective"),
            ),
            "percentunit",
        ), w=12),
        Panel(g.timeseries(
            "Burn rate per window",
            "Error ratio / error budget over every recorded window; dashed lines are the alerting factors "
            f"({', '.join(_factor(f) for f, _ in factors)}).",
            g.targets(*((view.burn_rate(window), view.legend(window)) for window in view.windows)),
            "short",
            min_zero=True,
            steps=burn_steps,
        ), w=12),
        Panel(g.timeseries(
            f"Error budget remaining over {view.window}",
            "The budget left at each moment, over the SLO window ending then.",
            [g.target(view.budget_remaining, view.legend("remaining"))],
            "percentunit",
            steps=_budget_steps(),
        ), w=24, h=7),
    ]
    if view.slo.calendar is not None:
        panels.insert(3, _calendar_panel(view, view.slo.calendar))
    return Section(f"{view.slo.name}: {view.objective_percent}% over {view.window}", panels)


def _factor(value: float) -> str:
    return _number(Decimal(repr(value)))
