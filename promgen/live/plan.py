"""What `promgen check` asks the live Prometheus about one stack: every selector the spec's PromQL
reads (alerts, SLIs, panels), every alert rule promgen writes (explicit, template, SLO burn and
no-data) ready to evaluate as Prometheus would, every SLO's error ratio per window, and every rule
group's expressions, each with the place in the spec that wrote it.

An alert reading a series promgen's own recording rules write is evaluated on that series when the
server has it, else on the expression that would record it (for an SLO, the exact form of each
window, from the raw series), so a backtest needs no rule deployed first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import promql_parser as pq

from promgen.check.promql.catalogue import (
    EXTERNAL,
    RECORDED,
    Catalogue,
    custom_panel_queries,
)
from promgen.core import conventions
from promgen.core.model import Model, build_model
from promgen.judge.promql import (
    _VARIABLE_MATCHER,
    parsed,
    substitute_grafana_variables,
    substitute_window,
)
from promgen.load.loader import LoadedSpec
from promgen.load.units import parse_duration
from promgen.testgen.arithmetic import walk
from promgen.yamlio.reader import PathKey

Labels = tuple[tuple[str, str], ...]
_OPERATORS = {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}
SERIES_RULE_READS = ("ALERTS", "ALERTS_FOR_STATE")  # written by Prometheus for every alert rule


@dataclass(frozen=True)
class Place:
    """Where the spec wrote something: `file:line:col`."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Reader:
    what: str  # "checkout: alert HighErrorRate", "checkout: panel Overview / Latency"
    place: Place


@dataclass
class Selector:
    text: str  # as PromQL prints it, without offset or @
    metric: str
    matchers: tuple[tuple[str, str, str], ...]  # (label, operator, value), but the metric name's
    pending: bool  # the metric is declared `deployed: false`
    jobs: tuple[str, ...]  # the jobs this stack expects to expose the metric (empty: no job is named)
    readers: list[Reader] = field(default_factory=list)


@dataclass(frozen=True)
class AlertRule:
    service: str
    name: str
    severity: str
    expr: str  # as the rule file says
    for_s: float
    keep_firing_for_s: float
    interval_s: float  # the group's evaluation interval
    place: Place


@dataclass(frozen=True)
class SloWindows:
    service: str
    name: str
    objective: float  # 0..1
    window: str  # the SLO's window (30d)
    ratios: dict[str, str]  # window -> the exact error-ratio expression over it
    place: Place


@dataclass(frozen=True)
class Group:
    name: str
    service: str
    exprs: tuple[str, ...]
    place: Place


@dataclass
class Plan:
    selectors: list[Selector] = field(default_factory=list)
    alerts: list[AlertRule] = field(default_factory=list)
    recorded: dict[str, dict[Labels, str]] = field(default_factory=dict)  # series -> its labels -> expression
    slos: list[SloWindows] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)


def plan(services: list[tuple[Model, LoadedSpec]]) -> Plan:
    found = Plan()
    selectors: dict[str, Selector] = {}
    stack_jobs = _exporter_jobs([loaded for _model, loaded in services])
    for model, loaded in services:
        for where, path, expr in _queries(model, loaded):
            _add_selectors(model, loaded, where, path, expr, selectors, stack_jobs)
        _rules(model, loaded, found)
    found.selectors = list(selectors.values())
    return found


def _place(loaded: LoadedSpec, path: PathKey) -> Place:
    problem = loaded.document.problem(path, "")
    return Place(problem.file, problem.line, problem.column)


def _queries(model: Model, loaded: LoadedSpec) -> Iterator[tuple[str, PathKey, str]]:
    """(what reads it, where the spec says so, PromQL) of every query of the spec."""
    spec = model.spec
    for alert in model.alerts:
        index = alert.spec_index
        path: PathKey = ("alerts", index, "expr" if spec.alerts[index].expr is not None else "template") \
            if index is not None else ("alerts",)
        yield f"alert {alert.name}", path, alert.expr
    for index, slo in enumerate(spec.slos):
        for part in ("errors", "good", "total", "error_ratio"):
            query = getattr(slo.sli, part)
            if query is not None:
                yield f"SLO {slo.name} ({part})", ("slos", index, "sli", part), substitute_window(query, "5m")
        latency = slo.sli.latency
        if latency is not None:
            matchers = f"{{{latency.selector}}}" if latency.selector.strip() else ""
            yield f"SLO {slo.name} (latency)", ("slos", index, "sli", "latency", "metric"), f"{latency.metric}_bucket{matchers}"
    for query in custom_panel_queries(spec):
        if query.expr:
            plain = substitute_grafana_variables(_VARIABLE_MATCHER.sub("", query.expr).replace("{,", "{"))
            yield f"panel {query.dashboard} / {query.panel}", query.path, plain


