"""When every burn-rate window of an SLO records the same error ratio as its shortest window.

The burn-rate tests feed counters and histograms that grow at constant rates from t=0. On such
input, `rate(x[R])` and `increase(x[R])` of every series carry the same factor at one time for one
range R: Prometheus extrapolates each by the share of the range its samples cover, and for series
that are linear from zero that share does not depend on the slope. So an error ratio made of sums,
differences and scalings of such rates over one range is, at every evaluation, the input's own
error share, whatever the range: every window agrees with the shortest. The chained windows average
the shortest window's recorded rates, so they agree as soon as those do.

The tests then evaluate each long window's alert condition on the shortest window's ratio instead of
re-deriving every window from the input at every step, which was most of a render's time. Where the
SLI is of another shape (constants added, ranges mixed, functions of other kinds), they simulate
every window as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import promql_parser as pq

from promgen.core import conventions
from promgen.derive.prometheus.slo import SloPlan
from promgen.testgen.evaluator import RecordingRule
from promgen.testgen.functions import duration_ms
from promgen.testgen.selectors import Unsupported, selector_parts

PROPORTIONAL_FUNCTIONS = ("rate", "increase")
LINEAR_AGGREGATIONS = ("sum", "avg", "min", "max")
BOUNDS = ("clamp_min", "clamp_max", "clamp")


def windows_agree(plan: SloPlan, recorded: Mapping[str, Sequence[RecordingRule]]) -> bool:
    """Whether, on input linear from zero, every window's recorded error ratio of the SLO equals the
    shortest window's at every evaluation."""
    names = [conventions.slo_error_ratio_series(window) for window in plan.windows]
    for name in names[:1] if plan.chained else names:
        rules = own_rules(plan, recorded, name)
        if len(rules) != 1:
            return False
        ranges: set[int] = set()
        if _degree(rules[0].expr, recorded, ranges, 0) != 0 or len(ranges) != 1:
            return False
    return True


def on_shortest_window(plan: SloPlan, recorded: Mapping[str, Sequence[RecordingRule]]) -> dict[str, list[RecordingRule]]:
    """`recorded` with the SLO's longer windows recording its shortest window's ratio (the same
    values, when `windows_agree`), each keeping its own labels."""
    shortest = own_rules(plan, recorded, conventions.slo_error_ratio_series(plan.windows[0]))[0]
    found = {name: list(rules) for name, rules in recorded.items()}
    for window in plan.windows[1:]:
        name = conventions.slo_error_ratio_series(window)
        found[name] = [RecordingRule(shortest.text, rule.labels) if _owned(plan, rule) else rule
                       for rule in recorded.get(name, [])]
    return found


def own_rules(plan: SloPlan, recorded: Mapping[str, Sequence[RecordingRule]], name: str) -> list[RecordingRule]:
    return [rule for rule in recorded.get(name, []) if _owned(plan, rule)]


def _owned(plan: SloPlan, rule: RecordingRule) -> bool:
    return all(rule.labels.get(key) == value for key, value in plan.labels.items())


def _degree(node: Any, recorded: Mapping[str, Sequence[RecordingRule]], ranges: set[int], depth: int) -> int | None:
    """0 when `node` does not change as the input scales, 1 when it scales with it, None when
    neither holds or cannot be shown; `ranges` collects the ranges of the rates it reads."""
    if depth > 32:
        return None
    if isinstance(node, pq.NumberLiteral):
        return 0
    if isinstance(node, (pq.ParenExpr, pq.UnaryExpr)):
        return _degree(node.expr, recorded, ranges, depth + 1)
    if isinstance(node, pq.VectorSelector):
        return _recorded_degree(node, recorded, ranges, depth)
    if isinstance(node, pq.Call) and node.func.name in BOUNDS:
        # a bound of a value that does not scale (an error ratio held to [0, 1]) does not scale either
        args = list(node.args)
        bounded = _degree(args[0], recorded, ranges, depth + 1) if args else None
        return 0 if bounded == 0 and all(isinstance(arg, pq.NumberLiteral) for arg in args[1:]) else None
    if isinstance(node, pq.Call):
        return _rate_degree(node, recorded, ranges)
    if isinstance(node, pq.AggregateExpr):
        if str(node.op) not in LINEAR_AGGREGATIONS or node.param is not None:
            return None
        return _degree(node.expr, recorded, ranges, depth + 1)
    if isinstance(node, pq.BinaryExpr):
        return _binary_degree(node, recorded, ranges, depth)
    return None


def _recorded_degree(node: Any, recorded: Mapping[str, Sequence[RecordingRule]], ranges: set[int], depth: int) -> int | None:
    """A recorded series scales as its rules do; a raw series' value grows with time, not with a range."""
    name = _name_now(node)
    rules = recorded.get(name) if name is not None else None
    if not rules:
        return None
    degrees = {_degree(rule.expr, recorded, ranges, depth + 1) for rule in rules}
    return degrees.pop() if len(degrees) == 1 else None


def _rate_degree(node: Any, recorded: Mapping[str, Sequence[RecordingRule]], ranges: set[int]) -> int | None:
    args = list(node.args)
    if node.func.name not in PROPORTIONAL_FUNCTIONS or len(args) != 1 or not isinstance(args[0], pq.MatrixSelector):
        return None
    name = _name_now(args[0].vector_selector)
    if name is None or name in recorded:  # a rate of a recorded series is not a rate of the input
        return None
    ranges.add(duration_ms(args[0].range))
    return 1


def _name_now(selector: Any) -> str | None:
    """The metric name of a selector that reads the present (no offset, no @), else None."""
    if selector.offset is not None or selector.at is not None:
        return None
    try:
        return selector_parts(selector)[0]
    except Unsupported:
        return None


def _binary_degree(node: Any, recorded: Mapping[str, Sequence[RecordingRule]], ranges: set[int], depth: int) -> int | None:
    # `x or vector(0)` is refused too: it records a 0 before the rates exist, so a chained window
    # would average more samples of the errors than of the total.
    op = str(node.op)
    if node.modifier is not None and node.modifier.return_bool:
        return None
    left = _degree(node.lhs, recorded, ranges, depth + 1)
    right = _degree(node.rhs, recorded, ranges, depth + 1)
    if left is None or right is None:
        return None
    if op in ("+", "-"):
        return left if left == right else None
    if op == "*":
        return left + right if left + right <= 1 else None
    if op == "/":
        return left - right if left - right in (0, 1) else None
    return None
