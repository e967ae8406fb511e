"""What another SLO tool calls an SLO's series, read off the spec (rules.naming): the recording
rules write them (derive/prometheus/peer_names.py) and validate knows them as recorded."""

from __future__ import annotations

import promql_parser as pq

from promgen.judge.promql import parsed, substitute_window
from promgen.load.models import SLO
from promgen.testgen.selectors import selector_parts

PYRRA_SUFFIXES = ("_total", "_count", "_bucket", "_sum")
PYRRA_GENERIC_SERIES = ("pyrra_objective", "pyrra_window", "pyrra_availability", "pyrra_requests:rate5m",
                        "pyrra_errors:rate5m")


def pyrra_series(slo: SLO, windows: tuple[str, ...]) -> list[str]:
    """pyrra's series of one SLO: `<metric>:burnrate<window>` for each window, and its generic ones."""
    metric = pyrra_metric(slo)
    if metric is None:
        return []
    return [f"{metric}:burnrate{window}" for window in windows] + list(PYRRA_GENERIC_SERIES)


def pyrra_labels(slo: SLO) -> dict[str, str]:
    """The labels pyrra puts on an SLO's series besides `slo`: its total selector's equality matchers."""
    sli = slo.sli
    query = sli.total or ""
    if sli.latency is not None:
        query = f"{sli.latency.metric}_count{{{sli.latency.selector}}}"
    return first_selector(query)[1] if query else {}


def pyrra_metric(slo: SLO) -> str | None:
    """The name pyrra gives an SLO's series: its total metric without `_total` (`_count`, `_bucket`);
    None for an SLI that is a ratio itself (pyrra has no such indicator)."""
    sli = slo.sli
    if sli.latency is not None:
        return sli.latency.metric
    if sli.total is None:
        return None
    name, _ = first_selector(sli.total)
    if name is None:
        return None
    for suffix in PYRRA_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def first_selector(query: str) -> tuple[str | None, dict[str, str]]:
    """The first vector selector's metric name and its equality matchers."""
    stack = [parsed(substitute_window(query, "5m"))]
    while stack:
        node = stack.pop(0)
        if isinstance(node, pq.MatrixSelector):
            node = node.vector_selector
        if isinstance(node, pq.VectorSelector):
            name, matchers = selector_parts(node)
            return name, {label: value for label, op, value in matchers if op == "=" and label != "__name__"}
        for attribute in ("expr", "lhs", "rhs", "args"):
            child = getattr(node, attribute, None)
            if isinstance(child, list):
                stack.extend(child)
            elif child is not None:
                stack.append(child)
    return None, {}