def _add_selectors(model: Model, loaded: LoadedSpec, where: str, path: PathKey, expr: str,
                   selectors: dict[str, Selector], stack_jobs: dict[str, tuple[str, ...]]) -> None:
    try:
        root = parsed(expr)
    except Exception:  # validate reports it; check runs on valid specs
        return
    catalogue = Catalogue.of(model.spec)
    pending = {m.name for m in model.spec.metrics if not m.deployed}
    for node in walk(root):
        if not isinstance(node, pq.VectorSelector):
            continue
        metric = node.name or next((m.value for m in node.matchers.matchers if m.name == "__name__"), "")
        series = catalogue.get(metric)
        if not metric or metric in SERIES_RULE_READS or (series is not None and series.source == RECORDED):
            continue  # series this stack's rules write: they exist once the rules run
        text = str(node).split(" offset ")[0].split(" @ ")[0].removesuffix("{}")
        if text not in selectors:
            matchers = tuple((m.name, _OPERATORS[str(m.op).rpartition(".")[2]], m.value)
                             for m in node.matchers.matchers if m.name != "__name__")
            selectors[text] = Selector(text, metric, matchers, metric in pending, _expected_jobs(catalogue, metric, stack_jobs))
        reader = Reader(f"{model.service}: {where}", _place(loaded, path))
        if reader not in selectors[text].readers:
            selectors[text].readers.append(reader)


def _exporter_jobs(specs: list[LoadedSpec]) -> dict[str, tuple[str, ...]]:
    """Per exporter, every job of the stack that scrapes it: a node exporter job of one service
    serves the alerts of all (as the rendered prometheus.yml does)."""
    found: dict[str, list[str]] = {}
    for loaded in specs:
        catalogue = Catalogue.of(loaded.spec)
        for job in catalogue.jobs.values():
            if job.exporter is not None:
                found.setdefault(job.exporter, []).append(job.name)
        if catalogue.blackbox_job is not None:
            found.setdefault("blackbox", []).append(catalogue.blackbox_job)
    return {exporter: tuple(sorted(set(jobs))) for exporter, jobs in found.items()}


