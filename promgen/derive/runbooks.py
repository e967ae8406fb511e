"""Runbook pages: one per alert of a service, from the alert rules exactly as they are rendered.

A page says what fires the alert (each severity's expression, `for`, summary), who it reaches, the
dashboards that show its metrics, and the spec's runbook for it (checks, steps, escalation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from promgen.core import conventions
from promgen.core.model import Model
from promgen.derive import loki
from promgen.derive.grafana.dashboards import service_dashboards
from promgen.derive.prometheus import config as prometheus
from promgen.judge.promql import metric_names, query_words
from promgen.load.models import AlertBase, Runbook


@dataclass(frozen=True)
class Guidance:
    """A runbook laid out as Markdown list items, continuation lines indented."""

    checks: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    escalation: str | None = None

    @classmethod
    def of(cls, runbook: Runbook | None) -> Guidance:
        if runbook is None:
            return cls()
        return cls(tuple(_item(text, "- ") for text in runbook.checks),
                   tuple(_item(text, f"{n}. ") for n, text in enumerate(runbook.steps, start=1)),
                   runbook.escalation)

    def __bool__(self) -> bool:
        return bool(self.checks or self.steps or self.escalation)


@dataclass(frozen=True)
class Firing:
    """One alert rule of the page's name: a severity's condition."""

    severity: str
    expr: str
    language: str  # promql, or logql for a log alert (Loki's ruler)
    fence: str  # a Markdown code fence longer than any run of backticks in expr (PromQL raw strings)
    for_: str | None
    keep_firing_for: str | None
    summary: str
    description: str | None
    notify: tuple[str, ...]
    repeat_interval: str | None
    response: str | None
    escalation: str | None  # "after 30m, it also notifies lead" when the severity escalates
    severity_guidance: Guidance  # the severity's own runbook, what every alert of it asks


@dataclass(frozen=True)
class Dashboard:
    title: str
    uid: str


@dataclass(frozen=True)
class RunbookPage:
    path: str
    alert: str
    service: str
    team: str | None
    source: str  # the spec (as given) whose `runbook:` this page shows
    slo: str | None
    firings: tuple[Firing, ...]
    dashboards: tuple[Dashboard, ...]
    guidance: Guidance  # the alert's (or its SLO's) runbook
    severity_guided: bool  # a severity it fires at has a runbook of its own (shown after the alert's)


def pages(model: Model) -> list[RunbookPage]:
    rules_by_alert: dict[str, list[dict[str, Any]]] = {}
    language: dict[str, str] = {}  # alert -> the query language of its rules
    for query_language, groups in (("promql", prometheus.rule_groups(model)), ("logql", loki.rule_groups(model))):
        for group in groups:
            for rule in group["rules"]:
                if "alert" in rule and conventions.ESCALATED_LABEL not in rule["labels"]:  # copies: in `escalation`
                    rules_by_alert.setdefault(rule["alert"], []).append(rule)
                    language[rule["alert"]] = query_language
    dashboards, _notes = service_dashboards(model)
    shown = [(d, _dashboard_identifiers(d, model)) for d in dashboards]  # once per dashboard, not per alert
    spec_alerts: dict[str, AlertBase] = {alert.name: alert for alert in [*model.spec.alerts, *model.spec.log_alerts]}
    slo_runbooks = {slo.name: slo.runbook for slo in reversed(model.spec.slos)}  # the first of a name wins
    return [_page(model, name, rules, language[name], shown, spec_alerts, slo_runbooks)
            for name, rules in sorted(rules_by_alert.items())]


def _page(model: Model, name: str, rules: list[dict[str, Any]], language: str,
          dashboards: list[tuple[dict[str, Any], set[str]]], spec_alerts: dict[str, AlertBase],
          slo_runbooks: dict[str, Runbook | None]) -> RunbookPage:
    own = spec_alerts.get(name)
    slo_name = rules[0]["labels"].get("slo") if own is None else None
    if own is not None:
        runbook = own.runbook
    else:
        runbook = slo_runbooks.get(slo_name) if slo_name is not None else None
    firings = tuple(_firing(model, rule, language) for rule in rules)
    return RunbookPage(
        path=conventions.runbook_file(model.service, name),
        alert=name,
        service=model.service,
        team=model.spec.service.team,
        source=model.source,
        slo=slo_name,
        firings=firings,
        dashboards=_dashboards_for(rules, slo_name, dashboards, model),
        guidance=Guidance.of(runbook),
        severity_guided=any(firing.severity_guidance for firing in firings),
    )


def _item(text: str, marker: str) -> str:
    """A Markdown list item: the marker, then the text with its further lines indented under it."""
    return marker + text.strip().replace("\n", "\n" + " " * len(marker))


# What a page says for each Go template action of an annotation: the person who reads it sees no
# notification, so `{{ $value | humanizePercentage }}` is "the value, as a percentage".
_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.DOTALL)
_VALUE = re.compile(r"^(?:\$value|\.Value)(?:\s*\|\s*(\w+))?$")
_LABEL = re.compile(r"^(?:\$labels|\.Labels|\$externalLabels)\.(\w+)(?:\s*\|\s*\w+)?$")
_AS = {"humanizePercentage": ", as a percentage", "humanizeDuration": ", as a duration",
       "humanize1024": ", in binary units (KiB, MiB, ...)", "humanizeTimestamp": ", as a time"}


def readable(text: str, labels: dict[str, str] | None = None, value: str = "the alert's value") -> str:
    """An annotation as a page tells it: a label the rule sets by its value, every other Go template
    action in words, in italics."""
    known = labels or {}

    def words(match: re.Match[str]) -> str:
        action = match.group(1)
        found = _VALUE.match(action)
        if found:
            return f"*{value}{_AS.get(found.group(1) or '', '')}*"
        label = _LABEL.match(action)
        if label:
            name = label.group(1)
            return known[name] if name in known and "{{" not in known[name] else f"*its {name}*"
        if action.startswith('"') and action.endswith('"'):  # a literal: {{ "{{" }}
            return action[1:-1]
        return "*(filled in by Prometheus)*"

    return _ACTION.sub(words, text)


def _firing(model: Model, rule: dict[str, Any], language: str) -> Firing:
    severity = rule["labels"]["severity"]
    chosen = model.severity(severity)
    annotations = rule.get("annotations", {})
    value = "the error ratio" if "slo" in rule["labels"] else "the alert's value"  # an SLO's burn alerts
    expr = rule["expr"].strip()
    longest = max((len(run) for run in re.findall(r"`+", expr)), default=0)
    return Firing(
        severity=severity,
        expr=expr,
        language=language,
        fence="`" * max(3, longest + 1),
        for_=rule.get("for"),
        keep_firing_for=rule.get("keep_firing_for"),
        summary=readable(annotations.get("summary", ""), rule["labels"], value),
        description=readable(annotations["description"], rule["labels"], value) if "description" in annotations else None,
        notify=tuple(chosen.notify),
        repeat_interval=str(chosen.repeat_interval) if chosen.repeat_interval else None,
        response=model.response(severity),
        escalation=(f"after {model.options.compressed(chosen.escalate.after)}, it also notifies "
                    f"{', '.join(chosen.escalate.notify)}" if chosen.escalate else None),
        severity_guidance=Guidance.of(chosen.runbook),
    )


def _dashboards_for(rules: list[dict[str, Any]], slo_name: str | None,
                    dashboards: list[tuple[dict[str, Any], set[str]]], model: Model) -> tuple[Dashboard, ...]:
    """The SLO dashboard for an SLO's alerts; else every dashboard with a panel on a metric the alert
    reads; else the overview, when there is one. `dashboards` pairs each with the names it reads."""
    slo_uid = conventions.dashboard_uid(model.service, "slo")
    if slo_name is not None:
        return tuple(Dashboard(d["title"], d["uid"]) for d, _names in dashboards if d["uid"] == slo_uid)
    metrics = {name for rule in rules for name in metric_names(rule["expr"]) if _shown(model, name)}
    showing = [d for d, names in dashboards if metrics & names]
    if not showing:
        showing = [d for d, _names in dashboards if d["uid"] == conventions.dashboard_uid(model.service, "overview")]
    return tuple(Dashboard(d["title"], d["uid"]) for d in showing)


def _shown(model: Model, name: str) -> bool:
    """Whether `_dashboards_for` looks for series `name` on the dashboards."""
    return name == "up" or model.declared(name) is not None


def _dashboard_identifiers(dashboard: dict[str, Any], model: Model) -> set[str]:
    """The series the dashboard's panels read that `_dashboards_for` compares: the declared metrics'
    and `up`. A query is read only when a word of it is such a series that no panel read so far did:
    a service's overview repeats each metric over several panels, and holds thousands of queries."""
    found: set[str] = set()
    shown: dict[str, bool] = {}  # by word: the same few words recur in thousands of queries
    panels = list(dashboard.get("panels", []))
    while panels:
        panel = panels.pop()
        panels.extend(panel.get("panels", []))  # a collapsed row holds its panels
        for target in panel.get("targets", []):
            expr = target.get("expr", "")
            # every name a query selects is a word of its text (declared names are word-shaped)
            words = query_words(expr) - found
            for word in words.difference(shown):
                shown[word] = _shown(model, word)
            if any(shown[word] for word in words):
                found.update(name for name in metric_names(expr) if _shown(model, name))
    return found
