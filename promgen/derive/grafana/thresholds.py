"""Alert thresholds drawn on the panels that show the alert's query.

An alert `QUERY > 0.05` whose QUERY a time-series panel also shows (the same PromQL, ranges and
dashboard variables aside) puts a dashed threshold line at 0.05 on that panel, red for the most
urgent severity and orange for the others, and names the alert in the panel's description: the
graph shows how close the service is to paging.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import promql_parser as pq

from promgen.core import conventions
from promgen.core.model import Model
from promgen.derive.grafana import panels as g
from promgen.derive.prometheus.config import rule_groups
from promgen.judge.promql import metric_names, parsed, query_shape, query_words

ABOVE = (">", ">=")
BELOW = ("<", "<=")


@dataclass(frozen=True)
class AlertLine:
    alert: str
    op: str
    value: float
    urgent: bool  # the most urgent severity: red

    @property
    def color(self) -> str:
        return "red" if self.urgent else "orange"

    def text(self) -> str:
        number = f"{self.value:.15g}"
        if "e" in number:  # 1e+09 as an alert writes it, 1000000000
            number = f"{self.value:.15f}".rstrip("0").rstrip(".")
        return f"{self.alert} {self.op} {number}"


def alert_lines(model: Model) -> dict[str, list[AlertLine]]:
    """The service's alert thresholds by the shape of the query they compare."""
    most_urgent = model.spec.severities[0].name if model.spec.severities else ""
    found: dict[str, list[AlertLine]] = {}
    for group in rule_groups(model):
        for rule in group["rules"]:
            if "alert" not in rule or conventions.ESCALATED_LABEL in rule["labels"]:
                continue
            line = _line(rule, most_urgent)
            if line is not None:
                shape, alert_line = line
                if alert_line not in found.setdefault(shape, []):
                    found[shape].append(alert_line)
    return found


def _line(rule: dict[str, Any], most_urgent: str) -> tuple[str, AlertLine] | None:
    expr = rule["expr"]
    if "#" not in expr and expr.rstrip().endswith((")", "]", "}")):
        return None  # it compares with no number (every burn-rate alert): not worth a parse
    node = parsed(expr)
    if not isinstance(node, pq.BinaryExpr) or not isinstance(node.rhs, pq.NumberLiteral):
        return None
    op = str(node.op)
    if op not in ABOVE + BELOW or (node.modifier is not None and node.modifier.return_bool):
        return None
    shape = query_shape(str(node.lhs))
    if shape is None:
        return None
    return shape, AlertLine(rule["alert"], op, float(node.rhs.val), rule["labels"].get("severity") == most_urgent)


def draw(model: Model, dashboards: list[dict[str, Any]]) -> None:
    """Adds the alert thresholds to every time-series panel (without thresholds of its own) whose
    query an alert compares; the dashboards are the service's, freshly built."""
    lines = alert_lines(model)
    if not lines:
        return
    compared = _compared_series(lines)
    for dashboard in dashboards:
        for panel in dashboard["panels"]:
            defaults = panel.get("fieldConfig", {}).get("defaults", {})
            if panel["type"] != "timeseries" or "thresholds" in defaults:
                continue
            shown = [line for target in panel["targets"] if _may_compare(target["expr"], compared)
                     for line in lines.get(query_shape(target["expr"]) or "", [])]
            steps = _steps(list(dict.fromkeys(shown)))
            if steps is None:
                continue
            defaults["thresholds"] = steps
            defaults["custom"] = {**defaults.get("custom", {}), "thresholdsStyle": {"mode": "dashed"}}
            names = "; ".join(line.text() for line in dict.fromkeys(shown))
            described = panel["description"].rstrip()
            panel["description"] = f"{described}{'' if described.endswith('.') else '.'} Dashed: the thresholds of {names}."


def _compared_series(lines: dict[str, list[AlertLine]]) -> frozenset[str] | None:
    """The series the alerts' compared queries read; None when one of them reads none
    (`vector(time() - T) > 60`)."""
    found: set[str] = set()
    for shape in lines:
        names = metric_names(shape)
        if not names:
            return None
        found |= names
    return frozenset(found)


def _may_compare(expr: str, compared: frozenset[str] | None) -> bool:
    """Whether a panel's query can have the shape of an alert's: it names a series one of them reads
    (one shape, one set of series). The rest are not parsed: a thousand SLOs' panels read only their
    recorded series, which no alert compares with a number."""
    return compared is None or not compared.isdisjoint(query_words(expr))


def _steps(lines: list[AlertLine]) -> dict[str, Any] | None:
    """Threshold steps for alerts that all fire above (or all below) their values, one step per value
    (the most urgent alert's colour where two share one); None otherwise."""
    by_value: dict[float, AlertLine] = {}
    for line in lines:
        if line.value not in by_value or line.urgent:
            by_value[line.value] = line
    ordered = [by_value[value] for value in sorted(by_value)]
    if not ordered:
        return None
    if all(line.op in ABOVE for line in lines):
        return g.thresholds(("green", None), *((line.color, line.value) for line in ordered))
    if all(line.op in BELOW for line in lines):
        colors = [line.color for line in ordered] + ["green"]
        return g.thresholds((colors[0], None), *((colors[i + 1], line.value) for i, line in enumerate(ordered)))
    return None
