"""PromQL parsing with PyPI promql-parser (native; no promtool needed at validate time)."""

from __future__ import annotations

import re

import promql_parser

# Grafana's interval variables, replaced by a plausible duration before parsing a panel query.
GRAFANA_DURATIONS = {
    "__rate_interval": "5m",
    "__interval": "1m",
    "__range": "1h",
    "__interval_ms": "60000",
    "__range_s": "3600",
}
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}?")


def parse_error(expr: str) -> str | None:
    """None when `expr` parses as PromQL, else the parser's reason."""
    if not expr.strip():
        return "the expression is empty"
    try:
        promql_parser.parse(expr)
    except Exception as error:  # the binding raises ValueError, but any failure is a parse failure
        return str(error) or type(error).__name__
    return None


def substitute_grafana_variables(expr: str) -> str:
    """A Grafana panel query with its `$variables` replaced so it can be parsed as PromQL."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return GRAFANA_DURATIONS.get(name, name)

    return _VARIABLE.sub(replace, expr)


def substitute_window(expr: str, window: str) -> str:
    return expr.replace("{{window}}", window).replace("{{ window }}", window)