def _expected_jobs(catalogue: Catalogue, metric: str, stack_jobs: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    series = catalogue.get(metric)
    if series is None or series.source == EXTERNAL or not series.scraped:
        return ()
    if series.job is None and series.source in stack_jobs:
        return stack_jobs[series.source]
    return tuple(sorted(job.name for job in catalogue.jobs_of(series)))


def _rules(model: Model, loaded: LoadedSpec, found: Plan) -> None:
    from promgen.derive.prometheus import slo as slo_rules
    from promgen.derive.prometheus.config import rule_groups

    interval_s = model.evaluation_interval.ms / 1000
    alert_places = {alert.name: _place(loaded, ("alerts", alert.spec_index)) for alert in model.alerts
                    if alert.spec_index is not None}
    slo_places = {slo.name: _place(loaded, ("slos", index)) for index, slo in enumerate(model.spec.slos)}
    for group in rule_groups(model):
        place = _group_place(group, alert_places, slo_places, _place(loaded, ("alerts",)))
        found.groups.append(Group(group["name"], model.service, tuple(rule["expr"] for rule in group["rules"]), place))
        for rule in group["rules"]:
            if "record" in rule:
                labels = tuple(sorted((rule.get("labels") or {}).items()))
                found.recorded.setdefault(rule["record"], {}).setdefault(labels, rule["expr"])
                continue
            rule_labels = rule.get("labels") or {}
            rule_place = alert_places.get(rule["alert"]) or slo_places.get(rule_labels.get("slo", "")) or place
            found.alerts.append(AlertRule(
                model.service, rule["alert"], rule_labels.get("severity", ""), rule["expr"],
                _seconds(rule.get("for")), _seconds(rule.get("keep_firing_for")),
                _seconds(group.get("interval")) or interval_s, rule_place))
    exact = _exact(model)
    for index, slo in enumerate(model.spec.slos):
        slo_plan = slo_rules.plan(exact, index)
        windows = {w: slo_rules.error_ratio_query(exact, slo, w) for w in (*slo_plan.windows, str(slo_plan.window))}
        labels = tuple(sorted(slo_plan.labels.items()))
        for window, expr in windows.items():  # over the chained form: the raw series, window by window
            ratios = found.recorded.setdefault(conventions.slo_error_ratio_series(window), {})
            for written in [known for known in ratios if set(labels) <= set(known)] or [labels]:
                ratios[written] = expr
        found.slos.append(SloWindows(model.service, slo.name, float(slo_plan.objective), str(slo_plan.window), windows,
                                     slo_places[slo.name]))


def _group_place(group: dict[str, Any], alerts: dict[str, Place], slos: dict[str, Place], fallback: Place) -> Place:
    for rule in group["rules"]:
        name = rule.get("alert")
        if name in alerts:
            return alerts[name]
        slo = (rule.get("labels") or {}).get("slo")
        if slo in slos:
            return slos[slo]
    return fallback


def _exact(model: Model) -> Model:
    """The model with every SLO recorded the exact way: each window from the raw series."""
    spec = model.spec
    rules = spec.rules.model_copy(update={"slo": "exact"})
    slos = [slo.model_copy(update={"rules": None}) for slo in spec.slos]
    return build_model(spec.model_copy(update={"rules": rules, "slos": slos}), model.source, model.options)


def _seconds(text: str | None) -> float:
    return parse_duration(text) / 1000 if text else 0.0


@lru_cache(maxsize=8)
def _recorded_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9_:])({alternatives})(?![A-Za-z0-9_:])(\{{[^{{}}]*\}})?")


def _instant(match: re.Match[str]) -> bool:
    """The match is an instant selector: a range selector (`[30m]` after it) is left alone; only
    chained rules read one, and they are replaced whole by the exact windows."""
    rest = match.string[match.end():].lstrip()
    return not rest.startswith(("[", "{"))


def recorded_selectors(expr: str, recorded: dict[str, dict[Labels, str]]) -> list[str]:
    """The selectors of recorded series `expr` reads (`slo:sli_error:ratio_rate1h{slo="x"}`)."""
    if not recorded:
        return []
    return sorted({m.group(0) for m in _recorded_pattern(tuple(sorted(recorded))).finditer(expr) if _instant(m)})


def substituted(expr: str, recorded: dict[str, dict[Labels, str]], present: Callable[[str], bool], depth: int = 0) -> str:
    """`expr` with every selector of a recorded series the server does not have (`present` says no)
    replaced by the expression that would record it, for the series its `=` matchers pick."""
    if depth > 8 or not recorded:
        return expr

    def replace(match: re.Match[str]) -> str:
        name, braces = match.group(1), match.group(2) or ""
        if not _instant(match) or present(match.group(0)):
            return match.group(0)
        wanted = dict(re.findall(r'(\w+)="([^"]*)"', braces))
        for labels, source in recorded[name].items():
            if all(dict(labels).get(key) == value for key, value in wanted.items()):
                return f"({substituted(source, recorded, present, depth + 1)})"
        return match.group(0)

    return _recorded_pattern(tuple(sorted(recorded))).sub(replace, expr)


def ranges_s(expr: str) -> list[float]:
    """How far back each part of `expr` reads, in seconds: a range selector's or subquery's range
    plus its offset."""
    try:
        root = parsed(expr)
    except Exception:
        return []
    found: list[float] = []
    for node in walk(root):
        if isinstance(node, pq.MatrixSelector):
            offset = node.vector_selector.offset
            found.append(node.range.total_seconds() + (offset.total_seconds() if offset else 0))
        elif isinstance(node, pq.SubqueryExpr) and node.range is not None:
            offset = node.offset
            found.append(node.range.total_seconds() + (offset.total_seconds() if offset else 0))
    return found
